"""manage.py seed_demo: the demo logins work, every screen has data, and runs are repeatable."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from audits.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    BenchmarkSnapshot,
    Brand,
    Photo,
    Score,
    Submission,
    SubmissionStatus,
    SubmissionTransition,
    User,
)
from audits.services.scoring import score_fields
from audits.services.submissions import answers_as_data
from demo.seed import (
    DEFAULT_PASSWORD,
    DEMO_BRAND,
    DEMO_LOGINS,
    FAR_FROM_BRANCH_M,
    RELEASE_HOURS,
    DemoOptions,
    seed_demo,
)
from scoring.engine import ENGINE_VERSION, score
from scoring.integrity import distance_m

pytestmark = pytest.mark.django_db

S = SubmissionStatus
SMALL = ["--branches", "3", "--shoppers", "3", "--months", "1", "--photos", "2"]


def seed(*args: str, tables: bool = False) -> str:
    """A small demo; its league tables only when a test reads them (they take seconds)."""
    out = io.StringIO()
    extra = [] if tables or "--no-benchmarks" in args else ["--no-benchmarks"]
    call_command("seed_demo", *SMALL, *args, *extra, stdout=out)
    return out.getvalue()


def login(username: str, password: str) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, (username, response.content)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def overall_scores() -> list:
    return sorted(
        Score.objects.filter(submission__assignment__branch__brand__name=DEMO_BRAND).values_list(
            "overall", flat=True
        )
    )


def test_all_five_logins_get_a_token_with_the_default_password(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    out = seed()
    for username in DEMO_LOGINS:
        me = login(username, DEFAULT_PASSWORD).get("/api/v1/me/").json()
        assert me["username"] == username
    assert f"password '{DEFAULT_PASSWORD}'" in out
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff


def test_demo_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-secret")
    out = seed()
    for username in DEMO_LOGINS:
        login(username, "another-demo-secret")
    bad = APIClient().post(
        "/api/v1/auth/token/", {"username": "hq", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert bad.status_code == 401
    assert "another-demo-secret" in out and "from DEMO_PASSWORD" in out
    # Extra shoppers share the password.
    extra = User.objects.filter(username__startswith="shopper-").first()
    assert extra is not None and extra.check_password("another-demo-secret")


def test_roles_are_as_promised():
    seed()
    roles = {u: login(u, DEFAULT_PASSWORD).get("/api/v1/me/").json()["roles"] for u in DEMO_LOGINS}
    assert roles["shopper"] == ["shopper"]
    assert roles["owner"] == ["owner"]
    assert roles["hq"] == ["head_office"]
    assert roles["reviewer"] == ["reviewer"]
    assert "admin" in roles["admin"]


def test_same_seed_gives_the_same_scores_after_reset():
    seed("--seed", "7", "--until", "2025-06-01")
    first = overall_scores()
    answers = sorted(Answer.objects.values_list("item", "value", "na", "comment"), key=repr)
    seed("--seed", "7", "--until", "2025-06-01", "--reset")
    assert overall_scores() == first
    assert sorted(Answer.objects.values_list("item", "value", "na", "comment"), key=repr) == answers
    assert len(first) > 5
    assert Brand.objects.filter(name=DEMO_BRAND).count() == 1
    seed("--seed", "8", "--until", "2025-06-01", "--reset")
    assert overall_scores() != first


def test_the_default_history_ends_now_and_until_moves_it():
    seed("--until", "2025-06-01")
    latest = Submission.objects.order_by("-finished_at").first().finished_at
    assert datetime(2025, 5, 1, tzinfo=UTC) < latest < datetime(2025, 6, 1, tzinfo=UTC)
    seed("--reset")
    latest = Submission.objects.order_by("-finished_at").first().finished_at
    assert timezone.now() - timedelta(days=14) < latest < timezone.now()
    with pytest.raises(CommandError, match="future"):
        seed("--reset", "--until", "2999-01-01")


def test_the_history_keeps_its_own_times_and_the_models_stay_as_declared():
    seed("--until", "2025-06-01")
    end = datetime(2025, 6, 1, tzinfo=UTC)
    assert Assignment.objects.exists() and Photo.objects.exists()
    assert not Assignment.objects.filter(created_at__gte=end).exists()
    assert not Submission.objects.filter(received_at__gte=end).exists()
    for photo in Photo.objects.select_related("submission"):
        received = photo.submission.received_at
        assert received < photo.uploaded_at <= received + timedelta(seconds=60)
    released = Submission.objects.filter(status=S.RELEASED)
    assert released.exists()
    for submission in released:
        assert submission.scored_at <= submission.released_at <= end
        (step,) = submission.transitions.all()
        assert step.at == submission.released_at
    # The seeder writes the times it was given; the models still give new rows "now".
    for model, name in (
        (Assignment, "created_at"),
        (Submission, "received_at"),
        (Photo, "uploaded_at"),
    ):
        field = model._meta.get_field(name)
        assert field.auto_now_add or field.default is timezone.now


def test_a_second_run_without_reset_changes_nothing():
    seed()
    counts = (User.objects.count(), Assignment.objects.count(), Answer.objects.count())
    out = seed()
    assert "already exists" in out
    assert (User.objects.count(), Assignment.objects.count(), Answer.objects.count()) == counts
    assert Brand.objects.filter(name=DEMO_BRAND).count() == 1


def test_every_stored_score_is_what_the_engine_gives():
    seed()
    submissions = Submission.objects.filter(
        assignment__branch__brand__name=DEMO_BRAND
    ).prefetch_related("answers", "scores")
    assert submissions
    for submission in submissions.select_related("assignment__checklist", "assignment"):
        assert submission.status in (S.RELEASED, S.SCORED, S.RETURNED)  # see the review mix
        assert submission.assignment.status == AssignmentStatus.SCORED
        # One score each, but the audit whose appeal head office upheld: re-scored, kept both.
        stored = submission.scores.get(is_current=True)
        assert submission.scores.count() == 1 or submission.appeals.filter(status="decided")
        assert stored.engine_version == ENGINE_VERSION
        version = submission.assignment.checklist
        result = score(version.checklist, answers_as_data(list(submission.answers.all())))
        expected = score_fields(result)
        assert {name: getattr(stored, name) for name in expected} == expected
        assert submission.started_at < submission.finished_at <= submission.received_at


def test_photos_are_stored_stripped_and_downloadable_by_head_office():
    seed()
    photo = Photo.objects.select_related("submission").first()
    assert photo is not None
    assert Photo.objects.filter(submission=photo.submission).count() == 2
    assert photo.submission.photo_count == 2
    assert photo.taken_at is not None and photo.gps_latitude is not None  # EXIF evidence kept

    hq = login("hq", DEFAULT_PASSWORD)
    audit = hq.get(f"/api/v1/audits/{photo.submission_id}/")
    assert audit.status_code == 200, audit.content
    photos = audit.json()["photos"]
    assert {p["item"] for p in photos} == {"fi_storefront_photo", "dp_receipt_photo"}
    for entry in photos:
        for url in (entry["url"], entry["thumbnail_url"]):
            response = hq.get(url)
            assert response.status_code == 200
            assert response["Content-Type"] == "image/jpeg"
            image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
            assert image.format == "JPEG" and not image.getexif()


def test_owner_sees_their_few_branches_and_their_audits():
    seed()
    owner = login("owner", DEFAULT_PASSWORD)
    branches = owner.get("/api/v1/branches/").json()["results"]
    assert 1 <= len(branches) <= 4
    membership = User.objects.get(username="owner").memberships.get()
    assert {b["franchisee"] for b in branches} == {membership.franchisee_id}
    audits = owner.get("/api/v1/audits/").json()
    assert audits["count"] > 0
    assert all(a["shopper"] is None for a in audits["results"])  # owners never see who
    assert {a["status"] for a in audits["results"]} == {"released"}  # after quality control


def test_shopper_has_offered_work_to_accept_and_past_audits():
    seed()
    shopper = login("shopper", DEFAULT_PASSWORD)
    offered = shopper.get("/api/v1/assignments/", {"status": "offered"}).json()["results"]
    assert len(offered) >= 3
    accepted = shopper.get("/api/v1/assignments/", {"status": "accepted"}).json()["results"]
    assert len(accepted) >= 2
    response = shopper.post(f"/api/v1/assignments/{offered[0]['id']}/accept/")
    assert response.status_code == 200, response.content
    assert Submission.objects.filter(shopper__username="shopper").exists()


def test_reset_removes_demo_users_and_photo_files(django_capture_on_commit_callbacks):
    seed()
    photo = Photo.objects.first()
    storage, name = photo.image.storage, photo.image.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", *SMALL, "--reset", "--photos", "0", stdout=io.StringIO())
    assert not storage.exists(name)
    assert not Photo.objects.exists()
    assert User.objects.filter(username__in=list(DEMO_LOGINS)).count() == len(DEMO_LOGINS)


def test_existing_demo_login_without_the_brand_is_refused():
    User.objects.create_user("hq", password="someone-elses")
    with pytest.raises(CommandError, match="--reset"):
        seed()
    assert not Brand.objects.filter(name=DEMO_BRAND).exists()


def test_bad_sizes_are_refused():
    with pytest.raises(CommandError, match="branches"):
        call_command("seed_demo", "--branches", "0", stdout=io.StringIO())


def test_the_summary_tallies_what_was_written():
    summary = seed_demo(DemoOptions(branches=4, shoppers=3, months=1, photos=1, benchmarks=False))
    brand = summary.brand
    in_brand = {"submission__assignment__branch__brand": brand}
    assert summary.counts == {
        "regions": brand.regions.count(),
        "franchisees": brand.franchisees.count(),
        "branches": brand.branches.count(),
        "shoppers": brand.memberships.filter(role="shopper").count(),
        "assignments": Assignment.objects.filter(branch__brand=brand).count(),
        "submissions": Submission.objects.filter(assignment__branch__brand=brand).count(),
        "answers": Answer.objects.filter(**in_brand).count(),
        "scores": Score.objects.filter(**in_brand).count(),
        "photos": Photo.objects.filter(**in_brand).count(),
    }
    scores = Score.objects.filter(**in_brand, is_current=True)
    assert summary.passed == scores.filter(passed=True).count()
    assert summary.critical_failures == scores.exclude(critical_failures=[]).count()
    assert summary.assignments["offered"] >= 3
    assert summary.counts["franchisees"] >= 2
    submissions = Submission.objects.filter(assignment__branch__brand=brand)
    waiting = submissions.filter(status=S.SCORED)
    assert summary.review == {
        "released": submissions.filter(status=S.RELEASED).count(),
        "waiting": waiting.count(),
        "flagged": waiting.filter(risk="high").count(),
        "returned": submissions.filter(status=S.RETURNED).count(),
    }


def test_the_league_tables_are_built_after_the_audits():
    out = seed(tables=True)

    assert re.search(r"benchmarks: refreshed \((\d+) snapshots\)", out), out
    brand = Brand.objects.get(name=DEMO_BRAND)
    built = int(re.search(r"refreshed \((\d+) snapshots\)", out).group(1))
    assert built > 0
    assert BenchmarkSnapshot.objects.filter(brand=brand).count() == built


def test_no_benchmarks_skips_the_league_tables():
    out = seed("--no-benchmarks")

    assert "benchmarks: skipped (--no-benchmarks)" in out
    assert Submission.objects.exists() and not BenchmarkSnapshot.objects.exists()


def test_a_failing_benchmark_build_is_reported_and_the_demo_stands(monkeypatch):
    def broken(*, brand):
        raise RuntimeError("no audits yet")

    monkeypatch.setattr("demo.seed.benchmarks_refresh_brand", broken)
    out = seed(tables=True)

    assert "benchmarks: failed: RuntimeError: no audits yet" in out
    assert Submission.objects.exists()  # the demo itself stands


def test_quality_control_has_a_realistic_mix():
    """Most audits released, a few waiting for review (two flagged), one returned."""
    out = seed("--months", "2", "--until", "2025-06-01")
    submissions = Submission.objects.filter(assignment__branch__brand__name=DEMO_BRAND)
    statuses = Counter(submissions.values_list("status", flat=True))
    assert set(statuses) == {S.RELEASED, S.SCORED, S.RETURNED}
    assert statuses[S.RELEASED] > 2 * (statuses[S.SCORED] + statuses[S.RETURNED])
    assert 2 <= statuses[S.SCORED] <= 6 and statuses[S.RETURNED] == 1
    match = re.search(r"Review: (\d+) released, (\d+) waiting \((\d+) flagged\), 1 returned\.", out)
    assert match, out
    assert int(match[1]) == statuses[S.RELEASED] and int(match[2]) == statuses[S.SCORED]

    # Released by the demo reviewer a few hours after scoring, each step on the record.
    reviewer = User.objects.get(username="reviewer")
    for submission in submissions.filter(status=S.RELEASED):
        delay = submission.released_at - submission.scored_at
        assert timedelta(0) <= delay <= timedelta(hours=RELEASE_HOURS[1])
    steps = SubmissionTransition.objects.filter(submission__in=submissions, to_status=S.RELEASED)
    assert steps.count() == statuses[S.RELEASED]
    assert set(steps.values_list("from_status", "by")) == {(S.SCORED, reviewer.pk)}

    # The queue: every waiting one checked; the two flagged on purpose come first.
    rows = login("reviewer", DEFAULT_PASSWORD).get("/api/v1/review-queue/").json()["results"]
    waiting = submissions.filter(status=S.SCORED).select_related("assignment__branch")
    assert {row["id"] for row in rows} == {s.pk for s in waiting}
    assert all(row["risk"] is not None for row in rows)
    high = [row for row in rows if row["risk"] == "high"]
    assert len(high) >= 2 and rows[: len(high)] == high
    codes = [code for row in high for code in row["signal_codes"]]
    assert "gps_far_from_branch" in codes and "mock_location" in codes
    (far,) = [s for s in waiting if "gps_far_from_branch" in s.signal_codes]
    branch = far.assignment.branch
    away = distance_m(far.latitude, far.longitude, branch.latitude, branch.longitude)
    assert FAR_FROM_BRANCH_M[0] - 10 < away < FAR_FROM_BRANCH_M[1] + 10
    (mocked,) = [s for s in waiting if s.mocked_location]
    assert "mock_location" in mocked.signal_codes
    assert not submissions.exclude(pk=mocked.pk).filter(mocked_location=True).exists()
    # Audits with photos are checked too (the real checks: no photo taken for another's).
    with_photos = submissions.filter(photo_count__gt=0)
    assert with_photos.exists() and not with_photos.filter(risk="").exists()
    assert not any("photo_reused" in s.signal_codes for s in with_photos)

    # One returned, with questions its shopper reads; claimed, then returned, by the reviewer.
    returned = submissions.get(status=S.RETURNED)
    assert returned.questions and returned.review_reason
    assert returned.return_deadline > timezone.now()
    assert list(returned.transitions.values_list("from_status", "to_status", "by")) == [
        (S.SCORED, S.IN_REVIEW, reviewer.pk),
        (S.IN_REVIEW, S.RETURNED, reviewer.pk),
    ]
    assert returned.shopper.username == "shopper"  # with this seed, the demo login has one
    shopper = login(returned.shopper.username, DEFAULT_PASSWORD)
    mine = shopper.get(f"/api/v1/submissions/{returned.pk}/").json()
    assert mine["status"] == "returned" and mine["questions"] == returned.questions

    # Owners read released audits only.
    owner = User.objects.get(username="owner")
    franchisee = owner.memberships.get().franchisee
    audits = login("owner", DEFAULT_PASSWORD).get("/api/v1/audits/", {"page_size": 100}).json()
    assert (
        audits["count"]
        == submissions.filter(status=S.RELEASED, assignment__branch__franchisee=franchisee).count()
    )
    assert audits["count"] > 0 and {a["status"] for a in audits["results"]} == {"released"}


def test_reset_removes_the_appeals_actions_and_trail_the_demo_gathered(
    django_capture_on_commit_callbacks,
):
    """A demo used by hand gathers appeals, actions and trail events; reset takes them too."""
    import uuid as _uuid

    from audits.models import Action, Appeal, Event, EvidencePhoto, Membership, Role
    from audits.services.appeals import AppealedItem, appeal_open

    seed("--months", "2")
    brand = Brand.objects.get(name=DEMO_BRAND)
    owner = User.objects.get(username="owner")
    franchisee = Membership.objects.get(user=owner, role=Role.OWNER).franchisee_id
    audit = (
        Submission.objects.filter(
            status=SubmissionStatus.RELEASED, assignment__branch__franchisee_id=franchisee
        )
        .filter(appeals__isnull=True)  # not one the demo appealed already
        .order_by("-released_at")
        .first()
    )
    Submission.objects.filter(pk=audit.pk).update(released_at=timezone.now())
    audit.refresh_from_db()
    appeal, _ = appeal_open(
        audit=audit,
        by=owner,
        client_id=_uuid.uuid4(),
        items=[AppealedItem(item=audit.answers.first().item, reason="Not so.")],
    )
    action = Action.objects.create(
        branch=audit.assignment.branch, submission=audit, item="x", title="X", due=timezone.now()
    )
    assert Event.objects.filter(brand=brand).exists()
    evidence_files = [
        photo.image.path for photo in EvidencePhoto.objects.filter(action__branch__brand=brand)
    ]
    assert evidence_files and all(Path(path).exists() for path in evidence_files)
    with django_capture_on_commit_callbacks(execute=True):  # files go once the reset commits
        seed("--reset", "--months", "1")
    assert not any(Path(path).exists() for path in evidence_files)
    assert not Appeal.objects.filter(pk=appeal.pk).exists()
    assert not Action.objects.filter(pk=action.pk).exists()
    assert not Event.objects.filter(brand_id=brand.pk).exists()


def test_the_owner_has_appeals_open_and_decided_and_actions_open_overdue_and_verified():
    """Issue 13's demo: the owner's branches owe and contest things, through the services."""
    from audits.models import Action, Appeal
    from audits.services.actions import overdue

    out = seed()
    owner = login("owner", DEFAULT_PASSWORD)
    appeals = owner.get("/api/v1/appeals/").json()["results"]
    assert sorted(a["status"] for a in appeals) == ["decided", "open"]
    decided = next(a for a in appeals if a["status"] == "decided")
    assert sorted(i["upheld"] for i in decided["items"]) == [False, True]
    assert all(len(a["evidence"]) == 1 for a in appeals)  # the owner's photo of each
    actions = Action.objects.filter(branch__brand__name=DEMO_BRAND)
    fixed = owner.get("/api/v1/actions/?status=completed").json()["results"]
    assert fixed and all(a["evidence"] for a in fixed)
    assert owner.get(fixed[0]["evidence"][0]["url"]).status_code == 200
    assert actions.filter(status="open").exclude(pk__in=overdue(actions)).exists()
    assert overdue(actions).exists()
    assert actions.filter(status="verified").exists()
    assert actions.filter(status="completed").exists()
    assert Appeal.objects.count() == 2
    assert re.search(
        r"Appeals: 2 \(1 open\)\. Actions: \d+ open \(\d+ overdue\), \d+ verified\. "
        r"Evidence photos: 4\.",
        out,
    )
