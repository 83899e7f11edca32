"""List rows of visits leave their answers and score items out; the detail carries them, and
`?include=answers` / `?include=score_items` put them in list rows.

A page of 50 audits held about 2,000 answers (issue 14: 379 KB for a head-office page); a
list is for finding a visit, the detail for reading it.
"""

from __future__ import annotations

import pytest

from support.helpers import client_for, scored_submission

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/audits/", "/api/v1/submissions/"]


@pytest.fixture
def audit(world):
    return scored_submission(world)


# A shopper's own work is not an audit to them: they list it as submissions.
READERS = [(path, reader) for path in LISTS for reader in ("hq", "owner_a")] + [
    ("/api/v1/submissions/", "shopper")
]


@pytest.mark.parametrize(("path", "reader"), READERS)
def test_list_rows_have_no_answers_unless_asked(world, audit, path, reader):
    client = client_for(getattr(world, reader))
    light = client.get(path)
    assert light.status_code == 200, light.content
    (row,) = light.json()["results"]
    assert row["id"] == audit.pk and "answers" not in row
    assert row["score"]["overall"] is not None and "items" not in row["score"]

    full = client.get(path, {"include": "answers"})
    assert full.status_code == 200, full.content
    (row,) = full.json()["results"]
    stored = list(audit.answers.order_by("position").values_list("item", flat=True))
    assert [answer["item"] for answer in row["answers"]] == stored


@pytest.mark.parametrize(("path", "reader"), READERS)
def test_score_items_on_request_and_both_together(world, audit, path, reader):
    client = client_for(getattr(world, reader))
    items = client.get(path, {"include": "score_items"}).json()["results"][0]
    assert "answers" not in items
    assert [i["item"] for i in items["score"]["items"]] == [
        i["item"] for i in audit.scores.get(is_current=True).items
    ]
    both = client.get(f"{path}?include=answers&include=score_items").json()["results"][0]
    assert both["answers"] and both["score"]["items"]


@pytest.mark.parametrize("path", LISTS)
def test_the_detail_always_has_its_answers_and_score_items(world, audit, path):
    detail = client_for(world.hq).get(f"{path}{audit.pk}/")
    assert detail.status_code == 200
    assert len(detail.json()["answers"]) == audit.answers.count() > 0
    assert detail.json()["score"]["items"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("value", ["photos", "", "ANSWERS"])
def test_an_unknown_include_is_a_400_naming_it(world, audit, path, value):
    refused = client_for(world.hq).get(path, {"include": value})
    assert refused.status_code == 400
    assert [error["attr"] for error in refused.json()["errors"]] == ["include"]


def test_a_light_page_reads_no_answers(world, audit):
    """The answers are not even read: no query touches the answer table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client_for(world.hq).get("/api/v1/audits/").status_code == 200
    assert not [q["sql"] for q in queries if '"audits_answer"' in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        client_for(world.hq).get("/api/v1/audits/", {"include": "answers"})
    assert [q["sql"] for q in queries if '"audits_answer"' in q["sql"]]
