"""Why a term or year mark is what it is (issue 18 §2, ADR 0024).

A term mark is computed from the pupil's marks of the term that stand when it is set, each
with its kind of work and that kind's weight; a year mark from the pupil's term marks, each
of weight 1. The weighted average rounds up from the fraction ``round_up_from`` of
``policies/grading.toml`` (``[final_marks]``). What the mark was computed from, the average,
the rounded value, the rule and the content hash of ``grading.toml`` are kept in the event
that sets the mark (``basis``), so the explanation is read as of the moment the mark was set,
whatever happens to the inputs or the rules later.

Pure: no I/O. The marks that stand are supplied by a ``FinalInputs`` port (the composition
root wires the journal's views to it: the grid the teacher sees).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Protocol
from uuid import UUID

from domain import errors
from domain.policies import GradingPolicy

#: The kind of a year mark's inputs: term marks («четвертная»), each of weight 1.
TERM_KIND = "term"


@dataclass(frozen=True)
class Input:
    """A mark a final mark is computed from: a lesson's mark (``ref`` its id, ``day`` the
    lesson's date, ``kind`` its kind of work) or, for a year mark, a term mark (``ref``
    ``term:N``, ``kind`` ``term``)."""

    ref: str
    value: str
    kind: str
    day: str = ""


@dataclass(frozen=True)
class Counted:
    """An input with the weight it had; ``counted`` False for a value outside the average
    (a mark of a non-numeric scale, «н/а»)."""

    ref: str
    value: str
    kind: str
    weight: int
    day: str
    counted: bool


@dataclass(frozen=True)
class Explanation:
    """What a term or year mark was computed from, as of the moment it was set.

    ``average`` is the exact weighted average (None when nothing counts), ``rounded`` the
    mark it rounds to under ``round_up_from`` ("" when none), ``policy`` the sha256 of the
    ``grading.toml`` in force."""

    inputs: tuple[Counted, ...]
    average: Fraction | None
    rounded: str
    round_up_from: str
    policy: str

    @property
    def total(self) -> int:
        """Σ value × weight over the inputs that count."""
        return sum(int(c.value) * c.weight for c in self.inputs if c.counted)

    @property
    def weights(self) -> int:
        """Σ weight over the inputs that count."""
        return sum(c.weight for c in self.inputs if c.counted)

    @property
    def average_text(self) -> str:
        """The average to two places, point-separated («4.25»; "" when none)."""
        return "" if self.average is None else _two_places(self.average)

    def differs(self, value: str) -> bool:
        """True when ``value`` is not the rounded average (and there is one)."""
        return bool(self.rounded) and value != self.rounded

    def to_state(self) -> dict[str, Any]:
        """Plain values kept in the event (``basis``)."""
        return {
            "inputs": [[c.ref, c.value, c.kind, c.weight, c.day, c.counted] for c in self.inputs],
            "average": "" if self.average is None else _fraction_text(self.average),
            "rounded": self.rounded,
            "round_up_from": self.round_up_from,
            "policy": self.policy,
        }

    @staticmethod
    def from_state(state: Mapping[str, Any]) -> Explanation:
        """The explanation kept in an event (``to_state``)."""
        average = str(state.get("average") or "")
        return Explanation(
            tuple(
                Counted(str(r), str(v), str(k), int(w), str(d), bool(c))
                for r, v, k, w, d, c in state.get("inputs", ())
            ),
            Fraction(average) if average else None,
            str(state.get("rounded") or ""),
            str(state.get("round_up_from") or ""),
            str(state.get("policy") or ""),
        )


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(value)


def _two_places(value: Fraction) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def round_average(average: Fraction, round_up_from: str) -> int:
    """The whole mark ``average`` rounds to: up when its fraction is at least
    ``round_up_from`` (a decimal text, "0.5": 4,5 → 5), else down."""
    whole = average.numerator // average.denominator
    return whole + 1 if average - whole >= Fraction(round_up_from) else whole


def explain(grading: GradingPolicy, scale: str, inputs: Sequence[Input]) -> Explanation:
    """The explanation of a final mark on ``scale`` computed from ``inputs`` under
    ``grading``: the weights of their kinds (1 for a term mark), the weighted average of
    the numeric ones and the mark it rounds to (on a numeric scale only)."""
    numeric = grading.scale(scale).numeric
    counted: list[Counted] = []
    for item in inputs:
        kind = grading.kinds.get(item.kind)
        weight = 1 if item.kind == TERM_KIND or kind is None else kind.weight
        counts = numeric and item.value.isdigit()
        counted.append(Counted(item.ref, item.value, item.kind, weight, item.day, counts))
    weights = sum(c.weight for c in counted if c.counted)
    average = (
        Fraction(sum(int(c.value) * c.weight for c in counted if c.counted), weights)
        if weights
        else None
    )
    rounded = ""
    if average is not None:
        candidate = str(round_average(average, grading.round_up_from))
        rounded = candidate if candidate in grading.scale(scale).values else ""
    return Explanation(
        tuple(counted), average, rounded, grading.round_up_from, grading.content_hash
    )


def why_needed(grading: GradingPolicy, explanation: Explanation | None, value: str) -> bool:
    """True when the policy asks a reason for ``value``: it differs from the rounded
    average and ``reason_when_differs`` is on."""
    return grading.reason_when_differs and explanation is not None and explanation.differs(value)


def check_why(
    grading: GradingPolicy,
    explanation: Explanation | None,
    value: str,
    why: str,
    min_len: int,
    student_id: str = "",
) -> str:
    """The reason kept beside a mark that differs from its rounded average (stripped), ""
    when none is needed; raise ``FinalMarkDiffers`` (naming ``student_id``) when it is
    needed and missing or too short."""
    if explanation is None or not explanation.differs(value):
        return ""
    text = why.strip()
    if why_needed(grading, explanation, value) and len(text) < min_len:
        raise errors.FinalMarkDiffers(
            value=value,
            average=explanation.average_text,
            rounded=explanation.rounded,
            student_id=student_id,
        )
    return text


class FinalInputs(Protocol):
    """Where the marks a final mark is computed from are read (wired by the composition
    root to the journal's views)."""

    def term_inputs(self, course_journal_id: UUID, term: int) -> Mapping[UUID, Sequence[Input]]:
        """The marks of each pupil that stand in the course journal's term."""
        ...

    def year_inputs(self, course_journal_id: UUID) -> Mapping[UUID, Sequence[Input]]:
        """The term marks of each pupil in the course journal."""
        ...
