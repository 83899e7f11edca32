"""No secret key in the code: without DEBUG the service refuses to start unless SECRET_KEY is
set (issue 12: it started with the key written in backend/settings.py, and a token signed with
that key was accepted as the admin)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def _settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environ.update(DJANGO_SETTINGS_MODULE="backend.settings", **env)
    code = f"import django; django.setup(); {PRINT_KEY}"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )


def test_without_debug_and_without_a_key_the_service_refuses_to_start():
    result = _settings_in_a_fresh_process(DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY is not set" in result.stderr


def test_with_a_key_it_uses_that_key():
    result = _settings_in_a_fresh_process(DEBUG="false", SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k" * 60


def test_with_debug_and_no_key_each_process_draws_its_own():
    first = _settings_in_a_fresh_process(DEBUG="true")
    second = _settings_in_a_fresh_process(DEBUG="true")
    assert first.returncode == 0 and second.returncode == 0, first.stderr
    assert len(first.stdout.strip()) >= 50
    assert first.stdout.strip() != second.stdout.strip()


def test_no_key_is_written_in_the_settings():
    text = (ROOT / "backend" / "settings.py").read_text()
    assert "touchpoint-insecure-development-key" not in text
