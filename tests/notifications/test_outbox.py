"""The notification outbox (issue 13): the change's own transaction records who must hear of
it; each user reads their own; a Celery task e-mails each once, retrying failures."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from audits.models import Action, Notification, NotificationKind
from audits.services import notifications as outbox
from audits.services.actions import action_complete
from audits.services.appeals import AppealedItem, ItemDecision, appeal_decide, appeal_open
from audits.services.review import submission_review
from support.factories import good_answers
from support.helpers import client_for, scored_submission

pytestmark = pytest.mark.django_db


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_a_release_tells_the_branchs_owners_and_nobody_else(world):
    audit = scored_submission(world)
    assert _kinds(world.owner_a) == [NotificationKind.AUDIT_RELEASED]
    assert _kinds(world.owner_b) == [] and _kinds(world.shopper) == []
    note = Notification.objects.get(user=world.owner_a)
    assert note.submission_id == audit.pk
    text = note.subject + note.body
    for secret in (world.shopper.username, world.hq.username, world.reviewer.username):
        assert secret not in text


def test_a_return_tells_its_shopper(world):
    audit = scored_submission(world, release=False)
    submission_review(
        submission=audit, by=world.reviewer, action="return", reason="Unclear.",
        questions=["Which till?"],
    )  # fmt: skip
    assert _kinds(world.shopper) == [NotificationKind.SUBMISSION_RETURNED]
    assert _kinds(world.owner_a) == []


def test_appeals_tell_head_office_when_opened_and_owners_when_decided(world):
    audit = scored_submission(world)
    appeal, _ = appeal_open(
        audit=audit,
        by=world.owner_a,
        client_id=uuid.uuid4(),
        items=[AppealedItem(item="listened", reason="Left early.")],
    )
    assert _kinds(world.hq) == [NotificationKind.APPEAL_OPENED]
    appeal_decide(
        appeal=appeal,
        by=world.hq,
        decisions=[ItemDecision(item="listened", upheld=False, reason="Waited.")],
    )
    assert NotificationKind.APPEAL_DECIDED in _kinds(world.owner_a)
    decided = Notification.objects.get(kind=NotificationKind.APPEAL_DECIDED)
    assert "0 of 1 item(s) upheld" in decided.body and world.hq.username not in decided.body


def test_actions_tell_head_office_when_completed_and_owners_once_when_due_and_overdue(world):
    scored_submission(world, answers=good_answers(courteous=False))
    action = Action.objects.get()
    now = timezone.now()
    assert outbox.actions_remind(now=now) == {"due": 0, "overdue": 0}
    soon = action.due - timedelta(days=1)
    assert outbox.actions_remind(now=soon) == {"due": 1, "overdue": 0}
    assert outbox.actions_remind(now=soon) == {"due": 0, "overdue": 0}  # once
    late = action.due + timedelta(hours=1)
    assert outbox.actions_remind(now=late) == {"due": 0, "overdue": 1}
    assert outbox.actions_remind(now=late) == {"due": 0, "overdue": 0}
    assert _kinds(world.owner_a).count(NotificationKind.ACTION_OVERDUE) == 1
    action_complete(action=action, by=world.owner_a, note="Fixed.")
    assert NotificationKind.ACTION_COMPLETED in _kinds(world.hq)


def test_each_notification_is_emailed_once(world):
    scored_submission(world)
    assert outbox.notifications_deliver() == 1
    assert outbox.notifications_deliver() == 0
    [message] = mail.outbox
    assert message.to == [world.owner_a.email]
    note = Notification.objects.get(user=world.owner_a)
    assert (note.email_status, note.attempts) == ("sent", 1)


def test_a_failing_mail_server_is_retried_then_given_up(world):
    scored_submission(world)
    with mock.patch(
        "audits.services.notifications.send_mail", side_effect=ConnectionRefusedError("down")
    ):
        for _ in range(outbox.MAX_ATTEMPTS - 1):
            assert outbox.notifications_deliver() == 0
        note = Notification.objects.get(user=world.owner_a)
        assert (note.email_status, note.attempts) == ("pending", outbox.MAX_ATTEMPTS - 1)
        assert "ConnectionRefusedError: down" in note.last_error
        outbox.notifications_deliver()
    assert Notification.objects.get(user=world.owner_a).email_status == "failed"
    assert outbox.notifications_deliver() == 0
    assert mail.outbox == []


def test_a_user_without_an_address_is_marked_not_mailed(world):
    world.owner_a.email = ""
    world.owner_a.save()
    scored_submission(world)
    assert outbox.notifications_deliver() == 0
    assert Notification.objects.get(user=world.owner_a).email_status == "no_address"


def test_the_commit_sends_the_delivery_task(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scored_submission(world)
    assert [m.to for m in mail.outbox] == [[world.owner_a.email]]


def test_each_user_reads_and_marks_their_own(world):
    scored_submission(world)
    owner = client_for(world.owner_a)
    [row] = owner.get("/api/v1/notifications/?unread=true").json()["results"]
    assert row["kind"] == "audit_released" and row["read_at"] is None
    assert world.shopper.username not in json.dumps(row)
    read = owner.post(f"/api/v1/notifications/{row['id']}/read/")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert owner.get("/api/v1/notifications/?unread=true").json()["count"] == 0
    assert owner.get("/api/v1/notifications/?unread=false").json()["count"] == 1
    other = client_for(world.owner_b).post(f"/api/v1/notifications/{row['id']}/read/")
    assert other.status_code == 404
