from rest_framework import serializers

from contracts.choices import ClauseStatus
from contracts.models import Alert, ClauseMilestone, Contract, SocialClause, TargetGroup
from core.api.serializers import CleanModelSerializer


class TargetGroupSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = TargetGroup
        fields = ["code", "name", "name_sv", "name_en"]


class ContractSerializer(CleanModelSerializer):
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


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClauseMilestone
        fields = ["date", "cumulative_target"]


class ClauseSerializer(serializers.ModelSerializer):
    """A clause; ``milestones`` is the complete list, replaced as a whole on write."""

    target_groups = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=TargetGroup.objects.all(), required=False
    )
    milestones = MilestoneSerializer(many=True, required=False)
    start_date = serializers.DateField(required=False)
    due_date = serializers.DateField(required=False)

    class Meta:
        model = SocialClause
        fields = [
            "id",
            "contract",
            "metric",
            "target",
            "start_date",
            "due_date",
            "min_placement_weeks",
            "target_groups",
            "tolerance_pct",
            "penalty_per_unit_sek",
            "text",
            "milestones",
        ]

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
    """One clause's evaluation (DESIGN.md §4, §7)."""

    clause = serializers.IntegerField()
    contract = serializers.IntegerField()
    contract_reference = serializers.CharField()
    metric = serializers.CharField()
    target = serializers.DecimalField(max_digits=16, decimal_places=2)
    expected = serializers.DecimalField(max_digits=16, decimal_places=2)
    reported = serializers.DecimalField(max_digits=16, decimal_places=2)
    verified = serializers.DecimalField(max_digits=16, decimal_places=2)
    shortfall = serializers.DecimalField(max_digits=16, decimal_places=2)
    status = serializers.ChoiceField(choices=ClauseStatus.choices)
    projected_total = serializers.DecimalField(max_digits=16, decimal_places=2)
    penalty_sek = serializers.DecimalField(max_digits=16, decimal_places=2)
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
            "as_of": evaluation.as_of,
        }


class ScheduleEntrySerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    due_date = serializers.DateField()
    state = serializers.CharField()
    report = serializers.IntegerField(allow_null=True)


class AsOfSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False)


class AlertSerializer(serializers.ModelSerializer):
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
        ]
        read_only_fields = fields
