"""The wiring of events to views: every handler is keyed by a real event class of the domain,
and each view handles the events it must (the table ``MUST_HANDLE`` below says which).

The domain's events are found by walking every aggregate of ``domain`` for its nested event
classes, so an event added to an aggregate without a handler in a view that must see it —
or in no view at all — fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from uuid import uuid4

import pytest
from eventsourcing.domain import DecoratedFuncCaller, _created_event_classes
from eventsourcing.utils import get_topic

import domain
from domain import clock
from domain.access_log import AccessEntry
from domain.account import Account
from domain.api_tokens import ApiToken
from domain.archive import ArchiveVolume
from domain.base import Aggregate, Redacted
from domain.disposition import ActRegister, Disposition
from domain.grades import TermGrades, YearGrades
from domain.groups import ActivityGroup, ClassGroup, CourseJournal
from domain.holds import HoldRegister
from domain.lesson import Lesson
from domain.notifications import MailConsent
from domain.people import Guardian, Student
from domain.policy_set import PolicySet
from domain.records import RecordSeries
from domain.schedule import RetentionSchedule
from domain.school_profile import SchoolProfile
from domain.school_year import SchoolYear
from domain.timetable import SchoolCalendar, ThematicPlan, Timetable
from projections import all_views, sealing
from projections.store import MemoryStore
from projections.view import Applied, View, by_event, on
from projections.views import history
from tests.views import PlainSealer


def _aggregates() -> list[type[Aggregate]]:
    found = []
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Aggregate)
                and value is not Aggregate
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def events_of(aggregate: type[Aggregate]) -> frozenset[type]:
    """The events an aggregate records: those of its ``@event`` methods and its creation
    event (not the library's unused default ``Created``)."""
    created = _created_event_classes.get(aggregate, [])
    return frozenset(
        value
        for value in vars(aggregate).values()
        if inspect.isclass(value)
        and issubclass(value, Aggregate.Event)
        and (issubclass(value, DecoratedFuncCaller) or value in created)
    )


AGGREGATES = _aggregates()
ALL_EVENTS = frozenset().union(*(events_of(a) for a in AGGREGATES))


def of(*aggregates: type[Aggregate]) -> frozenset[type]:
    return frozenset().union(*(events_of(a) for a in aggregates))


#: Which views must handle which events (a handler keyed by the event's class). Whole
#: aggregates are named where a view must follow all of an aggregate's events, so a new
#: event of that aggregate needs a handler there.
MUST_HANDLE: dict[str, frozenset[type]] = {
    "catalog": of(SchoolYear, ClassGroup, ActivityGroup, CourseJournal, Student, Guardian)
    | {Account.Created, Account.RoleGranted, Account.RoleRevoked}
    | {Account.Locked, Account.Unlocked},
    "accounts": frozenset({Account.Locked, Account.Unlocked, Account.PasswordChanged})
    | {Account.RoleGranted, Account.RoleRevoked},  # the credentials generation (ADR 0012)
    "grid": of(Lesson),
    "final_marks": of(TermGrades, YearGrades),
    "access_log": of(AccessEntry),
    "register": of(RecordSeries, Disposition, HoldRegister)
    - {HoldRegister.Opened, Disposition.Numbered, Disposition.ActFiled, Disposition.ActRefreshed}
    | {SchoolYear.Opened, SchoolYear.Closed, SchoolYear.Reopened},
    "api_tokens": of(ApiToken),
    "archive": of(ArchiveVolume),
    "timetable": of(SchoolCalendar, Timetable, ThematicPlan),
    "school_profile": of(SchoolProfile),
    "notifications": of(MailConsent),
    "policy_versions": of(PolicySet) - {PolicySet.Started},
}

#: Views of the whole log: ``View.every`` sees every event, ``Redacted`` ones too
#: (the register counts them per series). The ledger is not a view: its own processor
#: (``projections.sealing``) seals every stored row. The records' history is not a kept
#: view either: it is built per record on demand (ADR 0029) and records every event.
SEE_EVERY_EVENT = frozenset({"register"})

#: Events that no view handles by class (the whole-log views above still see them), with
#: why. A new event must be handled somewhere or be added here.
LOG_ONLY: dict[type, str] = {
    Account.PasswordRehashed: "the same password at a new scrypt cost; no view shows hashes",
    Account.LoginFailed: "counts toward a lock, which Account.Locked reports",
    HoldRegister.Opened: "the one hold register's creation; holds are Placed/Released",
    PolicySet.Started: "the record of versions begun; PoliciesChanged follows in the same save",
    RetentionSchedule.Recorded: "the schedule in force; due dates are computed from it",
    RetentionSchedule.Adopted: "a new schedule; each moved due date is RecordSeries.Rescheduled",
    ActRegister.Opened: "the calendar year's act counter; each number is on its disposition",
    ActRegister.Issued: "a number given; the disposition's Numbered and its act carry it",
    Disposition.Numbered: "the act's numbers; the register shows them from the Executed act",
    Disposition.ActFiled: "a signed act's hash and horizon, read from the disposition by "
    "archive refresh (a few acts a year)",
    Disposition.ActRefreshed: "a renewed act's hash and horizon, as ActFiled",
}

#: Known gaps in ``MUST_HANDLE``, kept visible: the test fails once one is fixed, so the
#: entry is removed with the fix (their behaviour is not this test's to change).
KNOWN_GAPS: dict[tuple[str, type], str] = {}

VIEWS = {view.name: view for view in all_views.ALL}


def test_the_domain_walk_finds_the_recorded_events_and_not_the_library_defaults() -> None:
    assert {Lesson.Held, Lesson.MarkRecorded, Account.Created, SchoolYear.Closed} <= ALL_EVENTS
    assert Lesson.Created not in ALL_EVENTS  # the library's default, never recorded
    assert len(AGGREGATES) >= 15
    assert all(events_of(a) for a in AGGREGATES), "an aggregate with no events"


@pytest.mark.parametrize("view", all_views.ALL, ids=lambda v: v.name)
def test_every_handler_is_keyed_by_an_event_class_of_the_domain(view: View) -> None:
    stale = [key for key in view.handlers if key not in ALL_EVENTS | {Redacted}]
    assert not stale, f"{view.name}: handlers keyed by no domain event: {stale}"


def test_the_ledger_triggers_name_the_topics_of_a_term_and_a_year_closed() -> None:
    assert set(sealing.TRIGGER_TOPICS) == {
        get_topic(SchoolYear.TermClosed),
        get_topic(SchoolYear.Closed),
    }


def test_the_history_before_and_after_table_names_domain_events() -> None:
    assert set(history._CHANGES) <= ALL_EVENTS


def test_the_history_is_built_on_demand_not_kept() -> None:
    assert "history" not in VIEWS
    assert history.VIEW in all_views.RETIRED and history.VIEW.every is not None


def test_the_table_names_every_view_and_only_domain_events() -> None:
    assert set(MUST_HANDLE) | SEE_EVERY_EVENT == set(VIEWS)
    for events in MUST_HANDLE.values():
        assert events <= ALL_EVENTS
    assert set(LOG_ONLY) <= ALL_EVENTS


@pytest.mark.parametrize("name", sorted(MUST_HANDLE))
def test_each_view_handles_the_events_it_must(name: str) -> None:
    handled = set(VIEWS[name].handlers)
    missing = {e.__qualname__ for e in MUST_HANDLE[name] - handled if (name, e) not in KNOWN_GAPS}
    assert not missing, f"{name} has no handler for {sorted(missing)}"


def test_known_gaps_are_still_gaps() -> None:
    for (name, event), why in KNOWN_GAPS.items():
        assert event not in VIEWS[name].handlers, f"fixed ({why}): drop it from KNOWN_GAPS"


@pytest.mark.parametrize("name", sorted(SEE_EVERY_EVENT))
def test_the_whole_log_views_see_every_event(name: str) -> None:
    assert VIEWS[name].every is not None


def test_every_event_is_handled_by_some_view_or_is_log_only() -> None:
    handled = set().union(*(view.handlers for view in all_views.ALL))
    unhandled = {e.__qualname__ for e in ALL_EVENTS - handled - set(LOG_ONLY)}
    assert not unhandled, f"events no view handles: {sorted(unhandled)}"
    assert not handled & set(LOG_ONLY), "an event in LOG_ONLY is handled: drop it"


def test_dispatch_is_by_class_and_a_destroyed_event_reaches_only_every() -> None:
    seen: list[tuple[str, object]] = []
    view = View(
        "probe",
        "probe",
        (),
        handlers=by_event(on(Account.Locked, lambda s, e, _: seen.append(("locked", e)))),
        every=lambda s, e, _: seen.append(("every", e)),
    )
    redacted = Redacted(
        originator_id=uuid4(),
        originator_version=2,
        timestamp=clock.now(),
        original_topic="domain.account:Account.Locked",
        key_id=uuid4(),
        certificate_id="c",
    )
    view.apply(MemoryStore(), redacted, Applied(1, PlainSealer()))
    assert seen == [("every", redacted)]


def test_a_class_handled_twice_is_refused() -> None:
    def handler(s: object, e: object, a: object) -> None: ...

    with pytest.raises(ValueError, match=r"Lesson\.Held"):
        by_event(on(Lesson.Held, handler), on(Lesson.Held, handler))
