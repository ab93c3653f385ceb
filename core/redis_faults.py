"""Redis stopped or hung must not stall the web (issue 13).

The web process uses Redis for two things it can do without: the throttle counters (the cache)
and queuing a contract's re-evaluation (the broker; the transaction has already recorded
``Contract.evaluation_requested_at``, which the periodic ``contracts.evaluate_requested`` job and
every worker start pick up). So each call is given a short timeout, and after a failure a
breaker remembers, per process and per Redis server, that Redis is down: for
``REDIS_BREAKER_SECONDS`` no request waits on it again, then one request tries it.

Without the timeout a hung Redis (the process stopped: TCP still connects, nothing answers)
holds every write for the whole outage; without the breaker each request waits the timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeout

logger = logging.getLogger(__name__)

# What a failing Redis call raises: redis-py's errors and the socket's own.
REDIS_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError)
# kombu wraps them in its OperationalError when publishing.
BROKER_FAILURES: tuple[type[BaseException], ...] = (*REDIS_FAILURES, OperationalError)

_open_until: dict[str, float] = {}
_lock = threading.Lock()


def _server(url: str) -> str:
    """The breaker's key: one Redis server, whatever database index or client uses it."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}"


def redis_known_down(url: str) -> bool:
    """True while the breaker for this Redis server is open (a recent call failed)."""
    return time.monotonic() < _open_until.get(_server(url), 0.0)


def redis_failed(url: str, exc: BaseException | None = None) -> None:
    """Open the breaker: no call waits on this server for ``REDIS_BREAKER_SECONDS``."""
    server = _server(url)
    with _lock:
        already_open = redis_known_down(url)
        _open_until[server] = time.monotonic() + settings.REDIS_BREAKER_SECONDS
    if not already_open:
        logger.warning(
            "Redis at %s unavailable (%s); not waiting on it for %s s.",
            server,
            exc.__class__.__name__ if exc else "failure",
            settings.REDIS_BREAKER_SECONDS,
        )


def redis_recovered(url: str) -> None:
    """Close the breaker after a successful call."""
    _open_until.pop(_server(url), None)


def probe_redis(url: str) -> str:
    """One PING with the short timeouts, for the health check: "ok", "down" or "timeout"."""
    timeout = settings.REDIS_SOCKET_TIMEOUT
    client = redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=None
    )
    try:
        client.ping()
    except RedisTimeout as exc:
        redis_failed(url, exc)
        return "timeout"
    except REDIS_FAILURES as exc:
        redis_failed(url, exc)
        return "down"
    finally:
        client.close()
    redis_recovered(url)
    return "ok"


def enqueue_unless_redis_down(task: Any, *, args: list[Any]) -> bool:
    """Queue ``task`` at once or give up at once; True when it was queued.

    Only for work that something else also records (a flag in the database that a periodic job
    scans): when this gives up, the work is late, not lost. No retries (``retry=False``), no
    result (``task_ignore_result``), and on Redis the short timeouts of the web process rather
    than the worker's longer ones.
    """
    url = settings.CELERY_BROKER_URL
    on_redis = url.startswith(("redis://", "rediss://"))
    if on_redis and redis_known_down(url):
        return False
    from config.celery import app

    options: dict[str, Any] = {}
    if on_redis:
        timeout = settings.REDIS_SOCKET_TIMEOUT
        options["transport_options"] = {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
        }
    try:
        with app.connection_for_write(**options) as connection:
            task.apply_async(args=args, retry=False, connection=connection)
    except Exception as exc:  # whatever the broker raises, the request goes on
        if on_redis and isinstance(exc, BROKER_FAILURES):
            redis_failed(url, exc)
        logger.warning("Could not queue %s%s: %s", task.name, args, exc, exc_info=True)
        return False
    if on_redis:
        redis_recovered(url)
    return True


class FailFastRedisCache(RedisCache):
    """Django's Redis cache, which behaves as an empty cache while Redis is unreachable.

    A cache holds nothing that cannot be computed again, so a lookup that fails is a miss and a
    store that fails is dropped (logged once per outage by the breaker). Give it short
    ``socket_connect_timeout``/``socket_timeout`` in ``OPTIONS``. A ``delete`` dropped during an
    outage is not replayed: what is cached must also expire on its own.
    """

    def _guarded(self, fallback: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        url = self._servers[0]
        if redis_known_down(url):
            return fallback
        try:
            result = getattr(super(), method)(*args, **kwargs)
        except REDIS_FAILURES as exc:
            redis_failed(url, exc)
            return fallback
        return result

    def add(self, *args: Any, **kwargs: Any) -> bool:
        return self._guarded(False, "add", *args, **kwargs)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guarded(default, "get", key, default, version)

    def set(self, *args: Any, **kwargs: Any) -> None:
        return self._guarded(None, "set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return self._guarded(False, "touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return self._guarded(False, "delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return self._guarded({}, "get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return self._guarded(False, "has_key", *args, **kwargs)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        missing = object()
        result = self._guarded(missing, "incr", key, delta, version)
        if result is missing:
            raise ValueError(f"Key '{key}' not found (cache unavailable).")
        return result

    def set_many(self, data: dict[Any, Any], *args: Any, **kwargs: Any) -> list[Any]:
        return self._guarded(list(data), "set_many", data, *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        return self._guarded(None, "delete_many", *args, **kwargs)

    def clear(self) -> bool:
        return self._guarded(False, "clear")
