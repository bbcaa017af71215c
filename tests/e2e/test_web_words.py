"""Records and audit pages in people's words: Russian states and record-class titles, periods
as «5 лет» with Russian (and English) plural forms, days as ДД.ММ.ГГГГ and moments in the
school's time zone — never a stored code, an ISO text or UTC; approving a destruction goes
through a confirmation page."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale, ngettext

from domain import clock
from domain.policies import Period
from ejournal.bootstrap import System, build
from ejournal.policyfiles import load_policies
from ejournal.webapp import web_app
from projections.views import access_log
from tests.conftest import ROOT, settings_for
from tests.school import at
from tests.web import WebSchool, build_web_school, client_for, post
from web.words import period_words, school_day

JOURNAL_5A = "journal/2025-26/5А"
LATER = at(date(2032, 1, 2))
RAW = ("proposed", "approved", "executed", "class-journal", "P5Y", "2026-06-30", "2032-01-01")


@pytest.fixture
def web(system: System) -> WebSchool:
    built = build_web_school(system.journal)
    built.school.hold()
    with clock.travel(at(date(2026, 6, 30))):
        system.journal.retention.close_school_year(
            built.school.year_id, built.school.deputy, missing=["x"], force=True, reason="Конец"
        )
    return built


def text(html: str) -> str:
    """What a reader sees: the page without its tags (and so without attribute values)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def shown(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    return text(page.get_data(as_text=True))


def raw_codes(seen: str) -> list[str]:
    return [code for code in RAW if code in seen]


def propose(archivist) -> str:
    post(archivist, "/records/propose", {"series": JOURNAL_5A}, "/records/plan")
    listed = archivist.get("/records/proposals").get_data(as_text=True)
    found = re.search(r"/records/proposal\?id=([0-9a-f-]{36})", listed)
    assert found is not None
    return found.group(1)


def test_the_register_and_plan_speak_russian(system: System, web: WebSchool):
    archivist = client_for(system, web, "archivist")
    with clock.travel(LATER):
        register = shown(archivist, "/records/")
        plan = shown(archivist, "/records/plan")
    assert "Классный журнал (журнал успеваемости)" in register
    assert "подлежит уничтожению" in register
    assert "30.06.2026" in register and "01.01.2032" in register
    assert "5 лет" in plan and "закрытие учебного года" in plan and "02.01.2032" in plan
    assert raw_codes(register) == [] and raw_codes(plan) == []


def test_a_proposal_is_approved_only_through_its_confirmation_page(system: System, web: WebSchool):
    archivist, head = client_for(system, web, "archivist"), client_for(system, web, "head")
    with clock.travel(LATER):
        proposal = propose(archivist)
        page = f"/records/proposal?id={proposal}"
        seen = shown(archivist, page)
        assert "предложено" in seen and "Классный журнал (журнал успеваемости)" in seen
        assert "02.01.2032" in seen and raw_codes(seen) == []
        assert "предложено" in shown(archivist, "/records/proposals")
        # a POST without the confirmation's field approves nothing: it leads to the page
        direct = post(head, "/records/approve", {"id": proposal}, page)
        assert direct.status_code == 302
        assert direct.headers["Location"].endswith(f"/records/approve?id={proposal}")
        assert "одобрено" not in shown(head, page)
        confirm = shown(head, f"/records/approve?id={proposal}")
        assert JOURNAL_5A in confirm and "Подтвердить уничтожение" in confirm
        assert "1 серию документов" in confirm and "5 лет" in confirm
        assert raw_codes(confirm) == []
        protocol = {"protocol_no": "ЭК-1", "protocol_date": "2032-01-02"}
        post(head, "/records/approve", {"id": proposal, "confirm": "yes"} | protocol, page)
        assert "одобрено" in shown(head, page)
        # an approved proposal has nothing left to confirm; a second approval is refused in words
        assert head.get(f"/records/approve?id={proposal}").status_code == 302
        post(head, "/records/approve", {"id": proposal, "confirm": "yes"} | protocol, page)
        refused = shown(head, page)
        assert "Состояние предложения — «одобрено», а для этого действия нужно «предложено»" in (
            refused
        )
        assert raw_codes(refused) == []


def test_ledger_and_access_log_show_school_time(system: System, web: WebSchool):
    checkpoint = system.ledger.checkpoint()
    auditor = client_for(system, web, "auditor")
    client_for(system, web, "deputy").get("/records/year?year=2025/26")  # names shown: logged
    ledger = shown(auditor, "/audit/")
    logged = shown(auditor, "/audit/access-log")
    assert school_time(checkpoint.time) in ledger and checkpoint.time not in ledger
    rows = system.views.read(access_log.accesses, actor=str(web.school.deputy))
    assert rows and all(school_time(r.at) in logged and r.at[:10] not in logged for r in rows)


def school_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(clock.SCHOOL_TZ).strftime("%d.%m.%Y %H:%M")


@pytest.mark.parametrize(
    ("n", "years", "events"),
    [
        (1, "1 год", "1 событие"),
        (2, "2 года", "2 события"),
        (5, "5 лет", "5 событий"),
        (21, "21 год", "21 событие"),
    ],
)
def test_russian_plural_forms(system: System, n: int, years: str, events: str):
    with web_app(system, testing=True).test_request_context():
        assert period_words(Period(years=n)) == years
        assert ngettext("%(num)s событие", "%(num)s событий", n) == events
        with force_locale("en"):
            assert period_words(Period(years=n)) == (f"{n} year" if n == 1 else f"{n} years")


def test_periods_and_days_in_words(system: System):
    with web_app(system, testing=True).test_request_context():
        assert period_words(None) == "постоянно"
        assert period_words(Period(years=1, months=6)) == "1 год 6 месяцев"
        assert period_words(Period(days=30)) == "30 дней"
        assert period_words(Period()) == "0 дней"
    assert school_day("2026-06-30") == "30.06.2026"
    assert school_day(datetime(2026, 6, 30, 22, 0, tzinfo=UTC)) == "01.07.2026"  # Moscow
    assert school_day(None) == "—"


def test_the_register_says_when_an_upgrade_recomputed_a_due_date(tmp_path):
    """A year closed by a deployment counting periods from the cut-off (journals due
    01.07.2031); after the upgrade the register shows the new date and that it moved."""
    settings = settings_for(tmp_path)
    policies = load_policies(ROOT / "policies")
    classes = {
        name: dataclasses.replace(c, count_from="cut_off")
        for name, c in policies.retention.classes.items()
    }
    old = dataclasses.replace(
        policies, retention=dataclasses.replace(policies.retention, classes=classes)
    )
    with build(settings, old) as before:
        built = build_web_school(before.journal)
        with clock.travel(at(date(2026, 6, 30))):
            before.journal.retention.close_school_year(
                built.school.year_id, built.school.deputy, missing=["x"], force=True, reason="Конец"
            )
    with build(settings) as upgraded:
        upgraded.records.reschedule_at_start()
        [entry] = [e for e in upgraded.records.register() if e.series == JOURNAL_5A]
        assert entry.rescheduled_from == date(2031, 7, 1) and entry.due_on == date(2032, 1, 1)
        register = shown(client_for(upgraded, built, "archivist"), "/records/")
    row = register[register.index(JOURNAL_5A) :][:300]
    assert "01.01.2032 срок пересчитан (было 01.07.2031)" in row
    assert raw_codes(register) == []
