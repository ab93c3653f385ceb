"""Per-user throttles. A throttled request answers 429 with ``Retry-After``."""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class WriteRateThrottle(UserRateThrottle):
    """Limits writes per user; reads are not throttled."""

    scope = "writes"

    def allow_request(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


class ImportRateThrottle(UserRateThrottle):
    """File imports are expensive: a tighter limit of their own."""

    scope = "imports"


class LoginRateThrottle(SimpleRateThrottle):
    """Token requests per client address and username, against password guessing."""

    scope = "login"

    def get_cache_key(self, request, view) -> str:
        username = str(request.data.get("username", "")).lower()[:150]
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{username}",
        }
