"""Who sees what: every endpoint against every role.

A role that may not see an object gets 404 (its existence is not revealed), one that may
not take an action gets 403, a missing or bad token gets 401. Owners read their own
branches' audits and never learn who the shopper was.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from audits.models import Assignment, Photo, Role
from audits.services.review import submission_review
from audits.services.scoring import submission_score
from support.factories import (
    AssignmentFactory,
    ChecklistVersionFactory,
    MembershipFactory,
    UserFactory,
)
from support.helpers import (
    client_for,
    jpeg_bytes,
    new_assignment,
    scored_submission,
    stored_submission,
    submission_body,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "hq",
    "reviewer",
    "owner_a",
    "owner_b",
    "shopper",
    "shopper2",
    "admin",
    "other_hq",
    "anonymous",
]


@dataclass
class Scene:
    """The world plus visits in every state, one of them in the other brand."""

    world: object
    offered: object  # world.assignment, offered again: sam at Leeds, nothing sent yet
    sub_a1: object  # sam at Leeds, scored and released, with a photo
    sub_b1: object  # sue at Bath (franchisee B), scored and released
    waiting: object  # sue at Bath, scored and waiting for review
    pending: object  # sam at Brighton (franchisee A), waiting for its photo
    other_shopper: object
    sub_other: object  # the other brand's shopper at the other brand's branch, scored
    photo: object

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self.world, role)


def _send(assignment, *, photo_count=0):
    return stored_submission(assignment, photo_count=photo_count)


def _photo(submission) -> Photo:
    photo = Photo(
        submission=submission,
        client_id=uuid.uuid4(),
        item="storefront",
        sha256="0" * 64,
        width=64,
        height=48,
        original_format="JPEG",
        original_bytes=100,
        gps_latitude=53.8,
        gps_longitude=-1.5,
    )
    photo.image.save("photo.jpg", ContentFile(jpeg_bytes()), save=False)
    photo.thumbnail.save("thumb.jpg", ContentFile(jpeg_bytes(size=(16, 12))), save=False)
    photo.save()
    return photo


@pytest.fixture
def scene(world) -> Scene:
    sub_a1 = scored_submission(world, branch=world.branch_a1)
    sub_b1 = scored_submission(world, shopper=world.shopper2, branch=world.branch_b1)
    waiting = scored_submission(
        world, shopper=world.shopper2, branch=world.branch_b1, release=False
    )
    Assignment.objects.filter(pk=world.assignment.pk).update(status="offered", accepted_at=None)
    world.assignment.refresh_from_db()
    pending = _send(new_assignment(world, branch=world.branch_a2), photo_count=1)

    other_shopper = UserFactory(username="oscar")
    MembershipFactory(user=other_shopper, role=Role.SHOPPER, brand=world.other_brand)
    other_assignment = AssignmentFactory(
        branch=world.other_branch,
        shopper=other_shopper,
        checklist=ChecklistVersionFactory(template__brand=world.other_brand),
    )
    sub_other = _send(other_assignment)
    submission_score(submission_id=sub_other.pk)
    return Scene(
        world=world,
        offered=world.assignment,
        sub_a1=sub_a1,
        sub_b1=sub_b1,
        waiting=waiting,
        pending=pending,
        other_shopper=other_shopper,
        sub_other=sub_other,
        photo=_photo(sub_a1),
    )


def _get(scene: Scene, role: str, url: str):
    return client_for(scene.user(role)).get(url)


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}, "lists are paginated"
    assert body["count"] == len(body["results"])
    return {row["id"] for row in body["results"]}


# --- lists ---------------------------------------------------------------------------------

# endpoint -> role -> names of the scene objects listed (403 when the role may not list).
LISTS: dict[str, dict[str, object]] = {
    "branches": {
        "hq": {"branch_a1", "branch_a2", "branch_b1"},
        "reviewer": {"branch_a1", "branch_a2", "branch_b1"},
        "owner_a": {"branch_a1", "branch_a2"},
        "owner_b": {"branch_b1"},
        "shopper": set(),
        "shopper2": set(),
        "admin": {"branch_a1", "branch_a2", "branch_b1", "other_branch"},
        "other_hq": {"other_branch"},
    },
    "regions": {
        "hq": {"north", "south"},
        "reviewer": {"north", "south"},
        "owner_a": {"north", "south"},  # the regions of their own branches
        "owner_b": {"south"},
        "shopper": set(),
        "shopper2": set(),
        "admin": {"north", "south", "other_region"},
        "other_hq": {"other_region"},
    },
    "franchisees": {
        "hq": {"franchisee_a", "franchisee_b"},
        "reviewer": {"franchisee_a", "franchisee_b"},
        "owner_a": {"franchisee_a"},
        "owner_b": {"franchisee_b"},
        "shopper": set(),
        "shopper2": set(),
        "admin": {"franchisee_a", "franchisee_b", "other_franchisee"},
        "other_hq": {"other_franchisee"},
    },
    "shoppers": {
        "hq": {"shopper", "shopper2"},
        "reviewer": {"shopper", "shopper2"},
        "owner_a": 403,
        "owner_b": 403,
        "shopper": 403,
        "shopper2": 403,
        "admin": {"shopper", "shopper2", "other_shopper"},
        "other_hq": {"other_shopper"},
    },
    "assignments": {
        "hq": {"offered", "a_sub_a1", "a_sub_b1", "a_waiting", "a_pending"},
        "reviewer": set(),
        "owner_a": set(),
        "owner_b": set(),
        "shopper": {"offered", "a_sub_a1", "a_pending"},
        "shopper2": {"a_sub_b1", "a_waiting"},
        "admin": {"offered", "a_sub_a1", "a_sub_b1", "a_waiting", "a_pending", "a_sub_other"},
        "other_hq": {"a_sub_other"},
    },
    "submissions": {
        "hq": {"sub_a1", "sub_b1", "waiting", "pending"},
        "reviewer": {"sub_a1", "sub_b1", "waiting", "pending"},
        "owner_a": {"sub_a1"},  # released ones only
        "owner_b": {"sub_b1"},
        "shopper": {"sub_a1", "pending"},
        "shopper2": {"sub_b1", "waiting"},
        "admin": {"sub_a1", "sub_b1", "waiting", "pending", "sub_other"},
        "other_hq": {"sub_other"},
    },
    "audits": {
        "hq": {"sub_a1", "sub_b1", "waiting"},
        "reviewer": {"sub_a1", "sub_b1", "waiting"},
        "owner_a": {"sub_a1"},
        "owner_b": {"sub_b1"},
        "shopper": set(),  # a shopper's own work is not an audit to read back
        "shopper2": set(),
        "admin": {"sub_a1", "sub_b1", "waiting", "sub_other"},
        "other_hq": {"sub_other"},
    },
    "review-queue": {
        "hq": {"waiting"},
        "reviewer": {"waiting"},
        "owner_a": 403,
        "owner_b": 403,
        "shopper": 403,
        "shopper2": 403,
        "admin": {"waiting", "sub_other"},
        "other_hq": {"sub_other"},
    },
}


def _resolve(scene: Scene, name: str) -> int:
    world = scene.world
    special = {
        "other_region": lambda: world.other_branch.region,
        "other_franchisee": lambda: world.other_branch.franchisee,
        "a_sub_a1": lambda: scene.sub_a1.assignment,
        "a_sub_b1": lambda: scene.sub_b1.assignment,
        "a_pending": lambda: scene.pending.assignment,
        "a_waiting": lambda: scene.waiting.assignment,
        "a_sub_other": lambda: scene.sub_other.assignment,
    }
    if name in special:
        return special[name]().pk
    if hasattr(scene, name) and name != "world":
        return getattr(scene, name).pk
    return getattr(world, name).pk


LIST_CASES = [
    (endpoint, role, expected)
    for endpoint, by_role in LISTS.items()
    for role, expected in by_role.items()
]


@pytest.mark.parametrize(
    ("endpoint", "role", "expected"), LIST_CASES, ids=[f"{e}-{r}" for e, r, _ in LIST_CASES]
)
def test_list_shows_exactly_what_the_role_may_see(scene, endpoint, role, expected):
    response = _get(scene, role, f"/api/v1/{endpoint}/")
    if isinstance(expected, int):
        assert response.status_code == expected
        return
    assert _ids(response) == {_resolve(scene, name) for name in expected}


@pytest.mark.parametrize("endpoint", [*LISTS, "me"])
def test_lists_need_a_token(scene, endpoint):
    assert _get(scene, "anonymous", f"/api/v1/{endpoint}/").status_code == 401


# --- details -------------------------------------------------------------------------------

# endpoint -> (object, {role: status}); roles not named get 404.
DETAILS: dict[str, tuple[str, dict[str, int]]] = {
    "branches": ("branch_a1", {"hq": 200, "reviewer": 200, "owner_a": 200, "admin": 200}),
    "regions": ("north", {"hq": 200, "reviewer": 200, "owner_a": 200, "admin": 200}),
    "franchisees": ("franchisee_a", {"hq": 200, "reviewer": 200, "owner_a": 200, "admin": 200}),
    "shoppers": (
        "shopper",
        {
            "hq": 200,
            "reviewer": 200,
            "admin": 200,
            "owner_a": 403,
            "owner_b": 403,
            "shopper": 403,
            "shopper2": 403,
        },
    ),
    "assignments": ("a_sub_a1", {"hq": 200, "shopper": 200, "admin": 200}),
    "submissions": (
        "sub_a1",
        {"hq": 200, "reviewer": 200, "owner_a": 200, "shopper": 200, "admin": 200},
    ),
    "audits": ("sub_a1", {"hq": 200, "reviewer": 200, "owner_a": 200, "admin": 200}),
    "checklists": (
        "checklist",
        {
            "hq": 200,
            "reviewer": 200,
            "owner_a": 200,
            "owner_b": 200,
            "shopper": 200,
            "shopper2": 200,  # pinned by sue's assignment at Bath
            "admin": 200,
        },
    ),
    "photos": (
        "photo",
        {"hq": 200, "reviewer": 200, "owner_a": 200, "shopper": 200, "admin": 200},
    ),
}

DETAIL_CASES = [
    (endpoint, role, by_role.get(role, 401 if role == "anonymous" else 404))
    for endpoint, (_, by_role) in DETAILS.items()
    for role in ROLES
]


@pytest.mark.parametrize(
    ("endpoint", "role", "expected"),
    DETAIL_CASES,
    ids=[f"{e}-{r}-{s}" for e, r, s in DETAIL_CASES],
)
def test_detail_status_by_role(scene, endpoint, role, expected):
    pk = _resolve(scene, DETAILS[endpoint][0])
    response = _get(scene, role, f"/api/v1/{endpoint}/{pk}/")
    assert response.status_code == expected, response.content[:300]
    if expected == 200 and endpoint != "photos":
        assert response.json()["id"] == pk


def test_a_version_no_assignment_pins_is_hidden_from_shoppers(scene):
    unpinned = ChecklistVersionFactory(template=scene.world.checklist.template)
    url = f"/api/v1/checklists/{unpinned.pk}/"
    assert _get(scene, "shopper", url).status_code == 404
    assert _get(scene, "owner_a", url).status_code == 200
    assert _get(scene, "hq", url).status_code == 200


@pytest.mark.parametrize("endpoint", list(DETAILS))
def test_a_bad_token_is_401_everywhere(scene, endpoint):
    pk = _resolve(scene, DETAILS[endpoint][0])
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    for url in (f"/api/v1/{endpoint}/{pk}/", f"/api/v1/{endpoint}/"):
        if endpoint in {"checklists", "photos"} and url.endswith(f"/{endpoint}/"):
            continue  # these two have no list
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["type"] == "client_error"


# --- actions -------------------------------------------------------------------------------

CREATE_BODIES = {
    "regions": {"name": "East"},
    "franchisees": {"name": "Cedar Ltd"},
    "branches": {"name": "York", "franchisee": 0, "latitude": 53.9, "longitude": -1.08},
    "shoppers": {"username": "newbie", "password": "long-enough-pass-42"},
    "assignments": {
        "branch": 0,
        "shopper": 0,
        "checklist": 0,
        "window_start": "2030-01-01T09:00:00Z",
        "window_end": "2030-01-02T09:00:00Z",
    },
    "checklists": {"template": "x", "title": "x", "sections": []},
}


@pytest.mark.parametrize("endpoint", list(CREATE_BODIES))
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("reviewer", 403),
        ("owner_a", 403),
        ("shopper", 403),
        ("admin", 403),  # works through the Django admin: no brand to write into
        ("anonymous", 401),
    ],
)
def test_only_head_office_creates(scene, endpoint, role, expected):
    response = client_for(scene.user(role)).post(
        f"/api/v1/{endpoint}/", CREATE_BODIES[endpoint], format="json"
    )
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("role", ["hq", "owner_a", "reviewer"])
def test_only_shoppers_accept_visits(scene, role):
    response = client_for(scene.user(role)).post(f"/api/v1/assignments/{scene.offered.pk}/accept/")
    assert response.status_code == 403
    scene.offered.refresh_from_db()
    assert scene.offered.status == "offered"


def test_a_shopper_cannot_accept_someone_elses_visit(scene):
    response = client_for(scene.world.shopper2).post(
        f"/api/v1/assignments/{scene.offered.pk}/accept/"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["hq", "owner_a", "reviewer"])
def test_only_shoppers_send_submissions(scene, role):
    response = client_for(scene.user(role)).post(
        "/api/v1/submissions/", submission_body(scene.offered), format="json"
    )
    assert response.status_code == 403


# --- the shopper's identity ----------------------------------------------------------------


def _identity_leaks(scene: Scene, text: str) -> list[str]:
    shopper = scene.world.shopper
    data = json.loads(text)
    leaks = [needle for needle in (f'"{shopper.username}"', shopper.email) if needle in text]
    leaks += [f"shopper={row['shopper']!r}" for row in _rows(data) if row.get("shopper")]
    leaks += [
        f"{key} in photo"
        for row in _rows(data)
        for p in row.get("photos", [])
        for key in p
        if key in {"gps_latitude", "gps_longitude", "taken_at", "sha256", "client_id"}
    ]
    # The phone's own ids and its position: issue 11's "no location or client ids".
    leaks += [f"{key} in visit" for row in _rows(data) for key in ("client_id",) if key in row]
    leaks += [f"location={row['location']!r}" for row in _rows(data) if row.get("location")]
    return leaks


def _rows(data: dict) -> list[dict]:
    return data.get("results", [data])


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/audits/",
        "/api/v1/audits/{sub_a1}/",
        "/api/v1/submissions/",
        "/api/v1/submissions/{sub_a1}/",
    ],
)
def test_owner_never_learns_who_the_shopper_was(scene, url):
    url = url.format(sub_a1=scene.sub_a1.pk, pending=scene.pending.pk)
    response = _get(scene, "owner_a", url)
    assert response.status_code == 200
    text = response.content.decode()
    assert _identity_leaks(scene, text) == []
    for row in _rows(response.json()):
        assert "shopper" in row and row["shopper"] is None


@pytest.mark.parametrize("role", ["hq", "reviewer", "shopper", "admin"])
def test_staff_and_the_shopper_see_who_made_the_visit(scene, role):
    body = _get(scene, role, f"/api/v1/submissions/{scene.sub_a1.pk}/").json()
    assert body["shopper"] == {"id": scene.world.shopper.pk, "username": "sam"}
    assert body["photos"][0]["gps_latitude"] == pytest.approx(53.8)


def test_the_leak_check_can_fail(scene):
    """The identity check above would notice the shopper in a staff reader's JSON."""
    text = _get(scene, "hq", f"/api/v1/audits/{scene.sub_a1.pk}/").content.decode()
    assert _identity_leaks(scene, text)


def test_owner_of_a_branch_that_later_gets_a_shopper_role_still_sees_no_identity(scene):
    """Owner and shopper in one account: as owner they still never see other shoppers."""
    owner = scene.world.owner_a
    MembershipFactory(user=owner, role=Role.SHOPPER, brand=scene.world.brand)
    response = _get(scene, "owner_a", f"/api/v1/audits/{scene.sub_a1.pk}/")
    assert response.status_code == 200
    assert response.json()["shopper"] is None


# --- filters -------------------------------------------------------------------------------


def test_submissions_filter_by_status(scene):
    url = "/api/v1/submissions/?status="
    assert _ids(_get(scene, "hq", url + "released")) == {scene.sub_a1.pk, scene.sub_b1.pk}
    assert _ids(_get(scene, "hq", url + "scored")) == {scene.waiting.pk}
    assert _ids(_get(scene, "hq", url + "awaiting_media")) == {scene.pending.pk}
    assert _get(scene, "hq", url + "nonsense").status_code == 400


def test_submissions_list_is_paginated(scene):
    body = _get(scene, "hq", "/api/v1/submissions/?page_size=2").json()
    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"]


# --- every other route, and the walk that proves nothing is left out -----------------------

QUARTER_NOW = f"{timezone.now().year}-Q{(timezone.now().month - 1) // 3 + 1}"
STAFF_403 = {"hq": 403, "reviewer": 403, "owner_a": 403, "owner_b": 403, "admin": 403}
NO_SHOPPERS = {"shopper": 403, "shopper2": 403}
# Head office of the brand acts; every other role of the brand is refused, another brand's
# head office does not find the object (404, the default).
HEAD_OFFICE_ONLY = {**STAFF_403, **NO_SHOPPERS, "hq": 200}


def _returned(scene: Scene):
    """The scene's waiting report, returned to its shopper by head office."""
    return submission_review(
        submission=scene.waiting,
        by=scene.world.hq,
        action="return",
        reason="Unclear",
        questions=["Which till served you?"],
    )


def _resubmission(submission) -> dict:
    body = submission_body(submission.assignment)
    body.pop("assignment")
    return body


def _photo_upload(scene: Scene) -> dict:
    image = SimpleUploadedFile("front.jpg", jpeg_bytes(), content_type="image/jpeg")
    return {"image": image, "client_id": str(uuid.uuid4()), "item": "storefront"}


def _evidence_upload(scene: Scene) -> dict:
    image = SimpleUploadedFile("fixed.jpg", jpeg_bytes(), content_type="image/jpeg")
    return {"image": image, "client_id": str(uuid.uuid4())}


# An owner of the branch adds evidence; everyone else is refused, another franchisee's owner
# does not find the appeal or action.
OWNER_A_ONLY = {**STAFF_403, **NO_SHOPPERS, "other_hq": 403, "owner_b": 404}
# Evidence photos: whoever reads the appeal or action (the brand's staff, the branch's owner).
EVIDENCE_READERS = {"hq": 200, "reviewer": 200, "owner_a": 200, "admin": 200}


# (method, route) -> (url, body or None, {role: status}); roles not named get 404, anonymous
# 401. Lists, details and creates of the tables above count as covered too.
ACTIONS: dict[tuple[str, str], tuple] = {
    ("get", "me/"): ("/api/v1/me/", None, dict.fromkeys(ROLES[:-1], 200)),
    ("post", "assignments/<pk>/accept/"): (
        lambda s: f"/api/v1/assignments/{s.offered.pk}/accept/",
        None,
        {"shopper": 200, "shopper2": 404, **STAFF_403, "other_hq": 403},
    ),
    ("post", "assignments/<pk>/decline/"): (
        lambda s: f"/api/v1/assignments/{s.offered.pk}/decline/",
        lambda s: {"reason": "Away that week"},
        {"shopper": 200, "shopper2": 404, **STAFF_403, "other_hq": 403},
    ),
    ("post", "assignments/<pk>/cancel/"): (
        lambda s: f"/api/v1/assignments/{s.offered.pk}/cancel/",
        lambda s: {"reason": "Branch refitting"},
        HEAD_OFFICE_ONLY,
    ),
    ("get", "brands/<pk>/settings/"): (
        lambda s: f"/api/v1/brands/{s.world.brand.pk}/settings/",
        None,
        HEAD_OFFICE_ONLY,
    ),
    ("patch", "brands/<pk>/settings/"): (
        lambda s: f"/api/v1/brands/{s.world.brand.pk}/settings/",
        lambda s: {"lockout_days": 60},
        HEAD_OFFICE_ONLY,
    ),
    ("post", "shoppers/<pk>/unlock/"): (
        lambda s: f"/api/v1/shoppers/{s.world.shopper.pk}/unlock/",
        lambda s: {"reason": "Forgot the new password; identity checked by phone"},
        {**HEAD_OFFICE_ONLY, "other_hq": 404},
    ),
    ("post", "submissions/"): (
        "/api/v1/submissions/",
        lambda s: submission_body(new_assignment(s.world)),
        {"shopper": 201, "shopper2": 400, **STAFF_403, "other_hq": 403},
    ),
    ("post", "submissions/<pk>/photos/"): (
        lambda s: f"/api/v1/submissions/{s.pending.pk}/photos/",
        _photo_upload,
        {"shopper": 201, "shopper2": 404, **STAFF_403, "other_hq": 403},
    ),
    ("post", "submissions/<pk>/resubmit/"): (
        lambda s: f"/api/v1/submissions/{_returned(s).pk}/resubmit/",
        lambda s: _resubmission(s.waiting),
        {"shopper2": 201, "shopper": 404, **STAFF_403, "other_hq": 403},
    ),
    ("post", "submissions/<pk>/claim/"): (
        lambda s: f"/api/v1/submissions/{s.waiting.pk}/claim/",
        None,
        {"hq": 200, "reviewer": 200, "admin": 200},
    ),
    ("post", "submissions/<pk>/review/"): (
        lambda s: f"/api/v1/submissions/{s.waiting.pk}/review/",
        lambda s: {"action": "release"},
        {"hq": 200, "reviewer": 200, "admin": 200},
    ),
    ("post", "submissions/<pk>/corrections/"): (
        lambda s: f"/api/v1/submissions/{s.sub_a1.pk}/corrections/",
        lambda s: {"items": [{"item": "listened", "value": 3, "reason": "The recording."}]},
        {"hq": 200, "reviewer": 200, "admin": 200},  # owners see it, but 404: not theirs to do
    ),
    ("get", "audits/<pk>/trail/"): (
        lambda s: f"/api/v1/audits/{s.sub_a1.pk}/trail/",
        None,
        {"hq": 200, "reviewer": 200, "owner_a": 200, "admin": 200},
    ),
    ("post", "audits/<pk>/appeals/"): (
        lambda s: f"/api/v1/audits/{s.sub_a1.pk}/appeals/",
        lambda s: {"client_id": str(uuid.uuid4()), "items": [{"item": "listened", "reason": "x"}]},
        # Owners of the branch's franchisee appeal; everyone else is refused, and another
        # franchisee's owner does not find the audit.
        {**STAFF_403, **NO_SHOPPERS, "other_hq": 403, "owner_a": 201, "owner_b": 404},
    ),
    ("get", "appeals/"): (
        "/api/v1/appeals/",
        None,
        {role: 200 for role in ROLES if role != "anonymous"},
    ),
    ("get", "appeals/stats/"): (
        "/api/v1/appeals/stats/?period=2026-Q3",
        None,
        {
            **NO_SHOPPERS,
            "hq": 200,
            "reviewer": 200,
            "admin": 200,
            "other_hq": 200,
            "owner_a": 403,
            "owner_b": 403,
        },
    ),
    ("get", "appeals/<pk>/"): (
        lambda s: f"/api/v1/appeals/{_appeal(s).pk}/",
        None,
        {"hq": 200, "reviewer": 200, "owner_a": 200, "admin": 200},
    ),
    ("post", "appeals/<pk>/decide/"): (
        lambda s: f"/api/v1/appeals/{_appeal(s).pk}/decide/",
        lambda s: {"decisions": [{"item": "listened", "upheld": False, "reason": "Stands."}]},
        {**HEAD_OFFICE_ONLY, "admin": 403},
    ),
    ("post", "appeals/<pk>/photos/"): (
        lambda s: f"/api/v1/appeals/{_appeal(s).pk}/photos/",
        _evidence_upload,
        {**OWNER_A_ONLY, "owner_a": 201},
    ),
    ("get", "evidence/<pk>/"): (
        lambda s: f"/api/v1/evidence/{_evidence(s).pk}/",
        None,
        EVIDENCE_READERS,
    ),
    ("get", "evidence/<pk>/thumbnail/"): (
        lambda s: f"/api/v1/evidence/{_evidence(s, on_action=True).pk}/thumbnail/",
        None,
        EVIDENCE_READERS,
    ),
    ("get", "notifications/"): (
        "/api/v1/notifications/",
        None,
        {role: 200 for role in ROLES if role != "anonymous"},
    ),
    ("post", "notifications/<pk>/read/"): (
        lambda s: f"/api/v1/notifications/{_notification(s).pk}/read/",
        None,
        {"owner_a": 200},  # one's own only: everyone else finds nothing
    ),
    ("get", "actions/"): (
        "/api/v1/actions/",
        None,
        {role: 200 for role in ROLES if role != "anonymous"},
    ),
    ("get", "actions/<pk>/"): (
        lambda s: f"/api/v1/actions/{_action(s).pk}/",
        None,
        {"hq": 200, "reviewer": 200, "owner_a": 200, "admin": 200},
    ),
    ("post", "actions/<pk>/complete/"): (
        lambda s: f"/api/v1/actions/{_action(s).pk}/complete/",
        lambda s: {"note": "Retrained the team."},
        {**STAFF_403, **NO_SHOPPERS, "other_hq": 403, "owner_a": 200, "owner_b": 404},
    ),
    ("post", "actions/<pk>/photos/"): (
        lambda s: f"/api/v1/actions/{_action(s).pk}/photos/",
        _evidence_upload,
        {**OWNER_A_ONLY, "owner_a": 201},
    ),
    ("post", "actions/<pk>/verify/"): (
        lambda s: f"/api/v1/actions/{_action(s, status='completed').pk}/verify/",
        lambda s: {"reason": "Seen on the visit."},
        {**HEAD_OFFICE_ONLY, "admin": 403},
    ),
    ("post", "actions/<pk>/reopen/"): (
        lambda s: f"/api/v1/actions/{_action(s, status='completed').pk}/reopen/",
        lambda s: {"reason": "Not done yet."},
        {**HEAD_OFFICE_ONLY, "admin": 403},
    ),
    ("get", "submissions/<pk>/signals/"): (
        lambda s: f"/api/v1/submissions/{s.waiting.pk}/signals/",
        None,
        {"hq": 200, "reviewer": 200, "admin": 200},  # owners and shoppers: 404
    ),
    ("get", "photos/<pk>/thumbnail/"): (
        lambda s: f"/api/v1/photos/{s.photo.pk}/thumbnail/",
        None,
        DETAILS["photos"][1],
    ),
    ("get", "branches/<pk>/scorecard/"): (
        lambda s: f"/api/v1/branches/{s.world.branch_a1.pk}/scorecard/",
        None,
        {"hq": 200, "reviewer": 200, "owner_a": 200, "admin": 200},
    ),
    # No snapshot is built in this scene: readers get 404, others are refused first.
    ("get", "benchmarks/"): (
        f"/api/v1/benchmarks/?period={QUARTER_NOW}",
        None,
        {**NO_SHOPPERS, "admin": 400},  # an admin reads every brand: must name one
    ),
    ("get", "benchmarks/compare/"): (
        lambda s: (
            f"/api/v1/benchmarks/compare/?branches={s.world.branch_a1.pk}&period={QUARTER_NOW}"
        ),
        None,
        {**NO_SHOPPERS, "owner_b": 400, "other_hq": 400},  # a branch they cannot see
    ),
    ("get", "shoppers/<pk>/calibration/"): (
        lambda s: f"/api/v1/shoppers/{s.world.shopper.pk}/calibration/",
        None,
        {**NO_SHOPPERS, "owner_a": 403, "owner_b": 403},
    ),
}

# Routes that answer everyone the same way on purpose, with where they are tested.
PUBLIC = {
    ("post", "auth/token/"): "signing in: tests/api/test_auth_and_me.py",
    ("post", "auth/token/refresh/"): "a refresh token is the credential: test_auth_and_me.py",
}


def _appeal(scene: Scene):
    """An open appeal of sub_a1 by its owner (made once per scene)."""
    from audits.models import Appeal
    from audits.services.appeals import AppealedItem, appeal_open

    existing = Appeal.objects.filter(submission=scene.sub_a1).first()
    if existing is not None:
        return existing
    appeal, _ = appeal_open(
        audit=scene.sub_a1,
        by=scene.world.owner_a,
        client_id=uuid.uuid4(),
        items=[AppealedItem(item="listened", reason="The shopper left early.")],
    )
    return appeal


def _evidence(scene: Scene, *, on_action: bool = False):
    """An evidence photo owner_a added to the scene's appeal, or to its action."""
    from audits.services.evidence import evidence_attach

    parent = _action(scene) if on_action else _appeal(scene)
    upload = SimpleUploadedFile("fixed.jpg", jpeg_bytes(), content_type="image/jpeg")
    photo, _ = evidence_attach(
        parent=parent, by=scene.world.owner_a, client_id=uuid.uuid4(), upload=upload
    )
    return photo


def _notification(scene: Scene):
    """A notification of owner_a's (made once per scene)."""
    from audits.models import Notification

    note, _ = Notification.objects.get_or_create(
        user=scene.world.owner_a,
        kind="audit_released",
        defaults={"subject": "New audit", "body": "Read it.", "submission": scene.sub_a1},
    )
    return note


def _action(scene: Scene, status: str = "open"):
    """An action owed by branch_a1 (owner_a's), found by sub_a1 (made once per scene)."""
    from datetime import timedelta

    from django.utils import timezone

    from audits.models import Action

    action, _ = Action.objects.get_or_create(
        branch=scene.world.branch_a1,
        item="courteous",
        defaults={
            "submission": scene.sub_a1,
            "title": "Courteous?",
            "status": status,
            "due": timezone.now() + timedelta(days=14),
        },
    )
    return action


ACTION_CASES = [
    (key, role, by_role.get(role, 401 if role == "anonymous" else 404))
    for key, (_, _, by_role) in ACTIONS.items()
    for role in ROLES
]


@pytest.mark.parametrize(
    ("key", "role", "expected"),
    ACTION_CASES,
    ids=[f"{m}-{r or 'root'}-{role}-{s}" for (m, r), role, s in ACTION_CASES],
)
def test_every_other_route_by_role(scene, key, role, expected):
    url, body, _ = ACTIONS[key]
    url = url(scene) if callable(url) else url
    client = client_for(scene.user(role))
    if key[0] == "get":
        response = client.get(url)
    elif key[0] == "patch":
        response = client.patch(url, body(scene), format="json")
    elif key[1].endswith("/photos/"):
        response = client.post(url, body(scene), format="multipart")
    else:
        response = client.post(url, body(scene) if body else None, format="json")
    assert response.status_code == expected, response.content[:300]


def _routes(patterns, prefix: str = ""):
    """(method, route) of every view under the URL resolver, routes normalised to `<pk>`."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
            continue
        route = re.sub(r"\(\?P<pk>[^)]*\)|<(int|id):pk>", "<pk>", prefix + str(pattern.pattern))
        route = route.replace("^", "").replace("$", "")
        view = pattern.callback
        actions = getattr(view, "actions", None)
        if actions:
            methods = set(actions) - {"head", "options"}  # DRF answers these from get
        else:
            cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
            methods = {m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}
        for method in methods:
            yield method, route


def _covered() -> set[tuple[str, str]]:
    covered = set(ACTIONS) | set(PUBLIC)
    covered |= {("get", f"{endpoint}/") for endpoint in LISTS}
    covered |= {("get", f"{endpoint}/<pk>/") for endpoint in DETAILS}
    covered |= {("post", f"{endpoint}/") for endpoint in CREATE_BODIES}
    return covered


def test_no_api_route_escapes_the_role_matrix():
    routes = {
        (method, route.removeprefix("api/v1/"))
        for method, route in _routes(get_resolver().url_patterns)
        if route.startswith("api/v1/")
    }
    missing = sorted(routes - _covered())
    assert missing == [], f"routes with no row in the role matrix: {missing}"
    assert sorted(_covered() - routes) == [], "matrix rows for routes that do not exist"


def test_every_api_view_takes_its_scope_from_the_base_classes():
    from audits.api.auth import TokenObtainView, TokenRenewView
    from audits.api.base import ScopedView

    exempt = {TokenObtainView, TokenRenewView}  # sign-in: no objects of anyone's to scope
    for pattern in get_resolver("audits.api.urls").url_patterns:
        cls = getattr(pattern.callback, "cls", None)
        assert cls is not None, pattern
        assert issubclass(cls, ScopedView) or cls in exempt, cls
        if "pk" in str(pattern.pattern):  # an object route reads through a named selector
            assert cls.read_selector is not None, cls
