"""Every integrity signal trips on its own evidence, and an honest visit stays clean."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scoring.integrity import (
    OtherPhoto,
    PhotoFacts,
    Thresholds,
    VisitFacts,
    distance_m,
    hamming,
    risk_of,
    visit_signals,
)
from support.scoring_builders import answers, item, one_section

SOUTHAMPTON = (50.9097, -1.4044)
START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
CHECKLIST = one_section(*[item(f"q{i}") for i in range(10)], item("listened", "scale", scale_max=5))


def _honest(**changes) -> VisitFacts:
    facts = VisitFacts(
        started_at=START,
        finished_at=START + timedelta(minutes=25),
        received_at=START + timedelta(hours=2),
        window_start=START - timedelta(days=1),
        window_end=START + timedelta(days=6),
        branch_latitude=SOUTHAMPTON[0],
        branch_longitude=SOUTHAMPTON[1],
        latitude=SOUTHAMPTON[0] + 0.0005,  # about 55 m north
        longitude=SOUTHAMPTON[1],
        accuracy_m=12,
        photos=[
            PhotoFacts(
                "storefront",
                START + timedelta(minutes=1),
                SOUTHAMPTON[0],
                SOUTHAMPTON[1],
                "ffff0000ffff0000",
            )
        ],
        photo_items_required=["storefront"],
        previous_visit_at=START - timedelta(days=200),
        other_photos=[OtherPhoto(7, "0000ffff0000ffff")],
        answers=answers(**{f"q{i}": i % 3 != 0 for i in range(10)}, listened=4),
        checklist=CHECKLIST,
    )
    return replace(facts, **changes)


def _codes(facts: VisitFacts, thresholds: Thresholds | None = None) -> list[str]:
    return [signal.code for signal in visit_signals(facts, thresholds or Thresholds())]


def test_an_honest_visit_stays_clean():
    assert visit_signals(_honest()) == []
    assert risk_of([]) == "none"


def _photo(**changes) -> PhotoFacts:
    return replace(_honest().photos[0], **changes)


SYDNEY = (-33.8688, 151.2093)


@pytest.mark.parametrize(
    ("code", "changes"),
    [
        ("gps_missing", {"latitude": None, "longitude": None}),
        ("gps_far_from_branch", {"latitude": 0.0, "longitude": 0.0}),
        ("gps_low_accuracy", {"accuracy_m": 350}),
        ("mock_location", {"mocked": True}),
        ("outside_window", {"window_start": START + timedelta(days=1)}),
        ("visit_too_short", {"finished_at": START + timedelta(minutes=2)}),
        ("visit_too_long", {"finished_at": START + timedelta(hours=5)}),
        ("late_report", {"received_at": START + timedelta(hours=30)}),
        ("photo_missing", {"photo_items_required": ["storefront", "receipt"]}),
        (
            "photo_time_mismatch",
            {"photos": [_photo(taken_at=START - timedelta(days=365))]},
        ),
        ("photo_gps_far", {"photos": [_photo(latitude=SYDNEY[0], longitude=SYDNEY[1])]}),
        ("photo_no_exif", {"photos": [_photo(taken_at=None)]}),
        ("photo_reused", {"other_photos": [OtherPhoto(42, "ffff0000ffff0001")]}),
        ("revisit_too_soon", {"previous_visit_at": START - timedelta(days=30)}),
        ("straight_lining", {"answers": answers(**{f"q{i}": True for i in range(10)}, listened=5)}),
    ],
)
def test_each_signal_trips_on_its_own_evidence(code, changes):
    assert _codes(_honest(**changes)) == [code]


def test_the_geofence_allows_for_the_reported_accuracy():
    about_300_m = _honest(latitude=SOUTHAMPTON[0] + 0.0027)
    assert _codes(about_300_m) == ["gps_far_from_branch"]
    assert _codes(replace(about_300_m, accuracy_m=80)) == []
    assert _codes(about_300_m, Thresholds(max_distance_m=400)) == []


def test_far_from_the_branch_carries_the_distance_and_accuracy():
    (signal,) = visit_signals(_honest(latitude=0.0, longitude=0.0))
    assert signal.severity == "high"
    assert signal.evidence["accuracy_m"] == 12
    assert signal.evidence["distance_m"] == pytest.approx(
        distance_m(0.0, 0.0, *SOUTHAMPTON), abs=0.1
    )


def test_a_reused_photo_names_the_other_submission():
    (signal,) = visit_signals(_honest(other_photos=[OtherPhoto(42, "ffff0000ffff0000")]))
    assert signal.evidence["submission"] == 42


def test_one_image_sent_for_two_items_of_the_visit_is_reused_too():
    storefront = _honest().photos[0]
    receipt = replace(storefront, item="receipt", perceptual_hash="ffff0000ffff0003")
    (signal,) = visit_signals(_honest(photos=[storefront, receipt]))
    assert signal.code == "photo_reused"
    assert signal.evidence["same_visit_item"] == "storefront"
    distinct = replace(receipt, perceptual_hash="00ff00ff00ff00ff")
    assert _codes(_honest(photos=[storefront, distinct])) == []


def test_equal_scale_answers_are_straight_lining_too():
    mixed = {f"q{i}": i % 2 == 0 for i in range(10)}
    assert _codes(_honest(answers=answers(**mixed, listened=3))) == []
    two_scales = one_section(
        *[item(f"q{i}") for i in range(9)],
        item("listened", "scale", scale_max=5),
        item("helped", "scale", scale_max=5),
    )
    same = answers(**{f"q{i}": i % 2 == 0 for i in range(9)}, listened=3, helped=3)
    assert _codes(_honest(checklist=two_scales, answers=same)) == ["straight_lining"]


def test_risk_is_the_highest_severity():
    signals = visit_signals(_honest(accuracy_m=350, mocked=True))
    assert [s.code for s in signals] == ["gps_low_accuracy", "mock_location"]
    assert risk_of(signals) == "high"
    assert risk_of(visit_signals(_honest(accuracy_m=350))) == "low"


def test_distance_and_hamming_are_sound():
    assert distance_m(*SOUTHAMPTON, *SOUTHAMPTON) == 0
    london = (51.5074, -0.1278)
    assert distance_m(*SOUTHAMPTON, *london) == pytest.approx(112_000, rel=0.02)
    assert hamming("ff", "fe") == 1
    assert hamming("ff", "fff") is None
    assert hamming("zz", "zz") is None
