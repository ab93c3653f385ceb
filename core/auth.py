"""Authentication backend with login lockout (django-axes)."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for every login that comes with a request: the login pages,
    the admin and the API token endpoint.

    A login without a request (code calling ``authenticate()`` directly, such as a management
    command or the test client's ``login()``) cannot be attributed to an address, so there is
    nothing to count; it falls through to the password check like any other.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked-out login: JSON under /api/, the explanatory page elsewhere."""
    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils.translation import gettext

    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": gettext("Too many failed logins. Try again later.")}, status=429
        )
    return render(request, "registration/locked_out.html", status=429)
