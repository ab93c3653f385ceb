from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.choices import ClauseKind, ClauseStatus, FirstStart, Forecast, Metric
from contracts.clause_templates import TEMPLATES, template_choices, template_fill
from contracts.exports import SEPARATORS
from contracts.models import Alert, ClauseMilestone, Contract, SocialClause, TargetGroup
from core.api.serializers import CleanModelSerializer, FastRepresentationMixin
from internships.choices import EmploymentType, ReportStatus

#: The largest id a database column can hold (64-bit); a bigger number is a 400, not a 500.
MAX_ID = 2**63 - 1


class TargetGroupSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = TargetGroup
        fields = ["code", "name", "name_sv", "name_en"]


class ContractSerializer(FastRepresentationMixin, CleanModelSerializer):
    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "title",
            "procurement",
            "contractor",
            "district",
            "value_sek",
            "start_date",
            "end_date",
            "reporting_frequency",
            "report_grace_days",
            "status",
            "managers",
        ]


class MilestoneSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = ClauseMilestone
        fields = ["date", "cumulative_target"]


class NullableDecimalField(serializers.DecimalField):
    """A decimal that may be null, but never an empty string: DRF would read ``""`` as null,
    which the schema's pattern for the number does not allow."""

    def validate_empty_values(self, data):
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")
        return super().validate_empty_values(data)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": EmploymentType.values},
        "uniqueItems": True,
    }
)
class EmploymentTypesField(serializers.ListField):
    """A list of employment type codes, each at most once (the schema says so too)."""


class ClauseSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """A clause; ``milestones`` is the complete list, replaced as a whole on write.

    ``template`` fills a clause from a model clause (docs/API.md): on create, or when it is
    changed, every field the request leaves out is filled from the template, and ``text`` too
    unless the request gives one.
    """

    target_groups = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=TargetGroup.objects.all(), required=False
    )
    milestones = MilestoneSerializer(many=True, required=False)
    start_date = serializers.DateField(required=False)
    due_date = serializers.DateField(required=False)
    metric = serializers.ChoiceField(
        choices=Metric.choices,
        required=False,
        help_text="Required unless `template` gives it.",
    )
    target = NullableDecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        allow_null=True,
        required=False,
        help_text="Required for a numeric clause; null for a dialogue clause.",
    )
    employment_types = EmploymentTypesField(
        child=serializers.ChoiceField(choices=EmploymentType.choices),
        required=False,
        allow_empty=True,
        help_text="Which employment types count, each at most once. Empty: every type.",
    )
    template = serializers.ChoiceField(
        choices=template_choices(),
        required=False,
        allow_blank=True,
        help_text="The model clause this clause is filled from: "
        + ", ".join(f"`{code}`" for code in TEMPLATES)
        + ". On create or change, it fills what the request leaves out.",
    )

    class Meta:
        model = SocialClause
        fields = [
            "id",
            "contract",
            "kind",
            "metric",
            "target",
            "start_date",
            "due_date",
            "min_placement_weeks",
            "target_groups",
            "employment_types",
            "full_time_hours_per_week",
            "first_start_within_days",
            "requires_matcher_confirmation",
            "tolerance_pct",
            "penalty_per_unit_sek",
            "text",
            "template",
            "milestones",
        ]

    def validate_employment_types(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Each employment type at most once."))
        return value

    def validate(self, attrs: dict) -> dict:
        code = attrs.get("template")
        if code and (self.instance is None or code != self.instance.template):
            # The wording states the clause's figures: those of the request, else the stored.
            stored = {
                name: getattr(self.instance, name)
                for name in ("target", "min_placement_weeks", "full_time_hours_per_week")
                if self.instance is not None
            }
            filled = template_fill({**stored, **attrs}, template=TEMPLATES[code], keep=set(attrs))
            if "target" not in attrs:
                filled.pop("target", None)
            attrs = filled
        metric = attrs.get("metric") or getattr(self.instance, "metric", None)
        if not metric:
            raise serializers.ValidationError(
                {"metric": serializers.Field.default_error_messages["required"]}
            )
        # The kind and the target go together (the database's check says so too): the message
        # names the field, whichever of the two the request changed.
        kind = attrs.get("kind", getattr(self.instance, "kind", ClauseKind.NUMERIC))
        target = attrs["target"] if "target" in attrs else getattr(self.instance, "target", None)
        if kind == ClauseKind.DIALOGUE and target is not None:
            raise serializers.ValidationError({"target": _("A dialogue clause has no target.")})
        if kind != ClauseKind.DIALOGUE and target is None:
            raise serializers.ValidationError({"target": _("A numeric clause needs a target.")})
        return attrs

    def save_with(self, service, instance=None):
        data = dict(self.validated_data)
        groups = data.pop("target_groups", None)
        milestones = data.pop("milestones", None)
        clause = instance or SocialClause()
        for name, value in data.items():
            setattr(clause, name, value)
        self.instance = service(clause=clause, target_groups=groups, milestones=milestones)
        return self.instance


class EvaluationSerializer(serializers.Serializer):
    """One clause's evaluation (docs/RULES.md §1–§2, docs/API.md)."""

    clause = serializers.IntegerField()
    contract = serializers.IntegerField()
    contract_reference = serializers.CharField()
    metric = serializers.CharField()
    target = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text="Null for a dialogue clause."
    )
    expected = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text="Null for a dialogue clause."
    )
    reported = serializers.DecimalField(max_digits=16, decimal_places=2)
    verified = serializers.DecimalField(max_digits=16, decimal_places=2)
    shortfall = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text="Null for a dialogue clause."
    )
    status = serializers.ChoiceField(choices=ClauseStatus.choices)
    projected_total = serializers.DecimalField(max_digits=16, decimal_places=2)
    penalty_sek = serializers.DecimalField(max_digits=16, decimal_places=2)
    forecast = serializers.ChoiceField(
        choices=Forecast.choices,
        allow_null=True,
        help_text="When the target is reached at the pace so far: `reached` already, `on_time` "
        "(on `forecast_date`, at the latest the due date), `late` (not before the due date) or "
        "`unknown` (no time has elapsed yet); null for a dialogue clause.",
    )
    forecast_date = serializers.DateField(
        allow_null=True, help_text="The day the target is reached at the pace so far, if on time."
    )
    first_start = serializers.ChoiceField(
        choices=FirstStart.choices,
        allow_null=True,
        help_text="Whether a counted job started or was offered within the clause's "
        "`first_start_within_days` of its start: `met`, `pending` (there is time yet) or "
        "`missed`; null for a clause without that requirement.",
    )
    as_of = serializers.DateField()

    @staticmethod
    def row(item) -> dict:
        evaluation = item.evaluation
        return {
            "clause": item.clause.id,
            "contract": item.clause.contract_id,
            "contract_reference": item.clause.contract.reference,
            "metric": evaluation.metric,
            "target": evaluation.target,
            "expected": evaluation.expected,
            "reported": evaluation.reported,
            "verified": evaluation.verified,
            "shortfall": evaluation.shortfall,
            "status": evaluation.status,
            "projected_total": evaluation.projected_total,
            "penalty_sek": evaluation.penalty_sek,
            "forecast": evaluation.forecast,
            "forecast_date": evaluation.forecast_date,
            "first_start": evaluation.first_start,
            "as_of": evaluation.as_of,
        }


class ScheduleEntrySerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    due_date = serializers.DateField()
    state = serializers.CharField()
    report = serializers.IntegerField(allow_null=True)
    received_on = serializers.DateField(
        allow_null=True,
        help_text=_(
            "The day the period's report first came: the first submission of a report that was "
            "not sent back (a correction does not change it); null until it is received."
        ),
    )
    late = serializers.BooleanField(
        help_text=_("Received after the due date."),
    )


class AsOfSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False)


class ComplianceQuerySerializer(AsOfSerializer):
    """Filters of ``compliance/``: the JSON list and its file exports take the same ones."""

    contract = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    contractor = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    district = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=ClauseStatus.choices, required=False)
    metric = serializers.ChoiceField(choices=Metric.choices, required=False)


class SeparatorSerializer(serializers.Serializer):
    sep = serializers.ChoiceField(
        choices=[(sep, sep) for sep in SEPARATORS],
        default=SEPARATORS[0],
        help_text=(
            "CSV only: ';' (default, with a decimal comma, as Swedish Excel expects) or ',' "
            "(with a decimal point)."
        ),
    )


class ComplianceListQuerySerializer(ComplianceQuerySerializer, SeparatorSerializer):
    """``compliance/?format=json|csv|xlsx`` query parameters."""


class RowExportQuerySerializer(SeparatorSerializer):
    """``compliance/rows/?format=csv|xlsx`` query parameters."""

    contract = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)
    period_start = serializers.DateField(
        required=False, help_text="The reporting period that starts on this date."
    )
    period_from = serializers.DateField(
        required=False, help_text="Reports whose period ends on or after this date."
    )
    period_to = serializers.DateField(
        required=False, help_text="Reports whose period starts on or before this date."
    )

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("period_from"), attrs.get("period_to")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"period_to": _("The end date must not be before the start date.")}
            )
        return attrs


class AlertSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "contract",
            "clause",
            "period_start",
            "state",
            "created_at",
            "acknowledged_by",
            "acknowledged_at",
            "resolved_at",
            "closed_by",
            "close_comment",
        ]
        read_only_fields = fields


class AlertCloseSerializer(serializers.Serializer):
    """The body of ``POST alerts/{id}/close/``: why the officer closes the alert."""

    comment = serializers.CharField(
        max_length=2000, help_text=_("Why the alert is closed (required).")
    )


#: The tables of the annual report, as ``AnnualReport.tables()`` names them.
ANNUAL_TABLES = (
    "year_over_year",
    "by_metric",
    "by_status",
    "by_district",
    "by_target_group",
    "by_employment_type",
    "by_gender",
    "by_age_band",
    "foreign_born_women",
    "by_contractor",
    "reports_summary",
    "benchmark_summary",
    "benchmarks",
    "clauses",
    "reports",
)


_TABLE_NAME = "(" + "|".join(ANNUAL_TABLES) + ")"


@extend_schema_field(
    {"type": "string", "pattern": rf"^\s*{_TABLE_NAME}\s*(,\s*{_TABLE_NAME}\s*)*$"}
)
class TableNamesField(serializers.CharField):
    """Comma-separated table names; the schema states which (``validate_tables`` checks)."""


class AnnualQuerySerializer(serializers.Serializer):
    """``analytics/annual/`` query parameters."""

    year = serializers.IntegerField(
        min_value=2000, help_text="The report's year: from 2000 up to the current year."
    )

    tables = TableNamesField(
        required=False,
        help_text="Only these tables, comma-separated (default all): "
        + ", ".join(ANNUAL_TABLES)
        + ". The clause, report and benchmark lists are long for a large portfolio.",
    )

    def validate_year(self, value: int) -> int:
        if value > timezone.localdate().year:
            raise serializers.ValidationError(_("There is no report for a year still to come."))
        return value

    def validate_tables(self, value: str) -> list[str]:
        chosen = [name.strip() for name in value.split(",") if name.strip()]
        unknown = sorted(set(chosen) - set(ANNUAL_TABLES))
        if unknown or not chosen:
            raise serializers.ValidationError(
                _("Unknown table: %(unknown)s. Choose from: %(known)s.")
                % {"unknown": ", ".join(unknown) or "–", "known": ", ".join(ANNUAL_TABLES)}
            )
        return chosen


class AnnualTableSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="The table's heading, in the request's language.")
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="One object per line; codes as codes, figures as decimal strings, "
        "dates as YYYY-MM-DD, null when not applicable.",
    )


class AnnualReportSerializer(serializers.Serializer):
    """The annual integration report (issue 7)."""

    year = serializers.IntegerField()
    as_of = serializers.DateField(help_text="The end of the year, or today for this year.")
    contracts = serializers.IntegerField(help_text="Contracts with social clauses in the year.")
    value_msek = serializers.DecimalField(max_digits=16, decimal_places=2)
    tables = serializers.DictField(
        child=AnnualTableSerializer(),
        help_text="Keyed by table: " + ", ".join(ANNUAL_TABLES) + " (or those asked for).",
    )
