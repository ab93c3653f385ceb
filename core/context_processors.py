"""Template context shared by every page of the web interface."""

from __future__ import annotations

from django.http import HttpRequest

from .roles import contractor_id_of, is_matcher, sees_everything


def navigation(request: HttpRequest) -> dict[str, object]:
    """What the header shows: which of the portal, the matcher page, the dashboard and the admin
    this user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "portal": contractor_id_of(user) is not None,
            # Staff and contractor users first: a matcher's membership costs a query.
            "matching": not sees_everything(user)
            and contractor_id_of(user) is None
            and is_matcher(user),
            "dashboard": sees_everything(user),
            "admin": user.is_staff,
        }
    }
