"""Role checks for the API. Which objects a user may see is decided by the querysets."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.roles import is_officer, sees_everything


class OfficerWritesOthersRead(BasePermission):
    """Reading is for every authenticated user (scoped by the queryset); writing is for officers
    and superusers (docs/RULES.md §6: contractors, procurements, contracts, clauses)."""

    def has_permission(self, request, view) -> bool:
        if not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or is_officer(request.user)


class StaffOnly(BasePermission):
    """Officers, managers and superusers only (portfolio-wide analytics)."""

    message = "Only officers and managers may read this."

    def has_permission(self, request, view) -> bool:
        return sees_everything(request.user)
