"""docker-compose.yml cannot be run here (no Docker engine), so this keeps it in step with the
settings by reading both: every variable the stack sets is one the settings read, the services
the brief names exist and run what they should, and the URLs point at the services beside them.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_variables() -> set[str]:
    """Names of the environment variables backend/settings.py reads."""
    source = (ROOT / "backend" / "settings.py").read_text()
    pattern = r"""(?:os\.environ\.get|env_bool|env_int|env_list)\(\s*["']([A-Z0-9_]+)["']"""
    return set(re.findall(pattern, source))


def command_of(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def test_stack_has_the_services_the_design_names(compose):
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])


def test_every_variable_the_stack_sets_is_read_by_the_settings(compose):
    known = settings_variables()
    for name in APP_SERVICES:
        unknown = set(compose["services"][name]["environment"]) - known
        assert not unknown, f"{name} sets variables the settings never read: {sorted(unknown)}"


def test_the_essential_settings_are_given(compose):
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        for required in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
            assert required in env, f"{name} lacks {required}"
        assert str(env["DEBUG"]).lower() == "false"


def test_urls_point_at_the_services_of_the_stack(compose):
    services = compose["services"]
    env = services["web"]["environment"]
    database = urlparse(env["DATABASE_URL"])
    assert database.scheme == "postgres"
    assert database.hostname == "postgres"
    pg_env = services["postgres"]["environment"]
    assert database.username == pg_env["POSTGRES_USER"]
    assert database.password == pg_env["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == pg_env["POSTGRES_DB"]
    for variable in ("CELERY_BROKER_URL", "CACHE_URL"):
        assert urlparse(env[variable]).hostname == "redis"


def test_web_runs_the_wsgi_app_under_gunicorn(compose):
    command = command_of(compose["services"]["web"])
    module, _, attribute = settings.WSGI_APPLICATION.rpartition(".")
    assert command[:2] == ["gunicorn", f"{module}:{attribute}"]


def test_worker_consumes_the_queue_tasks_are_sent_to(compose):
    worker = compose["services"]["worker"]
    command = command_of(worker)
    assert command[:3] == ["celery", "--app=backend", "worker"]
    queues = next(c.split("=", 1)[1] for c in command if c.startswith("--queues="))
    assert worker["environment"]["CELERY_QUEUE"] in queues.split(",")


def _consumed_queues(compose) -> dict[str, set[str]]:
    """Queue name -> the services whose Celery worker consumes it."""
    consumers: dict[str, set[str]] = {}
    for name, service in compose["services"].items():
        command = command_of(service) if "command" in service else []
        if command[:3] != ["celery", "--app=backend", "worker"]:
            continue
        queues = next(c.split("=", 1)[1] for c in command if c.startswith("--queues="))
        for queue in queues.split(","):
            consumers.setdefault(queue, set()).add(name)
    return consumers


def test_league_table_rebuilds_have_a_worker_of_their_own(compose):
    env = compose["services"]["worker"]["environment"]
    benchmark_queue = env["CELERY_BENCHMARK_QUEUE"]
    consumers = _consumed_queues(compose)

    assert benchmark_queue != env["CELERY_QUEUE"]
    assert consumers.get(benchmark_queue) == {"benchmarks"}
    assert "benchmarks" not in consumers[env["CELERY_QUEUE"]]  # scoring is never held up
    for name in ("web", "worker", "beat", "benchmarks"):  # every sender routes alike
        assert compose["services"][name]["environment"]["CELERY_BENCHMARK_QUEUE"] == (
            benchmark_queue
        )


def test_beat_runs_the_periodic_schedule(compose):
    command = command_of(compose["services"]["beat"])
    assert command[:3] == ["celery", "--app=backend", "beat"]
    assert settings.CELERY_BEAT_SCHEDULE, "beat would have nothing to do"


def test_web_and_worker_share_the_media_volume(compose):
    services = compose["services"]
    media_root = services["web"]["environment"]["MEDIA_ROOT"]
    for name in ("web", "worker"):
        mounts = services[name]["volumes"]
        assert any(m.split(":")[1] == media_root for m in mounts), name
    assert "media" in compose["volumes"]


def test_migrations_run_before_web_and_worker_start(compose):
    services = compose["services"]
    for name in ("web", "worker", "benchmarks"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_dockerfile_installs_the_project_and_serves_wsgi():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install" in dockerfile
    assert "backend.wsgi:application" in dockerfile
    for package in ("backend", "audits", "scoring", "demo"):
        assert f"COPY {package} " in dockerfile


def test_the_wsgi_app_freezes_what_start_up_made():
    """Start-up objects are out of the garbage collector's reach (fewer, cheaper pauses)."""
    import gc
    import importlib

    gc.unfreeze()
    importlib.reload(importlib.import_module("backend.wsgi"))
    try:
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
