"""Writing the audit trail: every service that changes something records it here, in its own
transaction, so a change and its event commit or roll back together.

An event says who made the change and in which role (`ActorRole`: their role in the brand the
change belongs to, or `system` for sweeps and workers), when, what (a kind, and the values
before and after) and why. Reading it is `audits.selectors.trail_visible_to`; owners get the
events about their audit's release, appeals and actions, with staff named by role only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from audits.models import ActorRole, Event, Role, User
from audits.selectors import access_for

# The role a person acted in, when they hold several in the brand: the widest first.
_ROLE_ORDER = (Role.HEAD_OFFICE, Role.REVIEWER, Role.OWNER, Role.SHOPPER)


def actor_role(user: User | None, brand_id: int, *, shopper_id: int | None = None) -> str:
    """The capacity `user` acts in for `brand_id`: `system` for no user, `shopper` for the
    visit's own shopper, else their widest role in the brand (admins: `admin`)."""
    if user is None:
        return ActorRole.SYSTEM
    if shopper_id is not None and user.pk == shopper_id:
        return ActorRole.SHOPPER
    access = access_for(user)
    held = {m.role for m in access.memberships if m.brand_id == brand_id}
    for role in _ROLE_ORDER:
        if role in held:
            return role
    return ActorRole.ADMIN


def event(
    kind: str,
    *,
    brand_id: int,
    by: User | None,
    submission_id: int | None = None,
    appeal_id: int | None = None,
    action_id: int | None = None,
    shopper_id: int | None = None,
    reason: str = "",
    before: Any = None,
    after: Any = None,
    at: datetime | None = None,
) -> Event:
    """An unsaved event (for `record_all`)."""
    return Event(
        kind=kind,
        brand_id=brand_id,
        by=by,
        role=actor_role(by, brand_id, shopper_id=shopper_id),
        submission_id=submission_id,
        appeal_id=appeal_id,
        action_id=action_id,
        reason=reason or "",
        before=before,
        after=after,
        at=at or timezone.now(),
    )


def record(kind: str, **fields: Any) -> Event:
    """Record one event now (see `event` for the fields)."""
    created = event(kind, **fields)
    created.save()
    return created


def record_all(events: Iterable[Event]) -> list[Event]:
    """Record many events in one INSERT (a sweep's or a worker's batch)."""
    return Event.objects.bulk_create(list(events))


def trail_purge_brand(brand_id: int) -> int:
    """Erase a whole brand's trail, the one deletion it allows: for removing the brand itself
    (the demo's reset). Returns the events deleted.

    On PostgreSQL the append-only trigger lets these deletes through only while the
    transaction's `touchpoint.purge_trail` is on, which is set here and cleared again.
    """
    table = connection.ops.quote_name(Event._meta.db_table)
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SET LOCAL touchpoint.purge_trail = 'on'")
        cursor.execute(f"DELETE FROM {table} WHERE brand_id = %s", [brand_id])
        deleted = cursor.rowcount
        if postgresql:
            cursor.execute("SET LOCAL touchpoint.purge_trail = 'off'")
    return deleted
