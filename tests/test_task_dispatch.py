"""Services send tasks by name through audits.dispatch and never import audits.tasks.

Why: tasks import services; a service importing tasks back (even late, inside a function) is
an import circle kept apart only by timing. The look-up by name must also work where nothing
has imported audits.tasks yet (a web process) and on threads other than the one that made the
Celery app (the embedded refresh thread, a threaded server's requests).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery.result import EagerResult

from audits import dispatch

ROOT = Path(__file__).resolve().parents[1]
SENT_BY_NAME = (
    dispatch.SCORE_SUBMISSION,
    dispatch.SCORE_BACKLOG,
    dispatch.REFRESH_BENCHMARKS,
    dispatch.REFRESH_STALE_BENCHMARKS,
    dispatch.BUILD_BENCHMARK,
)


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("layer", ["audits/services", "audits/models"])
def test_no_service_or_model_imports_the_tasks_module(layer):
    sources = sorted((ROOT / layer).rglob("*.py"))
    assert sources
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources
        if any(
            name == "audits.tasks" or name.startswith("audits.tasks.")
            for name in _imported_modules(path)
        )
    ]
    assert offenders == []


PROBE = """
import json, sys, threading, django
django.setup()
from audits import dispatch
before = "audits.tasks" in sys.modules
found = {}
def look_up():
    found["thread"] = [dispatch.registered(name).name for name in json.loads(sys.argv[1])]
thread = threading.Thread(target=look_up)
thread.start()
thread.join()
print(json.dumps({"imported_before": before, "found": found["thread"]}))
"""


def test_a_fresh_process_finds_the_tasks_by_name_on_another_thread():
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    environ.update(DJANGO_SETTINGS_MODULE="backend.settings", SECRET_KEY="dispatch-test")
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(SENT_BY_NAME)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    probe = json.loads(completed.stdout.strip().splitlines()[-1])
    assert probe == {"imported_before": False, "found": list(SENT_BY_NAME)}


def test_the_names_are_the_registered_tasks():
    from audits import tasks

    assert (
        dispatch.registered(dispatch.SCORE_SUBMISSION)
        is tasks.score_submission._get_current_object()
    )
    assert dispatch.registered(dispatch.SCORE_BACKLOG) is tasks.score_backlog._get_current_object()
    assert (
        dispatch.registered(dispatch.REFRESH_BENCHMARKS)
        is tasks.refresh_benchmarks._get_current_object()
    )


@pytest.mark.django_db
def test_without_a_broker_a_sent_task_runs_here_and_now(settings):
    """Eager mode (the embedded default): `apply_async` runs in-process, `send_task` would not."""
    assert settings.CELERY_TASK_ALWAYS_EAGER
    result = dispatch.send(dispatch.REFRESH_BENCHMARKS, 987654)
    assert isinstance(result, EagerResult)
    assert result.get() == 0  # ran, and found no such brand
