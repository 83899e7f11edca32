"""The scoring package must import and run without Django, so it can be tested and reused alone."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Imports every module of scoring, in every subpackage, one after the other, and names the
# first one after which Django is loaded; prints the modules it imported.
IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
import scoring

def django_loaded():
    return any(m == "django" or m.startswith("django.") for m in sys.modules)

names = ["scoring"]
for info in pkgutil.walk_packages(scoring.__path__, "scoring."):
    names.append(info.name)
    importlib.import_module(info.name)
    if django_loaded():
        sys.exit(f"importing {info.name} loaded django")
print(json.dumps(names))
"""


def scoring_sources() -> list[Path]:
    return sorted((REPO_ROOT / "scoring").rglob("*.py"))


def test_importing_every_scoring_module_loads_no_django():
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    imported = set(json.loads(completed.stdout))
    # Every module on disk was imported, subpackages included (scoring.benchmark.*).
    on_disk = {
        ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in scoring_sources()
    }
    assert on_disk <= imported, sorted(on_disk - imported)
    assert "scoring.benchmark.change" in imported


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


def imported_top_level_names(path: Path) -> set[str]:
    """The top-level packages a module imports anywhere, inside functions too."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def test_no_scoring_module_imports_django_anywhere():
    sources = scoring_sources()
    assert REPO_ROOT / "scoring" / "benchmark" / "change.py" in sources
    for path in sources:
        assert "django" not in imported_top_level_names(path), path.relative_to(REPO_ROOT)
