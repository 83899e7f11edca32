"""Dates outside years 2000 to 2100 are a 400 naming the field everywhere, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.models import Submission
from support.helpers import client_for, submission_body

pytestmark = pytest.mark.django_db

FAR = ["9999-12-31T10:00:00Z", "1999-12-31T10:00:00Z", "2101-01-01T00:00:00Z"]


@pytest.mark.parametrize("when", FAR)
@pytest.mark.parametrize("field", ["started_at", "finished_at"])
def test_a_submission_dated_outside_the_supported_years_is_refused(world, when, field):
    response = client_for(world.shopper).post(
        "/api/v1/submissions/", submission_body(world.assignment, **{field: when}), format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["attr"], e["code"]) for e in errors] == [(field, "out_of_range")]
    assert not Submission.objects.exists()


@pytest.mark.parametrize("field", ["window_start", "window_end"])
def test_an_assignment_window_outside_the_supported_years_is_refused(world, field):
    body = {
        "branch": world.branch_a1.pk,
        "shopper": world.shopper.pk,
        "checklist": world.checklist.pk,
        "window_start": "2030-01-01T09:00:00Z",
        "window_end": "2030-01-02T09:00:00Z",
        field: "9999-12-31T10:00:00Z",
    }
    response = client_for(world.hq).post("/api/v1/assignments/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == field


@pytest.mark.parametrize("param", ["from", "to"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1900-06-01"])
def test_scorecard_dates_outside_the_supported_years_are_refused(world, param, value):
    response = client_for(world.hq).get(
        f"/api/v1/branches/{world.branch_a1.pk}/scorecard/?{param}={value}"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == param


@pytest.mark.parametrize("param", ["started_at__gte", "started_at__lt"])
@pytest.mark.parametrize("value", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_audit_list_filters_outside_the_supported_years_are_refused(world, param, value):
    response = client_for(world.hq).get(f"/api/v1/audits/?{param}={value}")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["attr"], e["code"]) for e in errors] == [(param, "out_of_range")]


def test_dates_inside_the_range_still_filter(world):
    response = client_for(world.hq).get("/api/v1/audits/?started_at__gte=2000-01-01T00:00:00Z")
    assert response.status_code == 200


def _visit(world, started, minutes=25):
    return submission_body(
        world.assignment,
        started_at=started.isoformat(),
        finished_at=(started + timedelta(minutes=minutes)).isoformat(),
    )


def test_a_visit_in_the_future_is_refused_naming_both_times(world):
    body = _visit(world, timezone.now() + timedelta(hours=2))
    response = client_for(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} == {"started_at", "finished_at"}
    assert not Submission.objects.exists()


def test_a_phone_clock_a_few_minutes_fast_is_fine(world):
    body = _visit(world, timezone.now() - timedelta(minutes=20), minutes=25)
    response = client_for(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert response.status_code == 201, response.content


def test_a_visit_longer_than_a_day_is_refused(world):
    body = _visit(world, timezone.now() - timedelta(days=3), minutes=24 * 60 + 1)
    response = client_for(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["finished_at"]
