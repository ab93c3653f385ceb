from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.models import TargetGroup
from internships.models import PlacementReport, PlacementRow, RowDates, row_errors
from internships.pseudonyms import participant_ref_from


class RowSerializer(serializers.ModelSerializer):
    """One row. Give ``participant_ref`` (your code) or ``personnummer`` (never stored: it is
    replaced by a pseudonym before anything is saved)."""

    participant_ref = serializers.CharField(max_length=64, required=False, allow_blank=True)
    personnummer = serializers.CharField(
        max_length=20, required=False, allow_blank=True, write_only=True
    )
    target_group = serializers.SlugRelatedField(
        slug_field="code", queryset=TargetGroup.objects.all()
    )

    class Meta:
        model = PlacementRow
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
        ]
        read_only_fields = ["id"]

    def validate(self, attrs: dict) -> dict:
        try:
            attrs["participant_ref"] = participant_ref_from(
                participant_ref=attrs.get("participant_ref", ""),
                personnummer=attrs.pop("personnummer", ""),
            )
        except Exception as error:  # a Django ValidationError; never echo the number
            field = "participant_ref"
            raise serializers.ValidationError(
                {field: list(getattr(error, "messages", [str(error)]))}
            ) from None
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError(
                {"end_date": _("The end date must not be before the start date.")}
            )
        return attrs


class ReportSerializer(serializers.ModelSerializer):
    """A placement report with its rows (the complete list, replaced as a whole on write)."""

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
            "created_at",
            "updated_at",
            "rows",
        ]
        read_only_fields = [
            "status",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
            "created_at",
            "updated_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "contract" in self.fields:
            from contracts.selectors import contract_list

            # Only the caller's own contracts: anything else is "does not exist".
            self.fields["contract"].queryset = contract_list(user=request.user)

    def validate(self, attrs: dict) -> dict:
        rows = attrs.get("rows")
        if rows is None:
            return attrs
        period = PlacementReport(
            period_start=attrs.get("period_start", getattr(self.instance, "period_start", None)),
            period_end=attrs.get("period_end", getattr(self.instance, "period_end", None)),
        )
        if period.period_start is None or period.period_end is None:
            return attrs
        errors: list[dict] = [{} for _row in rows]
        dates = [
            RowDates(row["participant_ref"], row["start_date"], row["end_date"], row["hours"])
            for row in rows
        ]
        for index, field, message in row_errors(period, dates):
            errors[index].setdefault(field, []).append(message)
        if any(errors):
            raise serializers.ValidationError({"rows": errors})
        return attrs


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
