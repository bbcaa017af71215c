"""The disposition plan: what is due on a day, and why — a dry run, nothing changes.

Executable: due, under no hold, in no proposal, with the action ``destroy`` or
``transfer``. Held and review-only series are listed apart, with the reason they are not
executable. The same plan feeds ``ejournal retention plan``, ``propose`` and the daily
``run``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.disposition import DispositionItem
from domain.policies import RecordClass, RetentionPolicy
from projections.queries.records_register import RegisterEntry
from retention import words


@dataclass(frozen=True)
class PlanLine:
    """A due series, its class and why it is due."""

    entry: RegisterEntry
    record_class: RecordClass

    @property
    def why(self) -> str:
        """«отсечка 30.06.2026 (закрытие учебного года) + 5 лет: срок хранения истёк, к
        уничтожению с 01.01.2032»."""
        entry, rc = self.entry, self.record_class
        assert entry.cut_off is not None and entry.due_on is not None
        trigger = words.TRIGGERS.get(rc.trigger, rc.trigger)
        return (
            f"отсечка {entry.cut_off:%d.%m.%Y} ({trigger}) + {words.period_words(rc.period)}: "
            f"срок хранения истёк, к уничтожению с {entry.due_on:%d.%m.%Y}"
        )

    def item(self) -> DispositionItem:
        """The line as an item of a proposal."""
        entry = self.entry
        assert entry.cut_off is not None and entry.due_on is not None
        return DispositionItem(
            series=entry.series,
            record_class=entry.record_class,
            action=self.record_class.action,
            cut_off=entry.cut_off,
            due_on=entry.due_on,
            year=entry.year,
            group=entry.group,
            subjects=tuple(sorted(entry.subjects)),
        )

    def to_json(self) -> dict[str, Any]:
        """The line for ``--json``."""
        entry = self.entry
        return {
            "series": entry.series,
            "record_class": entry.record_class,
            "title": self.record_class.title,
            "action": self.record_class.action,
            "cut_off": entry.cut_off.isoformat() if entry.cut_off else None,
            "due_on": entry.due_on.isoformat() if entry.due_on else None,
            "events": entry.events,
            "files": entry.files,
            "holds": list(entry.holds),
            "why": self.why,
            "legal_basis": list(self.record_class.legal_basis),
        }


@dataclass(frozen=True)
class Plan:
    """What is due on ``as_of``."""

    as_of: date
    executable: tuple[PlanLine, ...]
    held: tuple[PlanLine, ...]
    review: tuple[PlanLine, ...]

    def items(self, action: str) -> list[DispositionItem]:
        """The executable lines with ``action``, as proposal items."""
        return [line.item() for line in self.executable if line.record_class.action == action]

    def to_json(self) -> str:
        """The plan as JSON (``ejournal retention plan --json``)."""
        return json.dumps(
            {
                "as_of": self.as_of.isoformat(),
                "executable": [line.to_json() for line in self.executable],
                "held": [line.to_json() for line in self.held],
                "review": [line.to_json() for line in self.review],
            },
            ensure_ascii=False,
            indent=1,
        )


def make_plan(entries: list[RegisterEntry], policy: RetentionPolicy, as_of: date) -> Plan:
    """The plan for ``as_of`` from the register's entries (themselves as of ``as_of``)."""
    executable, held, review = [], [], []
    for entry in entries:
        if entry.state != "due":
            continue
        record_class = policy.classes.get(entry.record_class)
        if record_class is None:
            continue
        line = PlanLine(entry, record_class)
        if entry.held:
            held.append(line)
        elif record_class.action == "review":
            review.append(line)
        else:
            executable.append(line)
    return Plan(as_of, tuple(executable), tuple(held), tuple(review))
