"""Small builders for checklists and answers in the JSON shape, shared by the scoring tests.

Tests spell out only what matters to them; everything else gets a dull valid default.
"""

from __future__ import annotations

from typing import Any

from scoring.answers import parse_answers
from scoring.checklist import parse_checklist
from scoring.types import Answer, Checklist


def item(key: str, type: str = "yes_no", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"key": key, "text": f"Item {key}", "type": type}
    if type == "scale":
        data["scale_max"] = 5
    if type == "choice":
        data["options"] = [
            {"key": "good", "label": "Good", "points": 1},
            {"key": "partly", "label": "Partly", "points": 0.5},
            {"key": "bad", "label": "Bad", "points": 0},
        ]
    data.update(fields)
    return data


def section(key: str, *items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": key,
        "title": f"Section {key}",
        "dimension": fields.pop("dimension", key),
        "items": list(items),
    }
    data.update(fields)
    return data


def checklist_data(*sections: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"title": "Test checklist", "sections": list(sections), **fields}


def checklist(*sections: dict[str, Any], **fields: Any) -> Checklist:
    return parse_checklist(checklist_data(*sections, **fields))


def one_section(*items: dict[str, Any], **fields: Any) -> Checklist:
    """A checklist with a single section `s` holding `items`."""
    return checklist(section("s", *items), **fields)


def answers(**values: Any) -> list[Answer]:
    """`answers(a=True, b=4, c=NA)`: one answer per keyword, in order."""
    raw = [
        {"item": key, "na": True} if value is NA else {"item": key, "value": value}
        for key, value in values.items()
    ]
    return parse_answers(raw)


NA = object()
