"""Scored audits for benchmark tests: branches of known quality, one shopper who grades soft.

Answers go through the real submission and scoring services (tests/support/helpers.py), so the
snapshots are built from engine scores exactly as in production.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from audits.models import Role
from support.factories import MembershipFactory, UserFactory, good_answers
from support.helpers import scored_submission

# Answer sets from worst (0) to best (4) service on SMALL_CHECKLIST.
SERVICE_LEVELS = [
    {"greeted": False, "wait_seconds": 300, "listened": 1, "resolution": "ignored"},
    {"greeted": False, "wait_seconds": 120, "listened": 2, "resolution": "referred"},
    {"greeted": True, "wait_seconds": 120, "listened": 3, "resolution": "referred"},
    {"greeted": True, "wait_seconds": 45, "listened": 4, "resolution": "solved"},
    {"greeted": True, "wait_seconds": 45, "listened": 5, "resolution": "solved"},
]


def answers_at(level: int, **overrides) -> list[dict]:
    values = dict(SERVICE_LEVELS[max(0, min(level, len(SERVICE_LEVELS) - 1))])
    values.update(overrides)
    return good_answers(**values)


def new_shopper(world, username: str):
    user = UserFactory(username=username)
    MembershipFactory(user=user, role=Role.SHOPPER, brand=world.brand)
    return user


def make_league(world, *, start=datetime(2026, 8, 3, 10, tzinfo=UTC), soft=None, rounds=3):
    """Audits in 2026-Q3: branch_a1 good (3), branch_a2 middling (2), branch_b1 poor (1).

    Each round every shopper visits every branch once, a week apart; the `soft` shopper (made
    when not given) answers one level better than the service deserved. Whether the staff used
    the shopper's name alternates (visit luck), so no branch's scores are all equal. Returns
    the soft shopper.
    """
    soft = soft or new_shopper(world, "softy")
    shoppers = [world.shopper, world.shopper2, soft]
    quality = [(world.branch_a1, 3), (world.branch_a2, 2), (world.branch_b1, 1)]
    visit = 0
    for round_ in range(rounds):
        for s_index, shopper in enumerate(shoppers):
            for b_index, (branch, level) in enumerate(quality):
                luck = (round_ + s_index + b_index) % 2
                graded = level + (1 if shopper == soft else 0)
                scored_submission(
                    world,
                    shopper=shopper,
                    branch=branch,
                    answers=answers_at(graded, name_used=bool(luck)),
                    started_at=start + timedelta(days=7 * round_, hours=visit % 5),
                )
                visit += 1
    return soft
