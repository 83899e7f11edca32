"""The shopper-anonymity scan: no API response to a franchise owner names a person.

Every /api/v1/ response the suite gets (test clients and the live server, through
`support.openapi`) to a caller who is only a franchise owner is walked for the keys that name
someone: the shopper, staff who acted (`by`, `claimed_by`, `opened_by`, `decided_by`,
`verified_by`, `completed_by`, `replaced_by`, `reviewer`), and usernames and e-mail addresses.
Each must be absent or null. The owner's own `/me/` is exempt: it is them. Server errors are
scanned for every caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

IDENTITY_KEYS = frozenset(
    {
        "shopper",
        "by",
        "claimed_by",
        "opened_by",
        "decided_by",
        "verified_by",
        "completed_by",
        "replaced_by",
        "reviewer",
        "username",
        "email",
    }
)
OWN_PROFILE = "/api/v1/me/"
scanned = {"owner_responses": 0}


def _named(body: Any, path: str = "") -> Iterator[str]:
    if isinstance(body, dict):
        for key, value in body.items():
            where = f"{path}.{key}" if path else key
            if key in IDENTITY_KEYS and value not in (None, "", []):
                yield f"{where} = {value!r}"
            yield from _named(value, where)
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from _named(value, f"{path}[{index}]")


def _owner_only(user) -> bool:
    from audits.models import Role
    from audits.selectors import access_for

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    access = access_for(user)
    return bool(access.owned_franchisee_ids) and set(access.roles) == {Role.OWNER}


def identity_problem(http_request, response) -> str | None:
    """Why this response names someone to an owner, or None.

    A server error's body is scanned whoever asked, without asking the database who the caller
    is: it must name no one to anybody, and the database may be what failed (the fault tests
    cut its connections mid-request, when loading the caller's roles would fail again)."""
    if http_request.path == OWN_PROFILE:
        return None
    server_error = response.status_code >= 500
    if not server_error and not _owner_only(getattr(http_request, "user", None)):
        return None
    if not response.get("Content-Type", "").startswith("application/json"):
        return None
    if not server_error:
        scanned["owner_responses"] += 1
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    named = list(_named(body))
    if named:
        return "An owner's response names a person: " + "; ".join(named[:5])
    return None
