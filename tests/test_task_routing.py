"""League-table rebuilds go to CELERY_BENCHMARK_QUEUE when it is set, scoring never does.

Settings are read once at start-up, so each case loads backend.settings in a fresh process
with the environment a deployment would give it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, django
django.setup()
from backend.celery import app
router = app.amqp.router
def queue(name):
    route = router.route({}, name)
    return route["queue"].name
print(json.dumps({name: queue(name) for name in (
    "audits.tasks.score_submission",
    "audits.tasks.score_backlog",
    "audits.tasks.refresh_benchmarks",
    "audits.tasks.refresh_stale_benchmarks",
    "audits.tasks.build_benchmark",
    "audits.tasks.refresh_all_benchmarks",
)}))
"""


def _queues(**env: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    environ.update(
        DJANGO_SETTINGS_MODULE="backend.settings",
        SECRET_KEY="routing-test",
        CELERY_BROKER_URL="memory://",
        **env,
    )
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("benchmark_queue", ["", "tp-benchmarks"])
def test_rebuilds_use_their_queue_and_scoring_the_default_one(benchmark_queue):
    queues = _queues(CELERY_QUEUE="tp-scoring", CELERY_BENCHMARK_QUEUE=benchmark_queue)

    assert queues["audits.tasks.score_submission"] == "tp-scoring"
    assert queues["audits.tasks.score_backlog"] == "tp-scoring"
    expected = benchmark_queue or "tp-scoring"
    assert queues["audits.tasks.refresh_benchmarks"] == expected
    assert queues["audits.tasks.refresh_stale_benchmarks"] == expected
    assert queues["audits.tasks.build_benchmark"] == expected
    assert queues["audits.tasks.refresh_all_benchmarks"] == expected
