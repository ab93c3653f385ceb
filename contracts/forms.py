"""Forms of the managers' dashboard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from procurement.models import Contractor, District

from .choices import ClauseStatus, Metric

#: The clause list's status filter: every clause, whatever its status.
ALL = "all"


class QuickSelect(forms.Select):
    """A ``<select>`` written directly, not through a template per option: Django's widget
    templates cost about a millisecond an option, and the contractor filter has hundreds."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in chosen else "", label)
                for key, label in ((str(k), lbl) for k, lbl in self.choices)
            ),
        )
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(final), options)


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
        widget=QuickSelect,
    )
    # The clause in the history chart: chosen by a link from the clause search (``find``),
    # never from a list of every clause (tens of thousands at portfolio scale).
    clause = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    find = forms.CharField(
        label=_("Find a clause"),
        help_text=_("Contract reference, contract title or metric."),
        max_length=100,
        required=False,
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

    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in reversed(years)]
