"""Write the demo network and its audit history, fast enough for load-test sizes.

Everything is inserted with `bulk_create` in batches inside one transaction, so a failed run
leaves nothing behind and a repeated run finds either the whole demo or none of it. Audits
are stored as the scoring worker would have left them: the answers in `Answer` rows, scored by
the real engine on the published checklist (through `answers_as_data` and `score_fields`, the
app's own mapping), the submission and its assignment marked scored.

Quality control then has a realistic mix to show: most audits released by the demo reviewer
(written so with the rows, each with its recorded step), the most recent few waiting in the
review queue with their integrity signals computed by the real checks (two of them flagged:
one reported far from its branch, one from a mock location), and one returned to its shopper
with questions through the review service.
"""

from __future__ import annotations

import json
import math
import random
import time
import uuid
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

import audits
from audits.bulk import analyze, insert_rows, set_column
from audits.images import process_photo
from audits.models import (
    Action,
    Answer,
    Appeal,
    Assignment,
    AssignmentStatus,
    Branch,
    Brand,
    ChecklistVersion,
    EvidencePhoto,
    Franchisee,
    Membership,
    Photo,
    Region,
    Role,
    Score,
    Submission,
    SubmissionStatus,
    SubmissionTransition,
    SubmissionVersion,
    User,
)
from audits.services.actions import action_complete, action_verify, actions_on_release, overdue
from audits.services.appeals import AppealedItem, ItemDecision, appeal_decide, appeal_open
from audits.services.benchmarks.building import benchmarks_refresh_brand
from audits.services.brand_settings import brand_settings_for, brand_settings_update
from audits.services.checklists import checklist_publish
from audits.services.evidence import evidence_attach
from audits.services.integrity import signals_record
from audits.services.photos import photo_store
from audits.services.review import submission_claim, submission_review
from audits.services.scoring import score_fields
from audits.services.submissions import as_stored, location_columns, submission_fingerprint
from audits.services.trail import trail_purge_brand
from demo.network import BranchPlan, plan_network
from demo.pictures import receipt_jpeg, storefront_jpeg
from demo.visits import AnswerSimulator, VisitPlan, plan_visits
from scoring.answers import parse_answers
from scoring.engine import ENGINE_VERSION, score

DEMO_BRAND = "Bramble & Bean"
DEFAULT_PASSWORD = "touchpoint-demo"
TEMPLATE_NAME = "Branch visit"
CHECKLIST_FIXTURE = Path(audits.__file__).resolve().parent / "fixtures" / "default_checklist.json"

# The five demo logins and what each is for (the README lists them too).
DEMO_LOGINS = {
    "shopper": "secret shopper with open assignments and past audits",
    "owner": "franchise owner of a few branches (reads released audits)",
    "hq": "head office of the demo brand",
    "reviewer": "reviewer at head office, with audits waiting in the review queue",
    "admin": "Django admin superuser (/admin/)",
}

BATCH_SIZE = 5000  # rows per INSERT
CHUNK_VISITS = 2000  # visits generated, scored and written at a time
PHOTO_DAYS = 14  # only audits this recent get photos
QUEUE_VISITS = 6  # the most recent scored audits wait for review; all earlier ones are released
FAR_FROM_BRANCH_M = (1500.0, 2000.0)  # where the flagged visit's phone placed it
RELEASE_HOURS = (0.5, 8.0)  # how long after scoring the reviewer released an audit
ACTION_HISTORY_DAYS = 60  # the owner's actions come from this much released history
ACTION_ITEMS = 3  # the brand's action_items: its most-missed items
DEMO_APPEAL_DAYS = 30
ACTION_NOTE = "Went over it with the team at the morning briefing."
VERIFY_REASON = "Seen done on the area manager's visit."
APPEAL_REASONS = (
    "The member of staff did this: the CCTV shows it.",
    "The shopper left before we could answer.",
)
DECISION_REASONS = {True: "Agreed: the recording shows it.", False: "The report stands."}
FAR, MOCKED = "gps_far_from_branch", "mock_location"  # the two visits flagged on purpose
RETURN_REASON = "The comments do not explain the low marks for service."
RETURN_QUESTIONS = (
    "How long did you wait before a member of staff greeted you?",
    "Was a receipt offered without you asking for one?",
)
CURRENCIES = {"GB": "GBP", "DK": "DKK", "SE": "SEK", "NO": "NOK", "CZ": "CZK", "PL": "PLN"}
CURRENCIES |= {"HU": "HUF", "CH": "CHF"}

OUTCOME_STATUS = {
    "scored": AssignmentStatus.SCORED,
    "expired": AssignmentStatus.EXPIRED,
    "cancelled": AssignmentStatus.CANCELLED,
}
ANSWER_COLUMNS = ("submission_id", "item", "value", "na", "comment", "position")
TRANSITION_COLUMNS = ("submission_id", "from_status", "to_status", "by_id", "at", "reason")
SCORED, RELEASED = SubmissionStatus.SCORED.value, SubmissionStatus.RELEASED.value  # plain text
SCORE_COLUMNS = (
    "submission_id",
    "checklist_id",
    "engine_version",
    "revision",
    "is_current",
    "scored_at",
)  # followed by the columns score_fields() fills

SCENARIOS = (
    "Order a hot drink and a pastry to eat in; ask which blend they would recommend.",
    "Order two drinks to take away and ask whether there is a dairy-free option.",
    "Ask for an item that is often sold out and see what is offered instead.",
    "Visit at a busy time; order food and a drink and note how long you wait.",
    "Pay by card and ask about the loyalty scheme.",
    "Order a drink to take away; ask for a receipt only if none is offered.",
)


class DemoExists(Exception):
    """The demo brand is already there; seeding again would duplicate it."""


class DemoConflict(Exception):
    """Demo usernames are taken while the demo brand is missing: only --reset may replace them."""


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 42
    branches: int = 24
    shoppers: int = 12
    months: int = 6
    photos: int = 30  # audits that get a storefront and a receipt photo (the most recent)
    visits_per_month: float = 4.2  # per branch, on average
    password: str = DEFAULT_PASSWORD
    end: datetime | None = None  # the history runs up to here (default: the current hour)
    benchmarks: bool = True  # build the league tables afterwards (minutes for a large brand)

    def __post_init__(self) -> None:
        for name in ("branches", "shoppers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("months", "photos"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        if self.visits_per_month < 0:
            raise ValueError("visits_per_month cannot be negative")
        if not self.password:
            raise ValueError("the demo password cannot be empty")


@dataclass
class DemoSummary:
    brand: Brand
    counts: dict[str, int]
    assignments: dict[str, int]
    mean_overall: float | None
    passed: int
    critical_failures: int
    seconds: dict[str, float] = field(default_factory=dict)
    benchmarks: str = ""
    # Quality control: released, waiting (in the review queue), flagged (waiting with risk
    # high) and returned (to its shopper, with questions).
    review: dict[str, int] = field(default_factory=dict)


def demo_brand() -> Brand | None:
    return Brand.objects.filter(name=DEMO_BRAND).first()


def seed_demo(options: DemoOptions, *, log: Callable[[str], None] = lambda _: None) -> DemoSummary:
    """Create the demo brand with its network, people and audit history.

    Raises DemoExists when the brand is there already (nothing is written) and DemoConflict
    when a demo login exists without it.
    """
    clock = _Clock()
    with transaction.atomic():
        if demo_brand() is not None:
            raise DemoExists(DEMO_BRAND)
        writer = _Writer(options, log, clock)
        writer.write()
    clock.lap("commit")  # PostgreSQL checks the deferred foreign keys of every row here
    # Statistics of what was just loaded: the first pages read would plan on empty tables.
    analyze([Assignment, Submission, Answer, Score, Photo, SubmissionTransition, Action, Appeal])
    clock.lap("analyze")
    summary = writer.summary()
    if options.benchmarks:
        summary.benchmarks = refresh_benchmarks(writer.brand)
        clock.lap("benchmarks")
    else:
        summary.benchmarks = "skipped (--no-benchmarks)"
    summary.seconds = clock.laps
    summary.seconds["total"] = clock.total()
    return summary


def refresh_benchmarks(brand: Brand) -> str:
    """Build the brand's league tables from the audits just written; says what happened.

    The audits are committed by then, so a failure here is reported rather than raised: the
    demo stands, and the nightly job (or a later refresh) builds the tables.
    """
    try:
        built = benchmarks_refresh_brand(brand=brand)
    except Exception as exc:
        return f"failed: {type(exc).__name__}: {exc}"
    return f"refreshed ({built} snapshots)"


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self.last, 2)
        self.last = now

    def total(self) -> float:
        return round(time.perf_counter() - self.start, 2)


class _Writer:
    """One seeding run: plans from the seed, then writes in bulk."""

    def __init__(self, options: DemoOptions, log: Callable[[str], None], clock: _Clock) -> None:
        self.options = options
        self.log = log
        self.clock = clock
        self.end = options.end or timezone.now().replace(minute=0, second=0, microsecond=0)
        # Separate streams, so e.g. --photos changes pictures but never answers or scores.
        seed = options.seed
        self.rng_network = random.Random(f"{seed}:network")
        self.rng_open = random.Random(f"{seed}:open")
        self.branch_rngs: dict[int, random.Random] = {}
        self.rng_pictures = random.Random(f"{seed}:pictures")
        self.rng_review = random.Random(f"{seed}:review")
        self.score_columns: list[str] | None = None  # the keys of score_fields(), in its order
        # Tallied while writing: counting millions of rows afterwards would take longer.
        self.tally: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.review: Counter[str] = Counter()
        self.overall_total = Decimal(0)

    def write(self) -> None:
        definition = json.loads(CHECKLIST_FIXTURE.read_text(encoding="utf-8"))
        dimensions = tuple(dict.fromkeys(s["dimension"] for s in definition["sections"]))
        self.plan = plan_network(
            self.rng_network,
            branches=self.options.branches,
            shoppers=self.options.shoppers,
            dimensions=dimensions,
            visits_per_month=self.options.visits_per_month,
        )
        self._check_logins_free()
        self.brand = Brand.objects.create(name=DEMO_BRAND)
        password_hash = make_password(self.options.password)  # hashed once, shared by all
        self.staff = self._staff_users(password_hash)
        self.version = checklist_publish(
            brand=self.brand,
            template_name=TEMPLATE_NAME,
            definition=definition,
            user=self.staff["hq"],
        )
        self.checklist = self.version.checklist  # parsed and compiled once, reused for all
        self._network()
        self.shopper_ids = self._shoppers(password_hash)
        self._memberships()
        self.clock.lap("network")
        self.log(
            f"Network: {len(self.plan.regions)} regions, {len(self.plan.franchisees)} "
            f"franchisees, {len(self.branches)} branches, {len(self.shopper_ids)} shoppers."
        )
        self._history()
        self._upcoming()
        self.clock.lap("open assignments")
        self._photos()
        self.clock.lap("photos")
        self._review()
        self.clock.lap("review")
        self._appeals_and_actions()
        self.clock.lap("appeals and actions")

    # --- people and network ------------------------------------------------------------------

    def _check_logins_free(self) -> None:
        wanted = [*DEMO_LOGINS, *(s.username for s in self.plan.shoppers)]
        taken = sorted(User.objects.filter(username__in=wanted).values_list("username", flat=True))
        if taken:
            shown = ", ".join(taken[:5]) + (f" and {len(taken) - 5} more" if len(taken) > 5 else "")
            raise DemoConflict(f"the demo brand is missing but these demo logins exist: {shown}")

    def _staff_users(self, password_hash: str) -> dict[str, User]:
        people = {
            "hq": ("Helen", "Quarry"),
            "reviewer": ("Ravi", "Ewing"),
            "owner": ("Olivia", "Ward"),
            "admin": ("Ada", "Minh"),
        }
        users = {
            username: User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.touchpoint.example",
                password=password_hash,
                is_staff=username == "admin",
                is_superuser=username == "admin",
            )
            for username, (first, last) in people.items()
        }
        User.objects.bulk_create(users.values())
        return users

    def _network(self) -> None:
        plan = self.plan
        self.regions = Region.objects.bulk_create(
            [Region(brand=self.brand, name=r.name) for r in plan.regions]
        )
        self.franchisees = Franchisee.objects.bulk_create(
            [Franchisee(brand=self.brand, name=f.name) for f in plan.franchisees]
        )
        self.branches = Branch.objects.bulk_create(
            [
                Branch(
                    brand=self.brand,
                    franchisee=self.franchisees[b.franchisee],
                    region=self.regions[b.region],
                    name=b.name,
                    address=b.address,
                    latitude=b.latitude,
                    longitude=b.longitude,
                    timezone=b.timezone,
                )
                for b in plan.branches
            ],
            batch_size=BATCH_SIZE,
        )

    def _shoppers(self, password_hash: str) -> list[int]:
        users = [
            User(
                username=s.username,
                first_name=s.first_name,
                last_name=s.last_name,
                email=f"{s.username}@demo.touchpoint.example",
                password=password_hash,
            )
            for s in self.plan.shoppers
        ]
        User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        return [u.pk for u in users]

    def _memberships(self) -> None:
        brand = self.brand
        rows = [
            Membership(user=self.staff["hq"], role=Role.HEAD_OFFICE, brand=brand),
            Membership(user=self.staff["reviewer"], role=Role.REVIEWER, brand=brand),
            Membership(
                user=self.staff["owner"],
                role=Role.OWNER,
                brand=brand,
                franchisee=self.franchisees[self.plan.owner_franchisee],
            ),
        ]
        rows += [Membership(user_id=pk, role=Role.SHOPPER, brand=brand) for pk in self.shopper_ids]
        Membership.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    # --- audit history -----------------------------------------------------------------------

    def _history(self) -> None:
        visits = plan_visits(self.options.seed, self.plan, months=self.options.months, end=self.end)
        self.clock.lap("planning")
        self.log(f"History: {len(visits)} past visits over {self.options.months} month(s) ...")
        self.photo_visits = self._pick_photo_visits(visits)
        self._pick_queue_visits(visits)
        self.photo_submissions: list[tuple[Submission, VisitPlan]] = []  # received_at as given
        self.queue_submissions: dict[VisitPlan, Submission] = {}
        simulator = AnswerSimulator(self.checklist)
        done = 0
        for chunk in _chunks(visits, CHUNK_VISITS):
            self._write_chunk(chunk, simulator)
            done += len(chunk)
            if len(visits) > CHUNK_VISITS:
                self.log(f"  {done}/{len(visits)} visits")
        self.clock.lap("history")

    def _pick_photo_visits(self, visits: Sequence[VisitPlan]) -> set[VisitPlan]:
        """The most recent scored visits (within PHOTO_DAYS) that get photos."""
        cutoff = self.end - timedelta(days=PHOTO_DAYS)
        picked: set[VisitPlan] = set()
        for index in range(len(visits) - 1, -1, -1):
            if len(picked) >= self.options.photos or visits[index].started_at < cutoff:
                break
            if visits[index].outcome == "scored":
                picked.add(visits[index])
        return picked

    def _pick_queue_visits(self, visits: Sequence[VisitPlan]) -> None:
        """The most recent scored visits (QUEUE_VISITS, fewer in a tiny demo) wait for review;
        the rest are released.

        One of them goes back to its shopper with questions: the `shopper` login's latest
        visit, so the demo shopper has a return to answer (added to the queue if it is not
        among the last few, as long as it is recent), else another waiting one. Two others are
        flagged when their details are drawn: one reported far from the branch, one from a
        mock location.
        """
        rng = self.rng_review
        # A tiny demo keeps most of its few audits released; three show every case.
        size = min(QUEUE_VISITS, max(3, sum(v.outcome == "scored" for v in visits) // 4))
        queue: list[VisitPlan] = []
        for visit in reversed(visits):
            if len(queue) >= size:
                break
            if visit.outcome == "scored":
                queue.append(visit)
        cutoff = self.end - timedelta(days=PHOTO_DAYS)
        mine = next(
            (
                v
                for v in reversed(visits)
                if v.outcome == "scored" and v.shopper == 0 and v.started_at >= cutoff
            ),
            None,
        )
        if mine is not None and mine not in queue:
            queue.append(mine)
        self.returned_visit = mine if mine is not None else (rng.choice(queue) if queue else None)
        others = [v for v in queue if v != self.returned_visit]
        self.flagged = dict(
            zip(rng.sample(others, min(2, len(others))), (FAR, MOCKED), strict=False)
        )
        self.queue_visits = set(queue)

    def _reported_location(self, visit: VisitPlan, branch: BranchPlan, rng: random.Random) -> dict:
        """Where the phone placed the visit, as its POST body would have said it.

        Drawn from the branch's stream as always; the flagged visits are then moved from the
        review stream, so flagging never changes what any other audit says.
        """
        location = {
            "latitude": round(branch.latitude + rng.gauss(0, 0.00012), 6),
            "longitude": round(branch.longitude + rng.gauss(0, 0.0002), 6),
            "accuracy_m": round(rng.uniform(4, 25), 1),
        }
        flag = self.flagged.get(visit)
        if flag == FAR:  # some way off, in any direction (a degree of latitude: 111.32 km)
            away = self.rng_review.uniform(*FAR_FROM_BRANCH_M)
            bearing = self.rng_review.uniform(0, 2 * math.pi)
            north, east = away * math.cos(bearing), away * math.sin(bearing)
            per_degree_east = 111_320.0 * math.cos(math.radians(branch.latitude))
            location["latitude"] = round(branch.latitude + north / 111_320.0, 6)
            location["longitude"] = round(branch.longitude + east / per_degree_east, 6)
        elif flag == MOCKED:
            location["mocked"] = True
        return location

    def _released_at(self, scored_at: datetime) -> datetime:
        """A few hours after scoring, and never after the end of the history."""
        released = scored_at + timedelta(hours=self.rng_review.uniform(*RELEASE_HOURS))
        if released > self.end:
            released = (
                scored_at + max(timedelta(0), self.end - scored_at) * self.rng_review.random()
            )
        return released

    def _branch_rng(self, branch: int) -> random.Random:
        """The branch's own stream for its visits' details and answers.

        One stream per branch keeps a change at one branch (a visit more or less near the end
        of the period) from reshuffling every other branch's audits.
        """
        rng = self.branch_rngs.get(branch)
        if rng is None:
            rng = self.branch_rngs[branch] = random.Random(f"{self.options.seed}:branch:{branch}")
        return rng

    def _write_chunk(self, chunk: Sequence[VisitPlan], simulator: AnswerSimulator) -> None:
        plan, months = self.plan, self.options.months
        assignments: list[Assignment] = []
        drawn: list[tuple[VisitPlan, Assignment, dict]] = []
        for visit in chunk:
            rng = self._branch_rng(visit.branch)
            branch = plan.branches[visit.branch]
            tz = zoneinfo.ZoneInfo(branch.timezone)
            local_day = visit.started_at.astimezone(tz).replace(hour=0, minute=0, second=0)
            window_start = local_day - timedelta(days=rng.randint(0, 5))
            accepted_at = window_start - timedelta(hours=rng.uniform(4, 72))
            assignment = Assignment(
                branch_id=self.branches[visit.branch].pk,
                shopper_id=self.shopper_ids[visit.shopper],
                checklist_id=self.version.pk,
                scenario=rng.choice(SCENARIOS),
                window_start=window_start,
                window_end=local_day + timedelta(days=rng.randint(2, 9)),
                status=OUTCOME_STATUS[visit.outcome],
                created_at=accepted_at - timedelta(hours=rng.uniform(6, 96)),
                accepted_at=accepted_at if visit.outcome != "cancelled" else None,
            )
            assignments.append(assignment)
            if visit.outcome != "scored":
                continue
            # The branch's level at the time of the visit: its trend runs through the period.
            quality = branch.quality + branch.trend * (months / 2 - visit.months_ago)
            sim = simulator.visit(
                rng,
                quality=quality,
                leniency=plan.shoppers[visit.shopper].leniency,
                dimension_effects=branch.dimension_effects,
            )
            with_photos = visit in self.photo_visits
            finished = visit.started_at + timedelta(minutes=visit.minutes)
            received = finished + timedelta(minutes=rng.uniform(1, 90))  # phones sync later
            queued = received + timedelta(seconds=rng.uniform(20, 120) if with_photos else 0)
            details = {
                "client_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "started_at": visit.started_at,
                "finished_at": finished,
                "location": self._reported_location(visit, branch, rng),
                "photo_count": 2 if with_photos else 0,
                "received_at": received,
                "queued_at": queued,
                "scored_at": queued + timedelta(seconds=rng.uniform(0.5, 4)),
                "sim": sim,
            }
            drawn.append((visit, assignment, details))
        _bulk_create_dated(Assignment, assignments, stamped="created_at")
        self.statuses.update(a.status for a in assignments)

        submissions: list[Submission] = []
        released: list[Submission] = []
        for visit, assignment, d in drawn:
            # The hash a phone's POST /submissions/ body would have had, so replays match.
            fingerprint = submission_fingerprint(
                assignment_id=assignment.pk,
                client_id=d["client_id"],
                started_at=d["started_at"],
                finished_at=d["finished_at"],
                location=d["location"],
                photo_count=d["photo_count"],
                answers=d["sim"].answers,
            )
            waiting = visit in self.queue_visits
            submission = Submission(
                assignment_id=assignment.pk,
                shopper_id=assignment.shopper_id,
                client_id=d["client_id"],
                payload_hash=fingerprint,
                started_at=d["started_at"],
                finished_at=d["finished_at"],
                **location_columns(d["location"]),
                photo_count=d["photo_count"],
                # Released by the reviewer a few hours after scoring, unless still waiting.
                status=SubmissionStatus.SCORED if waiting else SubmissionStatus.RELEASED,
                received_at=d["received_at"],
                queued_at=d["queued_at"],
                scored_at=d["scored_at"],
                released_at=None if waiting else self._released_at(d["scored_at"]),
            )
            submissions.append(submission)
            if waiting:
                self.queue_submissions[visit] = submission
            else:
                released.append(submission)
            if d["photo_count"]:  # the object gets its pk from bulk_create below
                self.photo_submissions.append((submission, visit))
        _bulk_create_dated(Submission, submissions, stamped="received_at")
        # Each release recorded as the review service records it: scored -> released, by whom.
        reviewer = self.staff["reviewer"].pk
        self.review["released"] += insert_rows(
            SubmissionTransition,
            TRANSITION_COLUMNS,
            ((s.pk, SCORED, RELEASED, reviewer, s.released_at, "") for s in released),
            batch_size=BATCH_SIZE,
        )

        # Answers and scores are most of the rows: written as plain tuples (see bulk.py).
        answers: list[tuple] = []
        scores: list[tuple] = []
        for submission, (_, _, d) in zip(submissions, drawn, strict=True):
            # Parsed and stored as submission_create does; scored as the worker reads them.
            stored = as_stored(parse_answers(d["sim"].answers))
            answers += [
                (submission.pk, a.item, a.value, a.na, a.comment, position)
                for position, a in enumerate(stored)
            ]
            fields = score_fields(score(self.checklist, stored))
            self._count_score(fields)
            if self.score_columns is None:
                self.score_columns = list(fields)
            scores.append(
                (
                    submission.pk,
                    self.version.pk,
                    ENGINE_VERSION,
                    0,
                    True,
                    submission.scored_at,
                    *(fields[name] for name in self.score_columns),
                )
            )
        self.tally["answers"] += insert_rows(Answer, ANSWER_COLUMNS, answers, batch_size=BATCH_SIZE)
        self.tally["submissions"] += len(submissions)
        insert_rows(
            Score,
            [*SCORE_COLUMNS, *(self.score_columns or [])],
            scores,
            batch_size=BATCH_SIZE,
        )

    def _count_score(self, fields: dict) -> None:
        self.tally["scores"] += 1
        self.tally["passed"] += bool(fields["passed"])
        self.tally["critical"] += bool(fields["critical_failures"])
        if fields["overall"] is not None:
            self.tally["with_overall"] += 1
            self.overall_total += fields["overall"]

    def summary(self) -> DemoSummary:
        tally = self.tally
        counts = {
            "regions": len(self.regions),
            "franchisees": len(self.franchisees),
            "branches": len(self.branches),
            "shoppers": len(self.shopper_ids),
            "assignments": sum(self.statuses.values()),
            "submissions": tally["submissions"],
            "answers": tally["answers"],
            "scores": tally["scores"],
            "photos": tally["photos"],
        }
        current = Score.objects.filter(
            submission__assignment__branch__brand=self.brand, is_current=True
        )
        mean = None
        if tally["with_overall"]:
            mean = round(float(self.overall_total / tally["with_overall"]), 2)
        return DemoSummary(
            brand=self.brand,
            counts=counts,
            assignments=dict(sorted(self.statuses.items())),
            mean_overall=mean,
            # Of the current scores: an upheld appeal re-scored one audit after it was written.
            passed=current.filter(passed=True).count(),
            critical_failures=current.exclude(critical_failures=[]).count(),
            review={
                name: self.review[name] for name in ("released", "waiting", "flagged", "returned")
            },
        )

    # --- open work ---------------------------------------------------------------------------

    def _upcoming(self) -> None:
        """Visits still to make: about half the branches have one offered or accepted.

        The `shopper` login always gets three offered and two accepted ones in its region(s).
        """
        rng, plan = self.rng_open, self.plan
        rows = []

        def add(branch_index: int, shopper_index: int, status: str) -> None:
            window_start = (self.end + timedelta(days=rng.randint(0, 7))).replace(
                minute=0, second=0
            ) + timedelta(hours=1)
            created = self.end - timedelta(hours=rng.uniform(2, 96))
            rows.append(
                Assignment(
                    branch_id=self.branches[branch_index].pk,
                    shopper_id=self.shopper_ids[shopper_index],
                    checklist_id=self.version.pk,
                    scenario=rng.choice(SCENARIOS),
                    window_start=window_start,
                    window_end=window_start + timedelta(days=rng.choice((7, 10, 14))),
                    status=status,
                    created_at=created,
                    accepted_at=(
                        created + (self.end - created) * rng.random()
                        if status == AssignmentStatus.ACCEPTED
                        else None
                    ),
                )
            )

        mine = [b for r in plan.shoppers[0].regions for b in plan.branches_by_region.get(r, [])]
        mine = mine or list(range(len(plan.branches)))
        picks = [mine[i % len(mine)] for i in rng.sample(range(max(5, len(mine))), 5)]
        for n, branch_index in enumerate(picks):
            add(branch_index, 0, AssignmentStatus.OFFERED if n < 3 else AssignmentStatus.ACCEPTED)
        for branch_index, branch in enumerate(plan.branches):
            if rng.random() < 0.5:
                pool = plan.shoppers_by_region.get(branch.region) or [0]
                status = (
                    AssignmentStatus.OFFERED if rng.random() < 0.6 else AssignmentStatus.ACCEPTED
                )
                add(branch_index, rng.choice(pool), status)
        _bulk_create_dated(Assignment, rows, stamped="created_at")
        self.statuses.update(a.status for a in rows)

    # --- photos ------------------------------------------------------------------------------

    def _photos(self) -> None:
        """A storefront and a receipt for each recent audit picked, stored like an upload."""
        rng = self.rng_pictures
        rows: list[Photo] = []
        uploaded: list[datetime] = []
        for submission, visit in self.photo_submissions:
            branch = self.plan.branches[visit.branch]
            tz = zoneinfo.ZoneInfo(branch.timezone)
            arrived = visit.started_at.astimezone(tz) + timedelta(seconds=rng.randint(5, 90))
            paid = visit.started_at.astimezone(tz) + timedelta(
                minutes=max(1, visit.minutes - rng.randint(1, 5))
            )
            common = {"brand": DEMO_BRAND, "branch": branch.name}
            pictures = (
                (
                    "fi_storefront_photo",
                    storefront_jpeg(rng, taken_at=arrived, **common, **_near(rng, branch)),
                ),
                (
                    "dp_receipt_photo",
                    receipt_jpeg(
                        rng,
                        taken_at=paid,
                        address=branch.address,
                        currency=CURRENCIES.get(branch.country, "EUR"),
                        **common,
                        **_near(rng, branch),
                    ),
                ),
            )
            for item, data in pictures:
                rows.append(self._photo(submission, item, data))
                uploaded.append(
                    submission.received_at + timedelta(seconds=self.rng_pictures.randint(5, 60))
                )
        # photo_store inserted the rows "now" (auto_now_add): give them their upload times.
        set_column(Photo, "uploaded_at", zip((p.pk for p in rows), uploaded, strict=True))
        self.tally["photos"] += len(rows)
        if rows:
            self.log(f"Photos: {len(rows)} for {len(self.photo_submissions)} recent audits.")

    def _photo(self, submission: Submission, item: str, data: bytes) -> Photo:
        """Process the drawn JPEG like an upload and store it the way `photo_attach` does."""
        processed = process_photo(
            data, max_bytes=settings.PHOTO_MAX_BYTES, max_pixels=settings.PHOTO_MAX_PIXELS
        )
        return photo_store(
            submission=submission,
            client_id=uuid.UUID(int=self.rng_pictures.getrandbits(128), version=4),
            item=item,
            processed=processed,
            original_bytes=len(data),
        )

    # --- quality control ---------------------------------------------------------------------

    def _review(self) -> None:
        """The recent audits go through quality control as they would have.

        Their integrity signals (and those of every audit with photos, a few dozen) come from
        the real checks; the reviewer returns one waiting audit to its shopper with questions
        through the review service. The rest stay in the review queue. The older audits were
        released with their rows (see `_write_chunk`): checking thousands would take minutes.
        """
        queue = [s.pk for s in self.queue_submissions.values()]
        checked = signals_record([*queue, *(s.pk for s, _ in self.photo_submissions)])
        risks = {report.submission_id: report.risk for report in checked}
        returned = self.queue_submissions.get(self.returned_visit)
        if returned is not None:
            reviewer = self.staff["reviewer"]
            submission_claim(submission=returned, by=reviewer)
            submission_review(
                submission=returned,
                by=reviewer,
                action="return",
                reason=RETURN_REASON,
                questions=list(RETURN_QUESTIONS),
            )
            self.review["returned"] += 1
        waiting = [pk for pk in queue if returned is None or pk != returned.pk]
        self.review["waiting"] += len(waiting)
        self.review["flagged"] += sum(risks.get(pk) == "high" for pk in waiting)
        review = self.review
        self.log(
            f"Review: {review['released']} released, {review['waiting']} waiting "
            f"({review['flagged']} flagged), {review['returned']} returned."
        )

    def _appeals_and_actions(self) -> None:
        """What the owner's branches owe and contest, through the services.

        Actions: the released audits of the owner's franchisee's branches over the last
        ACTION_HISTORY_DAYS go through the release rule in release order, so failures open
        actions and later passes verify them; each action's opened and due times are then set
        from its audit's release, as they would have been (older ones are overdue). Appeals:
        the owner contests the latest released audit and the one before it, if they are still
        within the brand's appeal window (a history that ends in the past has none); head
        office decides the older one, one item upheld and one not.
        """
        owner, hq = self.staff["owner"], self.staff["hq"]
        franchisee = self.franchisees[self.plan.owner_franchisee]
        released = Submission.objects.filter(
            assignment__branch__franchisee=franchisee,
            status=SubmissionStatus.RELEASED,
            released_at__gte=self.end - timedelta(days=ACTION_HISTORY_DAYS),
        ).order_by("released_at", "pk")
        # Head office asks for actions on the items its branches miss most, and gives owners
        # a month to appeal (the default week would leave a demo with no appeal to show).
        missed = Counter(
            row["item"]
            for audit in released
            for row in audit.scores.get(is_current=True).items
            if row["earned"] < row["possible"]
        )
        brand_settings_update(
            brand=self.brand,
            by=hq,
            changes={
                "action_items": [item for item, _ in missed.most_common(ACTION_ITEMS)],
                "appeal_days": DEMO_APPEAL_DAYS,
            },
        )
        days = brand_settings_for(self.brand).action_days
        for audit in released:
            for action in actions_on_release([audit.pk]):
                Action.objects.filter(pk=action.pk).update(
                    opened_at=audit.released_at, due=audit.released_at + timedelta(days=days)
                )
        # The owner has fixed the two oldest; head office has signed the first off.
        oldest = list(
            Action.objects.filter(branch__franchisee=franchisee, status="open").order_by(
                "opened_at", "pk"
            )[:2]
        )
        for number, action in enumerate(oldest):
            done = action_complete(
                action=action, by=owner, note=ACTION_NOTE, photos=[self._evidence(action.branch)]
            )
            if number == 0:
                action_verify(action=done, by=hq, reason=VERIFY_REASON)
        window = timedelta(days=brand_settings_for(self.brand).appeal_days)
        appealable = [
            audit
            for audit in released.reverse()[:2]
            if timezone.now() - audit.released_at <= window
        ]
        appeals = []
        for number, audit in enumerate(appealable):
            rows = audit.scores.get(is_current=True).items
            lost = [row["item"] for row in rows if row["earned"] < row["possible"]][:2] or [
                row["item"] for row in rows
            ][:2]
            appeal, _ = appeal_open(
                audit=audit,
                by=owner,
                client_id=uuid.UUID(int=self.options.seed * 1000 + number),
                items=[
                    AppealedItem(item=item, reason=APPEAL_REASONS[n]) for n, item in enumerate(lost)
                ],
            )
            evidence_attach(
                parent=appeal,
                by=owner,
                client_id=uuid.UUID(int=self.options.seed * 1000 + 500 + number),
                upload=self._evidence(audit.assignment.branch),
            )
            appeals.append(appeal)
        if len(appeals) == 2:
            items = list(appeals[1].items.all())
            appeal_decide(
                appeal=appeals[1],
                by=hq,
                decisions=[
                    ItemDecision(item=item.item, upheld=n == 0, reason=DECISION_REASONS[n == 0])
                    for n, item in enumerate(items)
                ],
            )
            self.tally["scores"] += 1  # the upheld item re-scored the audit: a new revision
        owed = Action.objects.filter(branch__franchisee=franchisee)
        still_open = Appeal.objects.filter(pk__in=[a.pk for a in appeals], status="open").count()
        self.log(
            f"Appeals: {len(appeals)} ({still_open} open). "
            f"Actions: {owed.filter(status='open').count()} open "
            f"({overdue(owed).count()} overdue), {owed.filter(status='verified').count()} "
            f"verified. Evidence photos: {EvidencePhoto.objects.filter(uploaded_by=owner).count()}."
        )

    def _evidence(self, branch) -> SimpleUploadedFile:
        """The owner's photo of the shop front, sent as an upload through the services."""
        data = storefront_jpeg(
            self.rng_pictures,
            brand=DEMO_BRAND,
            branch=branch.name,
            taken_at=timezone.now(),
            size=(640, 480),
            **_near(self.rng_pictures, branch),
        )
        return SimpleUploadedFile("evidence.jpg", data, content_type="image/jpeg")


def _near(rng: random.Random, branch) -> dict[str, float]:
    return {
        "latitude": branch.latitude + rng.gauss(0, 0.0001),
        "longitude": branch.longitude + rng.gauss(0, 0.00015),
    }


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bulk_create_dated(model: type, objs: Sequence, *, stamped: str) -> None:
    """`bulk_create` the objects, keeping the times they hold in `stamped`.

    If `stamped` is an `auto_now_add` field, every insert sets it to "now", whatever the object
    held. A history months long needs its created/received/uploaded times as they would have
    been, so they are then written with an UPDATE by id right after (and put back on the
    objects). A field that is only defaulted to "now" keeps what it is given, and needs no
    such step; nor do scores: `insert_rows` stores the `scored_at` given.
    """
    times = [getattr(obj, stamped) for obj in objs]
    model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
    if not model._meta.get_field(stamped).auto_now_add:
        return  # a field with a default keeps the time given
    set_column(
        model, stamped, zip((obj.pk for obj in objs), times, strict=True), batch_size=BATCH_SIZE
    )
    for obj, when in zip(objs, times, strict=True):
        setattr(obj, stamped, when)


# --- summary and reset -----------------------------------------------------------------------


def existing_counts(brand: Brand) -> dict[str, int]:
    """A quick look at an existing demo (no counting of answers)."""
    return {
        "branches": Branch.objects.filter(brand=brand).count(),
        "submissions": Submission.objects.filter(assignment__branch__brand=brand).count(),
        "shoppers": Membership.objects.filter(brand=brand, role=Role.SHOPPER).count(),
    }


def demo_usernames(brand: Brand | None) -> set[str]:
    """The five logins plus every user whose only memberships are in the demo brand."""
    names = set(DEMO_LOGINS)
    if brand is not None:
        members = User.objects.filter(memberships__brand=brand).exclude(
            memberships__brand__in=Brand.objects.exclude(pk=brand.pk)
        )
        names |= set(members.values_list("username", flat=True))
    return names


def reset_demo(*, log: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    """Delete the demo brand with all its data, and the demo users; returns counts deleted.

    Rows are deleted from the leaves up (scores, answers, photos, submissions, ...) with
    set-based deletes, so even a load-test-sized demo goes quickly. Photo files are removed
    from storage once the deletion has committed.
    """
    deleted: Counter[str] = Counter()
    files: list[tuple[object, str]] = []
    with transaction.atomic():
        brand = demo_brand()
        usernames = demo_usernames(brand)
        if brand is not None:
            submissions = Submission.objects.filter(assignment__branch__brand=brand)
            evidence = EvidencePhoto.objects.filter(
                Q(action__branch__brand=brand) | Q(appeal__submission__in=submissions.values("pk"))
            )
            for photo in [
                *Photo.objects.filter(submission__in=submissions.values("pk")),
                *evidence,
            ]:
                files += [(photo.image.storage, photo.image.name)]
                files += [(photo.thumbnail.storage, photo.thumbnail.name)]
            steps = (
                ("evidence photos", evidence),
                ("actions", Action.objects.filter(branch__brand=brand)),
                ("appeals", Appeal.objects.filter(submission__in=submissions.values("pk"))),
                ("scores", Score.objects.filter(submission__in=submissions.values("pk"))),
                ("answers", Answer.objects.filter(submission__in=submissions.values("pk"))),
                ("photos", Photo.objects.filter(submission__in=submissions.values("pk"))),
                (
                    "submission transitions",
                    SubmissionTransition.objects.filter(submission__in=submissions.values("pk")),
                ),
                (
                    "submission versions",
                    SubmissionVersion.objects.filter(submission__in=submissions.values("pk")),
                ),
                ("submissions", submissions),
                ("assignments", Assignment.objects.filter(branch__brand=brand)),
                ("checklist versions", ChecklistVersion.objects.filter(template__brand=brand)),
                ("branches", Branch.objects.filter(brand=brand)),
                ("franchisees", Franchisee.objects.filter(brand=brand)),
            )
            deleted["trail events"] += trail_purge_brand(brand.pk)
            for name, queryset in steps:
                deleted[name] += queryset.delete()[1].get(queryset.model._meta.label, 0)
            brand.delete()
            deleted["brands"] += 1
        deleted["users"] += (
            User.objects.filter(username__in=usernames).delete()[1].get(User._meta.label, 0)
        )

        def remove_files() -> None:
            for storage, name in files:
                if name:
                    storage.delete(name)

        transaction.on_commit(remove_files)
    log("Deleted: " + ", ".join(f"{n} {name}" for name, n in deleted.items() if n) + ".")
    return dict(deleted)
