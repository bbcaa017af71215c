"""Deterministic identities (uuid5) and record-series names.

Natural keys (a class in a year, a lesson on a date and period) give the same id every time,
so a second attempt to create the same record conflicts instead of duplicating it.
Ids and series names never contain personal data.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

NAMESPACE = UUID("6f1d4a52-2f0c-4c55-9a53-0c3b1e1b7e10")


def school_year_id(school: str, year: str) -> UUID:
    """Id of a school year, e.g. ``school_year_id("demo", "2025/26")``."""
    return uuid5(NAMESPACE, f"school-year/{school}/{year}")


def class_group_id(year_id: UUID, name: str) -> UUID:
    """Id of a class («5А») in a school year."""
    return uuid5(NAMESPACE, f"class/{year_id}/{name}")


def activity_group_id(year_id: UUID, code: str) -> UUID:
    """Id of an extracurricular group in a school year."""
    return uuid5(NAMESPACE, f"activity/{year_id}/{code}")


def course_journal_id(group_id: UUID, subject: str, year_id: UUID) -> UUID:
    """Id of the course journal of one subject for one class (or group) and year."""
    return uuid5(NAMESPACE, f"course/{group_id}/{subject}/{year_id}")


def school_calendar_id(year_id: UUID) -> UUID:
    """Id of a school year's calendar: the bell schedule and the days off (ADR 0019)."""
    return uuid5(NAMESPACE, f"calendar/{year_id}")


def timetable_id(course_journal_id: UUID) -> UUID:
    """Id of a course journal's timetable: its weekly pattern and substitutions."""
    return uuid5(NAMESPACE, f"timetable/{course_journal_id}")


def thematic_plan_id(course_journal_id: UUID) -> UUID:
    """Id of a course journal's thematic plan («КТП»)."""
    return uuid5(NAMESPACE, f"thematic-plan/{course_journal_id}")


def lesson_id(course_journal_id: UUID, day: date, period: int) -> UUID:
    """Id of the lesson held on ``day`` in ``period`` of a course journal."""
    return uuid5(NAMESPACE, f"lesson/{course_journal_id}/{day.isoformat()}/{period}")


def submitted_mark_id(lesson_id: UUID, form_key: str, student_id: UUID) -> UUID:
    """Id of the new mark for ``student_id`` sent with the lesson form ``form_key`` (a
    random key of each rendered form): the same form sent again names the same mark."""
    return uuid5(NAMESPACE, f"mark/{lesson_id}/{form_key}/{student_id}")


def submitted_correction_id(lesson_id: UUID, form_key: str, mark_id: UUID) -> UUID:
    """Id of the mark that corrects ``mark_id`` by the correction form ``form_key``."""
    return uuid5(NAMESPACE, f"correction/{lesson_id}/{form_key}/{mark_id}")


def submitted_request_id(lesson_id: UUID, form_key: str, subject: str) -> UUID:
    """Id of the request (a correction of mark ``subject``, or ``late-entry``) sent with the
    form ``form_key``: the same form sent again names the same request."""
    return uuid5(NAMESPACE, f"request/{lesson_id}/{form_key}/{subject}")


def term_grades_id(course_journal_id: UUID, term: int) -> UUID:
    """Id of the term marks of a course journal."""
    return uuid5(NAMESPACE, f"term-grades/{course_journal_id}/{term}")


def year_grades_id(group_id: UUID, year_id: UUID) -> UUID:
    """Id of the year marks of a class (the source of the summary sheet)."""
    return uuid5(NAMESPACE, f"year-grades/{group_id}/{year_id}")


def account_id(login: str) -> UUID:
    """Id of the account with ``login`` (logins are case-insensitive)."""
    return uuid5(NAMESPACE, f"account/{login.strip().lower()}")


def api_token_id(digest: str) -> UUID:
    """Id of the API token whose SHA-256 digest (hex) is ``digest``: a presented token is
    found by hashing it, without an index and without storing the token."""
    return uuid5(NAMESPACE, f"api-token/{digest}")


def year_slug(year: str) -> str:
    """``"2025/26"`` → ``"2025-26"`` for series names."""
    return year.replace("/", "-")


def journal_series(year: str, group: str) -> str:
    """Series of a class's journal for a year (retention class ``class-journal``)."""
    return f"journal/{year_slug(year)}/{group}"


def extracurricular_series(year: str, group: str) -> str:
    """Series of an extracurricular group's journal (``extracurricular-journal``)."""
    return f"extracurricular/{year_slug(year)}/{group}"


def summary_series(year: str, group: str) -> str:
    """Series of a class's summary sheet for a year (``summary-sheet``, 25 years)."""
    return f"summary/{year_slug(year)}/{group}"


def year_series(year: str) -> str:
    """Series of the school year's own records (terms, closing, re-opening orders)."""
    return f"school-year/{year_slug(year)}"


def person_series(person_id: UUID) -> str:
    """Series of one person's identity (pupil, guardian or staff: ``personal-data``)."""
    return f"person/{person_id}"


def school_year_of(day: date) -> str:
    """The school year a date belongs to: 1 September starts a new one (``"2025/26"``)."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def access_log_series(day: date) -> str:
    """Series of the access log of the school year of ``day`` (retention ``access-log``)."""
    return f"access-log/{year_slug(school_year_of(day))}"


#: The series of the retention records themselves: the register of series, holds,
#: dispositions and their certificates (``retention-records``, kept permanently).
RETENTION_SERIES = "retention"


def record_series_id(series: str) -> UUID:
    """Id of the register entry (``RecordSeries``) of a record series."""
    return uuid5(NAMESPACE, f"record-series/{series}")


def hold_register_id() -> UUID:
    """Id of the school's one register of holds."""
    return uuid5(NAMESPACE, "holds")


def year_of_series(series: str) -> str:
    """``journal/2025-26/5А`` → ``2025/26``; ``""`` for a series of no school year."""
    parts = series.split("/")
    if len(parts) >= 2 and len(parts[1]) == 7 and parts[1][4] == "-" and parts[1][:4].isdigit():
        return parts[1].replace("-", "/", 1)
    return ""


def group_of_series(series: str) -> str:
    """``journal/2025-26/5А`` → ``5А``; ``""`` when the series names no class or group."""
    parts = series.split("/")
    return "/".join(parts[2:]) if year_of_series(series) else ""


def policy_set_id() -> UUID:
    """Id of the recorded versions of the school's policies (``PolicySet``)."""
    return uuid5(NAMESPACE, "policy-set")


def retention_schedule_id() -> UUID:
    """Id of the school's recorded retention schedule (``RetentionSchedule``)."""
    return uuid5(NAMESPACE, "retention-schedule")


def school_profile_id(school: str) -> UUID:
    """Id of the school's profile (``SchoolProfile``) for the school's code."""
    return uuid5(NAMESPACE, f"school-profile/{school}")


def school_series(school: str) -> str:
    """Series of the school's own details (its profile; kept with the retention records)."""
    return f"school/{school}"


def act_register_id(year: int) -> UUID:
    """Id of the register that numbers the acts of a calendar year (``ActRegister``)."""
    return uuid5(NAMESPACE, f"acts/{year}")
