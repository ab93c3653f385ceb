from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from contracts.models import Contract, TargetGroup
from core.api.serializers import FastRepresentationMixin
from internships.choices import AgeBand, BornAbroad, EmploymentType, Gender
from internships.models import (
    REPORT_WORKFLOW_FIELDS,
    PlacementReport,
    PlacementRow,
    RowDates,
    row_errors,
)
from internships.pseudonyms import participant_ref_from
from procurement.models import District


def _user_of(context: Mapping):
    """The caller: ``context["user"]`` (a service such as the file import) or the request's."""
    return context.get("user") or getattr(context.get("request"), "user", None)


class TargetGroupField(serializers.SlugRelatedField):
    """A target group given by its ``code``.

    Target groups are a handful of reference rows: they are read once per serializer (one query),
    not once per row, which matters for an import of thousands of rows. An unknown code is not
    repeated in the message (it could be anything the client put in the wrong column).
    """

    default_error_messages = {
        "does_not_exist": _("Unknown target group. The codes are: %(codes)s."),
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="code", queryset=TargetGroup.objects.all(), **kwargs)
        self._by_code: dict[str, TargetGroup] | None = None

    def to_internal_value(self, data) -> TargetGroup:
        if self._by_code is None:
            self._by_code = {group.code: group for group in self.get_queryset().order_by("code")}
        if not isinstance(data, str | int):
            self.fail("invalid")
        group = self._by_code.get(str(data))
        if group is None:
            self.fail("does_not_exist", codes=", ".join(self._by_code))
        return group


class QuietChoiceField(serializers.ChoiceField):
    """A choice that does not repeat a refused value in its message (it could be anything the
    client put in the wrong column, a personnummer too): it lists the codes instead."""

    default_error_messages = {
        "invalid_choice": _("Not one of the codes: %(codes)s."),
    }

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if not isinstance(data, str) or data not in self.choice_strings_to_values:
            self.fail("invalid_choice", codes=", ".join(self.choice_strings_to_values))
        return self.choice_strings_to_values[data]


class DistrictField(serializers.PrimaryKeyRelatedField):
    """A home district by id, or null. Districts are a handful of reference rows: read once per
    serializer, not once per row. An unknown id is not repeated in the message."""

    default_error_messages = {
        "does_not_exist": _("Unknown district. The districts are: %(districts)s."),
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=District.objects.all(), **kwargs)
        self._by_id: dict[str, District] | None = None

    def to_internal_value(self, data) -> District:
        if self._by_id is None:
            self._by_id = {str(d.pk): d for d in self.get_queryset().order_by("name")}
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        district = self._by_id.get(str(data).strip())
        if district is None:
            self.fail(
                "does_not_exist",
                districts=", ".join(f"{pk} ({d.name})" for pk, d in self._by_id.items()),
            )
        return district


#: The largest id a database column can hold (bigint); a larger number fails in the driver.
MAX_ID = 2**63 - 1


class ContractField(serializers.PrimaryKeyRelatedField):
    """A contract by id. An id outside the database's integer range "does not exist" (instead
    of failing in the database driver with a 500)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool) and isinstance(data, int | str):
            try:
                number = int(data)
            except ValueError:
                number = None
            if number is not None and not 1 <= number <= MAX_ID:
                self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class RowListSerializer(serializers.ListSerializer):
    """The rows of a report. Remembers what each row validated to on its own (``valid_rows``,
    by index), so that the rules over all rows together can still run on those rows when other
    rows are refused: the client then gets every error in one answer."""

    def to_internal_value(self, data):
        self.valid_rows: dict[int, dict] = {}
        self._next_index = 0
        return super().to_internal_value(data)

    def run_child_validation(self, data):
        index = self._next_index
        self._next_index += 1
        value = super().run_child_validation(data)
        self.valid_rows[index] = value
        return value


class RowSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """One row. Give ``participant_ref`` (your code) or ``personnummer`` (never stored: it is
    replaced by a pseudonym before anything is saved)."""

    participant_ref = serializers.CharField(max_length=64, required=False, allow_blank=True)
    personnummer = serializers.CharField(
        max_length=20, required=False, allow_blank=True, write_only=True
    )
    target_group = TargetGroupField()
    # The Swedish model's facts (DESIGN.md §10.1): all optional, "not told" by default.
    employment_type = QuietChoiceField(
        choices=EmploymentType.choices,
        required=False,
        help_text=_("internship (default), apprenticeship or employment."),
    )
    offered_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_("The day the job was offered; not after the start date."),
    )
    ended_by_participant = serializers.BooleanField(
        required=False,
        help_text=_("The participant ended the job early on their own initiative."),
    )
    gender = QuietChoiceField(choices=Gender.choices, required=False)
    born_abroad = QuietChoiceField(choices=BornAbroad.choices, required=False)
    age_band = QuietChoiceField(choices=AgeBand.choices, required=False)
    home_district = DistrictField(
        required=False,
        allow_null=True,
        help_text=_("Where the participant lives (a district id); null: elsewhere or not told."),
    )

    OFFER_AFTER_START = _("The offer cannot come after the start date.")

    class Meta:
        model = PlacementRow
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "participant_ref",
            "personnummer",
            "target_group",
            "start_date",
            "end_date",
            "hours",
            "role",
            "notes",
            "employment_type",
            "offered_on",
            "ended_by_participant",
            "gender",
            "born_abroad",
            "age_band",
            "home_district",
            "verification",
            "verified_by",
            "verified_at",
            "verification_comment",
        ]
        # The matcher's word on the row: set only through rows/confirm/ and rows/{id}/dispute/.
        read_only_fields = [
            "id",
            "verification",
            "verified_by",
            "verified_at",
            "verification_comment",
        ]

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            # ``validate`` does not run when a field is refused; the participant check needs only
            # the two reference fields, so run it here too: a row's every problem at once.
            detail = error.detail
            if (
                isinstance(detail, dict)
                and isinstance(data, Mapping)
                and not {"participant_ref", "personnummer"} & set(detail)
            ):
                try:
                    participant_ref_from(
                        participant_ref=str(data.get("participant_ref") or ""),
                        personnummer=str(data.get("personnummer") or ""),
                    )
                except DjangoValidationError as refused:
                    detail["participant_ref"] = [
                        ErrorDetail(str(message), code=refused.code or "invalid")
                        for message in refused.messages
                    ]
            if isinstance(detail, dict) and isinstance(data, Mapping):
                self._add_offer_error(detail, data)
            raise

    def _add_offer_error(self, detail: dict, data: Mapping) -> None:
        """The offer-after-start rule, when another field of the row was refused (``validate``
        does not run then) but both dates were read."""
        if {"offered_on", "start_date"} & set(detail):
            return
        try:
            offered_on = self.fields["offered_on"].run_validation(data.get("offered_on"))
            start_date = self.fields["start_date"].run_validation(data.get("start_date"))
        except serializers.ValidationError:
            return
        if offered_on is not None and start_date is not None and offered_on > start_date:
            detail["offered_on"] = [ErrorDetail(str(self.OFFER_AFTER_START), code="invalid")]

    def validate(self, attrs: dict) -> dict:
        errors: dict[str, list] = {}
        try:
            attrs["participant_ref"] = participant_ref_from(
                participant_ref=attrs.get("participant_ref", ""),
                personnummer=attrs.pop("personnummer", ""),
            )
        except DjangoValidationError as error:  # never echoes the number
            errors["participant_ref"] = list(error.messages)
        if attrs["end_date"] < attrs["start_date"]:
            errors["end_date"] = [_("The end date must not be before the start date.")]
        offered_on = attrs.get("offered_on")
        if offered_on is not None and offered_on > attrs["start_date"]:
            errors["offered_on"] = [self.OFFER_AFTER_START]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ReportSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """A placement report with its rows (the complete list, replaced as a whole on write)."""

    contract = ContractField(queryset=Contract.objects.all())
    rows = RowSerializer(many=True, required=False)

    class Meta:
        model = PlacementReport
        fields = [
            "id",
            "contract",
            "period_start",
            "period_end",
            "status",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
            "corrects",
            "correction_reason",
            "created_at",
            "updated_at",
            "rows",
        ]
        read_only_fields = [*REPORT_WORKFLOW_FIELDS, "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self.context)
        if user is not None and "contract" in self.fields:
            from contracts.selectors import contract_list

            # Only the caller's own contracts: anything else is "does not exist". The contract's
            # own fields are all the rules need: no joins, no managers.
            self.fields["contract"].queryset = (
                contract_list(user=user).select_related(None).prefetch_related(None)
            )

    def _period(self, name: str, data) -> date | None:
        """``period_start`` or ``period_end`` as sent (or as stored, for a partial update); None
        when it is missing or invalid (its own error says so)."""
        if isinstance(data, Mapping) and name in data:
            try:
                return self.fields[name].run_validation(data[name])
            except serializers.ValidationError:
                return None
        return getattr(self.instance, name, None)

    @staticmethod
    def _cross_row_errors(
        period_start: date | None, period_end: date | None, rows: Mapping[int, dict]
    ) -> dict[int, dict[str, list]]:
        """The rules over the rows together (``row_errors``), by row index."""
        if period_start is None or period_end is None:
            return {}
        period = PlacementReport(period_start=period_start, period_end=period_end)
        indexes = list(rows)
        dates = [
            RowDates(row["participant_ref"], row["start_date"], row["end_date"], row["hours"])
            for row in rows.values()
        ]
        errors: dict[int, dict[str, list]] = {}
        for position, field, message in row_errors(period, dates):
            errors.setdefault(indexes[position], {}).setdefault(field, []).append(message)
        return errors

    def to_internal_value(self, data):
        rows_field = self.fields.get("rows")
        if rows_field is not None:
            rows_field.valid_rows = {}
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if rows_field is not None and rows_field.valid_rows:
                self._add_cross_row_errors(error, data, rows_field.valid_rows)
            raise

    def _add_cross_row_errors(
        self, error: serializers.ValidationError, data, valid_rows: dict[int, dict]
    ) -> None:
        """Some fields were refused: add what the cross-row rules find among the rows that are
        valid on their own, in the same shape as the rows' own errors."""
        found = self._cross_row_errors(
            self._period("period_start", data), self._period("period_end", data), valid_rows
        )
        if not found or not isinstance(error.detail, dict) or not isinstance(data, Mapping):
            return
        detail = error.detail.setdefault("rows", [{} for _row in data.get("rows") or []])
        for index, fields in found.items():
            if isinstance(detail, list):
                target = detail[index]
            elif isinstance(detail, dict):
                target = detail.setdefault(index, {})
            else:  # a message about the list as a whole
                return
            for field, messages in fields.items():
                target.setdefault(field, []).extend(
                    ErrorDetail(str(message), code="invalid") for message in messages
                )

    def validate(self, attrs: dict) -> dict:
        rows = attrs.get("rows")
        if rows is None:
            return attrs
        found = self._cross_row_errors(
            attrs.get("period_start", getattr(self.instance, "period_start", None)),
            attrs.get("period_end", getattr(self.instance, "period_end", None)),
            dict(enumerate(rows)),
        )
        if found:
            raise serializers.ValidationError(
                {"rows": [found.get(index, {}) for index in range(len(rows))]}
            )
        return attrs


class CorrectionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Why the report is corrected."))


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RejectionSerializer(serializers.Serializer):
    """The body of ``reject`` as the schema states it. The view reads it with
    :class:`ReviewSerializer`: the rule that a rejection says why lives in
    ``services.report_reject``, which answers a blank comment under ``review_comment``."""

    comment = serializers.CharField(
        max_length=2000,
        validators=[RegexValidator(r"^[^\x00]*[^\x00\s][^\x00]*$")],
        help_text=_("Why the report is rejected (required)."),
    )


class ImportFormSerializer(serializers.Serializer):
    """The form of ``POST reports/import/`` (multipart): the file and the report it fills."""

    file = serializers.FileField(
        allow_empty_file=False,
        use_url=False,
        help_text=_("CSV (comma or semicolon; UTF-8 or Windows-1252) or XLSX (first sheet)."),
    )
    contract = ContractField(queryset=Contract.objects.none())
    period_start = serializers.DateField()
    period_end = serializers.DateField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self.context)
        if user is not None:
            from contracts.selectors import contract_list

            self.fields["contract"].queryset = contract_list(user=user)


class ImportProblemSerializer(serializers.Serializer):
    """One problem of an import: the spreadsheet row (header = 1; null for the file or form as a
    whole), the column as the file names it (or the form field; null when none applies), and
    what is wrong."""

    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportErrorsSerializer(serializers.Serializer):
    errors = ImportProblemSerializer(many=True)
