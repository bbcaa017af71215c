"""The journal's rules as plain data.

The files in ``policies/`` are parsed and validated at the edge (``ejournal.policyfiles``)
into these frozen dataclasses; the domain only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain import errors


@dataclass(frozen=True)
class Scale:
    """A grading scale: the values a mark may take, in order, and which of them pass."""

    code: str
    title: str
    values: tuple[str, ...]
    passing: tuple[str, ...]
    numeric: bool

    def check(self, value: str) -> None:
        """Raise ``MarkOffScale`` unless ``value`` belongs to this scale."""
        if value not in self.values:
            raise errors.MarkOffScale(
                f"Отметка «{value}» вне шкалы «{self.title}» "
                f"(допустимо: {', '.join(self.values)}).",
                value=value,
                scale=self.code,
            )


@dataclass(frozen=True)
class MarkKind:
    """A kind of work that is marked («вид работы») and its weight in the weighted average."""

    code: str
    title: str
    weight: int


@dataclass(frozen=True)
class GradingPolicy:
    """``policies/grading.toml``: scales, mark kinds and the default scale."""

    scales: dict[str, Scale]
    kinds: dict[str, MarkKind]
    default_scale: str
    default_kind: str
    term_scale_extra: tuple[str, ...] = ()

    def scale(self, code: str) -> Scale:
        """Return the scale with ``code`` (a course journal's scale)."""
        try:
            return self.scales[code]
        except KeyError:
            raise errors.InvalidInput(f"Неизвестная шкала оценивания «{code}».") from None

    def kind(self, code: str) -> MarkKind:
        """Return the mark kind with ``code`` or raise ``UnknownMarkKind``."""
        try:
            return self.kinds[code]
        except KeyError:
            raise errors.UnknownMarkKind(f"Неизвестный вид работы «{code}».", kind=code) from None

    def check_final(self, scale_code: str, value: str) -> None:
        """Check a term or year mark: a scale value or an extra value such as «н/а»."""
        if value in self.term_scale_extra:
            return
        self.scale(scale_code).check(value)


@dataclass(frozen=True)
class AttendanceCode:
    """An attendance code («Н», «Б», «УП», «ОП») and what it means."""

    code: str
    title: str
    absent: bool
    excused: bool


@dataclass(frozen=True)
class AttendancePolicy:
    """``policies/attendance.toml``: the attendance codes."""

    codes: dict[str, AttendanceCode]

    def check(self, code: str) -> AttendanceCode:
        """Return the code's meaning or raise ``UnknownAttendanceCode``."""
        try:
            return self.codes[code]
        except KeyError:
            raise errors.UnknownAttendanceCode(
                f"Неизвестная отметка посещаемости «{code}» (допустимо: {', '.join(self.codes)}).",
                code=code,
            ) from None


@dataclass(frozen=True)
class JournalRegulation:
    """``policies/journal.toml``: the regulation of how the journal is kept («регламент»).

    ``entry_deadline_days``: days after the lesson date a teacher may still enter marks,
    attendance and topics. ``own_correction_days``: days after a mark was entered its author
    may still correct or cancel it with a reason. Later corrections need approval by one of
    ``approver_roles``. ``late_entry_roles`` may make entries after the deadline.
    ``period_roles`` close and re-open terms. A closed term or year locks; re-opening needs a
    reason (and an order number when ``reopen_requires_order``).
    """

    entry_deadline_days: int
    own_correction_days: int
    approver_roles: frozenset[str]
    late_entry_roles: frozenset[str]
    period_roles: frozenset[str]
    reopen_requires_order: bool = True
    min_reason_length: int = 5


#: A role's reach under a permission: every record of the kind, or only the user's own
#: (a teacher's course journals, a class teacher's class, a parent's children, a pupil's self).
SCOPES = ("all", "own")


@dataclass(frozen=True)
class Permission:
    """One permission of ``policies/access.toml``: which roles hold it, and how far."""

    code: str
    title: str
    scopes: dict[str, str]  # role → "all" | "own"

    def scope_of(self, roles: frozenset[str] | set[str]) -> str | None:
        """The widest scope any of ``roles`` has under this permission, or None."""
        found = {self.scopes[r] for r in roles if r in self.scopes}
        if "all" in found:
            return "all"
        return "own" if found else None


@dataclass(frozen=True)
class AccessPolicy:
    """Every permission by code (``policies/access.toml``)."""

    permissions: dict[str, Permission] = field(default_factory=dict)

    def permission(self, code: str) -> Permission:
        """The permission ``code``; raise ``KeyError`` naming it when the file lacks it."""
        try:
            return self.permissions[code]
        except KeyError:
            raise KeyError(f"permission '{code}' is not defined in access.toml") from None


@dataclass(frozen=True)
class Policies:
    """All the rules the domain needs, loaded and validated together."""

    grading: GradingPolicy
    attendance: AttendancePolicy
    journal: JournalRegulation
    access: AccessPolicy = field(default_factory=AccessPolicy)
    extra: dict[str, object] = field(default_factory=dict)
