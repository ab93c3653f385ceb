"""The matching organisation's API: rows to confirm or dispute, and referrals."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.models import Contract
from core.api.serializers import FastRepresentationMixin
from internships.api.serializers import MAX_ID, ContractField, TargetGroupField, _user_of
from internships.models import PlacementRow, Referral


class MatcherRowSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """A report's row as a matcher sees it: pseudonym, facts and the verification."""

    target_group = serializers.SlugRelatedField(slug_field="code", read_only=True)
    contract = serializers.IntegerField(source="report.contract_id", read_only=True)
    report_status = serializers.CharField(source="report.status", read_only=True)
    period_start = serializers.DateField(source="report.period_start", read_only=True)

    class Meta:
        model = PlacementRow
        fields = [
            "id",
            "report",
            "report_status",
            "contract",
            "period_start",
            "participant_ref",
            "target_group",
            "employment_type",
            "start_date",
            "end_date",
            "hours",
            "verification",
            "verified_by",
            "verified_at",
            "verification_comment",
        ]
        read_only_fields = fields


class RowIdsSerializer(serializers.Serializer):
    """``POST rows/confirm/``: the rows to confirm, all or none."""

    rows = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=1000,
        help_text=_("The ids of the rows to confirm."),
    )


class ConfirmedRowsSerializer(serializers.Serializer):
    rows = MatcherRowSerializer(many=True)


class DisputeSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=2000, help_text=_("Why the row is disputed (required).")
    )


class ReferralSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """A candidate referred to a contract. Give ``participant_ref`` or ``personnummer`` (never
    stored: replaced by its pseudonym at once)."""

    contract = ContractField(queryset=Contract.objects.none())
    target_group = TargetGroupField()
    participant_ref = serializers.CharField(max_length=64, required=False, allow_blank=True)
    personnummer = serializers.CharField(
        max_length=20, required=False, allow_blank=True, write_only=True
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "contract",
            "unit",
            "referred_by",
            "participant_ref",
            "personnummer",
            "target_group",
            "employment_type",
            "proposed_start",
            "notes",
            "status",
            "decided_by",
            "decided_at",
            "decline_reason",
            "row",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "unit",
            "referred_by",
            "status",
            "decided_by",
            "decided_at",
            "decline_reason",
            "row",
            "created_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self.context)
        if user is not None and "contract" in self.fields:
            from contracts.selectors import contract_list

            self.fields["contract"].queryset = contract_list(user=user).select_related(None)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text=_("Why the referral is declined (required).")
    )
