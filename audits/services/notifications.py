"""The notification outbox: the transaction that changes a state records who must hear of it.

A change and its notifications commit together, so nobody hears of a change that rolled back
and no committed change goes unannounced. Each notification is read in the API
(`GET /notifications/`) and sent once by e-mail through Django's e-mail backend (console by
default) by `deliver_notifications`, sent after the commit and again by a periodic sweep for
any that failed (at most MAX_ATTEMPTS tries). Texts name the branch, the audit and the item,
never the shopper or the staff member: owners read them too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audits import dispatch
from audits.models import (
    Action,
    ActionStatus,
    Appeal,
    Branch,
    EmailStatus,
    Notification,
    NotificationKind,
    Role,
    Submission,
    User,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
DELIVERY_BATCH = 100
# An open action is announced as due this long before its due date (and once overdue).
DUE_SOON = timedelta(days=2)


def owners_of(branch: Branch) -> QuerySet[User]:
    return User.objects.filter(
        memberships__role=Role.OWNER, memberships__franchisee_id=branch.franchisee_id
    ).distinct()


def head_office_of(brand_id: int) -> QuerySet[User]:
    return User.objects.filter(
        memberships__role=Role.HEAD_OFFICE, memberships__brand_id=brand_id
    ).distinct()


def notify(
    users: Iterable[User],
    kind: str,
    *,
    subject: str,
    body: str,
    submission: Submission | None = None,
    appeal: Appeal | None = None,
    action: Action | None = None,
) -> list[Notification]:
    """Record a notification for each user, in the caller's transaction; e-mail after commit."""
    rows = Notification.objects.bulk_create(
        Notification(
            user=user,
            kind=kind,
            subject=subject[:200],
            body=body[:2000],
            submission=submission,
            appeal=appeal,
            action=action,
        )
        for user in {user.pk: user for user in users}.values()
    )
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: _send_delivery(ids))
    return rows


def _send_delivery(ids: list[int]) -> None:
    try:
        dispatch.send(dispatch.DELIVER_NOTIFICATIONS, ids)
    except dispatch.BrokerUnavailable:
        logger.warning("broker unavailable: %d notification(s) wait for the sweep", len(ids))


# --- What each change announces ----------------------------------------------------------------


def _where(submission: Submission) -> str:
    branch = submission.assignment.branch
    return f"audit {submission.pk} of {branch.name}"


def on_returned(submission: Submission) -> None:
    notify(
        [submission.shopper],
        NotificationKind.SUBMISSION_RETURNED,
        subject=f"Your report {submission.pk} was returned with questions",
        body="Answer the reviewer's questions and resubmit before "
        f"{submission.return_deadline:%Y-%m-%d %H:%M} UTC.",
        submission=submission,
    )


def on_released(submissions: Iterable[Submission]) -> None:
    for submission in submissions:
        notify(
            owners_of(submission.assignment.branch),
            NotificationKind.AUDIT_RELEASED,
            subject=f"New audit of {submission.assignment.branch.name}",
            body=f"The {_where(submission)} is released: read it, appeal it or act on it.",
            submission=submission,
        )


def on_appeal_opened(appeal: Appeal) -> None:
    audit = appeal.submission
    notify(
        head_office_of(audit.assignment.branch.brand_id),
        NotificationKind.APPEAL_OPENED,
        subject=f"Appeal {appeal.pk} of {_where(audit)}",
        body=f"The branch's owner appealed {appeal.items.count()} item(s); decide each.",
        submission=audit,
        appeal=appeal,
    )


def on_appeal_decided(appeal: Appeal) -> None:
    audit = appeal.submission
    upheld = appeal.items.filter(upheld=True).count()
    notify(
        owners_of(audit.assignment.branch),
        NotificationKind.APPEAL_DECIDED,
        subject=f"Appeal {appeal.pk} decided",
        body=f"Your appeal of {_where(audit)} is decided: {upheld} of "
        f"{appeal.items.count()} item(s) upheld. The reasons are with each item.",
        submission=audit,
        appeal=appeal,
    )


def on_action_completed(action: Action) -> None:
    notify(
        head_office_of(action.branch.brand_id),
        NotificationKind.ACTION_COMPLETED,
        subject=f"Action {action.pk} completed at {action.branch.name}",
        body=f"{action.title}: the owner reports it done. Verify or reopen it.",
        submission=action.submission,
        action=action,
    )


@transaction.atomic
def actions_remind(*, now=None) -> dict[str, int]:
    """Periodic (beat): tell owners once when an open action is due within DUE_SOON, and once
    when it is overdue. Each reminder is claimed by a conditional update, so two sweeps at
    once send it once."""
    now = now or timezone.now()
    counts = {"due": 0, "overdue": 0}
    rules = (
        (
            "due",
            "due_notified_at",
            NotificationKind.ACTION_DUE,
            {"due__gte": now, "due__lt": now + DUE_SOON},
        ),
        ("overdue", "overdue_notified_at", NotificationKind.ACTION_OVERDUE, {"due__lt": now}),
    )
    for name, stamp, kind, window in rules:
        waiting = Action.objects.filter(status=ActionStatus.OPEN, **{stamp: None}, **window)
        for action in waiting.select_related("branch"):
            claimed = Action.objects.filter(pk=action.pk, **{stamp: None}).update(**{stamp: now})
            if not claimed:
                continue
            notify(
                owners_of(action.branch),
                kind,
                subject=f"Action {action.pk} at {action.branch.name} is "
                + ("due soon" if name == "due" else "overdue"),
                body=f"{action.title}: due {action.due:%Y-%m-%d %H:%M} UTC.",
                submission=action.submission,
                action=action,
            )
            counts[name] += 1
    return counts


# --- Reading and delivery -----------------------------------------------------------------------


def notification_read(*, notification: Notification) -> Notification:
    """Mark read (once: a second call keeps the first time)."""
    Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=timezone.now())
    return Notification.objects.get(pk=notification.pk)


def notifications_deliver(ids: Iterable[int] | None = None) -> int:
    """E-mail pending notifications (these, or the oldest DELIVERY_BATCH); returns how many
    were sent. Rows are locked while sending (`skip_locked`: two workers never send one
    twice); a failure counts an attempt and keeps the row pending until MAX_ATTEMPTS."""
    sent = 0
    with transaction.atomic():
        pending = Notification.objects.select_for_update(skip_locked=True).filter(
            email_status=EmailStatus.PENDING
        )
        if ids is not None:
            pending = pending.filter(pk__in=list(ids))
        for row in pending.select_related("user").order_by("created_at", "pk")[:DELIVERY_BATCH]:
            if not row.user.email:
                row.email_status = EmailStatus.NO_ADDRESS
                row.save(update_fields=["email_status"])
                continue
            row.attempts += 1
            try:
                send_mail(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.user.email])
            except Exception as error:
                row.last_error = f"{error.__class__.__name__}: {error}"[:500]
                if row.attempts >= MAX_ATTEMPTS:
                    row.email_status = EmailStatus.FAILED
                logger.warning("notification %s not sent: %s", row.pk, row.last_error)
            else:
                row.email_status, row.emailed_at = EmailStatus.SENT, timezone.now()
                sent += 1
            row.save(update_fields=["attempts", "last_error", "email_status", "emailed_at"])
    return sent
