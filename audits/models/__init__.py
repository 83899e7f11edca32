"""Touchpoint's models, one module per topic."""

from .benchmarks import BenchmarkRow, BenchmarkSnapshot, PeriodKind
from .checklists import ChecklistTemplate, ChecklistVersion
from .organisation import Branch, Brand, Franchisee, Membership, Region, Role, User
from .scores import Score
from .settings import BrandSettings, BrandSettingsChange, RiskLevel
from .visits import (
    Answer,
    Assignment,
    AssignmentStatus,
    AssignmentTransition,
    Photo,
    Submission,
    SubmissionStatus,
)

__all__ = [
    "Answer",
    "Assignment",
    "AssignmentStatus",
    "AssignmentTransition",
    "BenchmarkRow",
    "BenchmarkSnapshot",
    "Branch",
    "Brand",
    "BrandSettings",
    "BrandSettingsChange",
    "ChecklistTemplate",
    "ChecklistVersion",
    "Franchisee",
    "Membership",
    "PeriodKind",
    "Photo",
    "Region",
    "RiskLevel",
    "Role",
    "Score",
    "Submission",
    "SubmissionStatus",
    "User",
]
