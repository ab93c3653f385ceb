"""Forms of the contractor portal.

The forms only turn what a person typed into values (dates, decimal comma); the rules of a
report and its rows are checked by the same serializers as the API and the file import
(:class:`internships.api.serializers.ReportSerializer`) and saved by the same service, so a
report typed in the portal, uploaded or sent by API passes exactly the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contracts.models import Contract, TargetGroup
from contracts.schedule import ScheduleEntry
from procurement.models import District

from . import services
from .choices import AgeBand, BornAbroad, EmploymentType, Gender, ReportStatus
from .importing import error_messages
from .models import PlacementReport, PlacementRow
from .pseudonyms import PSEUDONYM_PREFIX, parse_personnummer, pseudonym_for

if TYPE_CHECKING:
    from .importing import PendingReplacement

# The editable row fields, in the order the form and the serializer name them.
ROW_FIELDS = ("participant_ref", "target_group", "start_date", "end_date", "hours", "role", "notes")
#: The row's columns on the page, in order.
ROW_COLUMNS = (
    "participant_ref",
    "personnummer",
    "target_group",
    "start_date",
    "end_date",
    "hours",
    "role",
    "notes",
)
#: The Swedish model's facts of a row (DESIGN.md §10.1), in the row's collapsible part.
FACT_COLUMNS = (
    "employment_type",
    "offered_on",
    "ended_by_participant",
    "gender",
    "born_abroad",
    "age_band",
    "home_district",
)
#: The facts' values when nothing is told (a row's facts part stays closed while they hold).
FACT_DEFAULTS = {
    "employment_type": EmploymentType.INTERNSHIP,
    "offered_on": None,
    "ended_by_participant": False,
    "gender": Gender.UNDISCLOSED,
    "born_abroad": BornAbroad.UNDISCLOSED,
    "age_band": AgeBand.UNDISCLOSED,
    "home_district": None,
}
#: A personnummer typed on an earlier round of the form is kept only as its pseudonym, signed so
#: that "personnummer entered" is never shown for a value the server did not make.
_KEPT_SALT = "internships.portal.kept-personnummer"
# Sent as the personnummer when a row holds a kept personnummer *and* a typed participant code:
# the serializer refuses "both" before it reads the number (the number itself is not here any
# more), so the contractor gets the same message as when typing both at once.
_KEPT_MARKER = "kept"


def _kept_token(pseudonym: str) -> str:
    return signing.dumps(pseudonym, salt=_KEPT_SALT)


def _kept_pseudonym(token: str) -> str | None:
    try:
        value = signing.loads(token, salt=_KEPT_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) and value.startswith(PSEUDONYM_PREFIX) else None


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


#: A refused choice is not repeated (it could be anything, a personnummer too).
_CHOICE_ERRORS = {"invalid_choice": _("Choose one of the options in the list.")}


class RowForm(forms.Form):
    """One placement row. A personnummer may be typed instead of a participant code; it is
    turned into a pseudonym before anything is saved and is never shown again: when the form
    comes back (a row added, an error), the row holds the pseudonym (signed, in a hidden field)
    and says "personnummer entered"."""

    participant_ref = forms.CharField(label=_("Participant code"), max_length=64, required=False)
    personnummer = forms.CharField(
        label=_("or personnummer"),
        max_length=20,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    personnummer_kept = forms.CharField(required=False, widget=forms.HiddenInput)
    forget_personnummer = forms.BooleanField(label=_("Remove the personnummer"), required=False)
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
    employment_type = forms.ChoiceField(
        label=_("Employment type"),
        choices=EmploymentType.choices,
        initial=EmploymentType.INTERNSHIP,
        required=False,
        error_messages=_CHOICE_ERRORS,
    )
    offered_on = forms.DateField(
        label=_("Offered on"),
        required=False,
        widget=DateInput(),
        help_text=_("Not after the start date."),
    )
    ended_by_participant = forms.BooleanField(
        label=_("Ended early by the participant"), required=False
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=Gender.choices,
        initial=Gender.UNDISCLOSED,
        required=False,
        error_messages=_CHOICE_ERRORS,
    )
    born_abroad = forms.ChoiceField(
        label=_("Born abroad"),
        choices=BornAbroad.choices,
        initial=BornAbroad.UNDISCLOSED,
        required=False,
        error_messages=_CHOICE_ERRORS,
    )
    age_band = forms.ChoiceField(
        label=_("Age band"),
        choices=AgeBand.choices,
        initial=AgeBand.UNDISCLOSED,
        required=False,
        error_messages=_CHOICE_ERRORS,
    )
    home_district = forms.ModelChoiceField(
        label=_("Home district"),
        queryset=District.objects.order_by("name"),
        required=False,
        empty_label=_("Elsewhere or not told"),
        error_messages=_CHOICE_ERRORS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept_pseudonym = self._find_kept_pseudonym()
        if self.kept_pseudonym:
            # As the field's help text, Django points the input's aria-describedby at it.
            self.fields["personnummer"].help_text = _("personnummer entered")

    def _raw(self, name: str) -> Any:
        field = self.fields[name]
        if self.is_bound:
            return field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        return self.initial.get(name, field.initial)

    def _find_kept_pseudonym(self) -> str | None:
        """The pseudonym of the personnummer this row holds: one typed now (when valid), else
        the one kept from before, unless the contractor asked to remove it."""
        typed = str(self._raw("personnummer") or "").strip()
        if typed:
            try:
                return pseudonym_for(parse_personnummer(typed))
            except ValidationError:
                return None  # the serializer says why; the number is not shown again
        if self._raw("forget_personnummer"):
            return None
        token = str(self._raw("personnummer_kept") or "")
        return _kept_pseudonym(token) if token else None

    @property
    def kept_token(self) -> str:
        """The hidden field's value: the kept pseudonym, signed (empty when there is none)."""
        return _kept_token(self.kept_pseudonym) if self.kept_pseudonym else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        token = str(self._raw("personnummer_kept") or "")
        typed = str(self._raw("personnummer") or "").strip()
        forgotten = self._raw("forget_personnummer")
        if token and not typed and not forgotten and _kept_pseudonym(token) is None:
            self.add_error(
                "personnummer",
                _("The personnummer entered earlier could not be kept: type it again."),
            )
        return data

    def has_changed(self) -> bool:
        return super().has_changed() or bool(self.kept_pseudonym)

    @property
    def columns(self) -> list:
        """The row's fields as the page shows them, one column each."""
        return [self[name] for name in ROW_COLUMNS]

    @property
    def facts(self) -> list:
        """The Swedish model's facts of the row, shown together in one collapsible column."""
        return [self[name] for name in FACT_COLUMNS]

    def facts_open(self) -> bool:
        """Whether the facts part starts open: a fact has an error or a value other than the
        default, so that nothing told is hidden."""
        if any(self[name].errors for name in FACT_COLUMNS):
            return True
        for name in FACT_COLUMNS:
            value = self._raw(name)
            if name == "ended_by_participant":
                if self.fields[name].to_python(value):
                    return True
            elif value not in (None, "") and str(value) != str(FACT_DEFAULTS[name] or ""):
                return True
        return False

    def participant_field(self) -> str:
        """The field a message about the participant belongs to: the personnummer when the row
        names the person only by one (typed or kept), else the participant code."""
        code = str(self._raw("participant_ref") or "").strip()
        typed = str(self._raw("personnummer") or "").strip()
        return "personnummer" if not code and (typed or self.kept_pseudonym) else "participant_ref"

    def payload(self) -> dict[str, Any]:
        """The row as the API's serializer takes it. A field the form could not read (a date
        that is not a date) is left out: the form already says what is wrong with it."""
        data = self.cleaned_data
        code = data.get("participant_ref", "")
        typed = data.get("personnummer", "")
        payload: dict[str, Any] = {"participant_ref": code, "personnummer": typed}
        if not typed and self.kept_pseudonym:
            if code:
                payload["personnummer"] = _KEPT_MARKER
            else:
                payload["participant_ref"] = self.kept_pseudonym
        if data.get("target_group") is not None:
            payload["target_group"] = data["target_group"].code
        for name in ("start_date", "end_date"):
            if data.get(name) is not None:
                payload[name] = data[name].isoformat()
        if data.get("hours") is not None:
            payload["hours"] = str(data["hours"])
        for name in ("role", "notes"):
            if name in data:
                payload[name] = data[name]
        for name in ("employment_type", "gender", "born_abroad", "age_band"):
            if data.get(name):
                payload[name] = data[name]
        if "offered_on" in data:
            offered = data["offered_on"]
            payload["offered_on"] = offered.isoformat() if offered else None
        if "ended_by_participant" in data:
            payload["ended_by_participant"] = bool(data["ended_by_participant"])
        if "home_district" in data:
            district = data["home_district"]
            payload["home_district"] = district.pk if district else None
        return payload


class BaseRowFormSet(forms.BaseFormSet):
    def _construct_form(self, i: int, **kwargs: Any) -> RowForm:
        # A blank row is ignored wherever it stands (not only the extra rows at the end).
        kwargs.setdefault("empty_permitted", True)
        kwargs.setdefault("use_required_attribute", False)
        return super()._construct_form(i, **kwargs)

    def filled_forms(self) -> list[RowForm]:
        """The rows to save: changed (or pre-filled) forms not marked for removal."""
        if not self.is_bound:
            return []
        self.errors  # noqa: B018 - reads every row (and the removal ticks) once
        return [
            form
            for form in self.forms
            if (form.has_changed() or form.initial) and not self._should_delete_form(form)
        ]


RowFormSet = forms.formset_factory(RowForm, formset=BaseRowFormSet, extra=1, can_delete=True)


def row_initial(rows: list[PlacementRow]) -> list[dict[str, Any]]:
    """A report's saved rows as the formset's initial data. A participant saved as the
    pseudonym of a personnummer is shown as "personnummer entered", not as the pseudonym."""
    initial = []
    for row in rows:
        pseudonym = row.participant_ref.startswith(PSEUDONYM_PREFIX)
        initial.append(
            {
                "participant_ref": "" if pseudonym else row.participant_ref,
                "personnummer_kept": _kept_token(row.participant_ref) if pseudonym else "",
                "target_group": row.target_group.code,
                "start_date": row.start_date,
                "end_date": row.end_date,
                "hours": row.hours,
                "role": row.role,
                "notes": row.notes,
                "employment_type": row.employment_type,
                "offered_on": row.offered_on,
                "ended_by_participant": row.ended_by_participant,
                "gender": row.gender,
                "born_abroad": row.born_abroad,
                "age_band": row.age_band,
                "home_district": row.home_district_id,
            }
        )
    return initial


def formset_with_extra_row(data: Mapping[str, Any], prefix: str = "rows") -> RowFormSet:
    """The posted formset with one more empty row (the "Add a row" button; no script needed)."""
    data = data.copy()  # type: ignore[attr-defined]
    key = f"{prefix}-TOTAL_FORMS"
    data[key] = str(int(data.get(key) or 0) + 1)
    return RowFormSet(data=data, prefix=prefix)


def _messages(detail: Any) -> list[str]:
    """The messages of a serializer's error detail, flattened (as the file import reads them)."""
    return [str(message) for message in error_messages(detail)]


@dataclass(frozen=True)
class RowError:
    """One message of the form, for the summary: the row (1-based, as the page numbers them),
    the field's label and input id (None for the row as a whole) and the message."""

    row: int
    label: str | None
    field_id: str | None
    message: str


def row_error_list(formset: RowFormSet) -> list[RowError]:
    """Every message on the rows, in page order: each row's every field, not only the first."""
    found = []
    checked = {id(form) for form in formset.filled_forms()}
    for number, form in enumerate(formset.forms, start=1):
        if id(form) not in checked or not form.errors:
            continue
        for message in form.non_field_errors():
            found.append(RowError(number, None, None, message))
        for bound in [*form.columns, *form.facts]:
            for message in bound.errors:
                found.append(RowError(number, str(bound.label), bound.id_for_label, message))
    return found


class ReportErrors(Exception):
    """The report was not saved; its messages have been put on the forms."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


def _add_serializer_errors(form: RowForm, detail: Mapping[str, Any]) -> None:
    """The serializer's messages on a row, on the field each belongs to. A field the form
    already refused keeps the form's own message (the serializer did not get its value)."""
    refused = set(form.errors)
    for name, messages in detail.items():
        field = form.participant_field() if name in ("participant_ref", "personnummer") else name
        if field not in form.fields:
            field = None
        if field in refused:
            continue
        for message in _messages(messages):
            if message not in form.errors.get(field or "__all__", []):
                form.add_error(field, message)


def report_rows_check(
    *,
    formset: RowFormSet,
    contract: Contract,
    period: ScheduleEntry,
    report: PlacementReport | None,
    user,
) -> tuple[Any, list[str]]:
    """Check the typed rows: the form reads each value (dates, decimal comma), then the API's
    serializer checks every row that has anything in it, one by one and together, even when
    some values could not be read, so that every problem of every row is shown at once.

    Every row's own messages are added to its form; returns the serializer and the messages
    that belong to no single row.
    """
    from .api.serializers import ReportSerializer

    forms_to_check = formset.filled_forms()
    serializer = ReportSerializer(
        instance=report,
        data={
            "contract": contract.pk,
            "period_start": period.period_start.isoformat(),
            "period_end": period.period_end.isoformat(),
            "rows": [form.payload() for form in forms_to_check],
        },
        context={"user": user},
    )
    general: list[str] = []
    if not serializer.is_valid():
        errors = dict(serializer.errors)
        row_errors = errors.pop("rows", [])
        if isinstance(row_errors, Mapping) and all(str(key).isdigit() for key in row_errors):
            row_errors = [row_errors.get(index, {}) for index in range(len(forms_to_check))]
        if isinstance(row_errors, list) and all(isinstance(e, Mapping) for e in row_errors):
            for form, detail in zip(forms_to_check, row_errors, strict=False):
                _add_serializer_errors(form, detail)
        else:
            general += _messages(row_errors)
        general += _messages(errors)
    general += [str(message) for message in formset.non_form_errors()]
    return serializer, general


def report_save_from_forms(
    *,
    formset: RowFormSet,
    contract: Contract,
    period: ScheduleEntry,
    report: PlacementReport | None,
    user,
) -> PlacementReport:
    """Check the typed rows (:func:`report_rows_check`) and save the draft with the API's
    service.

    Raises :class:`ReportErrors` with the messages that belong to no single row; every row's own
    messages are added to its form. Nothing is saved then.
    """
    serializer, general = report_rows_check(
        formset=formset, contract=contract, period=period, report=report, user=user
    )
    if general or any(form.errors for form in formset.filled_forms()):
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


def replacement_question(pending: PendingReplacement) -> str:
    """The question before a file replaces a draft's rows, with both counts: "The draft for the
    period has 4 rows. Replace them with the file's 7 rows?"""
    draft, file = pending.draft_rows, pending.file_rows
    if pending.report.status == ReportStatus.REJECTED:
        has = ngettext(
            "The rejected report for the period has %(count)d row.",
            "The rejected report for the period has %(count)d rows.",
            draft,
        )
    else:
        has = ngettext(
            "The draft for the period has %(count)d row.",
            "The draft for the period has %(count)d rows.",
            draft,
        )
    if draft == 1:
        replace = ngettext(
            "Replace it with the file's %(count)d row?",
            "Replace it with the file's %(count)d rows?",
            file,
        )
    else:
        replace = ngettext(
            "Replace them with the file's %(count)d row?",
            "Replace them with the file's %(count)d rows?",
            file,
        )
    return f"{has % {'count': draft}} {replace % {'count': file}}"


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
