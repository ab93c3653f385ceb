"""The roles of docs/RULES.md §6 and how a user is told apart.

Officers and managers are Django groups; a contractor user is one with a contractor membership.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

OFFICERS = "officers"
MANAGERS = "managers"
CONTRACTOR = "contractor"
#: A user of a labour-market unit (matchare): has a matcher membership.
MATCHER = "matcher"
GROUPS = (OFFICERS, MANAGERS)
#: The relations the role checks below read: ``select_related(*ROLE_RELATIONS)`` answers them
#: for many users at once without a query each.
ROLE_RELATIONS = ("contractor_membership", "matcher_membership")


def roles_of(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """The role names of ``user``: ``officers``, ``managers``, ``contractor``, ``matcher``,
    ``superuser``."""
    if not user.is_authenticated:
        return []
    roles = [name for name in user.groups.values_list("name", flat=True) if name in GROUPS]
    if hasattr(user, "contractor_membership"):
        roles.append(CONTRACTOR)
    if hasattr(user, "matcher_membership"):
        roles.append(MATCHER)
    if user.is_superuser:
        roles.append("superuser")
    return sorted(roles)


def _in_group(user, name: str) -> bool:
    # Cached on the user object: a request asks this many times.
    cache = getattr(user, "_group_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
        user._group_names = cache
    return name in cache


def is_officer(user) -> bool:
    return user.is_authenticated and (user.is_superuser or _in_group(user, OFFICERS))


def is_manager(user) -> bool:
    return user.is_authenticated and _in_group(user, MANAGERS)


def sees_everything(user) -> bool:
    """Officers, managers and superusers read all contracts (docs/RULES.md §6)."""
    return user.is_authenticated and (user.is_superuser or is_officer(user) or is_manager(user))


def contractor_id_of(user) -> int | None:
    """The contractor a contractor user reports for, or None."""
    membership = getattr(user, "contractor_membership", None) if user.is_authenticated else None
    return membership.contractor_id if membership else None


def matcher_unit_id_of(user) -> int | None:
    """The labour-market unit a matcher works for, or None."""
    membership = getattr(user, "matcher_membership", None) if user.is_authenticated else None
    return membership.unit_id if membership else None


def is_matcher(user) -> bool:
    """A user of a labour-market unit (role matcher)."""
    return matcher_unit_id_of(user) is not None


def is_contractor_user(user) -> bool:
    """A user who reports for a contractor (has a contractor membership)."""
    return contractor_id_of(user) is not None


def is_contractor_user_of(user, contractor_id: int) -> bool:
    """A user of exactly this contractor."""
    return contractor_id is not None and contractor_id_of(user) == contractor_id


def acts_for_contractor(user, contractor_id: int) -> bool:
    """May write that contractor's reports: its own users, and superusers (docs/RULES.md §6)."""
    return user.is_authenticated and (
        user.is_superuser or is_contractor_user_of(user, contractor_id)
    )


def writes_reports(user) -> bool:
    """May use the portal and write reports at all: contractor users and superusers."""
    return user.is_authenticated and (user.is_superuser or is_contractor_user(user))


def members_of(role: str):
    """The active users of a group role (``officers`` or ``managers``), as a queryset."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(groups__name=role, is_active=True)


def users_of_contractor(contractor_id: int):
    """The active users who report for a contractor, as a queryset."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        contractor_membership__contractor_id=contractor_id, is_active=True
    )
