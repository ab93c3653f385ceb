"""The roles of DESIGN.md §8 and how a user is told apart.

Officers and managers are Django groups; a contractor user is one with a contractor membership.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

OFFICERS = "officers"
MANAGERS = "managers"
CONTRACTOR = "contractor"
GROUPS = (OFFICERS, MANAGERS)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """The role names of ``user``: ``officers``, ``managers``, ``contractor``, ``superuser``."""
    if not user.is_authenticated:
        return []
    roles = [name for name in user.groups.values_list("name", flat=True) if name in GROUPS]
    if hasattr(user, "contractor_membership"):
        roles.append(CONTRACTOR)
    if user.is_superuser:
        roles.append("superuser")
    return sorted(roles)
