"""Forms of the contractor portal.

The forms only turn what a person typed into values (dates, decimal comma); the rules of a
report and its rows are checked by the same serializers as the API and the file import
(:class:`internships.api.serializers.ReportSerializer`) and saved by the same service, so a
report typed in the portal, uploaded or sent by API passes exactly the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, TargetGroup
from contracts.schedule import ScheduleEntry

from . import services
from .models import PlacementReport, PlacementRow

# The editable row fields, in the order the form and the serializer name them.
ROW_FIELDS = ("participant_ref", "target_group", "start_date", "end_date", "hours", "role", "notes")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class RowForm(forms.Form):
    """One placement row. A personnummer may be typed instead of a participant code; it is
    turned into a pseudonym before anything is saved and is never shown again."""

    participant_ref = forms.CharField(label=_("Participant code"), max_length=64, required=False)
    personnummer = forms.CharField(
        label=_("or personnummer"),
        max_length=20,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    target_group = forms.ModelChoiceField(
        label=_("Target group"),
        queryset=TargetGroup.objects.order_by("code"),
        to_field_name="code",
    )
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(label=_("End date"), widget=DateInput())
    hours = forms.DecimalField(
        label=_("Hours"), min_value=0, max_digits=8, decimal_places=2, localize=True
    )
    role = forms.CharField(label=_("Role"), max_length=100, required=False)
    notes = forms.CharField(label=_("Notes"), required=False)

    def payload(self) -> dict[str, Any]:
        """The row as the API's serializer takes it."""
        data = self.cleaned_data
        return {
            "participant_ref": data.get("participant_ref", ""),
            "personnummer": data.get("personnummer", ""),
            "target_group": data["target_group"].code,
            "start_date": data["start_date"].isoformat(),
            "end_date": data["end_date"].isoformat(),
            "hours": str(data["hours"]),
            "role": data.get("role", ""),
            "notes": data.get("notes", ""),
        }


class BaseRowFormSet(forms.BaseFormSet):
    def filled_forms(self) -> list[RowForm]:
        """The rows to save: changed (or pre-filled) forms not marked for removal."""
        return [
            form
            for form in self.forms
            if (form.has_changed() or form.initial) and not self._should_delete_form(form)
        ]


RowFormSet = forms.formset_factory(RowForm, formset=BaseRowFormSet, extra=1, can_delete=True)


def row_initial(rows: list[PlacementRow]) -> list[dict[str, Any]]:
    """A report's saved rows as the formset's initial data."""
    return [
        {
            "participant_ref": row.participant_ref,
            "target_group": row.target_group.code,
            "start_date": row.start_date,
            "end_date": row.end_date,
            "hours": row.hours,
            "role": row.role,
            "notes": row.notes,
        }
        for row in rows
    ]


def formset_with_extra_row(data: Mapping[str, Any], prefix: str = "rows") -> RowFormSet:
    """The posted formset with one more empty row (the "Add a row" button; no script needed)."""
    data = data.copy()  # type: ignore[attr-defined]
    key = f"{prefix}-TOTAL_FORMS"
    data[key] = str(int(data.get(key) or 0) + 1)
    formset = RowFormSet(data=data, prefix=prefix)
    formset.errors  # noqa: B018 - validate now, so the page shows the rows' own messages
    return formset


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, Mapping):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list | tuple):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]


class ReportErrors(Exception):
    """The report was not saved; its messages have been put on the forms."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


def report_save_from_forms(
    *,
    formset: RowFormSet,
    contract: Contract,
    period: ScheduleEntry,
    report: PlacementReport | None,
    user,
) -> PlacementReport:
    """Check the typed rows with the API's serializer and save the draft with the API's service.

    Raises :class:`ReportErrors` with the messages that belong to no single row; every row's own
    messages are added to its form. Nothing is saved then.
    """
    from .api.serializers import ReportSerializer

    forms_to_save = formset.filled_forms()
    serializer = ReportSerializer(
        instance=report,
        data={
            "contract": contract.pk,
            "period_start": period.period_start.isoformat(),
            "period_end": period.period_end.isoformat(),
            "rows": [form.payload() for form in forms_to_save],
        },
        context={"user": user},
    )
    if not serializer.is_valid():
        errors = dict(serializer.errors)
        row_errors = errors.pop("rows", [])
        general: list[str] = []
        if isinstance(row_errors, list) and all(isinstance(e, Mapping) for e in row_errors):
            for form, detail in zip(forms_to_save, row_errors, strict=False):
                for name, messages in detail.items():
                    field = name if name in form.fields else None
                    for message in _messages(messages):
                        form.add_error(field, message)
        else:
            general += _messages(row_errors)
        general += _messages(errors)
        raise ReportErrors(general)
    draft = report or PlacementReport(
        contract=contract, period_start=period.period_start, period_end=period.period_end
    )
    try:
        return services.report_save(report=draft, rows=serializer.validated_data["rows"], user=user)
    except ValidationError as error:
        raise ReportErrors(list(error.messages)) from None
    except services.TransitionError as error:
        raise ReportErrors([str(error)]) from None


class UploadForm(forms.Form):
    """A CSV or XLSX file for one reporting period."""

    period = forms.ChoiceField(label=_("Reporting period"))
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (comma or semicolon; UTF-8 or Windows-1252) or XLSX (first sheet)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def __init__(self, *args: Any, periods: list[ScheduleEntry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.periods = {entry.period_start.isoformat(): entry for entry in periods}
        self.fields["period"].choices = [
            (key, period_label(entry)) for key, entry in self.periods.items()
        ]

    def clean_period(self) -> ScheduleEntry:
        return self.periods[self.cleaned_data["period"]]


class CorrectionForm(forms.Form):
    """Why an approved report is corrected (kept with the new version)."""

    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReviewForm(forms.Form):
    """An officer's decision on a submitted report; rejecting needs a comment."""

    comment = forms.CharField(
        label=_("Comment to the contractor"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you reject the report: say what to correct."),
    )


def period_label(entry: ScheduleEntry) -> str:
    from django.utils.formats import date_format

    return _("%(start)s – %(end)s (due %(due)s)") % {
        "start": date_format(entry.period_start, "SHORT_DATE_FORMAT"),
        "end": date_format(entry.period_end, "SHORT_DATE_FORMAT"),
        "due": date_format(entry.due_date, "SHORT_DATE_FORMAT"),
    }


def parse_period(value: str | None, schedule: list[ScheduleEntry]) -> ScheduleEntry | None:
    """The schedule entry whose period starts on ``value`` (YYYY-MM-DD), or None."""
    try:
        start = date.fromisoformat(value or "")
    except ValueError:
        return None
    return next((entry for entry in schedule if entry.period_start == start), None)
