"""The scoring package must import and run without Django, so it can be tested and reused alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

NO_DJANGO = (
    "import scoring, scoring.engine, scoring.checklist, scoring.answers, sys; "
    "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
)


def test_importing_scoring_loads_no_django():
    completed = subprocess.run(
        [sys.executable, "-c", NO_DJANGO],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr


def test_scoring_a_checklist_loads_no_django():
    program = (
        "import json, sys\n"
        "from scoring.checklist import parse_checklist\n"
        "from scoring.answers import parse_answers, validate_answers\n"
        "from scoring.engine import score, result_to_dict\n"
        "c = parse_checklist(json.load(open('audits/fixtures/default_checklist.json')))\n"
        "a = parse_answers([{'item': 'fi_storefront_clean', 'value': True}])\n"
        "validate_answers(c, a)\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr


def test_no_scoring_module_mentions_django_imports():
    for path in (REPO_ROOT / "scoring").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "import django" not in source and "from django" not in source, path
