"""Settings for the test suite: PostgreSQL by default, SQLite only as an announced fallback.

DATABASE_URL wins when set. Otherwise the suite uses the local PostgreSQL (TEST_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/touchpoint). Outside CI, if it cannot be reached,
tests fall back to SQLite and the tests that need PostgreSQL skip, saying why; in CI
(CI=true) an unreachable PostgreSQL is an error, never a skip.
"""

import os
import tempfile

import dj_database_url

# The suite's own key, set before the settings read it (they refuse to start without one).
os.environ.setdefault("SECRET_KEY", "touchpoint-test-suite-only-" + "k" * 40)

from backend.settings import *  # noqa: F403
from backend.settings import BASE_DIR, env_bool

IN_CI = env_bool("CI", False)
DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/touchpoint"


def _postgres_reachable(url: str) -> str | None:
    """None when PostgreSQL answers at `url`, else the reason it does not."""
    import psycopg

    config = dj_database_url.parse(url)
    try:
        with psycopg.connect(
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ):
            return None
    except psycopg.Error as exc:
        where = f"{config['HOST']}:{config['PORT']}"
        return f"PostgreSQL at {where} unreachable ({exc.__class__.__name__})"


POSTGRES_UNAVAILABLE = None
if "DATABASE_URL" in os.environ:
    _url = os.environ["DATABASE_URL"]
else:
    _url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    POSTGRES_UNAVAILABLE = _postgres_reachable(_url)
    if POSTGRES_UNAVAILABLE:
        if IN_CI:
            raise RuntimeError(f"CI needs PostgreSQL: {POSTGRES_UNAVAILABLE}")
        _url = f"sqlite:///{BASE_DIR / 'var' / 'test.sqlite3'}"

DATABASES = {"default": dj_database_url.parse(_url)}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    POSTGRES_UNAVAILABLE = POSTGRES_UNAVAILABLE or "the test database is not PostgreSQL"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="touchpoint-test-media-")
# An existing (empty) folder: WhiteNoise warns on every request when STATIC_ROOT is missing.
STATIC_ROOT = tempfile.mkdtemp(prefix="touchpoint-test-static-")
STORAGES = {
    **STORAGES,  # noqa: F405
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    },
    "photos": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    },
}
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
# Tests run the refresh inline (deterministic, inside the test's transaction); the thread is
# tested on its own with committed data.
BENCHMARK_REFRESH_IN_THREAD = False
LOGGING = {"version": 1, "disable_existing_loggers": False}
