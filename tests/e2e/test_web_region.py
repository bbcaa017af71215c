"""The regional pages (ADR 0027) over a backend in memory: the list of schools searched,
filtered and paged; adding a school and disabling or enabling one each confirmed first,
bad input refused with a clear error and nothing written; the auditor's ledger page and
downloads; the pages in English; a tablet's layout. The same pages over the real registry
and schools are tested on PostgreSQL in ``tests/integration/test_tenants.py`` and
``test_region_ui.py``."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from tests.region_fake import FakeRegion, csrf, numbered, region_app, signed_in


@pytest.fixture
def region() -> FakeRegion:
    return numbered(250)


def _codes(answer: Any) -> list[str]:
    return re.findall(r'<tr id="school-([a-z0-9_]+)">', answer.get_data(as_text=True))


def _text(answer: Any) -> str:
    body = answer.get_data(as_text=True)
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return re.sub(r" ([,.?])", r"\1", " ".join(re.sub(r"<[^>]+>", " ", body).split()))


def test_the_list_is_searched_filtered_and_paged(region: FakeRegion) -> None:
    client = signed_in(region_app(region), "oblast-audit")
    first = client.get("/")
    assert first.status_code == 200
    every = sorted(region.schools)
    assert _codes(first) == every[:50]
    assert "страница 1 из 6, найдена 251 школа" in _text(first)
    assert 'rel="next"' in first.get_data(as_text=True) and 'rel="prev"' not in first.get_data(
        as_text=True
    )
    last = client.get("/?page=6")
    assert _codes(last) == every[250:] == ["sch249"]
    pages = [code for number in range(1, 7) for code in _codes(client.get(f"/?page={number}"))]
    assert pages == every and len(pages) == 251  # each once, in order
    assert _codes(client.get("/?page=99")) == _codes(last)  # past the end: the last page
    assert _codes(client.get("/?page=x")) == _codes(first)
    # search by a part of the code or of the name, any case
    assert _codes(client.get("/?q=GYM")) == ["gym5"]
    assert _codes(client.get("/?q=пушкина")) == ["gym5"]
    assert _codes(client.get("/?q=sch12")) == [f"sch{n}" for n in range(120, 130)]
    # filter by status, with the search kept on the next page's link
    disabled = client.get("/?status=disabled")
    assert _codes(disabled) == [f"sch{n:03d}" for n in range(7, 250, 10)][:50]
    assert "найдено 25 школ" in _text(disabled)
    active = client.get("/?status=active&q=sch")
    assert "найдено 225 школ" in _text(active)
    assert 'href="/?page=2&amp;q=sch&amp;status=active"' in active.get_data(as_text=True)
    assert _codes(client.get("/?q=nothing-like-it")) == []
    assert "Ничего не найдено." in _text(client.get("/?q=nothing-like-it"))
    assert client.get("/?status=deleted").status_code == 200  # an unknown status: all
    summary = _text(first)
    assert "Всего школ: 251 · работают: 226 · отключены: 25" in summary


def test_the_auditor_sees_ledger_notes_and_no_admin_actions(region: FakeRegion) -> None:
    client = signed_in(region_app(region), "oblast-audit")
    listing = _text(client.get("/?q=sch00"))
    assert "ещё не открывался" in listing and "Отключить" not in listing
    assert "Добавить школу" not in listing
    assert 'name="ledger"' not in signed_in(region_app(region), "oblast-admin").get("/").text
    page = client.get("/schools/sch001/ledger")
    assert page.status_code == 200 and "Запечатано событий" in _text(page)
    row = _text(client.get("/?q=sch001"))
    assert "цел, 01.12.2026 12:00" in row and "12 событий" in row and "сведения на" in row
    download = client.get("/schools/sch001/ledger.json")
    assert download.status_code == 200 and download.get_json()["sealed"] == 12
    assert "attachment" in download.headers["Content-Disposition"]
    assert [what for code, _, what in region.logged if code == "sch001"] == [
        "ledger",
        "download",
    ]
    # the schools to look at first: a failed verification, none yet
    region.notes["sch002"] = replace(region.notes["sch001"], verified_ok=False)
    assert _codes(client.get("/?ledger=failed")) == ["sch002"]
    unverified = client.get("/?ledger=unverified&q=sch00")
    assert _codes(unverified) == [f"sch00{n}" for n in range(10) if n not in (1, 2)]
    assert "НЕ цел" in _text(client.get("/?q=sch002"))
    assert "проверка журнала не пройдена: 1 · не проверялись: 249" in _text(client.get("/"))
    for path in ("/schools/sch001/disable", "/schools/sch001/enable"):
        assert client.get(path).status_code == 403
    assert client.get("/schools/nowhere/ledger").status_code == 404


def test_adding_a_school_is_checked_then_confirmed(region: FakeRegion) -> None:
    client = signed_in(region_app(region), "oblast-admin")
    token = csrf(client, "/")
    for data, problem in (
        ({"code": "Гимназия", "name": "Гимназия"}, "Неверный код школы"),
        ({"code": "9abc", "name": "Школа"}, "Неверный код школы"),
        ({"code": "gym5", "name": "Дубль"}, "Школа с таким кодом уже есть."),
        ({"code": "gym6", "name": "   "}, "Название школы: от 1 до 300 символов"),
        ({"code": "gym6", "name": "Школа", "confirmed": "yes", "x": ""}, None),
    ):
        if problem is None:
            break
        answer = client.post("/schools", data={**data, "csrf_token": token})
        assert answer.status_code == 422 and problem in _text(answer), data
        assert f'value="{data["code"]}"' in answer.get_data(as_text=True)  # kept to mend
    assert region.writes == []
    asked = client.post(
        "/schools", data={"code": "gym6", "name": " Гимназия  № 6 ", "csrf_token": token}
    )
    assert asked.status_code == 200 and "Добавить школу?" in _text(asked)
    assert "/s/gym6/" in _text(asked) and region.writes == []  # nothing yet
    confirm = {"code": "gym6", "name": "Гимназия № 6", "confirmed": "yes", "csrf_token": token}
    done = client.post("/schools", data=confirm)
    assert done.status_code == 302 and region.writes == [("add", "gym6")]
    assert region.schools["gym6"].name == "Гимназия № 6"
    assert "Школа gym6 добавлена" in _text(client.get(done.headers["Location"]))
    again = client.post("/schools", data=confirm)  # the same form sent twice
    assert again.status_code == 422 and region.writes == [("add", "gym6")]
    assert client.post("/schools", data={"code": "gym7", "name": "x"}).status_code == 400  # CSRF


def test_disabling_asks_for_a_reason_and_enabling_for_a_confirmation(region: FakeRegion) -> None:
    client = signed_in(region_app(region), "oblast-admin")
    ask = client.get("/schools/sch001/disable")
    assert ask.status_code == 200 and "Отключить школу Школа № 1 (sch001)?" in _text(ask)
    token = csrf(client, "/schools/sch001/disable")
    for reason in ("", "   ", "x" * 301, "a\x00b"):
        answer = client.post(
            "/schools/sch001/status",
            data={"status": "disabled", "reason": reason, "csrf_token": token},
        )
        assert answer.status_code == 422, reason
        assert "причин" in _text(answer).lower() and region.writes == []
    bad = client.post("/schools/sch001/status", data={"status": "gone", "csrf_token": token})
    assert bad.status_code == 422 and "Неверное состояние." in _text(bad)
    assert (
        client.post(
            "/schools/nowhere/status", data={"status": "active", "csrf_token": token}
        ).status_code
        == 404
    )
    done = client.post(
        "/schools/sch001/status",
        data={"status": "disabled", "reason": "Реорганизация, приказ № 12", "csrf_token": token},
    )
    assert done.status_code == 302
    assert region.writes == [("status", "sch001", "disabled")]
    row = _text(client.get("/?q=sch001"))
    assert "отключена" in row and "Причина: Реорганизация, приказ № 12" in row
    assert "oblast-admin" in row and "Включить…" in row
    enable = client.get("/schools/sch001/enable")
    assert "Школа отключена: Реорганизация, приказ № 12" in _text(enable)
    client.post("/schools/sch001/status", data={"status": "active", "csrf_token": token})
    assert region.schools["sch001"].status == "active"
    # the administrator reads no ledger
    assert client.get("/schools/sch001/ledger").status_code == 403
    assert client.get("/schools/sch001/checkpoint").status_code == 403
    assert client.get("/schools/sch001/ledger.json").status_code == 403


def test_the_regional_pages_speak_english(region: FakeRegion) -> None:
    app = region_app(region)
    client = signed_in(app, None)
    assert '<html lang="ru">' in client.get("/login").get_data(as_text=True)
    back = client.get("/lang/en", headers={"Referer": "http://localhost/login"})
    assert back.status_code == 302 and back.headers["Location"] == "/login"
    login = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in login and "Sign-in for the regional administrator" in login
    token = csrf(client, "/login")
    client.post(
        "/login", data={"login": "oblast-admin", "password": "region-pass-7", "csrf_token": token}
    )
    listing = _text(client.get("/?status=disabled"))  # the language outlives the sign-in
    for words in (
        "Schools of the region",
        "Code or name",
        "disabled",
        "Enable…",
        "25 schools found",
        "Add a school",
        "Next: check and add",
    ):
        assert words in listing, words
    token = csrf(client, "/")  # a new session, a new token
    refused = client.post("/schools", data={"code": "Б", "name": "x", "csrf_token": token})
    assert "Wrong school code" in _text(refused)
    ask = _text(client.get("/schools/sch002/disable"))
    assert "Disable the school Школа № 2 (sch002)?" in ask and "Reason for disabling" in ask
    assert "Help for the regional administrator" in _text(client.get("/help/regional_admin"))
    # the Russian words left on the English pages are data (the schools' names), the
    # language switch, and the access log's entries quoted by the help — never a label
    data = {"Школа", "Гимназия", "имени", "А", "С", "Пушкина", "Русский"}
    quoted = {"регион", "школа", "добавлена", "отключена", "гимназия", "Школа"}
    for path in ("/", "/schools/sch002/disable", "/help/", "/help/regional_admin"):
        russian = set(re.findall(r"[А-Яа-яЁё]+", _text(client.get(path))))
        assert russian <= data | quoted, (path, russian - data - quoted)
    client.get("/lang/ru")
    assert "Школы региона" in _text(client.get("/"))


def test_a_tablet_gets_the_school_pages_layout(region: FakeRegion) -> None:
    client = signed_in(region_app(region), "oblast-admin")
    page = client.get("/").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "@media (pointer: coarse)" in page  # the school pages' style: fingers
    assert "@media (max-width: 900px)" in page and 'class="wide"' in page
    assert '<div class="scroll">' in page  # a wide table scrolls, the page does not
