"""Receiving a visit from a phone: idempotent, all-or-nothing, and queued for scoring on commit.

Phones work offline and retry on flaky networks, so every write here is keyed by an id the
phone made (`client_id`): the same request sent twice gives the same row, never a second one,
and a different body under the same id is a conflict, not an overwrite.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from audits import dispatch
from audits.bulk import insert_rows
from audits.errors import AssignmentClosed, AssignmentNotAccepted, Conflict, InvalidInput
from audits.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    Submission,
    SubmissionStatus,
    SubmissionVersion,
    User,
)
from audits.selectors import prefetched
from audits.services import submission_states as states
from scoring.answers import AnswersError, parse_answers, too_many_answers, validate_answers
from scoring.types import Answer as AnswerData

# Phones' clocks drift: a visit may look this far in the future and still be real.
CLOCK_DRIFT = timedelta(minutes=10)
MAX_VISIT = timedelta(hours=24)
CLOSED_ASSIGNMENT_STATUSES = (
    AssignmentStatus.DECLINED,
    AssignmentStatus.CANCELLED,
    AssignmentStatus.EXPIRED,
)
RESUBMIT = "resubmit"

logger = logging.getLogger(__name__)


def payload_fingerprint(payload: Mapping[str, Any]) -> str:
    """A stable hash of a request body, to tell a replay from a conflicting second body."""
    canonical = json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def submission_fingerprint(
    *,
    assignment_id: int,
    client_id: uuid.UUID,
    started_at: datetime,
    finished_at: datetime,
    location: Mapping[str, float] | None,
    photo_count: int,
    answers: Sequence[Mapping[str, Any]],
) -> str:
    """The `payload_hash` of a submission: the fingerprint of the body the phone sent.

    A replay of that body matches it and anything else under the same client_id conflicts;
    every writer of submissions (this service, the demo data) hashes through here.
    """
    return payload_fingerprint(
        {
            "assignment": assignment_id,
            "client_id": client_id,
            "started_at": started_at,
            "finished_at": finished_at,
            "location": location,
            "photo_count": photo_count,
            "answers": list(answers),
        }
    )


def _stored_under(shopper: User, client_id: uuid.UUID) -> tuple[Submission, str] | None:
    """The submission this shopper's phone sent under `client_id`, with that body's hash.

    A client_id names one body: the submission's latest, or an earlier version of it that a
    resubmission replaced (a late retry of the first send must still be recognised).
    """
    current = Submission.objects.filter(shopper=shopper, client_id=client_id).first()
    if current is not None:
        return current, current.payload_hash
    earlier = (
        SubmissionVersion.objects.filter(submission__shopper=shopper, client_id=client_id)
        .select_related("submission")
        .first()
    )
    if earlier is not None:
        return earlier.submission, earlier.payload_hash
    return None


def _replay_or_conflict(
    stored: tuple[Submission, str], fingerprint: str
) -> tuple[Submission, bool]:
    submission, payload_hash = stored
    if payload_hash != fingerprint:
        raise Conflict("This client_id was already used for a different submission.")
    return Submission.objects.get(pk=submission.pk), False


def _check_assignment_open(assignment: Assignment) -> None:
    """Only an accepted visit takes a report; a closed one says which state closed it.

    Reads the status afresh: the caller's copy may be older than the request.
    """
    if Submission.objects.filter(assignment=assignment).exists():
        raise Conflict("This assignment already has a submission.")
    current = Assignment.objects.values_list("status", flat=True).get(pk=assignment.pk)
    if current == AssignmentStatus.OFFERED:
        raise AssignmentNotAccepted(
            "This assignment is offered, not accepted: accept it before reporting the visit."
        )
    if current in CLOSED_ASSIGNMENT_STATUSES:
        raise AssignmentClosed(f"This assignment is {current} and takes no submission.")
    if current != AssignmentStatus.ACCEPTED:
        raise Conflict(f"This assignment is {current} and takes no submission.")


class _AssignmentMoved(Exception):
    """The assignment left `accepted` between the checks and the write (a concurrent retry
    stored the visit, or head office cancelled it): the write is rolled back."""


def _replay(
    shopper: User, client_id: uuid.UUID, fingerprint: str
) -> tuple[Submission, bool] | None:
    """The stored submission when `client_id` was sent before (a 409 if with another body),
    else None."""
    stored = _stored_under(shopper, client_id)
    return None if stored is None else _replay_or_conflict(stored, fingerprint)


def _replay_or_refusal(
    shopper: User, client_id: uuid.UUID, fingerprint: str, assignment: Assignment
) -> tuple[Submission, bool] | None:
    """A retry of a stored body (returned as such), a 409 naming why the assignment takes no
    report, or None when it has become open since the caller read it."""
    answered = _replay(shopper, client_id, fingerprint)
    if answered is None:
        _check_assignment_open(assignment)
    return answered


def _validated_answers(assignment: Assignment, answers: Sequence[Mapping[str, Any]]) -> list:
    checklist = assignment.checklist.checklist
    too_many = too_many_answers(checklist, len(answers))
    if too_many:
        raise InvalidInput.field("answers", too_many, code="max_length")
    try:
        parsed = parse_answers(answers)
    except AnswersError as exc:
        raise InvalidInput(exc.errors) from exc
    errors = validate_answers(checklist, parsed)
    if errors:
        # Name each offending item: attr "answers.<item key>" in the error body.
        raise InvalidInput(
            {key if key == "answers" else f"answers.{key}": msgs for key, msgs in errors.items()}
        )
    return parsed


def submission_create(
    *,
    shopper: User,
    assignment: Assignment,
    client_id: uuid.UUID,
    started_at: datetime,
    finished_at: datetime,
    answers: Sequence[Mapping[str, Any]],
    location: Mapping[str, float] | None = None,
    photo_count: int = 0,
) -> tuple[Submission, bool]:
    """Store a submission and its answers, or return the one a replay already stored.

    Returns (submission, created). Raises Conflict for a reused client_id with another body
    or a second submission for the assignment, and InvalidInput naming each bad item;
    nothing is stored unless everything is valid.
    """
    fingerprint = submission_fingerprint(
        assignment_id=assignment.pk,
        client_id=client_id,
        started_at=started_at,
        finished_at=finished_at,
        location=location,
        photo_count=photo_count,
        answers=answers,
    )
    if assignment.shopper_id != shopper.pk:
        raise InvalidInput({"assignment": ["This assignment is not yours."]})
    # A first send finds its assignment accepted and pays for no look-up of earlier sends:
    # the conditional update in `_store` and the unique constraints settle races and replays.
    if assignment.status != AssignmentStatus.ACCEPTED:
        answered = _replay_or_refusal(shopper, client_id, fingerprint, assignment)
        if answered is not None:
            return answered
    try:
        _check_visit_times(started_at, finished_at, offered_at=assignment.created_at)
        parsed = _validated_answers(assignment, answers)
    except InvalidInput:
        # A retry is answered as one even if it would not pass today's checks (its visit
        # now looks too old, say): the body was accepted when it was first sent.
        answered = _replay(shopper, client_id, fingerprint)
        if answered is None:
            raise
        return answered

    try:
        with transaction.atomic():
            submission = _store(
                shopper=shopper,
                assignment=assignment,
                client_id=client_id,
                fingerprint=fingerprint,
                started_at=started_at,
                finished_at=finished_at,
                location=location or {},
                photo_count=photo_count,
                answers=parsed,
            )
    except (IntegrityError, _AssignmentMoved):
        # Two retries raced past the checks above; the loser reads what the winner stored.
        answered = _replay_or_refusal(shopper, client_id, fingerprint, assignment)
        if answered is not None:
            return answered
        raise Conflict("This assignment already has a submission.") from None
    return submission, True


def _store(
    *,
    shopper: User,
    assignment: Assignment,
    client_id: uuid.UUID,
    fingerprint: str,
    started_at: datetime,
    finished_at: datetime,
    location: Mapping[str, float],
    photo_count: int,
    answers: Sequence[Any],
) -> Submission:
    """Write a first send in three statements: the assignment moved on (conditionally, which
    also locks it against a concurrent retry), the submission, already queued when it has
    no photos to wait for, and its answers. The returned row carries its answers and its
    (empty) photos and scores, so answering the phone reads nothing back."""
    moved = Assignment.objects.filter(pk=assignment.pk, status=AssignmentStatus.ACCEPTED).update(
        status=AssignmentStatus.SUBMITTED
    )
    if not moved:
        raise _AssignmentMoved
    assignment.status = AssignmentStatus.SUBMITTED
    complete = photo_count == 0
    submission = Submission.objects.create(
        assignment=assignment,
        shopper=shopper,
        client_id=client_id,
        payload_hash=fingerprint,
        started_at=started_at,
        finished_at=finished_at,
        **location_columns(location),
        photo_count=photo_count,
        status=SubmissionStatus.QUEUED if complete else SubmissionStatus.AWAITING_MEDIA,
        queued_at=timezone.now() if complete else None,
    )
    stored = answers_store(submission=submission, answers=answers)
    prefetched(submission, answers=stored, photos=[])
    submission.current_scores = []
    if complete:
        _send_on_commit(submission.pk)
    return submission


def location_columns(location: Mapping[str, Any]) -> dict[str, Any]:
    """The Submission columns of a phone's `location` body ({} when it sent none)."""
    return {
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "accuracy_m": location.get("accuracy_m"),
        "mocked_location": bool(location.get("mocked", False)),
    }


def as_stored(answers: Sequence[AnswerData]) -> list[AnswerData]:
    """Parsed answers as they are stored, and so later scored: an N/A answer keeps no value."""
    return [replace(answer, value=None) if answer.na else answer for answer in answers]


def answers_as_data(answers: list[Answer]) -> list[AnswerData]:
    """Map stored answer rows to the scoring package's dataclasses (the one place it happens)."""
    return [
        AnswerData(item=a.item, value=a.value, na=a.na, comment=a.comment)
        for a in sorted(answers, key=lambda a: a.position)
    ]


ANSWER_COLUMNS = ("submission", "item", "value", "na", "comment", "position", "version")


def answers_store(*, submission: Submission, answers: Sequence[AnswerData]) -> list[Answer]:
    """Insert a submission's parsed answers as stored, in the order the phone sent them.

    One plain insert (`insert_rows`: COPY on PostgreSQL), not `bulk_create`; the rows come
    back as unsaved-looking instances without their ids, which no reader of a visit serves.
    """
    rows = [
        Answer(
            submission=submission,
            item=answer.item,
            value=answer.value,
            na=answer.na,
            comment=answer.comment,
            position=position,
        )
        for position, answer in enumerate(as_stored(answers))
    ]
    insert_rows(
        Answer,
        ANSWER_COLUMNS,
        ((submission.pk, a.item, a.value, a.na, a.comment, a.position, a.version) for a in rows),
    )
    return rows


def _check_visit_times(
    started_at: datetime, finished_at: datetime, *, offered_at: datetime
) -> None:
    """A visit happened: after it was offered, not in the future (past a phone clock's drift),
    in order, within a day. Every offending field is named at once.
    """
    errors: dict[str, list[str]] = {}
    if started_at < offered_at:
        errors["started_at"] = [
            f"The visit cannot start before it was offered ({offered_at.isoformat()})."
        ]
    latest = timezone.now() + CLOCK_DRIFT
    for name, value in (("started_at", started_at), ("finished_at", finished_at)):
        if value > latest:
            errors.setdefault(name, []).append(
                "A visit cannot be reported before it happened (it is in the future)."
            )
    if finished_at < started_at:
        errors.setdefault("finished_at", []).append("The visit cannot finish before it started.")
    elif finished_at - started_at > MAX_VISIT:
        errors.setdefault("finished_at", []).append("A visit lasts at most 24 hours.")
    if errors:
        raise InvalidInput(errors)


def submission_queue_for_scoring(*, submission: Submission) -> None:
    """Mark a complete submission queued and send its scoring task once the commit lands.

    Sending on commit means a worker never looks for a row it cannot see yet; if the process
    dies between commit and send, `requeue_stuck_submissions` finds the row and sends again.
    """
    now = timezone.now()
    Submission.objects.filter(pk=submission.pk).update(
        status=SubmissionStatus.QUEUED, queued_at=now, send_failed_at=None
    )
    submission.status = SubmissionStatus.QUEUED
    submission.queued_at = now
    submission.send_failed_at = None
    _send_on_commit(submission.pk)


def _send_on_commit(submission_id: int) -> None:
    transaction.on_commit(lambda: _send_for_scoring(submission_id))


def _send_for_scoring(submission_id: int) -> None:
    """Publish the scoring task; a broker outage is logged and flagged, not turned into a 500.

    This runs after the commit: the submission is already stored and queued, so failing the
    request would tell the phone that a saved visit was lost. The failed send is recorded on
    the row (`send_failed_at`), and the periodic sweep (`requeue_stuck_submissions`, every
    SCORING_SWEEP_SECONDS) sends flagged rows at its first run once the broker is back,
    without waiting SCORING_STUCK_AFTER as it does for messages lost without a trace.
    """
    try:
        dispatch.send(dispatch.SCORE_SUBMISSION, submission_id)
    except dispatch.BrokerUnavailable:
        logger.warning(
            "broker unavailable: submission %s stays queued for the stuck-submission sweep",
            submission_id,
            exc_info=True,
        )
        _flag_send_failed(submission_id)


def _flag_send_failed(submission_id: int) -> None:
    """Mark a queued submission whose message was not published (best effort: a database
    that is down too leaves it to the SCORING_STUCK_AFTER rule, which needs no flag)."""
    try:
        Submission.objects.filter(pk=submission_id, status=SubmissionStatus.QUEUED).update(
            send_failed_at=timezone.now()
        )
    except DatabaseError:
        logger.warning("could not flag submission %s as unsent", submission_id, exc_info=True)


def _version_of(submission: Submission) -> SubmissionVersion:
    """Freeze the body a resubmission is about to replace, answers and all."""
    answers = [
        {"item": a.item, "value": a.value, "na": a.na, "comment": a.comment}
        for a in submission.answers.order_by("position")
    ]
    return SubmissionVersion.objects.create(
        submission=submission,
        version=submission.version,
        client_id=submission.client_id,
        payload_hash=submission.payload_hash,
        started_at=submission.started_at,
        finished_at=submission.finished_at,
        latitude=submission.latitude,
        longitude=submission.longitude,
        accuracy_m=submission.accuracy_m,
        mocked_location=submission.mocked_location,
        photo_count=submission.photo_count,
        answers=answers,
        received_at=submission.received_at,
    )


def submission_resubmit(
    *,
    submission: Submission,
    shopper: User,
    client_id: uuid.UUID,
    started_at: datetime,
    finished_at: datetime,
    answers: Sequence[Mapping[str, Any]],
    location: Mapping[str, Any] | None = None,
    photo_count: int = 0,
) -> tuple[Submission, bool]:
    """The shopper answers a return with a new body under its own client_id.

    The same rules as the first send: a replay of this body is (submission, False), another
    body under a used client_id a 409, every field checked before anything is stored. The
    body replaced is kept whole as a `SubmissionVersion`; `photo_count` counts every photo of
    the visit, those already uploaded included. Complete, it is queued for scoring again (a
    new Score revision); otherwise it waits for the rest of its photos.
    """
    assignment = submission.assignment
    fingerprint = submission_fingerprint(
        assignment_id=assignment.pk,
        client_id=client_id,
        started_at=started_at,
        finished_at=finished_at,
        location=location,
        photo_count=photo_count,
        answers=answers,
    )
    stored = _stored_under(shopper, client_id)
    if stored is not None:
        if stored[0].pk != submission.pk:
            raise Conflict("This client_id was already used for a different submission.")
        return _replay_or_conflict(stored, fingerprint)
    current = Submission.objects.values_list("status", flat=True).get(pk=submission.pk)
    if current != SubmissionStatus.RETURNED:
        raise states.refused(current, SubmissionStatus.QUEUED)
    _check_visit_times(started_at, finished_at, offered_at=assignment.created_at)
    parsed = _validated_answers(assignment, answers)
    photos_in = submission.photos.count()
    if photo_count < photos_in:
        raise InvalidInput(
            {"photo_count": [f"Counts every photo of the visit: {photos_in} are already in."]}
        )
    location = location or {}
    try:
        with transaction.atomic():
            locked = Submission.objects.select_for_update().get(pk=submission.pk)
            if locked.status != SubmissionStatus.RETURNED:
                raise states.refused(locked.status, SubmissionStatus.QUEUED)
            _version_of(locked)
            locked.answers.all().delete()
            answers_store(submission=locked, answers=parsed)
            complete = photo_count == photos_in
            states.move(
                locked.pk,
                SubmissionStatus.QUEUED if complete else SubmissionStatus.AWAITING_MEDIA,
                by=shopper,
                reason=RESUBMIT,
                client_id=client_id,
                payload_hash=fingerprint,
                started_at=started_at,
                finished_at=finished_at,
                **location_columns(location),
                photo_count=photo_count,
                received_at=timezone.now(),
                version=locked.version + 1,
                risk="",
                signals=[],
                signals_at=None,
                queued_at=None,
                scored_at=None,
                return_deadline=None,
            )
            locked.refresh_from_db()
            if complete:
                submission_queue_for_scoring(submission=locked)
    except IntegrityError:
        stored = _stored_under(shopper, client_id)
        if stored is None or stored[0].pk != submission.pk:
            raise Conflict("This client_id was already used for a different submission.") from None
        return _replay_or_conflict(stored, fingerprint)
    return locked, True
