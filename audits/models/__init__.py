"""Touchpoint's models, one module per topic."""

from .actions import OWED_STATUSES, Action, ActionStatus
from .appeals import Appeal, AppealItem, AppealStatus
from .benchmarks import (
    BenchmarkRefreshWindow,
    BenchmarkRow,
    BenchmarkSnapshot,
    BenchmarkStalePeriod,
    PeriodKind,
)
from .checklists import ChecklistTemplate, ChecklistVersion, parsed_checklists
from .evidence import EvidencePhoto
from .notifications import EmailStatus, Notification, NotificationKind
from .organisation import Branch, Brand, Franchisee, Membership, Region, Role, SignInUnlock, User
from .scores import Score
from .settings import BrandSettings, BrandSettingsChange, RiskLevel
from .trail import ActorRole, Event, EventKind, TrailIsAppendOnly
from .visits import (
    COUNTED_STATUSES,
    RELEASED_STATUSES,
    REVIEW_QUEUE_STATUSES,
    RISK_ORDER,
    SCORED_STATUSES,
    Answer,
    AnswerVersion,
    Assignment,
    AssignmentStatus,
    AssignmentTransition,
    Photo,
    Risk,
    Submission,
    SubmissionStatus,
    SubmissionTransition,
    SubmissionVersion,
    risk_rank,
)

__all__ = [
    "COUNTED_STATUSES",
    "OWED_STATUSES",
    "RELEASED_STATUSES",
    "REVIEW_QUEUE_STATUSES",
    "RISK_ORDER",
    "SCORED_STATUSES",
    "Action",
    "ActionStatus",
    "ActorRole",
    "Answer",
    "AnswerVersion",
    "Appeal",
    "AppealItem",
    "AppealStatus",
    "Assignment",
    "AssignmentStatus",
    "AssignmentTransition",
    "BenchmarkRefreshWindow",
    "BenchmarkRow",
    "BenchmarkSnapshot",
    "BenchmarkStalePeriod",
    "Branch",
    "Brand",
    "BrandSettings",
    "BrandSettingsChange",
    "ChecklistTemplate",
    "ChecklistVersion",
    "EmailStatus",
    "Event",
    "EventKind",
    "EvidencePhoto",
    "Franchisee",
    "Membership",
    "Notification",
    "NotificationKind",
    "PeriodKind",
    "Photo",
    "Region",
    "Risk",
    "RiskLevel",
    "Role",
    "Score",
    "SignInUnlock",
    "Submission",
    "SubmissionStatus",
    "SubmissionTransition",
    "SubmissionVersion",
    "TrailIsAppendOnly",
    "User",
    "parsed_checklists",
    "risk_rank",
]
