"""Corrections: staff change answers of a scored audit, each with a reason, and it is re-scored.

Reviewers and head office correct what a shopper got wrong (a misread item, a receipt that
shows otherwise); an upheld appeal corrects through the same service. Each corrected answer
keeps the one it replaces (`AnswerVersion`: value, who, when, why) and counts up its
`version`; the audit gets a new `Score` revision (the old one is kept, not current), its
league tables follow (the debounced refresh), and the trail records the correction with every
item's value before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from audits.errors import InvalidInput, NotCorrectable
from audits.models import (
    Answer,
    AnswerVersion,
    EventKind,
    Submission,
    SubmissionStatus,
    User,
)
from audits.services import trail
from audits.services.actions import actions_on_correction
from audits.services.keyed_rows import keyed_row_problems
from audits.services.rescoring import rescore_batch
from scoring.answers import validate_answers
from scoring.types import Answer as AnswerData

S = SubmissionStatus
CORRECTABLE = (S.SCORED, S.IN_REVIEW, S.RELEASED, S.RELEASED_EXCLUDED)
MAX_CORRECTED_ITEMS = 500


@dataclass(frozen=True)
class ItemCorrection:
    """One item's new answer: `value`, or N/A (`na`); and why."""

    item: str
    reason: str
    value: Any = None
    na: bool = False


def _as_data(answer: Answer) -> AnswerData:
    return AnswerData(item=answer.item, value=answer.value, na=answer.na, comment=answer.comment)


def _checked(items: Sequence[ItemCorrection], current: dict[str, Answer], checklist) -> None:
    """Every problem with the corrections at once, each naming `items.<i>.<field>`."""
    problems: dict[str, list[str]] = {}
    if not items:
        problems["items"] = ["Correct at least one item."]
    if len(items) > MAX_CORRECTED_ITEMS:
        problems["items"] = [f"At most {MAX_CORRECTED_ITEMS} items."]
    problems |= keyed_row_problems(items, name="items", repeated="Corrected more than once.")
    for index, correction in enumerate(items):
        if correction.na and correction.value is not None:
            problems.setdefault(f"items.{index}.value", []).append(
                "An N/A answer cannot also have a value."
            )
    if problems:
        raise InvalidInput(problems)
    corrected = {c.item: c for c in items}
    answers = [
        AnswerData(item=key, value=c.value, na=c.na, comment=current[key].comment)
        if (c := corrected.get(key)) and key in current
        else _as_data(answer)
        for key, answer in current.items()
    ]
    answers += [
        AnswerData(item=c.item, value=c.value, na=c.na) for c in items if c.item not in current
    ]
    errors = validate_answers(checklist, answers, na_by_staff={c.item for c in items if c.na})
    if errors:
        index_of = {c.item: index for index, c in enumerate(items)}
        raise InvalidInput(
            {
                f"items.{index_of[key]}.value" if key in index_of else f"answers.{key}": msgs
                for key, msgs in errors.items()
            }
        )


def _summary(items: Sequence[ItemCorrection]) -> str:
    """The event's reason: the one item's, or a count (each item's reason is in `after`)."""
    if len(items) == 1:
        return items[0].reason.strip()
    return f"{len(items)} items corrected; each item's reason is with its new answer."


def _state(answer: Answer | None) -> dict:
    if answer is None:
        return {"answered": False}
    return {"value": answer.value, "na": answer.na, "version": answer.version}


def submission_correct(
    *, submission: Submission, by: User, items: Sequence[ItemCorrection]
) -> Submission:
    """Correct answers of a scored, in-review or released audit and re-score it (one
    transaction: the answers, their kept versions, the event and the new score together).

    A 409 `not_correctable` for any other status; a 400 naming `items.<i>.<field>` for a
    missing reason, an item corrected twice, or a value the item does not take (checked with
    the whole audit's answers, so a correction that reveals a `show_if` item must answer it).
    """
    with transaction.atomic():
        locked = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("assignment__checklist", "assignment__branch")
            .get(pk=submission.pk)
        )
        if locked.status not in CORRECTABLE:
            raise NotCorrectable(
                f"This audit is {locked.status}: only scored, in-review and released audits "
                "are corrected."
            )
        current = {a.item: a for a in Answer.objects.filter(submission=locked)}
        _checked(items, current, locked.assignment.checklist.checklist)
        now = timezone.now()
        before, after = {}, {}
        next_position = max((a.position for a in current.values()), default=-1) + 1
        for correction in items:
            answer = current.get(correction.item)
            before[correction.item] = _state(answer)
            AnswerVersion.objects.create(
                submission=locked,
                item=correction.item,
                version=answer.version if answer else 0,
                value=answer.value if answer else None,
                na=answer.na if answer else False,
                answered=answer is not None,
                replaced_at=now,
                replaced_by=by,
                reason=correction.reason.strip(),
            )
            if answer is None:
                answer = Answer(
                    submission=locked, item=correction.item, position=next_position, version=0
                )
                next_position += 1
            answer.value, answer.na = correction.value, correction.na
            answer.version += 1
            answer.save()
            after[correction.item] = {
                **_state(answer),
                "reason": correction.reason.strip(),
            }
        trail.record(
            EventKind.CORRECTION,
            brand_id=locked.assignment.branch.brand_id,
            by=by,
            submission_id=locked.pk,
            shopper_id=locked.shopper_id,
            reason=_summary(items),
            before=before,
            after=after,
            at=now,
        )
        rescore_batch([locked.pk], by=by, reason="correction")
        actions_on_correction(locked, by=by, reasons={c.item: c.reason.strip() for c in items})
    return Submission.objects.get(pk=locked.pk)
