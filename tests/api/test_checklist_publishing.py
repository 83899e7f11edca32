"""Head office publishes checklists as immutable numbered versions; bad ones get 400 by place."""

from __future__ import annotations

import copy

import pytest

from audits.models import ChecklistTemplate, ChecklistVersion
from support.factories import SMALL_CHECKLIST
from support.helpers import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/checklists/"
TOP_KEYS = {"id", "template", "version", "title", "pass_mark", "critical_policy", "sections"}
SECTION_KEYS = {"key", "title", "dimension", "weight", "items"}
ITEM_KEYS = {
    "key",
    "text",
    "type",
    "weight",
    "critical",
    "na_allowed",
    "bonus",
    "requires_photo",
    "staff_only",
    "scale_max",
    "min_value",
    "max_value",
    "max_length",
    "options",
    "bands",
    "show_if",
}


def definition(template: str = "Store visit") -> dict:
    return {"template": template, **copy.deepcopy(SMALL_CHECKLIST)}


def publish(user, body):
    return client_for(user).post(URL, body, format="json")


# --- publishing ----------------------------------------------------------------------------


def test_head_office_publishes_version_one_then_two(world):
    first = publish(world.hq, definition())
    second = publish(world.hq, definition())
    assert (first.status_code, second.status_code) == (201, 201), first.content
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["template"] == second.json()["template"] == "Store visit"
    template = ChecklistTemplate.objects.get(brand=world.brand, name="Store visit")
    assert list(template.versions.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert ChecklistVersion.objects.get(pk=second.json()["id"]).published_by == world.hq


def test_versions_are_numbered_per_template_and_per_brand(world):
    publish(world.hq, definition("Store visit"))
    other_template = publish(world.hq, definition("Drive-through"))
    other_brand = publish(world.other_hq, definition("Store visit"))
    assert other_template.json()["version"] == 1
    assert other_brand.json()["version"] == 1
    assert (
        ChecklistTemplate.objects.get(
            pk=ChecklistVersion.objects.get(pk=other_brand.json()["id"]).template_id
        ).brand
        == world.other_brand
    )


def test_published_version_reads_back_in_the_issue_shape_in_order(world):
    created = publish(world.hq, definition()).json()
    response = client_for(world.hq).get(f"{URL}{created['id']}/")
    assert response.status_code == 200
    body = response.json()
    assert body == created
    assert set(body) == TOP_KEYS
    assert (body["title"], body["pass_mark"], body["critical_policy"]) == ("Test visit", 80, "flag")
    assert [s["key"] for s in body["sections"]] == ["first_impression", "care", "recovery"]
    for section in body["sections"]:
        assert set(section) == SECTION_KEYS
        for item in section["items"]:
            assert set(item) == ITEM_KEYS
    items = [i["key"] for s in body["sections"] for i in s["items"]]
    expected = [i["key"] for s in SMALL_CHECKLIST["sections"] for i in s["items"]]
    assert items == expected
    resolution = body["sections"][1]["items"][3]
    assert resolution["options"] == [
        {"key": "solved", "label": "Solved at once", "points": 1},
        {"key": "referred", "label": "Referred elsewhere", "points": 0.5},
        {"key": "ignored", "label": "Not handled", "points": 0},
    ]
    apology = body["sections"][2]["items"][1]
    assert apology["show_if"] == {"item": "went_wrong", "equals": True}
    wait = body["sections"][0]["items"][1]
    assert wait["bands"] == [{"max": 60, "points": 1}, {"max": 180, "points": 0.5}]
    # Defaults are spelled out: weight 1, flags false, scale_max null off scale items.
    greeted = body["sections"][0]["items"][0]
    assert greeted == {
        "key": "greeted",
        "text": "Greeted on arrival?",
        "type": "yes_no",
        "weight": 1,
        "critical": False,
        "na_allowed": False,
        "bonus": False,
        "requires_photo": False,
        "staff_only": False,
        "scale_max": None,
        "min_value": None,
        "max_value": None,
        "max_length": None,
        "options": [],
        "bands": [],
        "show_if": None,
    }


def test_a_read_version_can_be_posted_back_as_the_next_one(world):
    first = publish(world.hq, definition()).json()
    body = {k: v for k, v in first.items() if k not in {"id", "version"}}
    again = publish(world.hq, body)
    assert again.status_code == 201
    assert again.json()["version"] == 2
    assert again.json()["sections"] == first["sections"]


def test_the_default_checklist_fixture_publishes(world):
    import json
    from pathlib import Path

    import audits

    path = Path(audits.__file__).parent / "fixtures" / "default_checklist.json"
    body = {"template": "Default", **json.loads(path.read_text())}
    response = publish(world.hq, body)
    assert response.status_code == 201, response.content
    dimensions = {s["dimension"] for s in response.json()["sections"]}
    assert {"care_and_concern", "problem_solving", "spontaneity", "recovery"} <= dimensions


# --- immutability --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_published_versions_cannot_be_changed(world, method):
    created = publish(world.hq, definition()).json()
    changed = {**definition(), "title": "Rewritten"}
    response = getattr(client_for(world.hq), method)(
        f"{URL}{created['id']}/", changed, format="json"
    )
    assert response.status_code == 405
    version = ChecklistVersion.objects.get(pk=created["id"])
    assert version.title == "Test visit"
    assert client_for(world.hq).get(f"{URL}{created['id']}/").json() == created


def test_publishing_a_new_version_leaves_the_pinned_one_alone(world):
    pinned = client_for(world.shopper).get(f"{URL}{world.checklist.pk}/").json()
    body = {**definition(world.checklist.template.name), "title": "Second edition"}
    body["sections"] = body["sections"][:2]
    response = publish(world.hq, body)
    assert response.status_code == 201
    assert response.json()["version"] > world.checklist.version
    world.assignment.refresh_from_db()
    assert world.assignment.checklist_id == world.checklist.pk
    assert client_for(world.shopper).get(f"{URL}{world.checklist.pk}/").json() == pinned


# --- malformed templates -------------------------------------------------------------------


def _set(path: list, value):
    def mutate(body):
        target = body
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()
ITEMS = "items"

MALFORMED = [
    (
        "duplicate item key",
        _set(["sections", 1, ITEMS, 0, "key"], "greeted"),
        "sections[1].items[0].key",
    ),
    ("duplicate section key", _set(["sections", 1, "key"], "first_impression"), "sections[1].key"),
    (
        "duplicate option key",
        _set(["sections", 1, ITEMS, 3, "options", 1, "key"], "solved"),
        "sections[1].items[3].options[1].key",
    ),
    (
        "show_if on a later item",
        _set(["sections", 0, ITEMS, 0, "show_if"], {"item": "went_wrong", "equals": True}),
        "sections[0].items[0].show_if.item",
    ),
    (
        "show_if on an unknown item",
        _set(["sections", 2, ITEMS, 1, "show_if", "item"], "ghost"),
        "sections[2].items[1].show_if.item",
    ),
    (
        "show_if on itself",
        _set(["sections", 2, ITEMS, 1, "show_if", "item"], "apology"),
        "sections[2].items[1].show_if.item",
    ),
    (
        "show_if equals an impossible answer",
        _set(["sections", 2, ITEMS, 1, "show_if", "equals"], "maybe"),
        "sections[2].items[1].show_if.equals",
    ),
    (
        "options missing for choice",
        _set(["sections", 1, ITEMS, 3, "options"], _DELETE),
        "sections[1].items[3].options",
    ),
    (
        "options empty for choice",
        _set(["sections", 1, ITEMS, 3, "options"], []),
        "sections[1].items[3].options",
    ),
    (
        "points above 1",
        _set(["sections", 1, ITEMS, 3, "options", 0, "points"], 1.5),
        "sections[1].items[3].options[0].points",
    ),
    (
        "points below 0",
        _set(["sections", 1, ITEMS, 3, "options", 2, "points"], -0.1),
        "sections[1].items[3].options[2].points",
    ),
    (
        "band points above 1",
        _set(["sections", 0, ITEMS, 1, "bands", 0, "points"], 2),
        "sections[0].items[1].bands[0].points",
    ),
    (
        "bands out of order",
        _set(["sections", 0, ITEMS, 1, "bands", 1, "max"], 30),
        "sections[0].items[1].bands[1].max",
    ),
    (
        "scale without scale_max",
        _set(["sections", 1, ITEMS, 0, "scale_max"], _DELETE),
        "sections[1].items[0].scale_max",
    ),
    (
        "scale_max below 2",
        _set(["sections", 1, ITEMS, 0, "scale_max"], 1),
        "sections[1].items[0].scale_max",
    ),
    (
        "unknown item type",
        _set(["sections", 0, ITEMS, 0, "type"], "essay"),
        "sections[0].items[0].type",
    ),
    (
        "item without text",
        _set(["sections", 0, ITEMS, 0, "text"], _DELETE),
        "sections[0].items[0].text",
    ),
    (
        "negative weight",
        _set(["sections", 0, ITEMS, 0, "weight"], -1),
        "sections[0].items[0].weight",
    ),
    (
        "critical bonus item",
        _set(["sections", 1, ITEMS, 4, "critical"], True),
        "sections[1].items[4].critical",
    ),
    (
        "flag that is not a boolean",
        _set(["sections", 0, ITEMS, 0, "na_allowed"], "yes"),
        "sections[0].items[0].na_allowed",
    ),
    ("section without items", _set(["sections", 2, ITEMS], []), "sections[2].items"),
    ("no sections", _set(["sections"], []), "sections"),
    ("pass_mark above 100", _set(["pass_mark"], 120), "pass_mark"),
    ("unknown critical policy", _set(["critical_policy"], "maybe"), "critical_policy"),
    ("missing title", _set(["title"], _DELETE), "title"),
    ("missing template", _set(["template"], _DELETE), "template"),
    ("blank template", _set(["template"], "  "), "template"),
    ("template name too long", _set(["template"], "t" * 201), "template"),
    ("title too long", _set(["title"], "t" * 301), "title"),
]


@pytest.mark.parametrize(
    ("mutate", "attr"), [(m, a) for _, m, a in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_template_is_400_naming_the_place_and_stores_nothing(world, mutate, attr):
    body = definition()
    mutate(body)
    before = ChecklistVersion.objects.count()
    response = publish(world.hq, body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["type"] == "validation_error"
    assert attr in {e["attr"] for e in data["errors"]}, data
    assert ChecklistVersion.objects.count() == before
    assert not ChecklistTemplate.objects.filter(name="Store visit").exists()


def test_every_problem_is_reported_in_one_response(world):
    body = definition()
    body["sections"][1]["items"][0]["key"] = "greeted"
    body["sections"][1]["items"][3]["options"][0]["points"] = 3
    body["pass_mark"] = -5
    response = publish(world.hq, body)
    attrs = {e["attr"] for e in response.json()["errors"]}
    assert {
        "sections[1].items[0].key",
        "sections[1].items[3].options[0].points",
        "pass_mark",
    } <= attrs


@pytest.mark.parametrize("body", [[], "a checklist", 42])
def test_a_body_that_is_not_an_object_is_400(world, body):
    response = publish(world.hq, body)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


# --- who may publish and read --------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner_a", "shopper", "reviewer"])
def test_only_head_office_publishes(world, role):
    response = publish(getattr(world, role), definition())
    assert response.status_code == 403
    assert not ChecklistTemplate.objects.filter(name="Store visit").exists()


@pytest.mark.parametrize("role", ["owner_a", "owner_b", "reviewer", "hq"])
def test_brand_readers_read_every_published_version(world, role):
    created = publish(world.hq, definition()).json()
    response = client_for(getattr(world, role)).get(f"{URL}{created['id']}/")
    assert response.status_code == 200
    assert response.json() == created


def test_shopper_reads_only_the_versions_of_their_assignments(world):
    created = publish(world.hq, definition()).json()
    client = client_for(world.shopper)
    assert client.get(f"{URL}{world.checklist.pk}/").status_code == 200
    assert client.get(f"{URL}{created['id']}/").status_code == 404


def test_other_brand_cannot_read_the_checklist(world):
    created = publish(world.hq, definition()).json()
    assert client_for(world.other_hq).get(f"{URL}{created['id']}/").status_code == 404
