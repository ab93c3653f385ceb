"""Reads of the procurement app, scoped to what a user may see (docs/RULES.md §6)."""

from __future__ import annotations

from django.db.models import QuerySet

from core.roles import contractor_id_of, sees_everything

from .models import Contractor, District, Procurement


def district_list() -> QuerySet[District]:
    return District.objects.order_by("name")


def contractor_list(*, user) -> QuerySet[Contractor]:
    """Every contractor for staff; a contractor user sees only its own."""
    contractors = Contractor.objects.order_by("name", "id")
    if sees_everything(user):
        return contractors
    return contractors.filter(id=contractor_id_of(user))


def procurement_list(*, user) -> QuerySet[Procurement]:
    """Every procurement for staff; a contractor user sees those it has contracts in."""
    procurements = Procurement.objects.order_by("-awarded_on", "reference", "id")
    if sees_everything(user):
        return procurements
    contractor_id = contractor_id_of(user)
    if contractor_id is None:
        return procurements.none()
    return procurements.filter(contracts__contractor_id=contractor_id).distinct()
