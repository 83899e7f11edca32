"""The project's settings, plus the raw-SQL ceiling's route: what bench/submit_load.py serves.

Everything else (middleware, database, Celery, DEBUG off) is `backend.settings` as the
environment configures it, so the endpoint and its ceiling run under the same gunicorn, in the
same processes, with the same middleware.
"""

from backend.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load.urls"
