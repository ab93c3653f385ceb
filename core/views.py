"""Operational endpoints."""

from __future__ import annotations

import logging

from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

from .models import Heartbeat
from .roles import contractor_id_of, is_officer, sees_everything
from .tasks import WORKER_HEARTBEAT

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the database and the broker, for load balancers and container health checks."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        logger.exception("health check: database unreachable")
        checks["database"] = "error"
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception:
        logger.exception("health check: broker unreachable")
        checks["broker"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    # Reported, not judged: a stopped worker or beat does not make the web server unhealthy,
    # but operations want to see how long ago the background jobs last ran.
    last = Heartbeat.objects.filter(name=WORKER_HEARTBEAT).values_list("last_seen", flat=True)
    payload: dict[str, object] = dict(checks)
    payload["worker_last_seen"] = last[0].isoformat() if last else None
    return JsonResponse(payload, status=200 if healthy else 503)


def home(request: HttpRequest):
    """Each role starts on its own page: contractors in the portal, managers on the dashboard,
    officers (and superusers) on their work queue in the admin, which lists what waits for them
    (reports to review, overdue reports, clauses behind) and links to where they act on it."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if contractor_id_of(user) is not None:
        return redirect("portal:index")
    if is_officer(user) and user.is_staff:
        return redirect("work-queue")
    if sees_everything(user):
        return redirect("dashboard:index")
    return render(request, "core/no_role.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None):
    """404 for a URL that matches no route: in the API's JSON error format under /api/."""
    from django.utils.translation import gettext

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
