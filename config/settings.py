"""Django settings, read from the environment (docs/DEPLOYMENT.md).

Without any environment variable the project runs on the zero-setup default: a SQLite file and a
Celery broker on the local file system, both under ``var/``. ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and Redis. Every variable is listed in README.md.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _persisted_secret(name: str) -> str:
    """Return a random secret kept in ``var/`` so the zero-setup default survives restarts.

    Production sets the variable instead; the file is only a convenience for a laptop.
    """
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _persisted_secret("secret_key")
# Key of the HMAC that turns a personnummer into a participant reference (docs/RULES.md §5). It must
# stay the same for the life of the data, or the same person is no longer recognised across reports.
PARTICIPANT_HMAC_KEY = env.str("PARTICIPANT_HMAC_KEY", default="") or _persisted_secret(
    "participant_hmac_key"
)
# Years after a contract's end date when its participant references are anonymised for good
# (internships/privacy.py; GDPR storage limitation). Aggregates are unchanged.
RETENTION_YEARS = env.int("RETENTION_YEARS", default=5)
# The day's compliance run (contracts.services.compliance_day_run): contracts per committed batch,
# and how long a run may go without a heartbeat before it is taken to be from a dead worker and
# taken over (docs/DEPLOYMENT.md, "Worker loss").
COMPLIANCE_RUN_BATCH = env.int("COMPLIANCE_RUN_BATCH", default=1000)
COMPLIANCE_RUN_LEASE_SECONDS = env.int("COMPLIANCE_RUN_LEASE_SECONDS", default=60)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so that its templates (error pages, password reset, the admin's search form) take
    # the place of Django's English-only or "Django administration" ones.
    "core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "procurement",
    "contracts",
    "internships",
    "matching",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early: refusing a request beyond the heavy-request limit costs nothing (core/overload.py).
    "core.overload.LoadSheddingMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.mfa.RequireMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who made each change in the audit trail.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into its answer.
    "axes.middleware.AxesMiddleware",
]

# Load shedding (core/overload.py, docs/DEPLOYMENT.md): per web process and part of the site, at
# most this many heavy requests run at once; this many more wait up to HEAVY_REQUEST_WAIT seconds;
# the rest get a quick 503; 0 turns the limit off. config/gunicorn.py sizes the threads to fit.
HEAVY_REQUESTS_PER_PROCESS = env.int("HEAVY_REQUESTS_PER_PROCESS", default=2)
HEAVY_REQUEST_QUEUE = env.int("HEAVY_REQUEST_QUEUE", default=8)
HEAVY_REQUEST_WAIT = env.float("HEAVY_REQUEST_WAIT", default=5.0)
# Constant-work paths that never wait for the limit: the health check, static files, "who am I".
OVERLOAD_LIGHT_PATHS = [r"^/healthz/$", r"^/static/", r"^/api/v1/auth/me/$"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web server, a worker and beat write to one file at once: IMMEDIATE transactions take the
    # write lock up front (no lock-upgrade deadlocks) and WAL lets readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username/IP before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "core.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
# After logging in, everyone goes to "/", which sends each role to its own page.
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Security (Django's deployment checklist, OWASP ASVS 5.0 level 2; docs/SECURITY.md) -------
# HTTPS everywhere unless DEBUG (the zero-setup laptop) or HTTPS=0 (a test server on plain HTTP).
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
# The container health check asks over plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Only behind a TLS-terminating proxy that sets (and overwrites) X-Forwarded-Proto; otherwise a
# client could claim HTTPS itself.
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Idle timeout: the session lives SESSION_IDLE_MINUTES after the last request, and not past the
# browser's closing.
SESSION_COOKIE_AGE = 60 * env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Content-Security-Policy: nothing but our own files. The interface has no inline script or
# style (charts are SVG drawn on the server); the browser tests fail on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Lockout after repeated failed logins, per username and IP together (not per IP alone: an
# office behind one address must not be locked out by one person), with a cool-off.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.auth.lockout_response"
# Behind a proxy, the client's address is the last one the proxy adds to X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
# Two-factor authentication (TOTP) for staff on the admin and the dashboard (core/mfa.py).
# Off only when DEBUG is on (the demo), unless MFA_REQUIRED says otherwise.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Sociala krav")

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
# Required for the project-level catalogue, or its translations silently do not apply.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
# Numbers grouped by thousands (85 000 000,00), ISO dates and 24-hour times in both languages.
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["core.formats"]
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail ---------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# The address people open the system at; links in e-mails start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="socialclause@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    # The test suite runs in parallel workers (pytest-xdist, `make test`); some tests empty their
    # Redis database or count its messages, so each worker gets a database of its own: worker
    # gw<N> uses the configured index minus N (CI configures 15: gw0 15, gw1 14, ...).
    _url = urlsplit(REDIS_URL)
    _index = int(_url.path.strip("/") or 0) - int(os.environ["PYTEST_XDIST_WORKER"][2:])
    REDIS_URL = urlunsplit(_url._replace(path=f"/{_index % 16}"))
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Tasks must finish (or be retried) well inside this, or Redis hands them out again.
    # Fail fast when Redis is down: a request that enqueues work must not hang on it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        # Publishing (a web request enqueuing work) tries once and gives up: with Redis down a
        # submission must answer at once; the periodic scan picks the work up (measured: 6.1 s
        # with kombu's default retries, 0.05 s without).
        "max_retries": 0,
    }
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
    # The result backend's own socket: without it a hung Redis holds a result read forever.
    CELERY_REDIS_SOCKET_TIMEOUT = 5
else:
    # The embedded broker: kombu's file-system transport. In and out must be the same folder, and
    # the control folder is set or kombu creates ./control wherever a process starts.
    # The host is named (it means nothing to this transport) so that kombu does not warn, in
    # every process, that it "reverts to localhost".
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{BROKER_DIR / 'results'}"
    for _folder in ("queue", "processed", "control", "results"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
# Redis stopped or hung (issue 13, core/redis_faults.py): what the web process asks of Redis (the
# throttle counters, queuing an evaluation, the health check) waits at most this long, and after
# a failure nothing waits on that Redis again for REDIS_BREAKER_SECONDS. A Redis that answers
# answers in about a millisecond; the worker keeps the broker's longer timeouts above.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.3)
REDIS_BREAKER_SECONDS = env.float("REDIS_BREAKER_SECONDS", default=10.0)
# Throttle counters and other shared short-lived state: in Redis when there is one, so every
# web worker sees the same counts. While Redis is unreachable it behaves as an empty cache.
CACHES = {
    "default": (
        {
            "BACKEND": "core.redis_faults.FailFastRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# No code reads a task's return value, so none is stored: publishing then never touches the
# result backend, whose reconnect loop (20 x 1 s) held a request ~19 s with Redis stopped. A task
# whose result is wanted says so (``core.heartbeat``: ``ignore_result=False``, for the tests).
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- REST API (docs/API.md) ----------------------------------------------------------------
REST_FRAMEWORK = {
    # Tokens for integrations (hashed at rest, expiring, revocable); sessions for the web UI.
    # No Basic auth: a password must never travel with every request.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    # An unknown ?format= answers 400 (DRF: 404).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.pagination.ContentNegotiation",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "writes": env.str("API_WRITE_RATE", default="120/minute"),
        "imports": env.str("API_IMPORT_RATE", default="20/hour"),
        "login": env.str("API_LOGIN_RATE", default="10/minute"),
    },
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Behind PROXY_COUNT proxies, throttles count the client's address, not the proxy's.
    "NUM_PROXIES": env.int("PROXY_COUNT", default=0) or None,
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Social-clause compliance tracker API",
    "DESCRIPTION": "Contracts, social clauses, placement reports, compliance and alerts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_errors",
        "core.api.schema.add_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ClauseStatusEnum": "contracts.choices.ClauseStatus",
        "ContractStatusEnum": "contracts.choices.ContractStatus",
        "ReportStatusEnum": "internships.choices.ReportStatus",
        "AlertStateEnum": "contracts.choices.AlertState",
        "ProcurementStatusEnum": "procurement.models.Procurement.Status",
        "EmploymentTypeEnum": "internships.choices.EmploymentType",
    },
}

# --- Open data (OCDS export, docs/API.md) ---------------------------------------------------
OCDS_PREFIX = env.str("OCDS_PREFIX", default="ocds-xxxxxx")
OCDS_BUYER_NAME = env.str("OCDS_BUYER_NAME", default="Vätterhem")
OCDS_BUYER_ORG_NUMBER = env.str("OCDS_BUYER_ORG_NUMBER", default="")

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # WeasyPrint (the annual report's PDF) and its font subsetter log every glyph at DEBUG;
        # WeasyPrint lowers fontTools' level while it subsets, so stop it reaching the root.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING", "handlers": ["console"], "propagate": False},
    },
}
