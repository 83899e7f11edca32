from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and load-test data (`manage.py seed_demo`): a consumer of the audits services."""

    name = "demo"
    verbose_name = "Touchpoint demo data"
