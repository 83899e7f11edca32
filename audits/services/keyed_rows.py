"""The check that corrections, appeals and appeal decisions share: rows keyed by a checklist
item, each once, each with a reason."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol


class KeyedRow(Protocol):
    item: str
    reason: str


def keyed_row_problems(
    rows: Sequence[KeyedRow],
    *,
    name: str,
    repeated: str,
    known: Collection[str] | None = None,
    unknown: str = "",
) -> dict[str, list[str]]:
    """Every problem of `rows` at once, keyed `<name>.<i>.item` and `<name>.<i>.reason`: an
    item outside `known` (when given), an item twice, a blank reason."""
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, row in enumerate(rows):
        if known is not None and row.item not in known:
            problems.setdefault(f"{name}.{index}.item", []).append(unknown)
        elif row.item in seen:
            problems.setdefault(f"{name}.{index}.item", []).append(repeated)
        seen.add(row.item)
        if not row.reason.strip():
            problems.setdefault(f"{name}.{index}.reason", []).append("Say why.")
    return problems
