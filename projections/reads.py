"""``Reads``: every read of the views as a typed method, grouped by feature the way the
commands are (ADR 0010) — ``reads.school.current_year(day)``, ``reads.people.persons(ids)``,
``reads.journal.grid(course, term, as_of=moment)``.

The query functions of ``projections.queries`` and ``projections.views`` stay the
implementation; a group opens a reader through ``Views.reader`` (so the reads of one web
request share its pinned transaction, see ``Views.pinned``) and passes the policies and the
sealer the query needs. Reads that can be replayed **as of a moment** take ``as_of=`` and
name the views to rebuild in memory, as few as the query needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.explain import Input
from domain.school_profile import ProfileInfo
from domain.timetable import DaysOff, Pattern, PlanItem, next_lesson_day
from projections.queries import approvals as approvals_query
from projections.queries import attendance as attendance_query
from projections.queries import class_day as class_day_query
from projections.queries import class_journal as class_journal_query
from projections.queries import completeness as completeness_query
from projections.queries import diary as diary_query
from projections.queries import explain as explain_query
from projections.queries import listing, lookup, people, school, summary
from projections.queries import timetable as timetable_query
from projections.queries import week as week_query
from projections.queries.scope import Scope
from projections.sqlstore import SQLReader
from projections.store import Reader
from projections.views import (
    access_log,
    api_tokens,
    catalog,
    final_marks,
    policy_versions,
    school_profile,
)
from projections.views import accounts as accounts_view
from projections.views import archive as archive_view
from projections.views import grid as grid_view
from projections.views import history as history_view
from projections.views import notifications as notifications_view

if TYPE_CHECKING:
    from projections.service import Views


class ReadGroup:
    """A feature's reads: each opens a reader of the views it is given."""

    def __init__(self, views: Views) -> None:
        self.views = views

    def reader(
        self, as_of: datetime | None = None, names: Sequence[str] = ()
    ) -> AbstractContextManager[Reader]:
        """The current views, or the views ``names`` as they stood at ``as_of``."""
        return self.views.reader(as_of, names)


class SchoolReads(ReadGroup):
    """School years and terms, classes and groups, course journals (the catalogue)."""

    def profile(self, school: str) -> ProfileInfo:
        """The school's details as documents print them (empty until set)."""
        with self.reader() as reader:
            return school_profile.profile(reader, self.views.sealer, school)

    def years(self) -> list[dict[str, Any]]:
        """Every school year, the latest first."""
        with self.reader() as reader:
            return school.years(reader)

    def year(self, year_id: str) -> dict[str, Any] | None:
        """One school year, or None."""
        with self.reader() as reader:
            return school.year(reader, year_id)

    def current_year(self, today: date) -> dict[str, Any] | None:
        """The school year that contains ``today``, else the latest one (None when none)."""
        with self.reader() as reader:
            return listing.current_year(reader, today)

    def terms(self, year_id: str) -> list[listing.TermItem]:
        """The terms of a school year, in order."""
        with self.reader() as reader:
            return listing.terms(reader, year_id)

    def term_on(self, year_id: str, day: date) -> int:
        """The term containing ``day``, or the last term that started before it (else 1)."""
        with self.reader() as reader:
            return listing.term_on(reader, year_id, day)

    def term_of(self, course_journal_id: str, number: int) -> listing.TermItem | None:
        """Term ``number`` of the course journal's school year, or None."""
        with self.reader() as reader:
            return lookup.term_of(reader, course_journal_id, number)

    def groups(self, year_id: str, only: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Classes and groups of a year (all, or ``only`` these), classes first, by grade."""
        with self.reader() as reader:
            return listing.groups(reader, year_id, only)

    def group(self, group_id: str) -> dict[str, Any] | None:
        """One class or extracurricular group (name, kind, year, class teacher), or None."""
        with self.reader() as reader:
            return school.group(reader, group_id)

    def members(self, group_id: str, first: str, last: str) -> list[str]:
        """Pupils who belonged to the group on some day from ``first`` to ``last`` (ISO dates)."""
        with self.reader() as reader:
            return catalog.Membership(reader, group_id).between(first, last)

    def member_counts(self, group_ids: Iterable[str], day: str) -> dict[str, int]:
        """How many pupils each group has on ``day`` (ISO date)."""
        with self.reader() as reader:
            return school.member_counts(reader, group_ids, day)

    def courses(self, year_id: str, only: Iterable[str] | None = None) -> list[listing.CourseItem]:
        """Course journals of a year (all, or ``only`` these), by class then subject."""
        with self.reader() as reader:
            return listing.courses(reader, year_id, only)

    def course(self, course_journal_id: str) -> listing.CourseItem | None:
        """One course journal, or None."""
        with self.reader() as reader:
            return listing.course(reader, course_journal_id)


class PeopleReads(ReadGroup):
    """Pupils, guardians and staff: names (decrypted for display), kinds, class periods."""

    def name(self, person_id: str, *, short: bool = False) -> str:
        """A person's name (a placeholder when their data is destroyed)."""
        with self.reader() as reader:
            return catalog.display_name(reader, self.views.sealer, person_id, short=short)

    def names(self, person_ids: Iterable[str], *, short: bool = False) -> dict[str, str]:
        """Names of many people at once."""
        with self.reader() as reader:
            return catalog.display_names(reader, self.views.sealer, person_ids, short=short)

    def persons(self, person_ids: Iterable[str]) -> list[people.PersonItem]:
        """These people with their details opened, by name."""
        with self.reader() as reader:
            return people.persons(reader, self.views.sealer, list(person_ids))

    def search(self, query: str, kind: str | None = None) -> list[str]:
        """Ids of the people (of ``kind``) whose name holds every word of ``query``
        (a guardian's phone too); sealed names opened in memory (ADR 0020)."""
        with self.reader() as reader:
            return people.search(reader, self.views.sealer, query, kind)

    def known(self, person_id: str) -> bool:
        """True when the catalogue holds this person (pupil, guardian or staff)."""
        with self.reader() as reader:
            return listing.known_person(reader, person_id)

    def kind_of(self, person_id: str) -> str | None:
        """``student``, ``guardian`` or ``account``; None for an unknown id."""
        with self.reader() as reader:
            return people.kind_of(reader, person_id)

    def of_kind(self, kind: str) -> list[str]:
        """Ids of every person of ``kind`` (``student`` or ``guardian``)."""
        with self.reader() as reader:
            return people.of_kind(reader, kind)

    def periods(self, *, group_id: str = "", student_id: str = "") -> list[people.Period]:
        """Stays in classes and groups: of one group's pupils, or of one pupil."""
        with self.reader() as reader:
            return people.periods(reader, group_id=group_id, student_id=student_id)

    def without_class(self) -> list[str]:
        """Pupils who are in no class now (registered, withdrawn, or not yet enrolled)."""
        with self.reader() as reader:
            return people.without_class(reader)

    def guardians_of(self, student_id: str) -> dict[str, str]:
        """A pupil's guardians: id → relation («мать», «опекун»)."""
        with self.reader() as reader:
            return people.guardians_of(reader, student_id)


class AccountReads(ReadGroup):
    """Accounts, their roles and API tokens."""

    def accounts(self, now: datetime) -> list[accounts_view.AccountItem]:
        """Every account as the administrator's list shows it (locks as of ``now``)."""
        with self.reader() as reader:
            return accounts_view.accounts(reader, self.views.sealer, now)

    def account(self, account_id: str, now: datetime) -> accounts_view.AccountItem | None:
        """One account, or None."""
        with self.reader() as reader:
            return accounts_view.account(reader, self.views.sealer, account_id, now)

    def with_role(self, roles: set[str]) -> list[str]:
        """Ids of the accounts holding one of ``roles``."""
        with self.reader() as reader:
            return accounts_view.with_role(reader, roles)

    def of_person(self, person_id: str) -> list[str]:
        """Ids of the accounts that belong to a pupil or a guardian."""
        with self.reader() as reader:
            return accounts_view.of_person(reader, person_id)

    def tokens(self, account_id: str | None = None) -> list[api_tokens.TokenRow]:
        """Every API token (or one account's), oldest first."""
        with self.reader() as reader:
            return api_tokens.tokens(reader, self.views.sealer, account_id)

    def service_ids(self) -> set[str]:
        """Ids of the service accounts (another system: API tokens only, no password)."""
        with self.reader() as reader:
            return accounts_view.service_ids(reader)

    def pending(self, now: datetime) -> list[accounts_view.AccountItem]:
        """The accounts with privileged roles awaiting a second person's confirmation."""
        with self.reader() as reader:
            return accounts_view.pending(reader, self.views.sealer, now)


class JournalReads(ReadGroup):
    """Course journals: grids, lessons, term and year marks."""

    def grid(
        self, course_journal_id: str, term: int, as_of: datetime | None = None
    ) -> grid_view.Grid:
        """A course journal's grid for a term (the current one kept between pages while
        nothing it shows changes, ADR 0022)."""
        grading = self.views.policies.grading
        with self.reader(as_of, ("catalog", "grid")) as reader:
            # the current views come wrapped for the on-demand history (ADR 0029); the grid
            # reads none of it, so the kept grids work on the SQL reader underneath
            base = reader.base if isinstance(reader, history_view.OnDemand) else reader
            if isinstance(base, SQLReader):
                return self.views.grids.grid(base, grading, course_journal_id, term)
            return grid_view.grid(reader, grading, course_journal_id, term)

    def term_marks(
        self, course_journal_id: str, term: int, as_of: datetime | None = None
    ) -> dict[str, final_marks.FinalMark]:
        """Term marks of a course journal for a term, by pupil id."""
        with self.reader(as_of, ("final_marks",)) as reader:
            return final_marks.term_marks(reader, course_journal_id, term)

    def year_marks(
        self, group_id: str, as_of: datetime | None = None
    ) -> dict[tuple[str, str], final_marks.FinalMark]:
        """Year marks of a class, by (pupil id, course journal id)."""
        with self.reader(as_of) as reader:
            return final_marks.year_marks(reader, group_id)

    def course_year_marks(self, course_journal_id: str) -> dict[str, final_marks.FinalMark]:
        """Year marks of one course journal (a subject of a class), by pupil id."""
        with self.reader(None, ("final_marks",)) as reader:
            return final_marks.course_year_marks(reader, course_journal_id)

    def explanation(
        self, course_journal_id: str, term: int | None, student_id: str
    ) -> final_marks.FinalExplanation | None:
        """Why a pupil's term (``term``) or year (None) mark is what it is (ADR 0024)."""
        with self.reader() as reader:
            return final_marks.explanation(reader, course_journal_id, term, student_id)

    def explained(
        self, course_journal_ids: list[str]
    ) -> dict[tuple[str, int, str], final_marks.Setting]:
        """The standing setting of every term and year mark of these course journals."""
        with self.reader() as reader:
            return final_marks.explained(reader, course_journal_ids)

    def pupil_finals(self, student_id: str) -> dict[tuple[str, int], final_marks.PupilFinal]:
        """A pupil's term and year marks (term 0: the year), by (course journal, term)."""
        with self.reader() as reader:
            return final_marks.of_pupil(reader, student_id)

    def term_inputs(self, course_journal_id: UUID, term: int) -> dict[UUID, list[Input]]:
        """The ``FinalInputs`` port (``domain.explain``): the marks that stand in a term."""
        with self.reader() as reader:
            return explain_query.term_inputs(reader, str(course_journal_id), term)

    def year_inputs(self, course_journal_id: UUID) -> dict[UUID, list[Input]]:
        """The ``FinalInputs`` port (``domain.explain``): the term marks of the year."""
        with self.reader() as reader:
            return explain_query.year_inputs(reader, str(course_journal_id))

    def lesson_sheet(self, lesson_id: str) -> listing.LessonSheet:
        """A lesson's form data; ``LookupError`` when there is no such lesson."""
        with self.reader() as reader:
            return listing.lesson_sheet(reader, self.views.policies.grading, lesson_id)

    def lessons_between(
        self, course_journal_id: str, first: str, last: str
    ) -> list[grid_view.GridLesson]:
        """A course journal's lessons from ``first`` to ``last`` (ISO dates), in order."""
        with self.reader() as reader:
            return lookup.lessons_between(reader, course_journal_id, first, last)


class ReportReads(ReadGroup):
    """Reports over the journals: class journal, summary sheet, attendance, completeness,
    a pupil's diary."""

    def class_journal(
        self, group_id: str, term: int, as_of: datetime | None = None
    ) -> class_journal_query.ClassJournal:
        """Every subject's grid of a class for a term, ordered by subject."""
        with self.reader(as_of) as reader:
            return class_journal_query.class_journal(
                reader, self.views.policies.grading, group_id, term
            )

    def summary_sheet(self, group_id: str, as_of: datetime | None = None) -> summary.SummarySheet:
        """The summary sheet («сводная ведомость») of a class for its school year."""
        with self.reader(as_of) as reader:
            policies = self.views.policies
            return summary.summary_sheet(reader, policies.grading, policies.attendance, group_id)

    def attendance(
        self, group_id: str, first: date, last: date, as_of: datetime | None = None
    ) -> attendance_query.AttendanceReport:
        """Attendance of a class's pupils from ``first`` to ``last``."""
        with self.reader(as_of) as reader:
            return attendance_query.attendance_report(
                reader, self.views.policies.attendance, group_id, first, last
            )

    def completeness(
        self,
        *,
        day: date,
        group_id: str | None = None,
        year_id: str | None = None,
        term: int | None = None,
        first: date | None = None,
        last: date | None = None,
        recent_days: int = 1,
        as_of: datetime | None = None,
    ) -> completeness_query.Completeness:
        """The filling-completeness report of a class (or a whole year) for a term or a
        date range, as it stands on ``day``."""
        with self.reader(as_of) as reader:
            if term is not None:
                year = year_id or _year_of(reader, group_id)
                first, last = completeness_query.term_dates(reader, year, term)
            if first is None or last is None:
                raise LookupError("give a term, or both first and last dates")
            return completeness_query.completeness_report(
                reader,
                self.views.policies.journal,
                first=first,
                last=last,
                as_of=day,
                group_id=group_id,
                year_id=year_id,
                recent_days=recent_days,
            )

    def diary(
        self,
        student_id: str,
        *,
        year_id: str | None = None,
        first: date | None = None,
        last: date | None = None,
        since: datetime | None = None,
        as_of: datetime | None = None,
    ) -> diary_query.Diary:
        """A pupil's diary: marks by subject with averages, attendance, homework, and what
        is new since ``since``."""
        with self.reader(as_of) as reader:
            return diary_query.diary(
                reader,
                self.views.policies.grading,
                student_id,
                year_id=year_id,
                first=first,
                last=last,
                since=since,
            )

    def class_day(self, group_id: str, day: date) -> class_day_query.ClassDay:
        """A class's absences of ``day`` and the marks entered that day (the class
        teacher's home page)."""
        with self.reader() as reader:
            return class_day_query.class_day(reader, group_id, day)

    def week(self, student_id: str, monday: date, today: date) -> week_query.Week:
        """A pupil's week, Monday to Saturday: each day's lessons, marks, absences and the
        homework due; and the «на завтра» day after ``today``."""
        with self.reader() as reader:
            return week_query.week(reader, self.views.policies.grading, student_id, monday, today)


def _year_of(reader: Reader, group_id: str | None) -> str:
    group = reader.get(catalog.GROUPS, (str(group_id),)) if group_id else None
    if group is None:
        raise LookupError(f"no class or group {group_id}")
    return str(group["year_id"])


class ApprovalReads(ReadGroup):
    """Correction requests waiting for the deputy head, and the latest decisions."""

    def pending(self) -> list[approvals_query.Request]:
        """Requests waiting for a decision, oldest first."""
        with self.reader() as reader:
            return approvals_query.pending(reader)

    def decided(self, limit: int) -> list[approvals_query.Request]:
        """The latest ``limit`` decisions (approved or rejected), newest first."""
        with self.reader() as reader:
            return approvals_query.decided(reader, limit)

    def request(self, request_id: str) -> approvals_query.Request | None:
        """One request (any state), or None when there is no such request."""
        with self.reader() as reader:
            return approvals_query.request(reader, request_id)

    def late_pending(self) -> list[approvals_query.LateRequest]:
        """Late-entry requests waiting for a decision, oldest first."""
        with self.reader() as reader:
            return approvals_query.late_pending(reader)

    def late_decided(self, limit: int) -> list[approvals_query.LateRequest]:
        """The latest ``limit`` decided late-entry requests, newest first."""
        with self.reader() as reader:
            return approvals_query.late_decided(reader, limit)

    def late_request(self, request_id: str) -> approvals_query.LateRequest | None:
        """One late-entry request (any state), or None."""
        with self.reader() as reader:
            return approvals_query.late_request(reader, request_id)

    def granted(self, account_id: str, lesson_ids: Iterable[str], today: date) -> set[str]:
        """Which of ``lesson_ids`` the account may enter now under an approved late-entry
        request of theirs."""
        with self.reader() as reader:
            return approvals_query.granted(reader, account_id, lesson_ids, today.isoformat())

    def late_for_lesson(self, lesson_id: str) -> list[approvals_query.LateRequest]:
        """A lesson's late-entry requests, oldest first."""
        with self.reader() as reader:
            return approvals_query.late_for_lesson(reader, lesson_id)


class AuditReads(ReadGroup):
    """Records' histories and the access log of pupils' personal data."""

    def history(
        self, record_id: str, as_of: datetime | None = None
    ) -> list[history_view.HistoryRow]:
        """Every event of a record: actor, time, type, reason, values before and after
        (built from the record's own events, also as of a moment: ADR 0029)."""
        with self.reader(as_of, (history_view.VIEW.name,)) as reader:
            return history_view.record_history(reader, self.views.sealer, record_id)

    def mark_history(self, mark_id: str) -> list[history_view.HistoryRow]:
        """A mark's chain: entry, requests and decisions, corrections, cancellation."""
        with self.reader() as reader:
            return history_view.mark_history(reader, self.views.sealer, mark_id)

    def accesses(
        self, *, student_id: str | None = None, actor: str | None = None, limit: int = 500
    ) -> list[access_log.AccessRow]:
        """The latest accesses, newest first, to one pupil's data or by one staff member."""
        with self.reader() as reader:
            return access_log.accesses(reader, student_id=student_id, actor=actor, limit=limit)

    def access_page(self, found: access_log.Filter, number: int, size: int) -> access_log.Page:
        """One page of the accesses ``found`` selects, newest first."""
        with self.reader() as reader:
            return access_log.access_page(reader, found, number, size)


class ScopeReads(ReadGroup):
    """What exists and who reaches it, for the permissions scoped "own"
    (``policies/access.toml``, ``projections.queries.scope``)."""

    def exists(self, kind: str, record_id: str) -> bool:
        """True when a record of ``kind`` (course, group, lesson, student, account) has this id."""
        with self.reader() as reader:
            return lookup.exists(reader, kind, record_id)

    def owns(
        self,
        account_id: str,
        person_id: str | None,
        roles: Iterable[str],
        kind: str,
        record_id: str,
    ) -> bool:
        """True when one of ``roles`` of this user reaches ``record_id`` of ``kind``."""
        with self.reader() as reader:
            scope = Scope(reader, account_id, person_id)
            return any(scope.owns(role, kind, record_id) for role in roles)

    def owned(
        self, account_id: str, person_id: str | None, roles: Iterable[str], kind: str
    ) -> frozenset[str]:
        """Every record of ``kind`` one of ``roles`` of this user reaches."""
        with self.reader() as reader:
            scope = Scope(reader, account_id, person_id)
            return frozenset().union(*(scope.owned(role, kind) for role in roles))


class ArchiveReads(ReadGroup):
    """The annual archive's volumes (``projections.views.archive``)."""

    def volumes(self) -> list[archive_view.Volume]:
        """Every captured volume with its long-term-validation horizon, by file name."""
        with self.reader() as reader:
            return archive_view.all_volumes(reader, self.views.sealer)


class TimetableReads(ReadGroup):
    """The timetable and thematic plans (``projections.queries.timetable``, ADR 0019)."""

    def day_lessons(
        self, year_id: str, courses: list[listing.CourseItem], day: date, account_id: str | None
    ) -> list[timetable_query.DayLesson]:
        """The lessons of ``day`` of these course journals (scheduled or held); for
        ``account_id`` only theirs, with those they hold as a substitute."""
        with self.reader() as reader:
            return timetable_query.day_lessons(reader, year_id, courses, day, account_id)

    def bells(self, year_id: str) -> dict[int, tuple[str, str]]:
        """The bell schedule: period → (starts, ends)."""
        with self.reader() as reader:
            return timetable_query.bells(reader, year_id)

    def days_off(self, year_id: str) -> list[DaysOff]:
        """The days off of a year, in order."""
        with self.reader() as reader:
            return timetable_query.days_off(reader, year_id)

    def patterns(self, course_journal_id: str) -> list[Pattern]:
        """A course journal's weekly patterns, by the date each is in force from."""
        with self.reader() as reader:
            return timetable_query.patterns(reader, course_journal_id)

    def substitutions(self, year_id: str, since: date) -> list[timetable_query.SubstitutionItem]:
        """Substitutions from ``since`` on."""
        with self.reader() as reader:
            return timetable_query.substitutions(reader, year_id, since)

    def plan(self, course_journal_id: str) -> list[PlanItem]:
        """A course journal's thematic plan, in order."""
        with self.reader() as reader:
            return timetable_query.plan(reader, course_journal_id)

    def lesson_days(self, course_journal_id: str) -> list[date] | None:
        """The days the course journal's timetable schedules a lesson (None: no timetable)."""
        with self.reader() as reader:
            return timetable_query.lesson_days(reader, course_journal_id)

    def next_lesson(self, course_journal_id: str, after: date) -> date | None:
        """The course's next lesson by its timetable after ``after`` — when homework given
        that day is due (None: no timetable, or no lesson left in the year)."""
        days = self.lesson_days(course_journal_id)
        return next_lesson_day(days, after) if days else None

    def substitute_of(self, lesson_id: str) -> str:
        """The substitute who holds a lesson, or ''."""
        with self.reader() as reader:
            return timetable_query.substitute_of(reader, lesson_id)


class NotifyReads(ReadGroup):
    """E-mail consents (ADR 0023): an account's own, and those in force for the sender."""

    def consent(self, account_id: str) -> notifications_view.Consent | None:
        """One account's consent (its address opened), or None."""
        with self.reader() as reader:
            return notifications_view.consent(reader, self.views.sealer, account_id)

    def in_force(self) -> list[notifications_view.Consent]:
        """Every consent in force, addresses opened (for the sender only)."""
        with self.reader() as reader:
            return notifications_view.in_force(reader, self.views.sealer)

    def counts(self) -> tuple[int, int]:
        """Consents in force and withdrawn."""
        with self.reader() as reader:
            return notifications_view.counts(reader)


class PolicyReads(ReadGroup):
    """The recorded versions of the policies and the head's approvals (``PolicySet``)."""

    def versions(self) -> list[policy_versions.PolicyVersion]:
        """Every recorded version, the latest first."""
        with self.reader() as reader:
            return policy_versions.versions(reader)

    def latest(self) -> policy_versions.PolicyVersion | None:
        """The version the deployment runs with (the latest recorded), or None."""
        with self.reader() as reader:
            return policy_versions.latest(reader)

    def in_force(self) -> policy_versions.PolicyVersion | None:
        """The latest approved version, or None."""
        with self.reader() as reader:
            return policy_versions.in_force(reader)

    def approval_for_hash(
        self, sha256: str, file: str = "grading.toml"
    ) -> policy_versions.PolicyVersion | None:
        """The approved version containing ``file`` with this SHA-256 (the earliest; its
        ``order`` names the order: «приказ № … от …»), or None."""
        with self.reader() as reader:
            return policy_versions.approval_for_hash(reader, sha256, file)


class Reads:
    """Every read of the views, by feature (built once with ``Views``: ``views.reads``)."""

    def __init__(self, views: Views) -> None:
        self.school = SchoolReads(views)
        self.people = PeopleReads(views)
        self.accounts = AccountReads(views)
        self.journal = JournalReads(views)
        self.reports = ReportReads(views)
        self.approvals = ApprovalReads(views)
        self.audit = AuditReads(views)
        self.scope = ScopeReads(views)
        self.archive = ArchiveReads(views)
        self.timetable = TimetableReads(views)
        self.notify = NotifyReads(views)
        self.policies = PolicyReads(views)
