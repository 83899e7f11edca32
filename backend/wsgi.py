"""WSGI entry point, served by gunicorn in production."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
application = get_wsgi_application()

# What start-up made (modules, settings, URL patterns, serializer classes) lives as long as
# the worker: out of the collector's generations, a full collection no longer walks it. The
# slowest pages pay those collections: a 170 KB page of 50 audits with answers had a p95 of
# about 170 ms against a median of 40; with start-up frozen, 72 to 93 ms (bench/list_pages.py
# with the same freeze after start-up; docs/performance.md).
gc.collect()
gc.freeze()
