"""Long lists in pages (issue 17 item 9): the access log and the records register a page at a
time, searched by a name (sealed in the database: opened in memory, never stored to search
by), a class, a person and days; pupils found by name on the administrator's page; the
guardian picker searched instead of one long dropdown; «— не зачислять —» submitted."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from domain import clock
from ejournal.bootstrap import System
from projections.views import catalog
from tests.school import at
from tests.web import WebSchool, client_for, post
from web import audit_replay, records


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _log(system: System, web: WebSchool, count: int) -> None:
    """``count`` page views by the teacher of pupil 0 (16.09.2025), one by the deputy of the
    outsider in 5Б (20.09.2025)."""
    s = web.school
    with clock.travel(at(date(2025, 9, 16), 12)):
        for n in range(count):
            system.journal.access_log.record_access(s.teacher, f"/journal/{n}", [s.pupils[0]])
    with clock.travel(at(date(2025, 9, 20), 12)):
        assert s.outsider is not None
        system.journal.access_log.record_access(s.deputy, "/classes/x", [s.outsider])
    system.views.catch_up()


def test_the_access_log_is_paged_and_searched_by_name_class_person_and_day(
    system: System, web: WebSchool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_replay, "ACCESS_PAGE", 5)
    _log(system, web, 7)
    auditor = client_for(system, web, "auditor")
    first = auditor.get("/audit/access-log").get_data(as_text=True)
    assert first.count("<tr><td>") == 5 and "страница 1 из" in _text(first)
    second = re.search(r'href="([^"]*page=2[^"]*)" rel="next"', first)
    assert second is not None
    assert "‹ предыдущая" in auditor.get(second.group(1).replace("&amp;", "&")).get_data(
        as_text=True
    )

    def rows(query: str) -> list[str]:
        page = auditor.get(f"/audit/access-log?{query}")
        assert page.status_code == 200, query
        shown = re.findall(r"<code>([^<]*)</code>", page.get_data(as_text=True))
        return [p for p in shown if not p.startswith("/audit/")]  # the auditor's own reading

    assert rows("q=чужой") == ["/classes/x"]  # the pupil's name, any case
    assert rows("q=Завучева") == ["/classes/x"]  # the staff member's name
    assert len(rows("q=смирнов+артем&to=2025-09-16")) == 5  # every word, «ё» as «е»; 5 of 7
    assert rows(f"group={web.school.other_class_id}") == ["/classes/x"]
    assert rows(f"actor={web.school.deputy}") == ["/classes/x"]
    assert rows("from=2025-09-17&to=2025-09-30") == ["/classes/x"]
    assert rows("to=2025-09-19&q=завучева") == []
    bad = auditor.get("/audit/access-log?from=17.09.2025")
    assert bad.status_code == 422 and "Дата — в формате ГГГГ-ММ-ДД." in bad.get_data(as_text=True)
    assert 'value="17.09.2025"' in bad.get_data(as_text=True)  # the input is kept


def test_a_name_is_searched_in_memory_and_never_stored_in_plain(system: System, web: WebSchool):
    found = system.views.reads.people.search("КУЗНЕЦОВА")
    assert found == [str(web.school.pupils[1])]
    assert system.views.reads.people.search("  ") == []
    for row in system.views.read(lambda reader: reader.select(catalog.PERSONS)):
        assert "Кузнецова".encode() not in bytes(row["sealed"])


def test_the_register_is_paged_and_searched_by_series_person_class_and_due_day(
    system: System, web: WebSchool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "REGISTER_PAGE", 2)
    auditor = client_for(system, web, "auditor")

    def series(query: str) -> list[str]:
        page = auditor.get(f"/records/?{query}")
        assert page.status_code == 200, query
        return re.findall(r"<tr><td><code>([^<]*)</code>", page.get_data(as_text=True))

    everything = series("")
    assert len(everything) == 2
    assert "страница 1 из" in _text(auditor.get("/records/").get_data(as_text=True))
    pupil = str(web.school.pupils[1])
    assert series("q=кузнецова") == [f"person/{pupil}"]
    page = auditor.get("/records/?q=кузнецова").get_data(as_text=True)
    assert "Кузнецова Дарья" in page  # whose series it is
    assert all("5А" in s for s in series("q=5А"))
    assert series("q=нет-такой-серии") == []
    assert series("from=2099-01-01") == []
    bad = auditor.get("/records/?to=завтра")
    assert bad.status_code == 422 and "Дата — в формате ГГГГ-ММ-ДД." in bad.get_data(as_text=True)


def test_pupils_are_found_by_name_on_the_admin_page(system: System, web: WebSchool) -> None:
    admin = client_for(system, web, "admin")
    page = admin.get("/admin/pupils?q=попов").get_data(as_text=True)
    assert re.search(r">Попов Илья</a></td><td>07.03.2014</td><td>5А</td>", page)
    assert '<form method="get" action="/admin/pupils#search"' in page  # the search kept
    assert '<input name="q" maxlength="100" value="попов">' in page
    assert "Смирнов" not in page
    assert "Никого не найдено." in admin.get("/admin/pupils?q=Иванов").get_data(as_text=True)


def test_register_without_a_class_can_be_submitted(system: System, web: WebSchool) -> None:
    admin = client_for(system, web, "admin")
    form = admin.get("/admin/pupils").get_data(as_text=True)
    select = re.search(r'<select id="admin-register_pupil-group_id"[^>]*>', form)
    assert select is not None and "required" not in select.group(0)
    done = post(
        admin,
        "/admin/pupils",
        {
            "surname": "Новиков",
            "name": "Лев",
            "patronymic": "",
            "birth_date": "2014-01-01",
            "group_id": "",
            "on": "2025-09-01",
        },
        "/admin/pupils",
    )
    assert done.status_code == 302
    assert "Новиков Лев" in admin.get("/admin/pupils").get_data(as_text=True)  # «Без класса»


def test_the_guardian_picker_is_a_search(system: System, web: WebSchool) -> None:
    s = web.school
    for n in range(40):
        system.journal.people.register_guardian(
            "Многодетная", f"Мама{n}", "", f"+7 900 111-22-{n:02d}", "", s.admin
        )
    system.views.catch_up()
    admin = client_for(system, web, "admin")
    url = f"/admin/pupils/{s.pupils[2]}"
    plain = admin.get(url).get_data(as_text=True)
    assert 'name="guardian_id"' not in plain and 'name="guardian"' in plain  # no long list
    found = admin.get(f"{url}?guardian=смирнова").get_data(as_text=True)
    options = re.findall(r'<option value="([0-9a-f-]{36})"', found)
    assert options == [str(web.guardian)]
    assert f'<form method="get" action="{url}#link-guardian"' in found  # the search kept
    assert '<input name="guardian" maxlength="100" value="смирнова">' in found
    by_phone = admin.get(f"{url}?guardian=000-00-02").get_data(as_text=True)
    assert re.findall(r'<option value="([0-9a-f-]{36})"', by_phone) == [str(web.other_guardian)]
    many = admin.get(f"{url}?guardian=многодетная").get_data(as_text=True)
    assert len(re.findall(r'<option value="[0-9a-f-]{36}"', many)) == 30
    assert "Показаны первые 30 из 40" in many

    def link(guardian: object, relation: str, query: str) -> Any:
        form = {"guardian_id": str(guardian), "relation": relation}
        return post(admin, f"{url}/guardians/link", form, f"{url}?guardian={query}")

    assert link(web.guardian, "тётя", "смирнова").status_code == 302
    assert "тётя" in admin.get(url).get_data(as_text=True)
    refused = link(web.other_guardian, "", "чужая")
    assert refused.status_code == 422
    kept = refused.get_data(as_text=True)
    assert re.search(rf'<option value="{web.other_guardian}" selected', kept)
