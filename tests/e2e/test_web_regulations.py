"""The head's page «Правила и положения»: versions of the policies, approval by order, the
documents; every page names the approved version and warns the head and the administrator
while the running policies are not approved (ADR 0025)."""

from __future__ import annotations

from datetime import date

from domain import clock
from ejournal.bootstrap import System
from ejournal.policy_record import record_at_start
from tests.school import at
from tests.web import WebSchool, client_for, post, written_since

DAY = date(2025, 10, 6)


def test_the_head_approves_the_running_policies_and_downloads_a_regulation(
    system: System, web: WebSchool
):
    record_at_start(system)
    with clock.travel(at(DAY, 10)):
        head = client_for(system, web, "head")
        page = head.get("/regulations/").get_data(as_text=True)
        assert "Утвердить редакцию 1" in page and "Ни одна редакция правил не утверждена" in page
        assert 'id="rules-warning"' in head.get("/journal/").get_data(as_text=True)
        assert 'id="rules-warning"' in client_for(system, web, "admin").get("/").get_data(
            as_text=True
        )
        teacher = client_for(system, web, "teacher")
        assert 'id="rules-warning"' not in teacher.get("/journal/").get_data(as_text=True)
        assert teacher.get("/regulations/").status_code == 403
        assert teacher.get("/regulations/documents/journal-regulation.pdf").status_code == 403

        before = system.journal.recorder.max_notification_id() or 0
        refused = post(
            head,
            "/regulations/approve",
            {"version": "1", "order_no": "7-од", "order_date": "2025-10-07"},  # tomorrow
            "/regulations/",
        )
        assert refused.status_code == 422
        assert "Укажите номер и дату приказа" in refused.get_data(as_text=True)
        bad = post(
            head,
            "/regulations/approve",
            {"version": "1", "order_no": "7-од", "order_date": "x"},
            "/regulations/",
        )
        assert bad.status_code == 422
        assert written_since(system, before) == []
        done = post(
            head,
            "/regulations/approve",
            {"version": "1", "order_no": "7-од", "order_date": "2025-10-01"},
            "/regulations/",
        )
        assert done.status_code == 302
        page = head.get("/regulations/").get_data(as_text=True)
        assert "Действует редакция 1, утверждена приказом № 7-од от 01.10.2025." in page
        assert 'id="rules-warning"' not in page
        footer = teacher.get("/journal/").get_data(as_text=True)
        assert "Правила журнала: редакция 1, утверждена приказом № 7-од от 01.10.2025." in footer
        pdf = head.get("/regulations/documents/journal-regulation.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data.startswith(b"%PDF") and b"pdfaid" in pdf.data
        assert "journal-regulation-v1.pdf" in pdf.headers["Content-Disposition"]
        listed = head.get("/regulations/documents/pd-access-list.pdf?as_of=2025-09-01")
        assert "pd-access-list-2025-09-01-v1.pdf" in listed.headers["Content-Disposition"]
        assert head.get("/regulations/documents/nothing.pdf").status_code == 404
