"""Help inside the product (issue 18 §3, ADR 0026): a page per role in Russian and English
holding every section the «?» links point at; the «?» link on every page of the URL map, as
every role, leading to an anchor that exists; the regulation's values read from the policies
in force, so a changed policy file changes the help page."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from domain.account import ROLES
from ejournal.bootstrap import build
from ejournal.webapp import web_app
from tests.conftest import ROOT, settings_for
from tests.e2e.test_web_access import ANONYMOUS, _client, _url, routes, world  # noqa: F401
from web import help_pages


class _Page(HTMLParser):
    """Every element id and the «?» link's target of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.help: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "a" and "help-link" in (found.get("class") or "").split():
            self.help.append(str(found.get("href")))


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_role_page_holds_its_sections_once(world, language):  # noqa: F811
    system, _, _ = world
    client = web_app(system, testing=True).test_client()
    client.get(f"/lang/{language}")
    assert set(help_pages.ROLE_PAGES) == set(ROLES), "a help page for every role"
    _holds_its_sections(
        client, help_pages.INDEX_SECTIONS, help_pages.PAGE_SECTIONS, help_pages.COMMON
    )
    assert client.get("/help/nobody").status_code == 404


def _holds_its_sections(
    client: Any, index: tuple[str, ...], pages: dict[str, tuple[str, ...]], common: tuple[str, ...]
) -> None:
    """The help index holds ``index``; each role page its sections and ``common``, each once."""
    answer = client.get("/help/")
    assert answer.status_code == 200
    assert set(index) <= set(_parse(answer.get_data(as_text=True)).ids)
    for role, sections in pages.items():
        answer = client.get(f"/help/{role}")
        assert answer.status_code == 200, role
        ids = _parse(answer.get_data(as_text=True)).ids
        assert sorted({i for i in ids if ids.count(i) > 1}) == [], f"{role}: ids used twice"
        assert set(sections) | set(common) <= set(ids), f"{role} lacks sections"


def test_the_question_mark_leads_to_the_help_for_every_page_as_every_role(world):  # noqa: F811
    """Every GET route of the URL map, as every role (and signed out): each HTML page it
    answers has the «?» link, the link names the page's own section, and that section
    exists on the page it leads to."""
    system, web, samples = world
    app = web_app(system, testing=True)
    targets: dict[str, list[str]] = {}
    covered: set[str] = set()
    html_routes: set[str] = set()
    problems = []
    for role in [ANONYMOUS, *ROLES]:
        client = _client(system, web, role)
        reader = app.test_client()
        for endpoint, method, rule in routes(app):
            if method != "GET" or endpoint in ("auth.logout", "i18n.choose"):
                continue
            answer = client.get(_url(rule, samples["own"]))
            if answer.status_code != 200 or answer.mimetype != "text/html":
                continue
            html_routes.add(endpoint)
            links = _parse(answer.get_data(as_text=True)).help
            if len(links) != 1:
                problems.append(f"{role} {endpoint}: {len(links)} «?» links")
                continue
            path, _, anchor = links[0].partition("#")
            if anchor not in help_pages.anchors_of(endpoint):
                problems.append(f"{role} {endpoint}: «?» opens #{anchor}, not this page's section")
            if path not in targets:
                page = reader.get(path)
                assert page.status_code == 200, path
                targets[path] = _parse(page.get_data(as_text=True)).ids
            if anchor not in targets[path]:
                problems.append(f"{role} {endpoint}: {path} has no #{anchor}")
            covered.add(endpoint)
    assert problems == []
    # the walk reached pages of every area, not only the public ones
    assert {
        "journal.lesson",
        "classes.approvals",
        "diary.pupil",
        "admin.accounts",
        "records.register",
        "audit.ledger_status",
        "help.role",
    } <= covered
    assert covered == html_routes


def test_the_link_picks_the_role_page_that_explains_the_page():
    assert help_pages.target("journal.lesson", ["teacher", "class_teacher"]) == (
        "teacher",
        "lesson",
    )
    assert help_pages.target("classes.journal", ["teacher", "class_teacher"]) == (
        "class_teacher",
        "class-journal",
    )
    assert help_pages.target("records.plan", ["head"]) == ("head", "records")
    assert help_pages.target("records.plan", ["archivist"]) == ("archivist", "plan")
    assert help_pages.target("auth.login", []) == (None, "login")
    assert help_pages.target("sessions.sessions", ["pupil"]) == ("pupil", "sessions")
    # a page added later to an area opens its area's help
    assert help_pages.target("journal.something_new", ["teacher"]) == ("teacher", "grid")


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_changed_policy_shows_on_the_help_page(tmp_path: Path):
    """The values are read from the loaded policies: a copy of policies/ with other values
    gives a help page with those values (in both languages), none of the old ones."""
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    journal = folder / "journal.toml"
    text = journal.read_text(encoding="utf-8")
    for key, value in (
        ("entry_deadline_days", "5"),
        ("own_correction_days", "11"),
        ("late_entry_days", "4"),
    ):
        text, count = re.subn(rf"(?m)^{key} = \d+$", f"{key} = {value}", text)
        assert count == 1, key
    text, count = re.subn(r"(?m)^approver_roles = .*$", 'approver_roles = ["head"]', text)
    assert count == 1
    journal.write_text(text, encoding="utf-8")
    settings = settings_for(tmp_path)
    settings = type(settings).from_env(
        {"EJOURNAL_VAR_DIR": str(tmp_path / "var"), "EJOURNAL_POLICIES_DIR": str(folder)}
    )
    with build(settings) as system:
        client = web_app(system, testing=True).test_client()
        page = _text(client.get("/help/teacher").get_data(as_text=True))
        assert "не позднее чем через 5 дней после урока" in page
        assert "В течение 11 дней после выставления отметки" in page
        assert "в течение 11 дней после её выставления" in page  # the rules' table
        assert "на согласование (директор)" in page
        assert "его согласует директор." in page
        assert "и ещё 4 дня" in page
        assert " 7 дней" not in page, re.findall(r".{80}7 дней.{20}", page)
        assert "согласует заместитель директора или директор" not in page
        parent = _text(client.get("/help/parent").get_data(as_text=True))
        assert "в течение 11 дней" in parent and "через 5 дней" in parent
        client.get("/lang/en")
        english = _text(client.get("/help/teacher").get_data(as_text=True))
        assert "Within 11 days of giving the mark" in english
        assert "no later than 5 days after the lesson" in english
        assert "approved by the head. Nobody approves their own request." in english


def test_a_missing_screenshot_shows_its_caption(world, monkeypatch: Any, tmp_path: Path):  # noqa: F811
    system, _, _ = world
    monkeypatch.setattr(help_pages, "SHOTS", tmp_path)
    client = web_app(system, testing=True).test_client()
    page = client.get("/help/teacher").get_data(as_text=True)
    assert "help/shots/" not in page
    assert "снимок экрана ещё не сделан" in page
    (tmp_path / "grid-1366.png").write_bytes(b"\x89PNG")
    page = client.get("/help/teacher").get_data(as_text=True)
    assert 'src="/static/help/shots/grid-1366.png"' in page


def test_every_figure_of_the_help_has_a_committed_screenshot():
    """The browser test (``test_browser_help.py``) keeps them current; here, without a
    browser: every figure the templates show is planned, and every planned image is in the
    repository with its manifest entry."""
    from tests.e2e import help_shots

    planned = {shot.name for shot in help_shots.PLAN}
    assert help_shots.figures() == planned
    entries = help_shots.manifest()
    for shot in help_shots.PLAN:
        for width in shot.widths:
            assert help_shots.image(shot, width).is_file(), (shot.name, width)
            assert f"{shot.name}-{width}" in entries


# --- the regional pages (web/region.py, ADR 0027): a help of their own ---------------------
REGIONAL = [None, "oblast-admin", "oblast-audit"]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_regional_help_page_holds_its_sections_once(language):
    from tests.region_fake import FakeRegion, region_app, signed_in

    client = signed_in(region_app(FakeRegion()), None)
    client.get(f"/lang/{language}")
    assert set(help_pages.REGION_PAGES) == set(help_pages.REGION_PAGE_SECTIONS)
    _holds_its_sections(
        client,
        help_pages.REGION_INDEX_SECTIONS,
        help_pages.REGION_PAGE_SECTIONS,
        help_pages.REGION_COMMON,
    )
    assert client.get("/help/teacher").status_code == 404  # a school's role: the school's help


def test_the_question_mark_leads_to_the_help_on_every_regional_page_as_every_role():
    """Every GET route of the regional app, signed out and as each regional role: each HTML
    page has one «?» link naming the page's own section, and that section exists."""
    from tests.region_fake import FakeRegion, region_app, signed_in

    region = FakeRegion()
    region.add("sch001", "Школа № 1")
    app = region_app(region)
    samples = {"code": "sch001", "action": "disable", "role": "regional_auditor"}
    rules = [
        r
        for r in app.url_map.iter_rules()  # type: ignore[attr-defined]
        if "GET" in (r.methods or set()) and r.endpoint not in ("static", "choose_language")
    ]
    covered: set[str] = set()
    html_routes: set[str] = set()
    problems = []
    for login in REGIONAL:
        client = signed_in(app, login)
        reader = signed_in(app, None)
        role = region.users[login].role if login else None
        for rule in rules:
            path = rule.build({k: samples[k] for k in rule.arguments})[1]
            answer = client.get(path)
            if answer.status_code != 200 or answer.mimetype != "text/html":
                continue
            html_routes.add(rule.endpoint)
            links = _parse(answer.get_data(as_text=True)).help
            if len(links) != 1:
                problems.append(f"{login} {rule.endpoint}: {len(links)} «?» links")
                continue
            target, _, anchor = links[0].partition("#")
            own = help_pages.REGION_SECTIONS.get(rule.endpoint, ())
            if anchor not in own:
                problems.append(f"{login} {rule.endpoint}: «?» opens #{anchor}, not {own}")
            if role is not None and not target.endswith(f"/help/{role}"):
                problems.append(f"{login} {rule.endpoint}: «?» opens {target}, not {role}'s page")
            ids = _parse(reader.get(target).get_data(as_text=True)).ids
            if anchor not in ids:
                problems.append(f"{login} {rule.endpoint}: {target} has no #{anchor}")
            covered.add(rule.endpoint)
    assert problems == []
    assert {"login", "schools", "confirm_status", "ledger", "help_index", "help_role"} == covered
    assert covered == html_routes
