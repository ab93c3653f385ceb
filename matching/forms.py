"""The matcher page's forms (/matchning/): confirm rows, dispute one, refer a candidate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, TargetGroup
from internships.choices import EmploymentType
from internships.forms import DateInput
from internships.models import PlacementRow


def row_label(row: PlacementRow) -> str:
    """A row as a matcher picks it: contract, pseudonym, dates."""
    return (
        f"{row.report.contract.reference} · {row.participant_ref[:16]} · "
        f"{date_format(row.start_date, 'SHORT_DATE_FORMAT')}–"
        f"{date_format(row.end_date, 'SHORT_DATE_FORMAT')}"
    )


class RowChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PlacementRow) -> str:
        return row_label(obj)


class ConfirmForm(forms.Form):
    """The rows ticked in the list of rows waiting (all confirmed at once)."""

    rows = forms.ModelMultipleChoiceField(
        queryset=PlacementRow.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one row to confirm.")},
    )

    def __init__(self, *args: Any, rows: QuerySet[PlacementRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rows"].queryset = rows


class DisputeForm(forms.Form):
    row = RowChoiceField(label=_("Row"), queryset=PlacementRow.objects.none())
    comment = forms.CharField(
        label=_("Why is the row disputed?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the row is disputed.")},
        help_text=_("The contractor and the officer see this comment."),
    )

    def __init__(self, *args: Any, rows: QuerySet[PlacementRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["row"].queryset = rows

    def offer(self, rows: list[PlacementRow]) -> None:
        """List only ``rows`` in the select (those on the page): any row of the queryset is
        still accepted, but a unit's every row is never written into the page."""
        field = self.fields["row"]
        field.widget.choices = [("", field.empty_label)] + [
            (row.pk, field.label_from_instance(row)) for row in rows
        ]


class ReferralForm(forms.Form):
    """A candidate referred to a contract. A personnummer is never shown again."""

    contract = forms.ModelChoiceField(label=_("Contract"), queryset=Contract.objects.none())
    participant_ref = forms.CharField(label=_("Candidate code"), max_length=64, required=False)
    personnummer = forms.CharField(
        label=_("or personnummer"),
        max_length=20,
        required=False,
        help_text=_("Replaced by a pseudonym at once; never stored."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    target_group = forms.ModelChoiceField(
        label=_("Target group"), queryset=TargetGroup.objects.order_by("code")
    )
    employment_type = forms.ChoiceField(
        label=capfirst(_("employment type")),
        choices=EmploymentType.choices,
        initial=EmploymentType.INTERNSHIP,
    )
    proposed_start = forms.DateField(label=_("Proposed start"), widget=DateInput())
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts


class DeclineForm(forms.Form):
    """The contractor declines a referral: the reason is required."""

    reason = forms.CharField(
        label=_("Why is the candidate declined?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the referral is declined.")},
    )
