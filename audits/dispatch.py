"""Sending a Celery task from a service, by its registered name, without importing audits.tasks.

`audits.tasks` imports the services (each task is a thin wrapper around one); a service that
needs work done later or elsewhere sends the task through here instead, so the import graph
has no cycle and no service imports the tasks module, not even late inside a function.

The task is looked up on the current Celery app: the project's (backend.celery; audits does
not import the project), which Celery's Django fix-up makes the default on every thread, so
the embedded refresh thread and a threaded server's requests find it too. It is sent with
`apply_async`, never `send_task`: `apply_async` honours CELERY_TASK_ALWAYS_EAGER, so the
embedded default without a broker runs the task in-process, while `send_task` always
publishes to a broker.

Sending raises what the broker raises (kombu's OperationalError, `BrokerUnavailable` here,
when it is down); callers that must not fail then log it and leave the work to a sweep.
"""

from __future__ import annotations

from celery import Task, current_app
from celery.result import AsyncResult
from kombu.exceptions import OperationalError as BrokerUnavailable

__all__ = [
    "BUILD_BENCHMARK",
    "DELIVER_NOTIFICATIONS",
    "REFRESH_BENCHMARKS",
    "REFRESH_STALE_BENCHMARKS",
    "SCORE_BACKLOG",
    "SCORE_SUBMISSION",
    "BrokerUnavailable",
    "registered",
    "send",
]

# The registered names of the tasks services send (audits/tasks.py defines them).
SCORE_SUBMISSION = "audits.tasks.score_submission"
SCORE_BACKLOG = "audits.tasks.score_backlog"
REFRESH_BENCHMARKS = "audits.tasks.refresh_benchmarks"
REFRESH_STALE_BENCHMARKS = "audits.tasks.refresh_stale_benchmarks"
BUILD_BENCHMARK = "audits.tasks.build_benchmark"
DELIVER_NOTIFICATIONS = "audits.tasks.deliver_notifications"


def registered(name: str) -> Task:
    """The task registered under `name` on the current (the project's) Celery app.

    A worker imports every installed app's tasks module at start-up; a web process has not,
    so the first look-up that misses runs the same autodiscovery. KeyError if still unknown.
    """
    app = current_app._get_current_object()
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def send(name: str, *args, countdown: float | None = None) -> AsyncResult:
    """Send the task `name` with positional `args`, to start `countdown` seconds from now.

    Eager mode (no broker) runs it here and now, ignoring the countdown, as Celery does.
    """
    options = {} if countdown is None else {"countdown": countdown}
    return registered(name).apply_async(args=list(args), **options)
