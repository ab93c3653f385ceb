"""Forms of the managers' dashboard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement.models import Contractor, District

from .choices import ClauseStatus, Metric

#: The clause list's status filter: every clause, whatever its status.
ALL = "all"


class DashboardFilterForm(forms.Form):
    """Year, district and contractor; every field optional (the current year, everything)."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.order_by("name"),
        required=False,
        empty_label=_("All districts"),
    )
    contractor = forms.ModelChoiceField(
        label=_("Contractor"),
        queryset=Contractor.objects.order_by("name"),
        required=False,
        empty_label=_("All contractors"),
    )
    clause = forms.TypedChoiceField(
        label=_("Clause in the chart"), coerce=int, required=False, empty_value=None
    )
    # The list of clauses: those that need attention, or those of a status or a metric (the
    # key figures link here).
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Needs attention")), (ALL, _("Every status")), *ClauseStatus.choices],
        required=False,
    )
    metric = forms.ChoiceField(
        label=_("Metric"), choices=[("", _("All metrics")), *Metric.choices], required=False
    )

    def __init__(
        self, *args: Any, years: list[int], clauses: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in reversed(years)]
        self.fields["clause"].choices = [("", _("The first clause that needs attention")), *clauses]
