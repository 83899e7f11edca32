"""The README's demo runs on the embedded default: a SQLite file under var/, made on first use.

A fresh clone has no var/ folder, and SQLite creates a database file but not its folder, so
this runs `manage.py migrate` the way `python3 dev.py demo` does, with no DATABASE_URL and a
var/ folder that does not exist yet.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_migrate_on_a_fresh_clone_creates_the_sqlite_database(tmp_path):
    var_dir = tmp_path / "fresh-clone" / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        TOUCHPOINT_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="backend.settings",
        SECRET_KEY="embedded-default-test",
    )

    completed = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert (var_dir / "touchpoint.sqlite3").stat().st_size > 0
