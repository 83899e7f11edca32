"""Touchpoint's own errors: what services, models and commands raise when a request can't be met.

Nothing here knows about HTTP frameworks. Each error names its kind (`status` is only the HTTP
status the API maps it to, in `audits.api.errors`), a machine-readable `code` and, where one
field is at fault, the field (`attr`). The admin and the management commands catch the same
errors and show them their own way, so a rule is written once, in a service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field: `attr` is a dotted path such as `answers.greeted`."""

    attr: str | None
    message: str
    code: str = "invalid"


class TouchpointError(Exception):
    """Base of every error a service raises on purpose; never a bug."""

    status: int = 400
    default_code: str = "error"
    default_message: str = "The request cannot be carried out."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, attr: str | None = None
    ) -> None:
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.attr = attr
        super().__init__(self.message)

    @property
    def problems(self) -> tuple[FieldProblem, ...]:
        """The error as a list of field problems (one, unless a subclass holds several)."""
        return (FieldProblem(attr=self.attr, message=self.message, code=self.code),)


class InvalidInput(TouchpointError):
    """One or more fields break a rule; every offending field is named, all at once."""

    status = 400
    default_code = "invalid"
    default_message = "Invalid input."

    def __init__(
        self,
        errors: Mapping[str, str | Iterable[str]] | Iterable[FieldProblem],
        *,
        code: str | None = None,
    ) -> None:
        code = code or self.default_code
        if isinstance(errors, Mapping):
            found: list[FieldProblem] = []
            for attr, messages in errors.items():
                for message in [messages] if isinstance(messages, str) else messages:
                    found.append(FieldProblem(attr=attr or None, message=str(message), code=code))
        else:
            found = list(errors)
        if not found:
            raise ValueError("InvalidInput needs at least one problem")
        self._problems = tuple(found)
        first = found[0]
        super().__init__(first.message, code=first.code, attr=first.attr)

    @classmethod
    def field(cls, attr: str, message: str, *, code: str = "invalid") -> InvalidInput:
        return cls([FieldProblem(attr=attr, message=message, code=code)])

    @property
    def problems(self) -> tuple[FieldProblem, ...]:
        return self._problems

    def as_dict(self) -> dict[str, list[str]]:
        """{attr: [messages]}: for places (admin forms, commands) that show errors by field."""
        out: dict[str, list[str]] = {}
        for problem in self.problems:
            out.setdefault(problem.attr or "non_field_errors", []).append(problem.message)
        return out


class Conflict(TouchpointError):
    """The request clashes with what is stored: a replay with another body, an illegal move."""

    status = 409
    default_code = "conflict"
    default_message = "This conflicts with what is already stored."


class InvalidTransition(Conflict):
    """A status change the lifecycle does not allow from the current state (named in it)."""

    default_code = "invalid_transition"
    default_message = "This change is not allowed from the current state."


class NotCorrectable(Conflict):
    """A correction of a report that is not scored, in review or released (named in it)."""

    default_code = "not_correctable"
    default_message = "Only scored, in-review and released audits can be corrected."


class NotReleased(Conflict):
    """An appeal of an audit that is not released (named in it)."""

    default_code = "not_released"
    default_message = "Only released audits can be appealed."


class AppealWindowClosed(Conflict):
    """An appeal after the brand's `appeal_days` since the audit's release (the date named)."""

    default_code = "appeal_window_closed"
    default_message = "The time to appeal this audit has passed."


class AppealAlreadyOpen(Conflict):
    """A second appeal of an audit while one is open."""

    default_code = "appeal_open"
    default_message = "This audit already has an open appeal."


class AppealNotOpen(Conflict):
    """A decision on an appeal that was already decided."""

    default_code = "appeal_not_open"
    default_message = "This appeal is already decided."


class EvidenceClosed(Conflict):
    """Evidence for a decided appeal or a verified action, or past the limit (named in it)."""

    default_code = "evidence_closed"
    default_message = "This takes no more evidence photos."


class AssignmentNotAccepted(Conflict):
    """A visit reported for an assignment its shopper never accepted."""

    default_code = "assignment_not_accepted"
    default_message = "Accept the assignment before reporting the visit."


class AssignmentClosed(Conflict):
    """A visit reported for an assignment that was declined, cancelled or expired (named)."""

    default_code = "assignment_closed"
    default_message = "This assignment takes no submission."


class HeldByAnother(Conflict):
    """Another reviewer holds the report in review; their claim has not lapsed."""

    default_code = "held_by_another"
    default_message = "Another reviewer holds this report."


class NotFound(TouchpointError):
    """The thing asked for does not exist, or the caller may not know that it does."""

    status = 404
    default_code = "not_found"
    default_message = "Not found."


class Forbidden(TouchpointError):
    """The caller is known but their role may not do this."""

    status = 403
    default_code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class PayloadTooLarge(TouchpointError):
    """An upload over a size limit (bytes or pixels)."""

    status = 413
    default_code = "too_large"
    default_message = "The upload is too large."


class UnsupportedMedia(TouchpointError):
    """An upload of a kind of file that is not accepted."""

    status = 415
    default_code = "unsupported_media_type"
    default_message = "This kind of file is not accepted."
