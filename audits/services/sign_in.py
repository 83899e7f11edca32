"""Failed sign-ins per account, counted on the shared cache (Redis in production), so every
web process sees the same count: after SIGN_IN_LOCKOUT_FAILURES failures within
SIGN_IN_LOCKOUT_SECONDS the account waits, even with the right password."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from audits.models import SignInUnlock, User


def username_digest(username: str) -> str:
    """A fixed-size cache key part for any username a caller types (bounded, any characters)."""
    return hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()


def _key(username: str) -> str:
    return f"sign-in-failures:{username_digest(username)}"


def locked_for(username: str) -> int:
    """Seconds the account still waits (0 when it may sign in)."""
    record = cache.get(_key(username))
    if not record or record["count"] < settings.SIGN_IN_LOCKOUT_FAILURES:
        return 0
    return max(1, int(record["first"] + settings.SIGN_IN_LOCKOUT_SECONDS - time.time()) + 1)


def record_failure(username: str) -> None:
    """One more failure in the window that started with the first one."""
    key, now = _key(username), time.time()
    record = cache.get(key) or {"count": 0, "first": now}
    record["count"] += 1
    remaining = int(record["first"] + settings.SIGN_IN_LOCKOUT_SECONDS - now) + 1
    cache.set(key, record, timeout=max(1, remaining))


def record_success(username: str) -> None:
    """A successful sign-in forgets the failures."""
    cache.delete(_key(username))


def account_unlock(*, user: User, by: User, reason: str) -> SignInUnlock:
    """Let `user` sign in again at once, forgetting their failures; recorded with who and why.

    The caller's right to do it (head office of the user's brand) is the selector's job.
    """
    record = SignInUnlock.objects.create(user=user, unlocked_by=by, reason=reason)
    cache.delete(_key(user.get_username()))
    return record
