"""A scratch database with one shopper and many accepted assignments, for the submission benchmarks.

`bench/submit_path.py` (one process, profiled) and `bench/submit_load.py` (gunicorn under wrk)
both post real 40-answer bodies of the default checklist, each to a fresh assignment under a
fresh `client_id`, as a phone sending its visits would. The network is written with the models'
bulk inserts (fast to set up); the checklist is published through its service, so it is the
exact shape the API validates against.
"""

from __future__ import annotations

import json
import os
import random
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and bench/scoring.py would shadow the
# `scoring` package: put the repository root first instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

CHECKLIST = ROOT / "audits" / "fixtures" / "default_checklist.json"
PASSWORD = "bench-password-1"


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    """Drop (and unless `drop_only`, create) the scratch database `url` names.

    Only names starting with `tp_bench` are touched, so a mistyped URL cannot drop real data.
    """
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    name = config["NAME"]
    if not name.startswith("tp_bench"):
        raise SystemExit(f"refusing to drop {name!r}: scratch databases start with tp_bench")
    with psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def configure_django(database_url: str, **extra: str) -> None:
    """The environment the benchmark's Django (and its gunicorn and worker) run with.

    DEBUG off (no query log: time what production runs), a throwaway secret, no throttling of
    one shopper's many posts, and whatever `extra` adds (a broker URL, say).
    """
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + os.urandom(16).hex())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    os.environ["THROTTLE_SUBMISSIONS"] = "100000000/hour"
    os.environ.update(extra)


@dataclass(frozen=True)
class SubmissionWorld:
    shopper_id: int
    username: str
    assignment_ids: list[int]
    answer_sets: list[list[dict]]


def build_world(assignments: int, *, seed: int = 0, answer_sets: int = 200) -> SubmissionWorld:
    """Migrate, then write a brand, one branch, the default checklist and `assignments`
    accepted visits for one shopper. Needs `django.setup()` done."""
    from django.core.management import call_command

    from audits.models import (
        Assignment,
        AssignmentStatus,
        Branch,
        Brand,
        Franchisee,
        Membership,
        Region,
        Role,
        User,
    )
    from audits.services.checklists import checklist_publish
    from bench.scoring import synthetic_backlog
    from scoring.checklist import parse_checklist

    call_command("migrate", verbosity=0)
    brand = Brand.objects.create(name="Bench brand")
    region = Region.objects.create(brand=brand, name="Region")
    franchisee = Franchisee.objects.create(brand=brand, name="Franchisee")
    branch = Branch.objects.create(
        brand=brand,
        franchisee=franchisee,
        region=region,
        name="Branch",
        latitude=51.5,
        longitude=-0.12,
        timezone="Europe/London",
    )
    definition = json.loads(CHECKLIST.read_text(encoding="utf-8"))
    version = checklist_publish(brand=brand, template_name="Default", definition=definition)
    shopper = User.objects.create_user("bench-shopper", password=PASSWORD)
    Membership.objects.create(user=shopper, role=Role.SHOPPER, brand=brand)
    offered = datetime.now(UTC) - timedelta(days=2)
    rows = Assignment.objects.bulk_create(
        (
            Assignment(
                branch=branch,
                shopper=shopper,
                checklist=version,
                window_start=offered,
                window_end=offered + timedelta(days=7),
                status=AssignmentStatus.ACCEPTED,
                created_at=offered,
                accepted_at=offered,
            )
            for _ in range(assignments)
        ),
        batch_size=5000,
    )
    checklist = parse_checklist(definition)
    sets = [
        [
            {"item": a.item, "na": True} if a.na else {"item": a.item, "value": a.value}
            for a in answers
        ]
        for answers in synthetic_backlog(checklist, answer_sets, seed=seed + 1)
    ]
    return SubmissionWorld(
        shopper_id=shopper.pk,
        username=shopper.username,
        assignment_ids=[row.pk for row in rows],
        answer_sets=sets,
    )


def submission_body(assignment_id: int, answers: list[dict], rng: random.Random) -> dict:
    """What a phone posts for one visit: times within the last day, a GPS fix, no photos."""
    finished = datetime.now(UTC) - timedelta(minutes=rng.randint(5, 600))
    started = finished - timedelta(minutes=rng.randint(8, 40))
    return {
        "assignment": assignment_id,
        "client_id": str(uuid.uuid4()),
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "location": {"latitude": 51.5007, "longitude": -0.1246, "accuracy_m": 12.0},
        "photo_count": 0,
        "answers": answers,
    }


def access_token(user_id: int) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    from audits.models import User

    token = AccessToken.for_user(User.objects.get(pk=user_id))
    token.set_exp(lifetime=timedelta(hours=6))
    return str(token)
