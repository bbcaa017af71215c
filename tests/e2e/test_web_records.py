"""The archivist's pages: the register, the plan, a proposal approved by the head and
executed with its certificate; holds; closing the school year for the deputy head."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient

from domain import clock
from ejournal.bootstrap import System
from projections.views import access_log
from tests.school import at
from tests.web import WebSchool, build_web_school, client_for, post

JOURNAL_5A = "journal/2025-26/5А"
LATER = at(date(2032, 1, 2))


@pytest.fixture
def web(system: System) -> WebSchool:
    built = build_web_school(system.journal)
    built.school.hold()
    return built


@pytest.fixture
def archivist(system: System, web: WebSchool) -> FlaskClient:
    """The archivist's client, once the deputy has closed the year (30 June 2026), so that
    its series count from then."""
    with clock.travel(at(date(2026, 6, 30))):
        system.journal.retention.close_school_year(
            web.school.year_id, web.school.deputy, missing=["x"], force=True, reason="Конец года"
        )
    return client_for(system, web, "archivist")


def test_only_records_roles_open_the_register(system: System, web: WebSchool):
    assert client_for(system, web, "teacher").get("/records/").status_code == 403
    for role in ("archivist", "head", "deputy", "auditor"):
        page = client_for(system, web, role).get("/records/")
        assert page.status_code == 200, role
        assert JOURNAL_5A in page.get_data(as_text=True)


def test_propose_approve_execute_and_download_the_certificate(
    system: System, web: WebSchool, archivist: FlaskClient
):
    head = client_for(system, web, "head")
    with clock.travel(LATER):
        plan = archivist.get("/records/plan").get_data(as_text=True)
        assert JOURNAL_5A in plan and "срок хранения истёк" in plan
        done = post(archivist, "/records/propose", {"series": JOURNAL_5A}, "/records/plan")
        assert done.status_code == 302
        listed = archivist.get("/records/proposals").get_data(as_text=True)
        proposal = re.search(r"/records/proposal\?id=([0-9a-f-]{36})", listed).group(1)
        page = f"/records/proposal?id={proposal}"
        # the archivist has no right to approve; the head has, from the confirmation page
        confirm = {"id": proposal, "confirm": "yes"}
        assert post(archivist, "/records/approve", confirm, page).status_code == 403
        assert archivist.get(f"/records/approve?id={proposal}").status_code == 403
        # without the expert commission's protocol the page comes back, the number kept
        bare = post(
            head,
            "/records/approve",
            confirm | {"protocol_no": "ЭК-4"},
            f"/records/approve?id={proposal}",
        )
        shown = bare.get_data(as_text=True)
        assert bare.status_code == 422 and "протокола экспертной комиссии" in shown
        assert 'value="ЭК-4"' in shown and "одобрено" not in head.get(page).get_data(as_text=True)
        protocol = {"protocol_no": "ЭК-4", "protocol_date": LATER.date().isoformat()}
        post(head, "/records/approve", confirm | protocol, f"/records/approve?id={proposal}")
        assert "одобрено" in head.get(page).get_data(as_text=True)
        post(archivist, "/records/execute", {"id": proposal}, page)
    shown = archivist.get(page).get_data(as_text=True)
    assert "уничтожено" in shown and "PDF" in shown and "executed" not in shown
    pdf = archivist.get(f"/records/certificate?id={proposal}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert "akt-" in pdf.headers["Content-Disposition"]
    certificate = archivist.get(f"/records/certificate?id={proposal}&file=json").get_json()
    assert [i["series"] for i in certificate["items"]] == [JOURNAL_5A]
    destroyed = archivist.get("/records/?state=destroyed").get_data(as_text=True)
    assert JOURNAL_5A in destroyed


def test_a_hold_placed_on_the_page_keeps_a_series_out_of_the_plan(archivist: FlaskClient):
    with clock.travel(LATER):
        answer = post(
            archivist,
            "/records/holds/place",
            {"kind": "group", "value": "2025/26 5А", "reason": "Запрос суда"},
            "/records/holds",
        )
        assert answer.status_code == 302
        assert "Запрос суда" in archivist.get("/records/holds").get_data(as_text=True)
        plan = archivist.get("/records/plan").get_data(as_text=True)
    held = plan.split("Приостановлено")[1]
    assert JOURNAL_5A in held
    refused = post(
        archivist,
        "/records/holds/place",
        {"kind": "moon", "value": "x", "reason": "y"},
        "/records/holds",
    )
    assert refused.status_code == 302
    assert "Выберите значение" in archivist.get("/records/holds").get_data(as_text=True)


def test_the_deputy_closes_the_year_on_its_page(system: System, web: WebSchool):
    deputy = client_for(system, web, "deputy")
    page = deputy.get("/records/year?year=2025/26").get_data(as_text=True)
    assert "Не выставлено отметок: 20" in page and "5А, Математика, 1 период: Смирнов Артём" in page
    logged = system.views.read(access_log.accesses, actor=str(web.school.deputy))
    assert {a.page for a in logged} == {"records/year"}
    with clock.travel(at(date(2026, 6, 30))):
        post(deputy, "/records/year/close", {"year": "2025/26"}, "/records/year?year=2025/26")
        assert "нельзя закрыть" in deputy.get("/records/year?year=2025/26").get_data(as_text=True)
        post(
            deputy,
            "/records/year/close",
            {"year": "2025/26", "force": "true", "reason": "Выбыли до аттестации"},
            "/records/year?year=2025/26",
        )
    assert "Год закрыт 30.06.2026" in deputy.get("/records/year?year=2025/26").get_data(
        as_text=True
    )
    assert client_for(system, web, "archivist").get("/records/year").status_code == 403
