"""Touchpoint's Django project: settings, URLs and the Celery app (no business logic here)."""

from backend.celery import app as celery_app

__all__ = ["celery_app"]
