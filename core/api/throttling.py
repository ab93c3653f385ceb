"""Per-user throttles. A throttled request answers 429 with ``Retry-After``."""

import hashlib
import logging

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


class FailOpen:
    """The counters live in Redis. When Redis is down, let the request through rather than
    answer 500: a report must still be accepted (issue 6). Logins stay protected by the lockout,
    whose counts are in the database."""

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            logger.warning("Throttle counters unavailable; request allowed.", exc_info=True)
            return True


class WriteRateThrottle(FailOpen, UserRateThrottle):
    """Limits writes per user; reads are not throttled."""

    scope = "writes"

    def allow_request(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


class ImportRateThrottle(FailOpen, UserRateThrottle):
    """File imports are expensive: a tighter limit of their own."""

    scope = "imports"


class LoginRateThrottle(FailOpen, SimpleRateThrottle):
    """Token requests per client address and username, against password guessing."""

    scope = "login"

    def get_ident(self, request) -> str:
        # DRF trusts the whole X-Forwarded-For header unless NUM_PROXIES is set, so a client could
        # send a new address with every guess and never be throttled. Without NUM_PROXIES, only
        # the address the connection came from counts (behind a proxy: set NUM_PROXIES).
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR", "")
        return super().get_ident(request)

    def get_cache_key(self, request, view) -> str:
        data = request.data
        # The body may be any JSON value (a list, a number): the view answers that with a 400,
        # and the throttle, which runs first, must not fail on it.
        username = str(data.get("username", "") if hasattr(data, "get") else "").lower()[:150]
        # Hashed: the username is whatever the client sent, and a cache key must stay short and
        # free of spaces and control characters (memcached refuses them).
        digest = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{digest}",
        }
