"""The deployment's root pages (ADR 0027, 0033) over a backend in memory: ``/`` lists the
schools that work, searched by code or name and paged; a disabled school's 503 and an
unknown address's 404 in the product's look; each in English when the browser asks for it
or a link chose it. The same pages behind the real dispatcher and registry are tested on
PostgreSQL in ``tests/integration/test_region_ui.py`` and ``test_tenants.py``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug.test import Client

from tests.region_fake import numbered
from web.deployment import DISABLED, create_root_app

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"}


@pytest.fixture
def client() -> Client:
    return Client(create_root_app(numbered(120), testing=True))


def _codes(answer: Any) -> list[str]:
    assert answer.status_code == 200
    return re.findall(r'<li id="school-([a-z0-9_]+)">', answer.get_data(as_text=True))


def _text(answer: Any) -> str:
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", answer.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_the_schools_that_work_are_listed_searched_and_paged(client: Client) -> None:
    working = sorted([f"sch{n:03d}" for n in range(120) if n % 10 != 7] + ["gym5"])
    first = client.get("/")
    assert _codes(first) == working[:50]
    page = first.get_data(as_text=True)
    assert '<a href="/s/gym5/">Гимназия № 5 имени А. С. Пушкина</a>' in page
    assert "страница 1 из 3, найдено 109 школ" in _text(first)
    assert 'rel="next"' in page and 'rel="prev"' not in page
    pages = [code for n in (1, 2, 3) for code in _codes(client.get(f"/?page={n}"))]
    assert pages == working  # each once, in order; no disabled school
    assert _codes(client.get("/?page=99")) == working[100:]  # past the end: the last page
    assert _codes(client.get("/?page=x")) == working[:50]
    # by a part of the code or of the name, any case; a LIKE wildcard is a character
    assert _codes(client.get("/?q=GYM")) == ["gym5"]
    assert _codes(client.get("/?q=пушкина")) == ["gym5"]
    assert _codes(client.get("/?q=sch11")) == [f"sch11{n}" for n in range(10) if n != 7]
    assert _codes(client.get("/?q=sch017")) == []  # disabled: not listed
    nothing = client.get("/?q=%25")
    assert _codes(nothing) == [] and "Ничего не найдено." in _text(nothing)
    # the search is kept on the pages' links
    many = client.get("/?q=Школа").get_data(as_text=True)
    assert 'href="/?page=2&amp;q=%D0%A8%D0%BA%D0%BE%D0%BB%D0%B0"' in many
    assert 'href="/region/"' in many


def test_the_list_is_in_english_when_the_browser_or_a_link_asks(client: Client) -> None:
    russian = client.get("/")
    assert '<html lang="ru">' in russian.get_data(as_text=True)
    assert "Школы" in _text(russian) and "Schools" not in _text(russian)
    assert russian.headers["Vary"] == "Accept-Language"
    english = client.get("/", headers=ENGLISH)
    text = _text(english)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Schools" in text and "Code or name" in text and "Find" in text
    assert "page 1 of 3, 109 schools found" in text and "Regional level" in text
    assert "Найти" not in text
    # the school's own name is the school's, not translated
    assert "Гимназия № 5 имени А. С. Пушкина" in _text(client.get("/?q=gym", headers=ENGLISH))
    # a link's choice wins over the browser's, and the pages' links keep it
    chosen = client.get("/?lang=en&q=Школа")
    assert "Code or name" in _text(chosen)
    following = re.search(r'<a href="([^"]*)" rel="next">', chosen.get_data(as_text=True))
    assert following and "lang=en" in following[1] and "page=2" in following[1]
    assert "Code or name" in _text(client.get(following[1].replace("&amp;", "&")))
    assert "Найти" in _text(client.get("/?lang=ru", headers=ENGLISH))
    assert "Найти" in _text(client.get("/?lang=xx"))
    assert "Найти" in _text(client.get("/", headers={"Accept-Language": "de, fr;q=0.5"}))


def test_a_disabled_school_and_an_unknown_address_answer_in_the_products_look(
    client: Client,
) -> None:
    disabled = client.get("/s/sch007/journal/", environ_overrides={DISABLED: "Школа № 7"})
    assert disabled.status_code == 503
    text = _text(disabled)
    assert "Школа отключена" in text and "Школа № 7: журнал школы сейчас не работает" in text
    assert "<header>" in disabled.get_data(as_text=True)  # the product's page, its style
    english = client.get(
        "/s/sch007/login", headers=ENGLISH, environ_overrides={DISABLED: "Школа № 7"}
    )
    assert english.status_code == 503
    assert "School disabled" in _text(english)
    assert "Школа № 7: the school's journal is not working now" in _text(english)
    posted = client.post("/s/sch007/login", environ_overrides={DISABLED: "Школа № 7"})
    assert posted.status_code == 503
    for path in ("/s/nosuch/", "/nothing", "/s/BAD!/"):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert "Страница не найдена" in _text(missing)
    assert "Page not found" in _text(client.get("/nothing", headers=ENGLISH))
    posted = client.post("/")  # the list takes no form: the product's page, in Russian
    assert posted.status_code == 405 and "GET" in posted.headers["Allow"]
    assert "Такой запрос здесь не принимается" in _text(posted)
    assert "<header>" in posted.get_data(as_text=True)
    assert "not accepted here" in _text(client.post("/", headers=ENGLISH))
    # a school's name is text, never markup
    escaped = client.get("/s/x/", environ_overrides={DISABLED: "<b>Школа</b>"})
    assert "&lt;b&gt;Школа&lt;/b&gt;" in escaped.get_data(as_text=True)


def test_bad_queries_get_a_page_never_a_5xx(client: Client) -> None:
    for query in (
        "page=-5",
        "page=99999999999999999999999",
        "page=1e3",
        "q=" + "я" * 5000,
        "q=%00%01%1b",
        "q=<script>alert(1)</script>",
        "lang=<script>",
        "lang=en&lang=ru",
        "q=&page=&lang=",
    ):
        answer = client.get(f"/?{query}")
        assert answer.status_code == 200, query
        assert "<script>" not in answer.get_data(as_text=True), query
    assert client.post("/").status_code == 405  # nothing is sent to the front page
