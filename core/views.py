"""Operational endpoints."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

from .models import Heartbeat
from .redis_faults import probe_redis
from .roles import contractor_id_of, is_matcher, is_officer, sees_everything
from .tasks import WORKER_HEARTBEAT

logger = logging.getLogger(__name__)


def _probe_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("health check: database unreachable")
        return "down"
    return "ok"


def _probe_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        return probe_redis(url)
    try:  # the embedded file-system broker
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        logger.exception("health check: broker unreachable")
        return "down"
    return "ok"


def _probe_cache(broker_status: str) -> str:
    location = settings.CACHES["default"].get("LOCATION")
    if not (isinstance(location, str) and location.startswith(("redis://", "rediss://"))):
        return "ok"  # a cache in the process's own memory
    if location == settings.CELERY_BROKER_URL:
        return broker_status  # the same Redis: asked once, so a hung one costs one timeout
    return probe_redis(location)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """What is up, for load balancers, container health checks and monitoring (DEPLOYMENT.md).

    Each part is "ok", "down" (refused, unreachable) or "timeout" (connected, no answer: a hung
    Redis), and the Redis parts answer within REDIS_SOCKET_TIMEOUT. Only the database is
    required (503 without it): with Redis down the site still takes reports and evaluates them
    after recovery, so taking web servers out of a load balancer would only make things worse.
    """
    checks: dict[str, str] = {"database": _probe_database(), "broker": _probe_broker()}
    checks["cache"] = _probe_cache(checks["broker"])
    payload: dict[str, object] = dict(checks)
    if checks["database"] != "ok":
        payload["status"] = "down"
    elif any(value != "ok" for value in checks.values()):
        payload["status"] = "degraded"
    else:
        payload["status"] = "ok"
    # Reported, not judged: a stopped worker or beat does not make the web server unhealthy,
    # but operations want to see how long ago the background jobs last ran.
    last = None
    if checks["database"] == "ok":
        last = Heartbeat.objects.filter(name=WORKER_HEARTBEAT).values_list("last_seen", flat=True)
        last = last[0] if last else None
    payload["worker_last_seen"] = last.isoformat() if last else None
    return JsonResponse(payload, status=200 if checks["database"] == "ok" else 503)


def home(request: HttpRequest):
    """Each role starts on its own page: contractors in the portal, matchers on /matchning/,
    managers on the dashboard,
    officers (and superusers) on their work queue in the admin, which lists what waits for them
    (reports to review, overdue reports, clauses behind) and links to where they act on it."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if contractor_id_of(user) is not None:
        return redirect("portal:index")
    if is_matcher(user) and not sees_everything(user):
        return redirect("matching:index")
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
