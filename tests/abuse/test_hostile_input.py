"""Issue 12's hostile inputs, one test each: a 4xx in the error shape naming the field, and
nothing stored. Each of these answered 500 (or took seconds, or stored megabytes) before."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.test import Client

from audits.models import Answer, Assignment, AssignmentStatus, Photo, Submission
from support.factories import good_answers, jpeg_bytes
from support.helpers import client_for, stored_submission, submission_body

pytestmark = pytest.mark.django_db


def _errors(response, status: int) -> dict[str, dict]:
    """The errors of a `status` answer in the one shape, keyed by the field each names."""
    assert response.status_code == status, response.content[:2000]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    return {error["attr"]: error for error in body["errors"]}


def _raw_post(user, path: str, payload: bytes, content_type: str = "application/json"):
    """A POST of exactly these bytes, as a hostile client sends them (no test-client encoding)."""
    return client_for(user).generic("POST", path, payload, content_type=content_type)


def _nothing_stored() -> None:
    assert Submission.objects.count() == 0
    assert Answer.objects.count() == 0


# --- Size and shape of the body ---------------------------------------------------------------


def test_a_20_mb_body_is_413_and_never_read(world):
    payload = b'{"answers": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    response = _raw_post(world.shopper, "/api/v1/submissions/", payload)
    errors = _errors(response, 413)
    assert next(iter(errors.values()))["code"] == "request_too_large"
    _nothing_stored()


def test_a_20_mb_body_is_413_before_sign_in_too():
    payload = b'{"username": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    response = Client().generic(
        "POST", "/api/v1/auth/token/", payload, content_type="application/json"
    )
    _errors(response, 413)


def test_json_nested_ten_thousand_deep_is_a_400(world):
    payload = ("[" * 10_000 + "]" * 10_000).encode()
    body = submission_body(world.assignment)
    body_text = json.dumps(body).replace('"answers": [', '"answers": [' + "[" * 10_000, 1)
    body_text = body_text.replace("]}", "]" * 10_000 + "]}", 1)
    for raw in (payload, body_text.encode()):
        response = _raw_post(world.shopper, "/api/v1/submissions/", raw)
        errors = _errors(response, 400)
        assert next(iter(errors.values()))["code"] in {"parse_error", "max_depth"}, errors
    _nothing_stored()


def test_json_a_little_too_deep_names_where(world):
    deep: dict = {"value": True}
    for _ in range(40):
        deep = {"value": deep}
    answers = good_answers()
    answers[0] = {"item": "greeted", **deep}
    response = client_for(world.shopper).post(
        "/api/v1/submissions/", submission_body(world.assignment, answers=answers), format="json"
    )
    errors = _errors(response, 400)
    (attr,) = errors
    assert attr.startswith("answers.0.value.value"), errors
    assert errors[attr]["code"] == "max_depth"
    _nothing_stored()


@pytest.mark.parametrize(
    "escaped",
    [r"\u0000", r"nice\u0000visit", r"\ud800", r"lone \udfff low"],
    ids=["nul", "nul-inside", "high-surrogate", "low-surrogate"],
)
def test_nul_and_lone_surrogates_in_a_text_answer_are_400(world, escaped):
    body = submission_body(world.assignment)
    text = json.dumps(body).replace('"Pleasant visit."', f'"{escaped}"')
    response = _raw_post(world.shopper, "/api/v1/submissions/", text.encode())
    errors = _errors(response, 400)
    notes_index = next(i for i, a in enumerate(body["answers"]) if a["item"] == "notes")
    assert f"answers.{notes_index}.value" in errors, errors
    assert errors[f"answers.{notes_index}.value"]["code"] in {
        "null_characters_not_allowed",
        "surrogate_characters_not_allowed",
    }
    _nothing_stored()


def test_nul_in_a_key_or_a_comment_is_400_too(world):
    body = submission_body(world.assignment)
    body["answers"][0]["comment"] = "a\x00b"
    response = client_for(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert "answers.0.comment" in _errors(response, 400)
    text = json.dumps(submission_body(world.assignment)).replace('"photo_count"', '"ph\\u0000"')
    assert _raw_post(world.shopper, "/api/v1/submissions/", text.encode()).status_code == 400
    _nothing_stored()


def test_nul_in_a_published_checklist_is_400(world):
    from support.factories import SMALL_CHECKLIST

    body = {**SMALL_CHECKLIST, "template": "visit", "title": "Bad\x00title"}
    response = client_for(world.hq).post("/api/v1/checklists/", body, format="json")
    assert "title" in _errors(response, 400)


def test_a_number_too_big_for_a_float_is_400(world):
    body = submission_body(world.assignment)
    text = json.dumps(body).replace('"accuracy_m": 12.0', '"accuracy_m": 1e400')
    response = _raw_post(world.shopper, "/api/v1/submissions/", text.encode())
    assert "location.accuracy_m" in _errors(response, 400)
    _nothing_stored()


# --- Work per request --------------------------------------------------------------------------


def test_a_hundred_thousand_answers_are_over_the_body_limit(world):
    answers = [{"item": f"i{n}", "value": True} for n in range(100_000)]  # 3.2 MB
    body = submission_body(world.assignment, answers=answers)
    response = client_for(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert _errors(response, 413)
    _nothing_stored()


def test_twenty_thousand_answers_are_refused_at_once_with_one_error(world):
    answers = [{"item": f"i{n}", "value": True} for n in range(20_000)]  # under the body limit
    body = submission_body(world.assignment, answers=answers)
    started = time.perf_counter()
    response = client_for(world.shopper).post("/api/v1/submissions/", body, format="json")
    elapsed = time.perf_counter() - started
    errors = _errors(response, 400)
    assert list(errors) == ["answers"], list(errors)[:5]
    assert len(response.content) < 2_000
    # Not a timing assertion: a refusal that looked at every answer would take seconds here.
    print(f"refused 20,000 answers in {elapsed:.3f} s")
    _nothing_stored()


def test_more_answers_than_the_checklist_has_items_is_one_400(world):
    items = len(good_answers()) + 1  # the photo item is answered by a photo, not a value
    answers = good_answers() + [{"item": "greeted", "value": True}] * (items + 1)
    response = client_for(world.shopper).post(
        "/api/v1/submissions/", submission_body(world.assignment, answers=answers), format="json"
    )
    errors = _errors(response, 400)
    assert list(errors) == ["answers"], errors
    assert errors["answers"]["code"] == "max_length"
    _nothing_stored()


def test_a_text_answer_of_a_megabyte_is_refused(world):
    answers = good_answers(notes="x" * 1_000_000)
    response = client_for(world.shopper).post(
        "/api/v1/submissions/", submission_body(world.assignment, answers=answers), format="json"
    )
    assert "answers.notes" in _errors(response, 400)
    _nothing_stored()


def test_a_text_answer_may_have_2000_characters_not_2001(world):
    too_long = submission_body(world.assignment, answers=good_answers(notes="é" * 2001))
    response = client_for(world.shopper).post("/api/v1/submissions/", too_long, format="json")
    assert "answers.notes" in _errors(response, 400)
    _nothing_stored()
    fits = submission_body(world.assignment, answers=good_answers(notes="é" * 2000))
    response = client_for(world.shopper).post("/api/v1/submissions/", fits, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("value", [-50, -0.5, 86_401, 10**30, 1e300])
def test_a_seconds_answer_outside_0_to_a_day_is_refused(world, value):
    answers = good_answers(wait_seconds=value)
    response = client_for(world.shopper).post(
        "/api/v1/submissions/", submission_body(world.assignment, answers=answers), format="json"
    )
    assert "answers.wait_seconds" in _errors(response, 400)
    _nothing_stored()


@pytest.mark.parametrize("value", [0, 86_400])
def test_a_seconds_answer_at_the_bounds_is_taken(world, value):
    answers = good_answers(wait_seconds=value)
    response = client_for(world.shopper).post(
        "/api/v1/submissions/", submission_body(world.assignment, answers=answers), format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("assignment", 10**19),
        ("assignment", 2**63),
        ("photo_count", 10**19),
    ],
)
def test_integers_the_database_cannot_hold_are_400(world, field, value):
    body = submission_body(world.assignment)
    body[field] = value
    response = client_for(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert field in _errors(response, 400)
    _nothing_stored()


@pytest.mark.parametrize(
    ("field", "value"),
    [("reason", "x" * 1001), ("reason", "ok\x00")],
)
def test_text_in_action_bodies_is_bounded_and_clean(world, field, value):
    pending = Assignment.objects.filter(pk=world.assignment.pk)
    pending.update(status=AssignmentStatus.OFFERED)
    response = client_for(world.shopper).post(
        f"/api/v1/assignments/{world.assignment.pk}/decline/", {field: value}, format="json"
    )
    assert field in _errors(response, 400)
    assert pending.get().status == AssignmentStatus.OFFERED


def test_assignment_scenario_is_bounded(world):
    body = {
        "branch": world.branch_a1.pk,
        "shopper": world.shopper.pk,
        "checklist": world.checklist.pk,
        "scenario": "x" * 5001,
        "window_start": "2026-12-10T09:00:00Z",
        "window_end": "2026-12-11T09:00:00Z",
    }
    before = Assignment.objects.count()
    response = client_for(world.hq).post("/api/v1/assignments/", body, format="json")
    assert "scenario" in _errors(response, 400)
    assert Assignment.objects.count() == before


# --- Dates and offsets the database cannot hold ------------------------------------------------


def test_a_scorecard_of_year_9999_is_400_not_500(world):
    response = client_for(world.hq).get(
        f"/api/v1/branches/{world.branch_a1.pk}/scorecard/?from=9999-01-01&to=9999-12-31"
    )
    errors = _errors(response, 400)
    assert {"from", "to"} & set(errors), errors


@pytest.mark.parametrize("offset", ["+16:00", "-15:30", "+23:59"])
def test_a_time_zone_offset_postgresql_cannot_hold_is_400_in_a_filter(world, offset):
    query = f"2026-09-02T12:05:45{offset}".replace("+", "%2B")
    response = client_for(world.hq).get(f"/api/v1/audits/?started_at__gte={query}")
    errors = _errors(response, 400)
    assert errors["started_at__gte"]["code"] == "out_of_range", errors


def test_real_offsets_still_filter(world):
    for offset in ("%2B14:00", "-12:00", "%2B05:45", "Z"):
        response = client_for(world.hq).get(
            f"/api/v1/audits/?started_at__gte=2026-09-02T12:05:45{offset}"
        )
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("offset", ["+16:00", "-15:30"])
def test_a_time_zone_offset_beyond_the_earths_is_400_in_a_body(world, offset):
    body = submission_body(world.assignment)
    body["started_at"] = body["started_at"][:19] + offset
    response = client_for(world.shopper).post("/api/v1/submissions/", body, format="json")
    errors = _errors(response, 400)
    assert errors["started_at"]["code"] == "out_of_range"
    _nothing_stored()


def test_nul_in_a_query_parameter_is_400(world):
    response = client_for(world.hq).get("/api/v1/audits/?assignment__branch=1%00")
    assert response.status_code == 400, response.content
    response = client_for(world.shopper).get("/api/v1/submissions/?status=scored%00")
    assert response.status_code == 400, response.content


# --- Ids that are not ids ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/assignments/abc/accept/"),
        ("post", "/api/v1/submissions/abc/photos/"),
        ("get", "/api/v1/submissions/abc/"),
        ("get", "/api/v1/submissions/1.5/"),
        ("get", "/api/v1/audits/%C2%B2/"),
        ("get", "/api/v1/assignments/99999999999999999999/"),
        ("post", "/api/v1/assignments/99999999999999999999/accept/"),
        ("get", "/api/v1/photos/99999999999999999999/"),
        ("get", "/api/v1/branches/99999999999999999999/scorecard/"),
        ("get", "/api/v1/shoppers/99999999999999999999/calibration/"),
    ],
)
def test_an_id_that_is_not_a_database_id_is_a_json_404(world, method, path):
    response = getattr(client_for(world.shopper), method)(path)
    assert response.status_code == 404, response.content
    assert response.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    ["branch=99999999999999999999", "shopper=1e400", "branch=abc", "risk=%00"],
)
def test_filters_with_ids_the_database_cannot_hold_are_400(world, query):
    response = client_for(world.reviewer).get(f"/api/v1/review-queue/?{query}")
    assert response.status_code == 400, response.content


def test_a_photo_with_a_nul_in_its_item_is_400_and_stores_nothing(world):
    submission = stored_submission(world.assignment, photo_count=1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client_for(world.shopper).post(
        f"/api/v1/submissions/{submission.pk}/photos/",
        {"image": upload, "client_id": str(uuid.uuid4()), "item": "store\x00front"},
        format="multipart",
    )
    assert "item" in _errors(response, 400)
    assert Photo.objects.count() == 0


@pytest.mark.parametrize("page_size", ["abc", "0", "-3", "1.5", "9" * 30])
def test_a_page_size_that_is_not_a_positive_integer_is_400(world, page_size):
    """Schemathesis found DRF serving the default page for `?page_size=abc`."""
    response = client_for(world.hq).get(f"/api/v1/regions/?page_size={page_size}")
    assert "page_size" in _errors(response, 400)


def test_a_page_size_above_200_serves_200_rows(world):
    response = client_for(world.hq).get("/api/v1/regions/?page_size=5000")
    assert response.status_code == 200


# --- What schemathesis found (tests/contract/test_schemathesis.py) ---------------------------


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/audits/", "started_at__lt"),
        ("/api/v1/audits/", "started_at__gte"),
        ("/api/v1/audits/", "assignment__branch"),
        ("/api/v1/review-queue/", "branch"),
        ("/api/v1/review-queue/", "shopper"),
    ],
)
def test_a_filter_sent_empty_is_400_not_an_unfiltered_list(world, path, parameter):
    """django-filter read `?started_at__lt=` as no filter at all and answered every row."""
    response = client_for(world.hq).get(f"{path}?{parameter}=")
    assert _errors(response, 400)[parameter]["code"] == "blank"


@pytest.mark.parametrize("name", [0, 1.5, True, ["Kent"], {"n": 1}])
@pytest.mark.parametrize("path", ["/api/v1/regions/", "/api/v1/franchisees/"])
def test_a_name_that_is_not_a_string_is_400_and_stores_nothing(world, path, name):
    """DRF's CharField stored `0` as "0"; the schema says string."""
    before = client_for(world.hq).get(path).json()["count"]
    response = client_for(world.hq).post(path, {"name": name}, format="json")
    assert _errors(response, 400)["name"]["code"] == "invalid"
    assert client_for(world.hq).get(path).json()["count"] == before


def test_a_reason_that_is_not_a_string_is_400(world):
    pending = Assignment.objects.filter(pk=world.assignment.pk)
    pending.update(status=AssignmentStatus.OFFERED)
    response = client_for(world.shopper).post(
        f"/api/v1/assignments/{world.assignment.pk}/decline/", {"reason": 12}, format="json"
    )
    assert _errors(response, 400)["reason"]["code"] == "invalid"
    assert pending.get().status == AssignmentStatus.OFFERED


@pytest.mark.parametrize("role", ["anonymous", "shopper", "owner_a", "reviewer", "hq"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/assignments/{assignment}/"),
        ("PUT", "/api/v1/regions/"),
        ("TRACE", "/api/v1/branches/"),
        ("PATCH", "/api/v1/submissions/"),
    ],
)
def test_a_method_the_route_does_not_have_is_405_for_everyone(world, role, method, path):
    """Permissions came first: a shopper was told 403 "only head office" (and a stranger
    401) for an operation that exists for nobody."""
    client = Client() if role == "anonymous" else client_for(getattr(world, role))
    url = path.format(assignment=world.assignment.pk)
    response = client.generic(method, url)
    assert _errors(response, 405)[None]["code"] == "method_not_allowed"
    assert method not in response["Allow"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [("/api/v1/actions/", "overdue"), ("/api/v1/notifications/", "unread")],
)
@pytest.mark.parametrize("value", ["null", "unknown", "maybe", "2"])
def test_a_boolean_filter_is_true_or_false_nothing_else(world, path, parameter, value):
    """Django's NullBooleanField read `?overdue=null` as no filter (schemathesis found it)."""
    response = client_for(world.hq).get(f"{path}?{parameter}={value}")
    assert _errors(response, 400)[parameter]["code"] == "invalid"
