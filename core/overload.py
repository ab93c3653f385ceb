"""Load shedding: a per-process limit on concurrent heavy requests (docs/DEPLOYMENT.md).

gunicorn's gthread workers hand every accepted connection to a pool of threads. When slow pages
(a dashboard over 10,000 contracts) fill every thread, ``/healthz/`` and the API wait behind them,
the load balancer marks the server dead and the clients retry: the site falls over and stays
down. This middleware keeps threads free. At most ``HEAVY_REQUESTS_PER_PROCESS`` heavy requests
run at once in a process in each part of the site (dashboard, admin, portal, API, the rest: a
flood of one slow page does not refuse the others); up to ``HEAVY_REQUEST_QUEUE`` more wait at most
``HEAVY_REQUEST_WAIT`` seconds for a slot (so a burst of normal clients is queued, not refused);
anything beyond gets an immediate 503 with ``Retry-After``, in the API's JSON error format under
``/api/`` and as a branded, translated page elsewhere. Light paths (``OVERLOAD_LIGHT_PATHS``: the
health check, static files, the API's constant-work "who am I") bypass the limit altogether.

It sits near the top of the middleware stack: a refused request costs no session, user or
database query. ``config/gunicorn.py`` sizes the thread pool as 5 × running + queued + 2, so
two threads are always left for light requests.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

#: Seconds a refused client is told to wait before trying again.
RETRY_AFTER_SECONDS = 5


#: Parts of the site that each get their own running slots (the first segment of the path);
#: everything else shares one more set. A flood of slow dashboards then refuses dashboards only,
#: not the admin, the portal or the API. config/gunicorn.py counts on there being five sets.
GROUPS = ("dashboard", "admin", "portal", "api")


def group_of(path: str) -> str:
    """The set of slots a path takes ("" for the rest of the site)."""
    first = path.split("/", 2)[1] if path.count("/") >= 2 else ""
    return first if first in GROUPS else ""


class HeavyRequestLimiter:
    """Counting semaphores, one per group, with one bounded, time-limited waiting room for all
    of them (one limiter per process)."""

    def __init__(self, *, limit: int, queue: int, wait: float) -> None:
        self.limit = limit
        self.queue = queue
        self.wait = wait
        self._slots = {group: threading.BoundedSemaphore(limit) for group in (*GROUPS, "")}
        # Guards the count of waiters; the semaphores themselves need no lock.
        self._lock = threading.Lock()
        self._waiting = 0

    def acquire(self, group: str = "") -> bool:
        """Take a slot of ``group``: at once if one is free, else wait if there is room."""
        slots = self._slots[group]
        if slots.acquire(blocking=False):
            return True
        if self.wait <= 0:
            return False
        with self._lock:
            if self._waiting >= self.queue:
                return False
            self._waiting += 1
        try:
            return slots.acquire(timeout=self.wait)
        finally:
            with self._lock:
                self._waiting -= 1

    def release(self, group: str = "") -> None:
        self._slots[group].release()


_limiter: HeavyRequestLimiter | None = None
_limiter_lock = threading.Lock()


def heavy_limiter() -> HeavyRequestLimiter:
    """The process's limiter, built from the settings on first use."""
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            _limiter = HeavyRequestLimiter(
                limit=settings.HEAVY_REQUESTS_PER_PROCESS,
                queue=settings.HEAVY_REQUEST_QUEUE,
                wait=settings.HEAVY_REQUEST_WAIT,
            )
        return _limiter


def _reset_limiter(*, setting: str, **kwargs: object) -> None:
    global _limiter
    if setting.startswith("HEAVY_REQUEST"):
        with _limiter_lock:
            _limiter = None


setting_changed.connect(_reset_limiter)


@functools.lru_cache(maxsize=8)
def _busy_page(language: str) -> str:
    """The rendered "Busy" page, once per language and process: under overload a refusal must
    cost next to nothing, or refusing becomes the overload."""
    with translation.override(language):
        message = gettext("The service is busy. Try again in a few seconds.")
        return render_to_string("503.html", {"message": message, "LANGUAGE_CODE": language})


def overloaded_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON under /api/, a page elsewhere, in the visitor's language."""
    # LocaleMiddleware has not run yet (this answer must stay cheap): pick the language the same
    # way from the cookie and Accept-Language, without a session.
    language = translation.get_language_from_request(request)
    if request.path.startswith("/api/"):
        with translation.override(language):
            message = gettext("The service is busy. Try again in a few seconds.")
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(_busy_page(language), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # A refusal on purpose, not a server error: Django would log each at ERROR with its request,
    # a thousand lines a second under overload. The access log still shows every 503.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class LoadSheddingMiddleware:
    """Refuses heavy requests beyond the per-process limit with a quick 503 (module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.light = re.compile(
            "|".join(f"(?:{pattern})" for pattern in settings.OVERLOAD_LIGHT_PATHS)
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.HEAVY_REQUESTS_PER_PROCESS or self.light.match(request.path_info):
            return self.get_response(request)
        limiter = heavy_limiter()
        group = group_of(request.path_info)
        if not limiter.acquire(group):
            return overloaded_response(request)
        try:
            return self.get_response(request)
        finally:
            limiter.release(group)
