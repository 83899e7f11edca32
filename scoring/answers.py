"""Read a shopper's answers and check them against the checklist before anything is scored.

Validation is separate from scoring so that the API can tell a shopper everything that is
wrong with a submission in one reply (keyed by item, the way the app lays out the form), while
the engine stays a fast function of answers already known to be valid.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from scoring.checklist import valid_value_error
from scoring.compiled import answers_by_key, compile_checklist
from scoring.types import Answer, Checklist

LIST_KEY = "answers"


class AnswersError(ValueError):
    """Raw answers that are not even shaped like answers; `errors` maps JSON paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(f"malformed answers: {errors}")


def parse_answers(raw: Sequence[Mapping]) -> list[Answer]:
    """Turn `[{item, value, comment}, {item, na: true}, ...]` into `Answer`s.

    Only the shape is checked here (paths like `answers[2].item`); whether a value suits its
    item is `validate_answers`' job, which needs the checklist.
    """
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
        raise AnswersError({LIST_KEY: ["must be a list"]})
    errors: dict[str, list[str]] = {}
    answers: list[Answer] = []
    for index, entry in enumerate(raw):
        path = f"{LIST_KEY}[{index}]"
        if not isinstance(entry, Mapping):
            errors.setdefault(path, []).append("expected an object")
            continue
        item = entry.get("item")
        if not isinstance(item, str) or not item:
            errors.setdefault(f"{path}.item", []).append("must be the key of an item")
        na = entry.get("na")
        if na is None:
            na = False
        elif not isinstance(na, bool):
            errors.setdefault(f"{path}.na", []).append("must be true or false")
        comment = entry.get("comment")
        if comment is None:
            comment = ""
        elif not isinstance(comment, str):
            errors.setdefault(f"{path}.comment", []).append("must be text")
        answers.append(Answer(item=item, value=entry.get("value"), na=na, comment=comment))
    if errors:
        raise AnswersError(errors)
    return answers


def too_many_answers(checklist: Checklist, count: int) -> str | None:
    """Why `count` answers cannot belong to `checklist`, or None: at most one per item.

    Checked before anything else about the answers, so a flood of them costs one comparison
    and one error, not one error per answer.
    """
    items = len(checklist.items())
    if count > items:
        return f"Ensure this field has no more than {items} elements (one per checklist item)."
    return None


def visible_item_keys(checklist: Checklist, answers: Sequence[Answer]) -> set[str]:
    """Keys of the items the shopper is shown for these answers.

    An item with show_if is shown only when the item it refers to is shown, answered (not
    N/A) and answered with exactly `equals`; since show_if always points backwards, one pass in
    checklist order settles every item.
    """
    return compile_checklist(checklist).visible_keys(answers_by_key(answers))


def validate_answers(
    checklist: Checklist, answers: Sequence[Answer], *, na_by_staff: Collection[str] = ()
) -> dict[str, list[str]]:
    """Every problem with `answers`, keyed by item key ("answers" for list-level problems).

    An empty dict means the answers can be scored. `na_by_staff` names items staff set to
    N/A in a correction or an upheld appeal: N/A is theirs to give whatever the item allows
    the shopper (an item that should not have counted is taken out of the score).
    """
    compiled = compile_checklist(checklist)
    errors: dict[str, list[str]] = {}

    def error(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    seen: set[str] = set()
    for answer in answers:
        key = answer.item
        if not isinstance(key, str) or not key:
            error(LIST_KEY, "an answer has no item key")
            continue
        if key not in compiled.by_key:
            error(key, "unknown item")
        elif key in seen:
            error(key, "answered more than once")
        seen.add(key)

    by_key = answers_by_key(answers)
    visible = compiled.visible_keys(by_key)
    for compiled_item in compiled.items:
        item, key = compiled_item.item, compiled_item.key
        answer = by_key.get(key)
        if key not in visible:
            if answer is not None:
                error(key, f"this item is hidden by show_if on {compiled_item.show_if_item!r}")
            continue
        if answer is None:
            if item.type != "photo":
                error(key, "answer required")
            continue
        if answer.na:
            if not item.na_allowed and key not in na_by_staff:
                error(key, "N/A is not allowed for this item")
            if answer.value is not None:
                error(key, "an N/A answer cannot also have a value")
            continue
        problem = _value_problem(item, answer.value)
        if problem is not None:
            error(key, problem)
    return errors


def _value_problem(item: Any, value: Any) -> str | None:
    if value is None and item.type != "photo":
        return "answer required"
    return valid_value_error(item, value)


def photo_item_error(checklist: Checklist, answers: Sequence[Answer], item_key: str) -> str | None:
    """Why a photo cannot be attached to `item_key` for these answers, or None if it can.

    A photo belongs to an item that takes photos (a `photo` item, or one that requires a
    photo as proof) and that the shopper was shown; a blank key attaches it to the visit.
    """
    if not item_key:
        return None
    item = next((i for i in checklist.items() if i.key == item_key), None)
    if item is None:
        return f"Unknown item '{item_key}'."
    if item.type != "photo" and not item.requires_photo:
        return f"Item '{item_key}' takes no photos."
    if item_key not in visible_item_keys(checklist, answers):
        return f"Item '{item_key}' is not shown for these answers."
    return None
