"""Schools as tenants (ADR 0027), on PostgreSQL: two schools seeded side by side share
nothing — no page, API answer, view row, database dump or backup of one holds the other's
pupils, ids or name; a sign-in in one is not valid in the other; a disabled school refuses
service; the regional administrator and auditor can do exactly what they should, each
action written in the school's access log; and a school moves to another database by
backup and restore, verifies its ledger and serves there."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import psycopg
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap
from psycopg import sql
from werkzeug.test import Client

from domain import clock
from domain.lesson import MarkEntry
from ejournal.backup import BackupError, backup
from ejournal.bootstrap import build
from ejournal.cli import main
from ejournal.keyring import KeyringError, read_master_key, school_kek
from ejournal.policyfiles import PolicyError, load_policies
from ejournal.region import Registry
from ejournal.restore import restore
from ejournal.settings import Settings
from ejournal.tenants import Deployment, Dispatcher
from tests.conftest import ROOT, postgres_url, settings_for
from tests.httpload.app import free_port
from tests.school import LESSON_DAY, at
from tests.web import PASSWORD, WebSchool, build_web_school

pytestmark = pytest.mark.postgres

NAMES = {"alpha": ("Альфина", "Школа Альфа"), "beta": ("Бетанкур", "Лицей Бета")}
ADMIN_PASSWORD = "region-admin-pass-7"
AUDITOR_PASSWORD = "region-audit-pass-7"


@dataclass
class Seeded:
    """One school of the region: its seeded web school and what must never leak out."""

    code: str
    web: WebSchool
    secrets: set[str]
    lesson: UUID


@dataclass
class Region:
    url: str
    base: Settings
    registry: Registry
    deployment: Deployment
    app: Dispatcher
    schools: dict[str, Seeded]


def _seed(deployment: Deployment, code: str) -> Seeded:
    system = deployment.system(code)
    web = build_web_school(system.journal)
    s, j = web.school, system.journal
    surname, school_name = NAMES[code]
    with clock.travel(at(date(2025, 8, 27), 10)):
        own = j.people.register_student(surname, "Ника", "", date(2014, 5, 5), s.admin).id
        j.classes.enrol(s.class_id, own, date(2025, 9, 1), s.admin)
        profile = {
            "full_name": school_name,
            "short_name": school_name,
            "address": "г. Энск, ул. Школьная, 1",
            "head_name": "Директоров И. И.",
            "head_position": "директор",
        }
        j.profile.set_profile(code, profile, s.admin)
    lesson = s.hold()
    teacher = system.journal.queries.account_by_login("teacher").id
    with clock.travel(at(LESSON_DAY, 16)):
        j.entry.record_marks(
            lesson, [MarkEntry(own, "5", "answer"), MarkEntry(s.pupils[0], "4", "answer")], teacher
        )
    system.views.catch_up()
    system.ledger.checkpoint()
    # Random ids only: an id derived from a name (an account's from its login, a class's
    # from the year and its name) is the same wherever the name is, and tells nothing.
    ids = {str(p) for p in [*s.pupils, own, s.outsider, web.guardian, web.other_guardian]}
    assert all(UUID(i).version == 4 for i in ids)
    return Seeded(code, web, {surname, school_name, *ids}, lesson)


@contextmanager
def _region(folder: Path, server: str, url: str) -> Iterator[Region]:
    base = replace(settings_for(folder, url), views_mode="inline")
    registry = Registry(base)
    for code in NAMES:
        registry.add_school(code, NAMES[code][1])
    registry.add_account("oblast-admin", "regional_admin", ADMIN_PASSWORD)
    registry.add_account("oblast-audit", "regional_auditor", AUDITOR_PASSWORD)
    deployment = Deployment(base, {"EJOURNAL_CLUSTER_POOL_SIZE": "1"}, status_seconds=0)
    app = Dispatcher(deployment, testing=True)
    try:
        schools = {code: _seed(deployment, code) for code in NAMES}
        yield Region(url, base, registry, deployment, app, schools)
    finally:
        app.close()
        with psycopg.connect(server, autocommit=True) as conn:
            for code in {*NAMES, "gamma", *(s.code for s in registry.schools())}:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                        sql.Identifier(f"{registry.schema}_{code}")
                    )
                )


@pytest.fixture
def region(tmp_path: Path, pg_schema: tuple[str, str]) -> Iterator[Region]:
    """A fresh region, for the tests that change it (add, disable, move schools)."""
    server, url = pg_schema
    with _region(tmp_path, server, url) as made:
        yield made


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Region]:
    """One region for the tests that only read it (and sign in, and log)."""
    server = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{server}{'&' if '?' in server else '?'}schema={schema}"
    try:
        with _region(tmp_path_factory.mktemp("region"), server, url) as made:
            yield made
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _client(region: Region) -> Client:
    return Client(region.app)


def _csrf(client: Client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:1500]
    return found.group(1)


def _sign_in(client: Client, prefix: str, login: str, password: str) -> Any:
    return client.post(
        f"{prefix}/login",
        data={"login": login, "password": password, "csrf_token": _csrf(client, f"{prefix}/login")},
    )


def _texts(response: Any) -> list[str]:
    """The response's text, and the text of every file inside it when it is a zip (XLSX)."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
    return [data.decode("utf-8", "replace")]


def _crawl(client: Client, prefix: str, limit: int = 80) -> dict[str, list[str]]:
    """GET every page reachable from the school's start page (same school, no sign-out)."""
    seen: dict[str, list[str]] = {}
    queue = [f"{prefix}/"]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = _texts(response)
        if response.status_code in (301, 302, 303):
            moved = urlsplit(response.headers["Location"])
            queue.append(moved.path + (f"?{moved.query}" if moved.query else ""))
            continue
        for found in re.findall(r'href="([^"#]+)"', seen[path][0]):
            link = found.replace("&amp;", "&")
            if link.startswith(f"{prefix}/") and "logout" not in link and link not in seen:
                queue.append(link)
    return seen


def _leaks(texts: dict[str, list[str]] | list[str], secrets: set[str]) -> list[tuple[str, str]]:
    items = texts.items() if isinstance(texts, dict) else [("", texts)]
    return [
        (where, secret)
        for where, bodies in items
        for body in bodies
        for secret in secrets
        if secret in body
    ]


def test_no_page_api_answer_view_row_dump_or_backup_of_one_school_holds_the_others_data(
    seeded: Region, tmp_path: Path
) -> None:
    alpha, beta = seeded.schools["alpha"], seeded.schools["beta"]
    for role in ("admin", "deputy", "auditor", "teacher", "parent"):
        client = _client(seeded)
        login, password = alpha.web.logins[role]
        assert _sign_in(client, "/s/alpha", login, password).status_code == 302
        pages = _crawl(client, "/s/alpha")
        assert len(pages) > (10 if role != "parent" else 2), (role, sorted(pages))
        assert not _leaks(pages, beta.secrets), role
        # its own data is there: the crawl saw alpha's pupil
        if role in ("admin", "deputy"):
            assert _leaks(pages, {NAMES["alpha"][0]})
    # the exports (XLSX) of alpha's class
    deputy = _client(seeded)
    _sign_in(deputy, "/s/alpha", *alpha.web.logins["deputy"])
    group = alpha.web.school.class_id
    for name in ("attendance.xlsx", "completeness.xlsx"):
        export = deputy.get(f"/s/alpha/classes/{group}/{name}")
        assert export.status_code == 200 and export.get_data()[:2] == b"PK", name
        assert not _leaks(_texts(export), beta.secrets), name
    # the JSON API with a token of alpha's teacher
    system = seeded.deployment.system("alpha")
    account = system.journal.queries.account_by_login("teacher")
    token = system.journal.tokens.issue_api_token(account.id, "tests", account.id).token
    api = _client(seeded)
    headers = {"Authorization": f"Bearer {token}"}
    answers = [api.get("/s/alpha/api/v1/course-journals", headers=headers)]
    for course in answers[0].get_json():
        answers.append(
            api.get(
                f"/s/alpha/api/v1/course-journals/{course['course_journal_id']}/terms/1/lessons",
                headers=headers,
            )
        )
    answers.append(api.get(f"/s/alpha/api/v1/lessons/{alpha.lesson}", headers=headers))
    assert all(a.status_code == 200 for a in answers)
    assert not _leaks([a.get_data(as_text=True) for a in answers], beta.secrets)
    # beta's token is worthless in alpha, and alpha's lesson unknown in beta
    assert api.get(f"/s/beta/api/v1/lessons/{alpha.lesson}", headers=headers).status_code == 401
    # every view row and stored row of alpha's schema, and a pg_dump of it
    schema = seeded.deployment.settings_of(seeded.registry.school("alpha")).database.schema
    dump = subprocess.run(
        ["pg_dump", "--dbname", seeded.base.database.conninfo(), "--schema", schema],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "v_access_log" in dump and alpha.secrets & set(re.findall(r"[0-9a-f-]{36}", dump))
    assert not _leaks([dump], beta.secrets)
    # the backup of alpha
    folder = tmp_path / "alpha-backup"
    backup(seeded.deployment.settings_of(seeded.registry.school("alpha")), folder)
    files = [
        p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()
    ]
    assert not _leaks(files, beta.secrets)
    assert alpha.secrets & set(re.findall(r"[0-9a-f-]{36}", "".join(files)))


def test_a_sign_in_in_one_school_is_not_valid_in_another(seeded: Region) -> None:
    client = _client(seeded)
    assert _sign_in(client, "/s/alpha", "teacher", "uchitel-secret-1").status_code == 302
    assert client.get("/s/alpha/journal/").status_code == 200
    # the cookie is scoped to /s/alpha/: beta's pages see no sign-in
    assert client.get("/s/beta/journal/").status_code == 302
    [cookie] = [c for c in client._cookies.values() if c.path == "/s/alpha/"]
    # sent to beta on purpose, the same cookie opens nothing there either
    client.set_cookie(cookie.key, cookie.value, path="/s/beta/")
    assert client.get("/s/beta/journal/").status_code == 302
    # signed in to beta too, the two sessions stay apart: signing out of beta ends beta's only
    assert _sign_in(client, "/s/beta", "teacher", "uchitel-secret-1").status_code == 302
    client.post("/s/beta/logout", data={"csrf_token": _csrf(client, "/s/beta/journal/")})
    assert client.get("/s/beta/journal/").status_code == 302
    assert client.get("/s/alpha/journal/").status_code == 200


def test_a_disabled_school_refuses_service_and_its_commands(region: Region, tmp_path: Path) -> None:
    client = _client(region)
    assert client.get("/s/beta/login").status_code == 200
    region.registry.set_status("beta", "disabled")
    for path in ("/s/beta/login", "/s/beta/journal/", "/s/beta/api/v1/course-journals"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "Школа отключена" in response.get_data(as_text=True)
    english = client.get("/s/beta/login", headers={"Accept-Language": "en-US,en"})
    assert english.status_code == 503
    assert "School disabled" in english.get_data(as_text=True)
    assert "Лицей Бета: the school's journal is not working now" in english.get_data(as_text=True)
    assert client.get("/s/alpha/login").status_code == 200
    assert "Лицей Бета" not in client.get("/").get_data(as_text=True)
    env = _env(region, tmp_path)
    refused = CliRunner().invoke(main, ["--school", "beta", "views", "status"], env=env)
    assert refused.exit_code == 0, refused.output  # an operator may still look
    refused = CliRunner().invoke(main, ["--school", "beta", "school", "profile"], env=env)
    assert refused.exit_code == 0
    refused = CliRunner().invoke(main, ["--school", "beta", "demo"], env=env)
    assert refused.exit_code == 1 and "school beta is disabled" in refused.output
    listed = CliRunner().invoke(main, ["school", "list"], env=env)
    assert re.search(r"beta\s+DISABLED", listed.output), listed.output
    region.registry.set_status("beta", "active")
    assert client.get("/s/beta/login").status_code == 200


def _env(region: Region, tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "EJOURNAL_DATABASE_URL": region.url,
        "EJOURNAL_VAR_DIR": str(region.base.var_dir),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
        "EJOURNAL_VIEWS": "inline",
        "EJOURNAL_SCHOOL": "",
        "EJOURNAL_CLUSTER_POOL_SIZE": "1",
        **more,
    }


def test_the_cli_adds_lists_and_names_schools(region: Region, tmp_path: Path) -> None:
    env = _env(region, tmp_path)
    added = CliRunner().invoke(
        main, ["school", "add", "gamma", "--name", "Гимназия Гамма"], env=env
    )
    assert added.exit_code == 0, added.output
    assert "gamma" in CliRunner().invoke(main, ["school", "list"], env=env).output
    files = CliRunner().invoke(main, ["policies", "check"], env=env)
    assert files.exit_code == 0 and "policies OK" in files.output
    unnamed = CliRunner().invoke(main, ["views", "status"], env=env)
    assert unnamed.exit_code == 3 and "--school CODE" in unnamed.output
    unknown = CliRunner().invoke(main, ["--school", "delta", "views", "status"], env=env)
    assert unknown.exit_code == 3 and "no school 'delta'" in unknown.output
    seen = CliRunner().invoke(main, ["--school", "alpha", "school", "profile"], env=env)
    assert "Школа Альфа" in seen.output and "Бета" not in seen.output
    seen = CliRunner().invoke(main, ["school", "profile"], env={**env, "EJOURNAL_SCHOOL": "beta"})
    assert "Лицей Бета" in seen.output
    twice = CliRunner().invoke(main, ["school", "add", "gamma", "--name", "x"], env=env)
    assert twice.exit_code == 1 and "exists already" in twice.output
    why = ["school", "disable", "gamma", "--reason", "проверка перед вводом"]
    assert CliRunner().invoke(main, why, env=env).exit_code == 0
    listed = CliRunner().invoke(main, ["school", "list"], env=env).output
    assert "DISABLED" in listed and "[проверка перед вводом]" in listed
    assert CliRunner().invoke(main, ["school", "enable", "gamma"], env=env).exit_code == 0
    # a demo school for a bench: seeded under its own code, its logins in its own folder
    small = ["--classes", "1", "--pupils", "3", "--weeks", "1"]
    seeded = CliRunner().invoke(main, ["--school", "gamma", "demo", *small], env=env)
    assert seeded.exit_code == 0, seeded.output
    assert (region.base.var_dir / "schools" / "gamma" / "demo-logins.json").is_file()
    verified = CliRunner().invoke(main, ["--school", "gamma", "ledger", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
    profile = CliRunner().invoke(main, ["--school", "gamma", "school", "profile"], env=env)
    assert "Альфа" not in profile.output and "Бета" not in profile.output


def _region_client(region: Region, login: str, password: str) -> Client:
    client = _client(region)
    response = _sign_in(client, "/region", login, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return client


def _post(client: Client, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data={**data, "csrf_token": _csrf(client, "/region/")})


def _access_pages(region: Region, code: str) -> list[tuple[str, str]]:
    system = region.deployment.system(code)
    system.views.catch_up()
    with system.views.reader() as reader:
        from projections.views.access_log import accesses

        return [(row.actor, row.page) for row in accesses(reader)]


def test_the_regional_auditor_reads_verifies_and_downloads_checkpoints_only(seeded: Region) -> None:
    auditor = _region_client(seeded, "oblast-audit", AUDITOR_PASSWORD)
    listing = auditor.get("/region/").get_data(as_text=True)
    assert "Школа Альфа" in listing and "Лицей Бета" in listing
    status = auditor.get("/region/schools/alpha/ledger")
    assert status.status_code == 200 and "Запечатано событий" in status.get_data(as_text=True)
    verified = _post(auditor, "/region/schools/alpha/verify", {})
    assert verified.status_code == 200 and "Журнал событий цел" in verified.get_data(as_text=True)
    checkpoint = auditor.get("/region/schools/alpha/checkpoint")
    assert checkpoint.status_code == 200
    latest = seeded.deployment.system("alpha").ledger.latest()
    assert latest is not None and checkpoint.get_json()["root"] == latest.root
    state = auditor.get("/region/schools/alpha/ledger.json")
    assert state.status_code == 200 and state.get_json()["checkpoint_size"] == latest.size
    assert state.get_json()["verified_ok"] is True  # the verification just run
    # the list shows what was found, without opening any school
    row = auditor.get("/region/?q=alpha").get_data(as_text=True)
    assert "school-alpha" in row and "цел</span>" in row and "сведения на" in row
    # the verdict is kept in the school too: its own auditor's status page shows it
    assert seeded.deployment.system("alpha").ledger.last_verification() is not None
    # nothing else: no school added or disabled, no school page opened
    assert _post(auditor, "/region/schools", {"code": "zeta", "name": "Зета"}).status_code == 403
    assert _post(auditor, "/region/schools/alpha/status", {"status": "disabled"}).status_code == 403
    assert seeded.registry.school("alpha").active
    assert auditor.get("/s/alpha/journal/").status_code == 302  # the school's sign-in page
    refused = _sign_in(auditor, "/s/alpha", "oblast-audit", AUDITOR_PASSWORD)
    assert refused.status_code != 302  # a regional account is no account of a school
    # logged in the school's access log, with who and what
    [account] = [a for a in seeded.registry.accounts() if a.login == "oblast-audit"]
    pages = [page for actor, page in _access_pages(seeded, "alpha") if actor == str(account.id)]
    assert any("проверка журнала событий" in p for p in pages), pages
    assert any("выгрузка контрольной точки" in p for p in pages)
    assert any("выгрузка состояния журнала событий" in p for p in pages)
    assert all(p.endswith("(региональный аудитор oblast-audit)") for p in pages)
    assert not [p for a, p in _access_pages(seeded, "beta") if a == str(account.id)]
    # the school's own auditor sees those entries on its access-log page
    school = _client(seeded)
    login, password = seeded.schools["alpha"].web.logins["auditor"]
    _sign_in(school, "/s/alpha", login, password)
    page = school.get(f"/s/alpha/audit/access-log?actor={account.id}")
    assert page.status_code == 200 and "проверка журнала событий" in page.get_data(as_text=True)
    # and so does the school's head, the official named as such (not as a bare id)
    head = _client(seeded)
    _sign_in(head, "/s/alpha", *seeded.schools["alpha"].web.logins["head"])
    seen = head.get("/s/alpha/audit/access-log").get_data(as_text=True)
    assert seen.count("Региональный уровень: региональный аудитор oblast-audit") >= 3, seen[-3000:]
    assert f">{account.id}<" not in seen
    assert 'href="?student_id="' not in seen  # no pupil: a dash, not an empty link
    head.get("/s/alpha/lang/en")
    english = head.get("/s/alpha/audit/access-log").get_data(as_text=True)
    assert "Regional level: regional auditor oblast-audit" in english


def test_the_regional_administrator_adds_and_disables_schools_only(region: Region) -> None:
    admin = _region_client(region, "oblast-admin", ADMIN_PASSWORD)
    bad = _post(admin, "/region/schools", {"code": "Гамма", "name": "Гимназия"})
    assert bad.status_code == 422 and "Неверный код школы" in bad.get_data(as_text=True)
    twice = _post(admin, "/region/schools", {"code": "alpha", "name": "Гимназия"})
    assert twice.status_code == 422 and "Школа с таким кодом уже есть" in twice.get_data(
        as_text=True
    )
    asked = _post(admin, "/region/schools", {"code": "gamma", "name": "Гимназия Гамма"})
    assert asked.status_code == 200 and "Добавить школу?" in asked.get_data(as_text=True)
    assert "gamma" not in [s.code for s in region.registry.schools()]  # confirmed first
    added = _post(
        admin, "/region/schools", {"code": "gamma", "name": "Гимназия Гамма", "confirmed": "yes"}
    )
    assert added.status_code == 302 and region.registry.school("gamma").active
    assert _client(region).get("/s/gamma/login").status_code == 200
    no_reason = _post(admin, "/region/schools/alpha/status", {"status": "disabled"})
    assert no_reason.status_code == 422 and "Укажите причину" in no_reason.get_data(as_text=True)
    assert region.registry.school("alpha").active
    reason = "Реорганизация: приказ управления № 12"
    disabled = {"status": "disabled", "reason": reason}
    assert _post(admin, "/region/schools/alpha/status", disabled).status_code == 302
    assert _client(region).get("/s/alpha/login").status_code == 503
    assert region.registry.school("alpha").reason == reason
    assert region.registry.school("alpha").changed_by == "oblast-admin"
    listed = admin.get("/region/?status=disabled").get_data(as_text=True)
    assert "school-alpha" in listed and reason in listed and "school-beta" not in listed
    assert _post(admin, "/region/schools/alpha/status", {"status": "active"}).status_code == 302
    assert _client(region).get("/s/alpha/login").status_code == 200
    # no ledger of a school, no school page
    assert admin.get("/region/schools/alpha/ledger").status_code == 403
    assert _post(admin, "/region/schools/alpha/verify", {}).status_code == 403
    assert admin.get("/region/schools/alpha/checkpoint").status_code == 403
    [account] = [a for a in region.registry.accounts() if a.login == "oblast-admin"]
    pages = [page for actor, page in _access_pages(region, "alpha") if actor == str(account.id)]
    assert any("школа отключена" in p for p in pages) and any("школа включена" in p for p in pages)
    assert f"регион: школа отключена: {reason} (региональный администратор oblast-admin)" in pages
    assert any("школа добавлена" in p for _, p in _access_pages(region, "gamma"))
    # signed out, nothing regional opens
    admin.post("/region/logout", data={"csrf_token": _csrf(admin, "/region/")})
    assert admin.get("/region/").status_code == 302


def test_a_school_moves_to_another_database_by_backup_and_restore(
    region: Region, tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    server, _ = pg_schema
    database = f"t_move_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    target_url = re.sub(r"/[^/?]+(\?|$)", f"/{database}\\1", server.split("?")[0], count=1)
    environ = {"EJOURNAL_CLUSTERS": f"second={target_url}", "EJOURNAL_CLUSTER_POOL_SIZE": "1"}
    try:
        before = region.deployment.system("alpha").ledger.latest()
        region.registry.set_status("alpha", "disabled")
        folder = tmp_path / "alpha-move"
        backup(region.deployment.settings_of(region.registry.school("alpha")), folder)
        region.app.close()  # the old location's connections
        region.registry.move("alpha", "second", environ)
        moved = Deployment(region.base, environ, status_seconds=0)
        settings = moved.settings_of(region.registry.school("alpha"))
        assert settings.database.dbname == database
        summary = restore(settings, folder)
        assert summary.ok, summary.checks
        region.registry.set_status("alpha", "active")
        app = Dispatcher(moved, testing=True)
        try:
            system = moved.system("alpha")
            verdict = system.ledger.verify()
            assert verdict.ok and before is not None and verdict.checkpoints >= 1
            assert system.ledger.latest() == before
            client = Client(app)
            assert _sign_in(client, "/s/alpha", "teacher", "uchitel-secret-1").status_code == 302
            course = region.schools["alpha"].web.school.course_id
            grid = client.get(f"/s/alpha/journal/{course}/1").get_data(as_text=True)
            assert re.findall(r'<span class="mark"[^>]* data-v="(\d)"', grid).count("5") == 1
            assert client.get("/s/beta/login").status_code == 200  # beta stayed where it was
        finally:
            app.close()
        with psycopg.connect(target_url) as conn:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {}.ejournal_events").format(
                    sql.Identifier(settings.database.schema)
                )
            ).fetchone()
        assert row is not None and row[0] >= summary.events  # + the visits' access log
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )


def test_one_school_deployments_are_unchanged_and_sqlite_has_no_region(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with build(settings):
        pass
    env = {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
    }
    refused = CliRunner().invoke(main, ["school", "add", "alpha", "--name", "A"], env=env)
    assert refused.exit_code == 3 and "need PostgreSQL" in refused.output
    assert PASSWORD  # the shared test password module stays importable


def test_a_schools_views_read_its_own_schema_whatever_the_session_search_path(
    seeded: Region,
) -> None:
    """Behind PgBouncer in transaction mode a server connection comes with the session state
    another client left on it: a school's views set their schema in every transaction."""
    from ejournal.viewdb import PostgresViewDatabase

    alpha = seeded.deployment.settings_of(seeded.registry.school("alpha")).database
    beta_schema = seeded.registry.school("beta").schema

    def members(db: PostgresViewDatabase) -> set[str]:
        with db.pool.connection() as conn:  # another school's client left its path behind
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(beta_schema)))
            conn.commit()
        with db.read() as cur:
            cur.execute("SELECT student_id FROM v_members")
            return {str(row[0]) for row in cur.fetchall()}

    for per_transaction in (True, False):
        db = PostgresViewDatabase(
            replace(alpha, path_per_transaction=per_transaction, shared_pools=per_transaction), 1
        )
        try:
            found = members(db)
        finally:
            db.close()
        if per_transaction:
            assert found and found <= seeded.schools["alpha"].secrets
        else:  # the hazard it avoids: set once per session, the reads go to beta's views
            assert found and found <= seeded.schools["beta"].secrets


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def test_serve_and_worker_serve_every_school_of_the_region(seeded: Region, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EJOURNAL_")}
    env |= _env(seeded, tmp_path)
    del env["EJOURNAL_SCHOOL"]
    server = subprocess.Popen(
        [sys.executable, "-m", "ejournal.cli", "serve", "--port", str(port), "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    worker: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 60
        while _get(port, "/healthz")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        worker = subprocess.Popen(
            [sys.executable, "-m", "ejournal.cli", "worker", "--poll", "0.2"],
            env={**env, "EJOURNAL_VIEWS": "worker"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        status, index = _get(port, "/")
        assert status == 200 and "Школа Альфа" in index and "/s/beta/" in index
        status, page = _get(port, "/s/alpha/login")
        assert status == 200 and 'action="/s/alpha/login"' in page
        assert _get(port, "/s/nowhere/login")[0] == 404
        assert _get(port, "/region/login")[0] == 200
        assert worker.stdout is not None
        said = worker.stdout.readline().decode()  # once its schools' systems are built
        assert "keeping the views of 2 schools up to date" in said
    finally:
        server.send_signal(signal.SIGTERM)
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
        assert server.wait(30) in (0, -signal.SIGTERM)  # one process: waitress's default
    assert worker is not None
    output = worker.communicate(timeout=30)[0].decode()
    assert worker.returncode == 0, output  # SIGTERM stops every school's thread


def test_the_regional_forms_refuse_bad_input_without_a_5xx_or_a_write(seeded: Region) -> None:
    admin = _region_client(seeded, "oblast-admin", ADMIN_PASSWORD)
    before = [s.code for s in seeded.registry.schools()]
    cases: list[dict[str, str]] = [
        {},
        {"code": "", "name": ""},
        {"code": "a" * 100_000, "name": "Школа"},
        {"code": "bad code", "name": "x"},
        {"code": "x\x00y", "name": "\u202e\x00"},
        {"code": "ok_code", "name": " " * 10},
        {"code": "ok_code", "name": "я" * 5000},
        {"code": "../etc", "name": "x"},
        {"code": "alpha", "name": "дубль"},
    ]
    for case in cases:
        answer = _post(admin, "/region/schools", case)
        assert 400 <= answer.status_code < 500, (case, answer.status_code)
    for value in ("", "deleted", "x" * 10_000):
        answer = _post(admin, "/region/schools/alpha/status", {"status": value})
        assert 400 <= answer.status_code < 500
    assert _post(admin, "/region/schools/nowhere/status", {"status": "active"}).status_code == 404
    assert admin.post("/region/schools", data={"code": "zz", "name": "no csrf"}).status_code == 400
    assert [s.code for s in seeded.registry.schools()] == before
    assert seeded.registry.school("alpha").active
    anonymous = _client(seeded)
    for path in ("/region/", "/region/schools/alpha/ledger", "/region/schools/alpha/checkpoint"):
        assert anonymous.get(path).status_code == 302
    wrong = _sign_in(anonymous, "/region", "oblast-admin", "not-the-password-1")
    assert wrong.status_code == 401 and "Неверный логин или пароль" in wrong.get_data(as_text=True)
    # guessing stops: after ten wrong passwords the right one opens nothing for a while
    seeded.registry.add_account("oblast-guessed", "regional_auditor", AUDITOR_PASSWORD)
    for attempt in range(10):
        assert seeded.registry.sign_in("oblast-guessed", f"guess-{attempt}") is None
    assert seeded.registry.sign_in("oblast-guessed", AUDITOR_PASSWORD) is None
    assert seeded.registry.sign_in("oblast-audit", AUDITOR_PASSWORD) is not None


def test_a_schools_backup_restores_only_as_that_school_of_a_regional_deployment(
    region: Region, tmp_path: Path
) -> None:
    folder = tmp_path / "beta-backup"
    backup(region.deployment.settings_of(region.registry.school("beta")), folder)
    keyring = json.loads((folder / "keyring" / "keyring.json").read_text())
    assert keyring["school_kek"] and "master" not in json.dumps(keyring).lower()
    region.registry.add_school("gamma", "Гимназия Гамма")
    gamma = region.deployment.settings_of(region.registry.school("gamma"))
    with pytest.raises(BackupError, match="backup is of school 'beta'"):
        restore(gamma, folder)
    one_school = settings_for(tmp_path / "one")
    shutil.copy2(region.base.master_key_file, _made(one_school.master_key_file))
    with pytest.raises(BackupError, match="regional school's backup restores only"):
        restore(one_school, folder)


def _made(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_a_schools_keys_are_wrapped_by_its_own_kek_which_only_the_master_key_unwraps(
    seeded: Region,
) -> None:
    alpha, beta = (seeded.deployment.system(code) for code in ("alpha", "beta"))
    master = read_master_key(seeded.base.master_key_file)
    assert master is not None
    keks = {school_kek(s.keyring.store, master) for s in (alpha, beta)}
    assert len(keks) == 2 and master not in keks
    [row] = alpha.keyring.store.rows()[:1]
    assert row.wrapped is not None
    with pytest.raises(InvalidUnwrap):  # not under the master key itself
        aes_key_unwrap(master, row.wrapped)
    with pytest.raises(KeyringError, match="does not unwrap"):
        school_kek(alpha.keyring.store, bytes(32))


def test_a_schools_policies_overlay_replaces_its_files_and_is_checked(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    base = load_policies(ROOT / "policies")
    grading = (ROOT / "policies" / "grading.toml").read_text(encoding="utf-8")
    (overlay / "journal.toml").write_text(
        (ROOT / "policies" / "journal.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert load_policies(ROOT / "policies", overlay) == base
    (overlay / "grading.toml").write_text(grading + "\nunknown_key = 1\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"grading\.toml"):
        load_policies(ROOT / "policies", overlay)
    (overlay / "grading.toml").unlink()
    (overlay / "nonsense.toml").write_text("", encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown policy file"):
        load_policies(ROOT / "policies", overlay)


def test_the_timetable_commands_act_on_the_school_named(region: Region, tmp_path: Path) -> None:
    """``ejournal --school CODE timetable import|show`` (ADR 0031): one school's timetable,
    never another's; a regional deployment refuses the command without a school."""
    from domain.timetable import Bell

    alpha = region.deployment.system("alpha")
    deputy = alpha.journal.queries.account_by_login("deputy").id
    year_id = alpha.views.reads.school.current_year(date(2025, 9, 16))["year_id"]
    with clock.travel(at(date(2025, 8, 28), 10)):
        alpha.journal.timetable.set_bells(UUID(year_id), [Bell(1, "8:30", "9:15")], deputy)
    source = tmp_path / "t.csv"
    source.write_text("Класс;День;Урок;Предмет\n5А;пн;1;Математика\n", encoding="utf-8")
    env = _env(region, tmp_path)
    run = CliRunner().invoke
    done = run(
        main,
        [
            "--school",
            "alpha",
            "timetable",
            "import",
            str(source),
            "--since",
            "2025-09-01",
            "--as",
            "deputy",
        ],
        env=env,
    )
    assert done.exit_code == 0, done.output
    shown = run(main, ["--school", "alpha", "timetable", "show", "--on", "2025-09-16"], env=env)
    assert "5А  пн  1  Математика" in shown.output, shown.output
    other = run(main, ["--school", "beta", "timetable", "show", "--on", "2025-09-16"], env=env)
    assert other.exit_code == 0 and "Расписание не задано" in other.output, other.output
    unnamed = run(main, ["timetable", "show"], env=env)
    assert unnamed.exit_code == 3 and "--school CODE" in unnamed.output


# --- connections shared by the schools of a cluster (ADR 0030) ----------------------------------
def _members(db: Any) -> tuple[int, set[str]]:
    """The server process that answered and the pupils the school's view lists."""
    with db.read() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = int(cur.fetchone()[0])
        cur.execute("SELECT student_id FROM v_members")
        return pid, {str(row[0]) for row in cur.fetchall()}


def test_a_connection_returned_by_one_school_never_reads_its_rows_for_another(
    seeded: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One connection shared by two schools: taken by alpha, returned with alpha's path left
    on its session, then taken by beta — beta reads beta's rows; a query that names no
    school's path fails rather than reading anyone's. The event store and the keyring read
    and write each school's own tables through one shared connection too."""
    from ejournal import pools
    from ejournal.viewdb import PostgresViewDatabase

    monkeypatch.setattr(pools, "POOLS", pools.Pools())  # a pool of one connection, this test's
    alpha_school, beta_school = seeded.registry.school("alpha"), seeded.registry.school("beta")
    alpha = seeded.deployment.settings_of(alpha_school).database
    beta = seeded.deployment.settings_of(beta_school).database
    a, b = PostgresViewDatabase(alpha, 1), PostgresViewDatabase(beta, 1)
    try:
        assert isinstance(a.pool, pools.SharedPool) and isinstance(b.pool, pools.SharedPool)
        assert a.pool.shared is b.pool.shared and a.pool.shared.max_size == 1
        # A connection names no school's path until a transaction sets it.
        with a.pool.connection() as conn, pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT student_id FROM v_members")
        pid_a, rows_a = _members(a)
        with a.pool.connection() as conn:  # alpha leaves its path on the session
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(alpha.schema)))
            conn.commit()
        pid_b, rows_b = _members(b)
        # The same text in both schools: psycopg prepares it on the connection after five
        # runs, and PostgreSQL plans it again for each school's search_path.
        for _ in range(4):
            assert _members(a) == (pid_a, rows_a) and _members(b) == (pid_b, rows_b)
        with a.transaction() as cur:  # and a write transaction of alpha's sees alpha's
            cur.execute(
                "SELECT count(*) FROM v_members WHERE student_id::text = ANY(%s)", (list(rows_b),)
            )
            assert cur.fetchone()[0] == 0
    finally:
        a.close()
        b.close()
    assert pools.POOLS.count() == 0  # the last school's close closed the pool
    assert pid_a == pid_b  # the same server connection served both schools
    assert rows_a and rows_a <= seeded.schools["alpha"].secrets
    assert rows_b and rows_b <= seeded.schools["beta"].secrets

    # The event stores and the keyrings of the seeded deployment share one connection
    # (EJOURNAL_CLUSTER_POOL_SIZE=1): a write of alpha's lands in alpha's schema only.
    sa, sb = seeded.deployment.system("alpha"), seeded.deployment.system("beta")
    pool_a = sa.journal.recorder.datastore.pool  # type: ignore[attr-defined]
    pool_b = sb.journal.recorder.datastore.pool  # type: ignore[attr-defined]
    assert pool_a.shared is pool_b.shared and pool_a.shared.max_size == 1

    def stored(schema: str) -> tuple[set[str], int]:
        with psycopg.connect(seeded.url.split("?")[0], autocommit=True) as conn:
            ids = {
                str(r[0])
                for r in conn.execute(
                    sql.SQL("SELECT originator_id FROM {}.ejournal_events").format(
                        sql.Identifier(schema)
                    )
                )
            }
            keys = conn.execute(
                sql.SQL("SELECT count(*) FROM {}.ejournal_keyring").format(sql.Identifier(schema))
            ).fetchone()
        return ids, int(keys[0]) if keys else 0

    before_b = stored(beta.schema)
    admin = seeded.schools["alpha"].web.school.admin
    with clock.travel(at(date(2025, 8, 28), 10)):
        pupil = sa.journal.people.register_student("Общая", "Связь", "", date(2014, 2, 2), admin)
    ids_a, keys_a = stored(alpha.schema)
    assert str(pupil.id) in ids_a and stored(beta.schema) == before_b
    assert sa.keyring.store.count() == keys_a and sb.keyring.store.count() == before_b[1]
    read_a = {str(n.originator_id) for n in sa.journal.recorder.select_notifications(1, 10**6)}
    read_b = {str(n.originator_id) for n in sb.journal.recorder.select_notifications(1, 10**6)}
    assert read_a == ids_a and read_b == before_b[0]


def _connections(server: str, name: str) -> int:
    with psycopg.connect(server, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()
    return int(row[0]) if row else 0


def _settled(server: str, name: str, bound: int) -> int:
    """The connections named ``name`` once those of finished set-ups have gone (a backend
    leaves pg_stat_activity just after its client closed it): at most 20 s."""
    deadline = time.monotonic() + 20
    found = _connections(server, name)
    while found > bound and time.monotonic() < deadline:
        time.sleep(0.1)
        found = _connections(server, name)
    return found


def test_the_connections_of_a_process_stay_bounded_as_schools_are_added(
    seeded: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every school of a cluster served by one process takes its connections from the
    cluster's two pools: with EJOURNAL_CLUSTER_POOL_SIZE=2 and 3 view connections the
    process holds at most 5 however many schools it serves (each school kept 3 or more of
    its own before ADR 0030: 15 for five schools)."""
    from ejournal import pools

    monkeypatch.setattr(pools, "POOLS", pools.Pools())
    name = f"ejournal-bound-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PGAPPNAME", name)  # libpq names this process's connections so
    server = seeded.url.split("?")[0]
    bound = 2 + 3
    deployment = Deployment(
        replace(seeded.base, view_pool_size=3),
        {"EJOURNAL_CLUSTER_POOL_SIZE": "2"},
        status_seconds=0,
    )
    extra = [f"pool{k}" for k in range(1, 4)]
    for code in extra:
        seeded.registry.add_school(code, f"Школа {code}")
    counted = []
    try:
        for code in ["alpha", "beta", *extra]:
            system = deployment.system(code)
            system.views.catch_up()
            system.keyring.store.count()
            _members(system.view_db)
            counted.append(_settled(server, name, bound))
        assert pools.POOLS.count() == 2  # the cluster's event-store pool and views pool
    finally:
        deployment.close()
        for code in extra:
            seeded.registry.set_status(code, "disabled")
    assert counted and max(counted) <= bound, counted
    assert pools.POOLS.count() == 0 and _settled(server, name, 0) == 0


def test_the_worker_takes_up_a_school_added_while_it_runs_with_one_listen_per_cluster(
    seeded: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``RegionWorkers`` (``ejournal worker`` of a region) reads the registry every
    ``registry_seconds``: a school added while it runs gets a worker thread, woken by the
    one LISTEN connection of the cluster (the worker's own poll is 60 s here, so only the
    notification can bring its views up in time); a school disabled is let go."""
    import threading

    from ejournal.policy_record import running_files
    from ejournal.worker import RegionWorkers

    opened: list[Any] = []

    def open_system(school: Any) -> Any:
        system = build(replace(seeded.deployment.settings_of(school), views_mode="worker"))
        opened.append(system)
        return system

    workers = RegionWorkers(seeded.registry.schools, open_system, poll=60.0, registry_seconds=0.2)
    stop = threading.Event()
    thread = threading.Thread(target=workers.run, args=(stop,))
    thread.start()

    def until(check: Any) -> bool:
        deadline = time.monotonic() + 30
        while not check() and time.monotonic() < deadline:
            time.sleep(0.05)
        return bool(check())

    late = None
    try:
        assert until(lambda: {"alpha", "beta"} <= set(workers.kept))
        seeded.registry.add_school("late", "Школа поздняя")
        assert until(lambda: "late" in workers.kept)
        assert len(workers.listeners) == 1  # one LISTEN connection for the cluster
        late = build(
            replace(
                seeded.deployment.settings_of(seeded.registry.school("late")), views_mode="worker"
            )
        )
        late.journal.rules.record(running_files(late.settings.policies_dir))
        head = late.journal.recorder.max_notification_id() or 0
        assert head > 0
        assert until(lambda: all(v.position >= head for v in late.views.status()))
        seeded.registry.set_status("late", "disabled")
        assert until(lambda: "late" not in workers.kept)
    finally:
        stop.set()
        thread.join(60)
        if late is not None:
            late.close()
    assert not thread.is_alive() and not workers.kept and not workers.listeners


def test_a_lane_waiting_on_one_schools_lock_gives_way_to_the_others(
    seeded: Region, caplog: pytest.LogCaptureFixture
) -> None:
    """A regional worker's lane whose school's views are locked (a rebuild's swap holds the
    positions ``FOR UPDATE``) gives up after ``lock_wait`` and serves the other schools; the
    locked school is caught up once the lock goes (ADR 0035)."""
    from ejournal.worker import Schedule
    from projections.processor import TRACKING

    systems = {
        code: build(
            replace(
                seeded.deployment.settings_of(seeded.registry.school(code)), views_mode="worker"
            )
        )
        for code in ("alpha", "beta")
    }
    schedule = None
    try:
        head = {}
        for code, system in systems.items():
            teacher = system.journal.queries.account_by_login("teacher").id
            head[code] = system.journal.access_log.record_access(teacher, "/journal", []).position
        tracking = sql.Identifier(systems["alpha"].settings.database.schema or "", TRACKING)
        with psycopg.connect(postgres_url()) as swap:
            swap.execute(sql.SQL("SELECT * FROM {} FOR UPDATE").format(tracking))
            schedule = Schedule(lanes=1, poll=0.2, lock_wait=0.3)
            schedule.add("alpha", systems["alpha"])
            schedule.add("beta", systems["beta"])
            assert systems["beta"].views.wait_for(head["beta"], timeout=20)
            assert "school alpha: views waited 0.3 s for a lock" in caplog.text
            assert not systems["alpha"].views.wait_for(head["alpha"], timeout=0.1)
            swap.rollback()
        assert systems["alpha"].views.wait_for(head["alpha"], timeout=20)
    finally:
        if schedule is not None:
            schedule.stop()
        for system in systems.values():
            system.close()
