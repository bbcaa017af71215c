"""The journal's rules as plain data.

The files in ``policies/`` are parsed and validated at the edge (``ejournal.policyfiles``)
into these frozen dataclasses; the domain only reads them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain import errors


@dataclass(frozen=True)
class Scale:
    """A grading scale: the values a mark may take, in order, and which of them pass."""

    code: str
    title: str
    values: tuple[str, ...]
    passing: tuple[str, ...]
    numeric: bool
    #: The colour of each value in the grid and the diary (``#rrggbb``; ADR 0018), in the
    #: scale's order; a value without one is shown in the text colour.
    colors: tuple[tuple[str, str], ...] = ()

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
    #: What the grid shows beside a mark of this kind and what a teacher types after the
    #: value to give it («5кр»): a few lower-case letters (ADR 0018).
    short: str = ""


@dataclass(frozen=True)
class GradingPolicy:
    """``policies/grading.toml``: scales, mark kinds and the default scale."""

    scales: dict[str, Scale]
    kinds: dict[str, MarkKind]
    default_scale: str
    default_kind: str
    term_scale_extra: tuple[str, ...] = ()
    #: Grades (the number of a class: 9 for «9А») whose summary sheet has an exam mark and
    #: a final mark per subject (``[exams]`` in ``grading.toml``).
    exam_grades: frozenset[int] = frozenset()
    #: ``[final_marks]``: the fraction of the weighted average from which it rounds up to
    #: the next mark (``"0.5"``: 4,5 → 5; ``"0.6"``: 4,5 → 4, 4,6 → 5), as a decimal text.
    round_up_from: str = "0.5"
    #: ``[final_marks]``: a term or year mark that differs from the rounded average needs a
    #: reason, shown beside it (ADR 0024).
    reason_when_differs: bool = True
    #: sha256 (hex) of the bytes of ``grading.toml`` these rules were loaded from: the
    #: version of the rules a term or year mark was computed under (ADR 0024). Empty when
    #: the policy was not read from a file (tests that build it in code).
    content_hash: str = ""

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
    """An attendance code («Н», «Б», «УП», «ОП») and what it means. A ``sensitive`` code is
    health data (152-FZ art. 10, «Б»): the views keep it sealed under the pupil's key, and
    readers without the right to see it are shown ``shown_as`` instead (a code that means
    the same for the counts)."""

    code: str
    title: str
    absent: bool
    excused: bool
    sensitive: bool = False
    shown_as: str = ""


@dataclass(frozen=True)
class AttendancePolicy:
    """``policies/attendance.toml``: the attendance codes, and the roles that may see the
    sensitive ones (each within what ``access.toml`` lets it reach)."""

    codes: dict[str, AttendanceCode]
    sensitive_roles: frozenset[str] = frozenset()

    def shown(self, code: str) -> str:
        """What a reader without the right to sensitive codes sees for ``code``."""
        meaning = self.codes.get(code)
        return meaning.shown_as if meaning is not None and meaning.sensitive else code

    def covers(self) -> frozenset[str]:
        """The codes that may stand for a sensitive one, and the sensitive ones: the view
        rows holding these carry the true code sealed (so a sealed value does not itself
        single out a sensitive code)."""
        sensitive = [c for c in self.codes.values() if c.sensitive]
        return frozenset({c.code for c in sensitive} | {c.shown_as for c in sensitive})

    def may_see_sensitive(self, roles: frozenset[str] | set[str]) -> bool:
        """True when one of ``roles`` may see sensitive codes."""
        return bool(self.sensitive_roles & set(roles))

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
    ``late_entry_days``: a teacher's late-entry request, once approved, allows entries for
    that lesson on the day of approval and this many days after. ``period_roles`` close and
    re-open terms. A closed term or year locks; re-opening needs a
    reason (and an order number when ``reopen_requires_order``).
    """

    entry_deadline_days: int
    own_correction_days: int
    approver_roles: frozenset[str]
    late_entry_roles: frozenset[str]
    period_roles: frozenset[str]
    reopen_requires_order: bool = True
    min_reason_length: int = 5
    late_entry_days: int = 2


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
class Duties:
    """Separation of duties (``[duties]`` of ``policies/access.toml``).

    ``privileged`` roles take effect only when a second person confirms the grant, one
    holding a role of ``confirmers[role]``; ``incompatible`` pairs of roles are never held by
    one account; ``service_roles`` are the only roles a service account may hold."""

    privileged: frozenset[str] = frozenset()
    confirmers: dict[str, frozenset[str]] = field(default_factory=dict)
    incompatible: frozenset[frozenset[str]] = frozenset()
    service_roles: frozenset[str] = frozenset()

    def conflicts(self, roles: frozenset[str] | set[str]) -> list[tuple[str, str]]:
        """The incompatible pairs among ``roles``, each sorted, in order."""
        return sorted(
            tuple(sorted(pair))  # type: ignore[misc]
            for pair in self.incompatible
            if pair <= set(roles)
        )


@dataclass(frozen=True)
class AccessPolicy:
    """Every permission by code (``policies/access.toml``), and the separation of duties."""

    permissions: dict[str, Permission] = field(default_factory=dict)
    duties: Duties = field(default_factory=Duties)

    def roles_for(self, code: str) -> frozenset[str]:
        """The roles that hold permission ``code`` for every record ("all" scope): the
        roles a domain command under that permission needs."""
        return frozenset(r for r, s in self.permission(code).scopes.items() if s == "all")

    def permission(self, code: str) -> Permission:
        """The permission ``code``; raise ``KeyError`` naming it when the file lacks it."""
        try:
            return self.permissions[code]
        except KeyError:
            raise KeyError(f"permission '{code}' is not defined in access.toml") from None


# --- retention (policies/retention.toml) -------------------------------------------------------
#: What starts a record class's retention period (its cut-off).
TRIGGERS = ("school_year_closed", "last_record_disposed", "none")
#: What happens when the period has run out.
ACTIONS = ("destroy", "transfer", "review")
#: Where the period is counted from: the cut-off itself, or 1 January of the year after it
#: (the rule of Russian archival practice for paper files).
COUNT_FROM = ("cut_off", "january_after_cut_off")


@dataclass(frozen=True)
class Period:
    """A retention period in whole years, months and days (``P5Y``, ``P6M``, ``P30D``)."""

    years: int = 0
    months: int = 0
    days: int = 0

    def after(self, start: date) -> date:
        """``start`` plus the period (29 February and month ends clamp to the month's end)."""
        month0 = start.month - 1 + self.months
        year = start.year + self.years + month0 // 12
        month = month0 % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return date(year, month, day) + timedelta(days=self.days)

    def __str__(self) -> str:
        parts = [f"{n}{u}" for n, u in ((self.years, "Y"), (self.months, "M"), (self.days, "D"))]
        return "P" + ("".join(p for p in parts if not p.startswith("0")) or "0D")


@dataclass(frozen=True)
class RecordClass:
    """A record class of the retention schedule («номенклатура дел, срок хранения»).

    ``period`` None means kept permanently. A series of this class is due for ``action``
    from ``due_on(cut_off)``: the day after the period, counted as ``count_from`` says,
    has run out."""

    name: str
    title: str
    description: str
    legal_basis: tuple[str, ...]
    trigger: str
    period: Period | None
    action: str
    approver_roles: frozenset[str]
    series_prefixes: tuple[str, ...]
    count_from: str = "january_after_cut_off"
    #: Its article in the list of retention periods («ст. 690»), «вне Перечня» when a law
    #: sets the period (``legal_basis`` names it), «не определена» until the school does.
    article: str = "не определена"

    @property
    def permanent(self) -> bool:
        """Kept for ever: never due."""
        return self.period is None

    def retained_until(self, cut_off: date) -> date | None:
        """The last day a series cut off on ``cut_off`` must be kept (None: permanently)."""
        if self.period is None:
            return None
        start = cut_off
        if self.count_from == "january_after_cut_off":
            start = date(cut_off.year + 1, 1, 1) - timedelta(days=1)
        return self.period.after(start)

    def due_on(self, cut_off: date) -> date | None:
        """The first day the series may be disposed of (None: never)."""
        last = self.retained_until(cut_off)
        return None if last is None else last + timedelta(days=1)

    def rule(self) -> dict[str, object]:
        """What decides the due dates of this class's series, as plain values (recorded
        by ``RetentionSchedule`` so that a change of the file is never silent)."""
        period = self.period
        return {
            "trigger": self.trigger,
            "period": str(period) if period is not None else "permanent",
            "years": period.years if period is not None else None,
            "months": period.months if period is not None else None,
            "days": period.days if period is not None else None,
            "count_from": self.count_from,
            "action": self.action,
        }

    @staticmethod
    def from_rule(name: str, rule: dict[str, object]) -> RecordClass:
        """A bare class that computes due dates as ``rule`` (see ``rule()``) did."""
        years, months, days = rule.get("years"), rule.get("months"), rule.get("days")
        period = (
            Period(int(str(years)), int(str(months)), int(str(days)))
            if years is not None and months is not None and days is not None
            else None
        )
        return RecordClass(
            name=name,
            title=name,
            description="",
            legal_basis=(),
            trigger=str(rule["trigger"]),
            period=period,
            action=str(rule["action"]),
            approver_roles=frozenset(),
            series_prefixes=(),
            count_from=str(rule["count_from"]),
        )


@dataclass(frozen=True)
class RetentionPolicy:
    """``policies/retention.toml``: record classes, and who proposes, executes and holds."""

    classes: dict[str, RecordClass]
    proposer_roles: frozenset[str]
    executor_roles: frozenset[str]
    hold_roles: frozenset[str]

    def schedule(self) -> dict[str, dict[str, object]]:
        """The rules of every class, by name (what ``RetentionSchedule`` records)."""
        return {name: c.rule() for name, c in sorted(self.classes.items())}

    def record_class(self, name: str) -> RecordClass:
        """The class called ``name``, or ``NoRetentionSchedule``."""
        try:
            return self.classes[name]
        except KeyError:
            raise errors.NoRetentionSchedule(
                f"Для класса документов «{name}» нет срока хранения в policies/retention.toml.",
                record_class=name,
            ) from None

    def class_of_series(self, series: str) -> RecordClass:
        """The class whose series prefix starts ``series`` (``journal/2025-26/5А`` →
        ``class-journal``), or ``NoRetentionSchedule``: such a series cannot be created."""
        prefix = series.split("/", 1)[0]
        for record_class in self.classes.values():
            if prefix in record_class.series_prefixes:
                return record_class
        raise errors.NoRetentionSchedule(
            f"Серия «{series}» не относится ни к одному классу документов "
            "с установленным сроком хранения (policies/retention.toml).",
            series=series,
        )


@dataclass(frozen=True)
class Policies:
    """All the rules the domain needs, loaded and validated together."""

    grading: GradingPolicy
    attendance: AttendancePolicy
    journal: JournalRegulation
    retention: RetentionPolicy
    access: AccessPolicy = field(default_factory=AccessPolicy)
    extra: dict[str, object] = field(default_factory=dict)
