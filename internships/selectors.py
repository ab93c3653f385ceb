"""Reads of the internships app, scoped to what a user may see (DESIGN.md §8)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from contracts.selectors import contract_list

from .models import PlacementReport, PlacementRow


def report_list(*, user) -> QuerySet[PlacementReport]:
    """Reports of the contracts ``user`` may see, with their rows."""
    return (
        PlacementReport.objects.filter(contract__in=contract_list(user=user).values("id"))
        .select_related("contract")
        .prefetch_related(
            Prefetch(
                "rows",
                queryset=PlacementRow.objects.select_related("target_group").order_by(
                    "participant_ref", "start_date", "id"
                ),
            )
        )
        .order_by("contract__reference", "period_start", "id")
    )
