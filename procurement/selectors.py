"""Reads of the procurement app, scoped to what a user may see (docs/RULES.md §6)."""

from __future__ import annotations

from django.db.models import QuerySet

from core.roles import contractor_id_of, matcher_unit_id_of, sees_everything

from .models import Contractor, District, Procurement


def district_list() -> QuerySet[District]:
    return District.objects.order_by("name")


def contractor_list(*, user) -> QuerySet[Contractor]:
    """Every contractor for staff; a contractor user sees only its own; a matcher those of the
    contracts its unit serves."""
    contractors = Contractor.objects.order_by("name", "id")
    if sees_everything(user):
        return contractors
    unit_id = matcher_unit_id_of(user) if contractor_id_of(user) is None else None
    if unit_id is not None:
        # A matcher: the contractors of the contracts its unit serves.
        return contractors.filter(contracts__matcher_id=unit_id).distinct()
    return contractors.filter(id=contractor_id_of(user))


def procurement_list(*, user) -> QuerySet[Procurement]:
    """Every procurement for staff; a contractor user sees those it has contracts in; a matcher
    those of the contracts its unit serves."""
    procurements = Procurement.objects.order_by("-awarded_on", "reference", "id")
    if sees_everything(user):
        return procurements
    contractor_id = contractor_id_of(user)
    if contractor_id is not None:
        return procurements.filter(contracts__contractor_id=contractor_id).distinct()
    unit_id = matcher_unit_id_of(user)
    if unit_id is not None:
        return procurements.filter(contracts__matcher_id=unit_id).distinct()
    return procurements.none()
