"""Touchpoint settings, read from the environment.

Everything that differs between a laptop, CI and production is an environment variable, so
the same code runs everywhere: unset, the service runs on an embedded SQLite file with Celery
tasks executed in-process, which is what the README's first command relies on.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
# No key is written here: one in the code signs tokens anyone can forge. Without DEBUG the
# service refuses to start unless SECRET_KEY is set (REQUIRE_SECRET_KEY, once the switch for
# this, is no longer needed); with DEBUG and no key, each process draws a random one, so
# tokens and sessions last until it restarts. The demo (dev.py) and the tests set their own.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))' "
            "(or DEBUG=true for a throwaway key on a laptop)."
        )
    SECRET_KEY = secrets.token_urlsafe(50)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Browser clients on other origins and the HTML pages' policy --------------------------
# A web client served from another origin may call the API only from these origins (none by
# default); it may send the JWT `Authorization` header and read `Retry-After` on a 429.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["Retry-After"]
# Everything the landing page, the admin, Swagger UI and ReDoc load comes from this server
# (drf-spectacular-sidecar, whitenoise): no script from elsewhere and no inline script.
# Inline styles are allowed because Swagger UI and ReDoc set them at run time; ReDoc parses
# the schema in a blob: worker; Swagger UI's icons are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- HTTPS (docs/operations.md, "Production settings") -------------------------------------
# Off unless the environment turns them on: the embedded default and the README's local
# PostgreSQL run serve plain HTTP on 127.0.0.1. Behind a TLS-terminating proxy set them all
# (the README's production environment), and `manage.py check --deploy` is clean.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# A load balancer's health check speaks plain HTTP to the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
# The header the proxy sets to say the client's request was HTTPS (e.g. X-Forwarded-Proto);
# trust it only behind a proxy that always sets it, never on a server the Internet reaches.
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "corsheaders",
    "csp",
    "audits",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's and Swagger UI's static files under gunicorn, with no web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # CORS before anything that may answer (CommonMiddleware's redirects included).
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR = Path(os.environ.get("TOUCHPOINT_VAR_DIR", BASE_DIR / "var"))
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'touchpoint.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        # SQLite makes the file but not its folder: on a fresh clone var/ does not exist yet.
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "audits.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Cache -----------------------------------------------------------------------------------
# Shared by every web and worker process when CACHE_URL names a Redis (sign-in failures and
# throttle counts then hold across processes); a per-process memory cache otherwise (the
# embedded default). The league-table debounce is a database row, shared either way.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Static and media files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# No MEDIA_URL is served: photos go out only through the permission-checked API endpoint.
MEDIA_URL = "/media-not-served/"

# Photos live in the "photos" storage: the filesystem by default, or any S3-compatible store
# (AWS, MinIO, Ceph) with STORAGE_BACKEND=s3 and the AWS_* variables; no code change needed.
if os.environ.get("STORAGE_BACKEND", "filesystem") == "s3":
    _photo_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", "touchpoint-photos"),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _photo_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _photo_storage,
    "photos": _photo_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 15 * 1024 * 1024)
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 50_000_000)
# The largest JSON body (and form) the API reads: a 413 over it, before a byte is parsed. A
# visit of 500 answers with full-length texts and comments fits; 20 MB of anything does not.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
# How deep a JSON body may nest (a checklist needs 6 levels): deeper is a 400 naming where.
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 20)
FILE_UPLOAD_MAX_MEMORY_SIZE = PHOTO_MAX_BYTES + 1024 * 1024

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "audits.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON bodies only: nested answers cannot be sent as a form, and one media type per
    # operation keeps generated clients simple. Photo uploads opt into multipart themselves.
    # Bounded: size, depth and strings PostgreSQL can store (audits/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["audits.api.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "audits.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    # JSON answers only, to browsers too: what the schema documents (Swagger UI at /api/docs/
    # is the way to explore the API by hand).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # No OPTIONS metadata: the OpenAPI document describes every operation, and DRF's OPTIONS
    # answer (field lists, undocumented) is a second description that drifts from it. OPTIONS
    # is a 405 in the error shape; CORS preflights are answered by django-cors-headers first.
    "DEFAULT_METADATA_CLASS": None,
    # Throttling (below): only the operations that name a scope are throttled.
    "DEFAULT_THROTTLE_RATES": {
        "sign_in_username": os.environ.get("THROTTLE_SIGN_IN_USERNAME", "10/min"),
        "sign_in_address": os.environ.get("THROTTLE_SIGN_IN_ADDRESS", "10/min"),
        "submissions": os.environ.get("THROTTLE_SUBMISSIONS", "120/hour"),
        "photos": os.environ.get("THROTTLE_PHOTOS", "600/hour"),
        "expensive_reads": os.environ.get("THROTTLE_EXPENSIVE_READS", "120/hour"),
    },
    # --- Throttling: how many proxies set X-Forwarded-For (unset: the client is REMOTE_ADDR).
    "NUM_PROXIES": env_int("NUM_PROXIES", 0) or None,
}
# --- Throttling: failed sign-ins that lock an account, and for how long (services/sign_in.py).
SIGN_IN_LOCKOUT_FAILURES = env_int("SIGN_IN_LOCKOUT_FAILURES", 20)
SIGN_IN_LOCKOUT_SECONDS = env_int("SIGN_IN_LOCKOUT_SECONDS", 3600)
DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": False,
    "EXCEPTION_HANDLER_CLASS": "audits.api.errors.ExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "audits.api.errors.ErrorFormatter",
    # The package's statuses plus 413: every body is size-limited (audits/api/parsers.py).
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "413",
        "415",
        "429",
        "500",
    ],
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 14)),
    "AUTH_HEADER_TYPES": ("Bearer",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Touchpoint API",
    "DESCRIPTION": (
        "Mystery-shopper audits: assignments, offline-first submissions with photos, "
        "scores and scorecards. Errors share one shape: {type, errors: [{code, detail, attr}]}."
    ),
    "VERSION": "1.0.0",
    # OpenAPI 3.1: a nullable nested object is `oneOf: [$ref, {type: null}]`, which strict
    # validators and generated clients read as "or null"; 3.0's `allOf` + `nullable` is not.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AssignmentStatusEnum": "audits.models.AssignmentStatus",
        "SubmissionStatusEnum": "audits.models.SubmissionStatus",
        "AppealStatusEnum": "audits.models.AppealStatus",
        "ActionStatusEnum": "audits.models.ActionStatus",
        "NotificationKindEnum": "audits.models.NotificationKind",
        "RiskLevelEnum": "audits.models.RiskLevel",
        "ErrorCodeEnum": "audits.api.schema.ERROR_CODES",
        "ErrorTypeEnum": "audits.api.schema.ERROR_TYPES",
    },
    # Swagger UI and ReDoc from this server's own static files: they work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "audits.api.schema.collapse_any_or_null",
    ],
}

# --- E-mail (notifications) -------------------------------------------------------------------
# Console by default: notifications are printed where the worker logs. Set EMAIL_BACKEND to
# django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD and EMAIL_USE_TLS for real mail.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Touchpoint <touchpoint@localhost>")

# --- Celery ---------------------------------------------------------------------------------
# Unset broker: tasks run in-process (the embedded default); set it to use real workers.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "touchpoint")
# League-table rebuilds refit models for minutes on a large brand; given a queue of their own
# (consumed by a worker of its own, docker-compose.yml), they never hold up scoring.
CELERY_BENCHMARK_QUEUE = os.environ.get("CELERY_BENCHMARK_QUEUE", "")
CELERY_TASK_ROUTES = (
    {
        "audits.tasks.refresh_benchmarks": {"queue": CELERY_BENCHMARK_QUEUE},
        "audits.tasks.refresh_stale_benchmarks": {"queue": CELERY_BENCHMARK_QUEUE},
        "audits.tasks.build_benchmark": {"queue": CELERY_BENCHMARK_QUEUE},
        "audits.tasks.refresh_all_benchmarks": {"queue": CELERY_BENCHMARK_QUEUE},
    }
    if CELERY_BENCHMARK_QUEUE
    else {}
)
# Redis redelivers a message its worker took but never acknowledged (the worker was killed)
# once this many seconds pass. It must exceed the longest countdown a task is sent with
# (BENCHMARK_REFRESH_DELAY, 20 s by default), or a delayed task is delivered twice. A killed
# worker's scoring task is found sooner by the sweep below; this brings back the others.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600)}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-submissions": {
        "task": "audits.tasks.requeue_stuck_submissions",
        # With SCORING_STUCK_AFTER: a lost message (or one never sent while the broker was
        # down) is sent again within SCORING_STUCK_AFTER + this, 2 minutes by default.
        "schedule": timedelta(seconds=env_int("SCORING_SWEEP_SECONDS", 30)),
    },
    "expire-assignments": {
        "task": "audits.tasks.expire_assignments",
        "schedule": timedelta(minutes=15),
    },
    # Quality control (docs/review.md): reports whose photos never came are scored as they
    # are, unreviewed ones past the brand's SLA release, unanswered returns are rejected.
    "review-sweep": {
        "task": "audits.tasks.review_sweep",
        "schedule": timedelta(minutes=5),
    },
    # Notifications: e-mail what is still pending (retries), and remind owners of actions.
    "deliver-notifications": {
        "task": "audits.tasks.deliver_notifications",
        "schedule": timedelta(minutes=1),
    },
    "remind-actions": {
        "task": "audits.tasks.remind_actions",
        "schedule": timedelta(hours=1),
    },
    # Rebuild every brand's recent league tables nightly (docs/benchmarking.md, "Serving").
    "refresh-all-benchmarks": {
        "task": "audits.tasks.refresh_all_benchmarks",
        "schedule": crontab(hour=3, minute=0),
    },
}
# Seconds between a released or corrected audit and the (debounced) rebuild of the periods it
# touched. With a 20 s window a 1,000-branch brand's tables show a release within 45 s (p95,
# bench/league_freshness.py); a longer one batches more releases into each refresh.
BENCHMARK_REFRESH_DELAY = env_int("BENCHMARK_REFRESH_DELAY_SECONDS", 20)
# Without a broker (the embedded default) there is no worker: refresh in a background thread
# rather than inside the request that scored a submission.
BENCHMARK_REFRESH_IN_THREAD = env_bool("BENCHMARK_REFRESH_IN_THREAD", CELERY_TASK_ALWAYS_EAGER)
# The nightly rebuild as one task per period and dimension, shared by the benchmark workers
# (audits/services/benchmarks/parallel.py); off without a broker, where one process does all.
BENCHMARK_SPLIT_REBUILDS = env_bool("BENCHMARK_SPLIT_REBUILDS", not CELERY_TASK_ALWAYS_EAGER)
# Months (the current one included) whose periods every refresh rebuilds.
BENCHMARK_RECENT_MONTHS = env_int("BENCHMARK_RECENT_MONTHS", 3)
# A submission still waiting for its scoring task after this long is sent again.
# Sending again is safe (scoring claims each row by a conditional update), so the window is
# short: a duplicate costs one UPDATE that matches nothing. SCORING_STUCK_AFTER_MINUTES, the
# older variable, is still read when set.
SCORING_STUCK_AFTER = timedelta(
    seconds=env_int(
        "SCORING_STUCK_AFTER_SECONDS", 60 * env_int("SCORING_STUCK_AFTER_MINUTES", 0) or 90
    )
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
