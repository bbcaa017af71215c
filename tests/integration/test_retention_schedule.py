"""The retention schedule is recorded, and a change of it moves due dates only on the
record: a year closed under the old rule (periods from the cut-off) gets the new dates
(from 1 January after it) at the next start, each moved date an event with the old and the
new day; a change that would bring dates sooner waits for a person's decision; and a
disposition proposed under the old dates is not executed under the new ones."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain import clock, errors, ids
from domain.base import SYSTEM_ACTOR
from domain.policies import Policies
from ejournal.bootstrap import System, build
from ejournal.policyfiles import load_policies
from ejournal.settings import Settings
from tests.conftest import ROOT
from tests.retention_school import JOURNAL_5A, SUMMARY_5A, History, make_history
from tests.school import at

SHIPPED = load_policies(ROOT / "policies")


def counted_from_cut_off(policies: Policies) -> Policies:
    """The schedule as versions before ADR 0007's amendment applied it."""
    retention = policies.retention
    classes = {
        name: dataclasses.replace(c, count_from="cut_off") for name, c in retention.classes.items()
    }
    return dataclasses.replace(policies, retention=dataclasses.replace(retention, classes=classes))


OLD = counted_from_cut_off(SHIPPED)


def due(system: System) -> dict[str, date | None]:
    return {e.series: e.due_on for e in system.records.register(date(2030, 1, 1))}


def rescheduled(system: System, series: str) -> list[dict]:
    return [
        {**e.values, "actor": e.actor, "reason": e.reason}
        for e in system.journal.queries.history(ids.record_series_id(series))
        if e.type == "Rescheduled"
    ]


@pytest.fixture
def old_year(backend_settings: Settings) -> tuple[Settings, History]:
    """The test school's year closed on 30 June 2026 by a deployment counting from the
    cut-off: its journals due 1 July 2031."""
    with build(backend_settings, OLD) as old:
        history = make_history(old)
        assert due(old)[JOURNAL_5A] == date(2031, 7, 1)
        assert old.journal.retention.recorded_schedule() == OLD.retention.schedule()
    return backend_settings, history


def test_an_upgraded_deployment_records_the_new_due_dates_at_start(old_year):
    settings, _ = old_year
    with build(settings) as upgraded:
        pending = upgraded.records.pending_reschedule()
        assert pending is not None
        moved = {c.series: (c.before, c.after) for c in pending}
        assert moved[JOURNAL_5A] == (date(2031, 7, 1), date(2032, 1, 1))
        assert moved[SUMMARY_5A] == (date(2051, 7, 1), date(2052, 1, 1))
        assert "серий — " in upgraded.records.reschedule_at_start()

        assert due(upgraded)[JOURNAL_5A] == date(2032, 1, 1)
        assert due(upgraded)[SUMMARY_5A] == date(2052, 1, 1)
        [event] = rescheduled(upgraded, JOURNAL_5A)
        assert (event["before"], event["after"]) == (date(2031, 7, 1), date(2032, 1, 1))
        assert event["cut_off"] == date(2026, 6, 30) and event["actor"] == SYSTEM_ACTOR
        assert upgraded.journal.retention.recorded_schedule() == SHIPPED.retention.schedule()
        # Recorded once: the next start finds the schedule in force.
        assert upgraded.records.pending_reschedule() is None
        assert upgraded.records.reschedule_at_start() == ""
        assert len(rescheduled(upgraded, JOURNAL_5A)) == 1
        # Nothing is due on the old date any more.
        plan = upgraded.records.plan(date(2031, 7, 2))
        assert JOURNAL_5A not in {line.entry.series for line in plan.executable}


def test_a_disposition_proposed_under_the_old_dates_is_not_executed(old_year):
    settings, h = old_year
    with build(settings, OLD) as old, clock.travel(at(date(2031, 7, 2))):
        [proposal] = old.records.propose(h.archivist, series=[JOURNAL_5A])
        old.journal.retention.approve_disposition(proposal, h.school.head, "7", clock.today())
    with build(settings) as upgraded:
        upgraded.records.reschedule_at_start()
        with clock.travel(at(date(2031, 7, 3))), pytest.raises(errors.SeriesNotDue):
            upgraded.records.execute(proposal, h.archivist)
        assert upgraded.journal.retention.disposition(proposal).state == "approved"
        assert {e.series: e.state for e in upgraded.records.register(date(2031, 7, 3))}[
            JOURNAL_5A
        ] == "approved"


def test_sooner_dates_wait_for_a_person_with_a_reason(old_year):
    settings, h = old_year
    with build(settings) as upgraded:
        upgraded.records.reschedule_at_start()
    # Back to the old rule: every date would come half a year sooner.
    with build(settings, OLD) as shorter:
        told = shorter.records.reschedule_at_start()
        assert "не пересчитаны" in told
        assert due(shorter)[JOURNAL_5A] == date(2031, 7, 1)  # what the file says…
        with clock.travel(at(date(2031, 7, 2))), pytest.raises(errors.ScheduleNotAdopted):
            shorter.records.propose(h.archivist, series=[JOURNAL_5A])  # …is not acted on
        with pytest.raises(errors.RoleRequired):
            shorter.records.reschedule(h.school.teacher, "Приказ № 5", allow_earlier=True)
        with pytest.raises(errors.ScheduleShortens):
            shorter.records.reschedule(h.archivist, "Приказ № 5")
        with pytest.raises(errors.ReasonRequired):
            shorter.records.reschedule(h.archivist, "", allow_earlier=True)
        changed = shorter.records.reschedule(
            h.archivist, "Протокол ЭК № 2 от 01.09.2026", allow_earlier=True
        )
        assert JOURNAL_5A in {c.series for c in changed}
        last = rescheduled(shorter, JOURNAL_5A)[-1]
        assert (last["before"], last["after"]) == (date(2032, 1, 1), date(2031, 7, 1))
        assert last["reason"] == "Протокол ЭК № 2 от 01.09.2026" and last["actor"] == h.archivist
        with clock.travel(at(date(2031, 7, 2))):
            assert shorter.records.propose(h.archivist, series=[JOURNAL_5A])
