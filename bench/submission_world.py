"""A scratch database of shoppers with accepted assignments, for the submission benchmarks.

`bench/submit_path.py` (one process, profiled) and `bench/submit_load.py` (gunicorn under wrk)
both post real 40-answer bodies of the default checklist, each to a fresh assignment under a
fresh `client_id`, as a phone sending its visits would. The network is written with the models'
bulk inserts (fast to set up); the checklist is published through its service, so it is the
exact shape the API validates against.
"""

from __future__ import annotations

import json
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


@dataclass(frozen=True)
class SubmissionWorld:
    """Accepted assignments as (assignment id, shopper id), a JWT per shopper, answer sets."""

    assignments: list[tuple[int, int]]
    tokens: dict[int, str]
    answer_sets: list[list[dict]]

    def token_of(self, assignment: tuple[int, int]) -> str:
        return self.tokens[assignment[1]]


def build_world(
    assignments: int,
    *,
    seed: int = 0,
    answer_sets: int = 200,
    shoppers: int = 500,
    branches: int = 500,
) -> SubmissionWorld:
    """Migrate, then write a brand, its branches, the default checklist, `shoppers` shoppers
    and `assignments` accepted visits spread over them. Needs `django.setup()` done.

    Spread as a real programme is: a shopper rarely visits one branch twice, so the integrity
    checks, which read the shopper's earlier visits to the same branch, read few rows (one
    shopper doing every visit of one branch made each check read tens of thousands).
    """
    from django.contrib.auth.hashers import make_password
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
    regions = Region.objects.bulk_create(Region(brand=brand, name=f"Region {i}") for i in range(10))
    franchisees = Franchisee.objects.bulk_create(
        Franchisee(brand=brand, name=f"Franchisee {i}") for i in range((branches + 4) // 5)
    )
    sites = Branch.objects.bulk_create(
        Branch(
            brand=brand,
            franchisee=franchisees[j // 5],
            region=regions[j % len(regions)],
            name=f"Branch {j}",
            latitude=51.5,
            longitude=-0.12,
            timezone="Europe/London",
        )
        for j in range(branches)
    )
    definition = json.loads(CHECKLIST.read_text(encoding="utf-8"))
    version = checklist_publish(brand=brand, template_name="Default", definition=definition)
    password = make_password(PASSWORD)
    people = User.objects.bulk_create(
        User(username=f"bench-shopper-{k}", password=password) for k in range(shoppers)
    )
    Membership.objects.bulk_create(
        Membership(user=user, role=Role.SHOPPER, brand=brand) for user in people
    )
    offered = datetime.now(UTC) - timedelta(days=2)
    rows = Assignment.objects.bulk_create(
        (
            Assignment(
                branch=sites[(i * 7 + i // shoppers) % branches],
                shopper=people[i % shoppers],
                checklist=version,
                window_start=offered,
                window_end=offered + timedelta(days=7),
                status=AssignmentStatus.ACCEPTED,
                created_at=offered,
                accepted_at=offered,
            )
            for i in range(assignments)
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
        assignments=[(row.pk, row.shopper_id) for row in rows],
        tokens={user.pk: access_token(user) for user in people},
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


def access_token(user) -> str:
    """A JWT for `user`, valid for the whole run."""
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(hours=6))
    return str(token)
