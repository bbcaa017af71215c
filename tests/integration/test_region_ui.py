"""The regional pages over the real registry on PostgreSQL (ADR 0027), for a region of
hundreds of schools: 250 registry rows (no school's data: the list opens no school) are
searched, filtered and paged by the registry; a registry made by the previous version gains
its new columns; a school that cannot be opened is not left registered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from werkzeug.test import Client

from ejournal.bootstrap import System
from ejournal.region import LedgerNote, Registry
from ejournal.settings import Settings
from ejournal.tenants import Deployment, Dispatcher
from tests.conftest import settings_for

pytestmark = pytest.mark.postgres

PASSWORD = "region-pass-of-test-7"


def _never_opened(settings: Settings) -> System:
    raise AssertionError(f"the list opened school {settings.school}")


@pytest.fixture
def big(tmp_path: Path, pg_schema: tuple[str, str]) -> Iterator[tuple[Registry, Dispatcher]]:
    """A region of 250 schools in the registry only (plus its two regional accounts)."""
    _, url = pg_schema
    base = replace(settings_for(tmp_path, url), views_mode="inline")
    registry = Registry(base)
    registry.create()
    with psycopg.connect(base.database.conninfo()) as conn, conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                "INSERT INTO {}.ejournal_schools (code, name, status, schema_name, cluster, "
                "created_at, changed_at) VALUES (%s, %s, %s, %s, 'main', now(), now())"
            ).format(sql.Identifier(registry.schema)),
            [
                (
                    f"sch{n:03d}",
                    f"Школа № {n}" if n != 42 else "Гимназия имени Н. И. Лобачевского",
                    "disabled" if n % 10 == 7 else "active",
                    f"{registry.schema}_sch{n:03d}",
                )
                for n in range(250)
            ],
        )
    registry.add_account("oblast-admin", "regional_admin", PASSWORD)
    registry.add_account("oblast-audit", "regional_auditor", PASSWORD)
    deployment = Deployment(base, {}, status_seconds=0, open_system=_never_opened)
    yield registry, Dispatcher(deployment, testing=True)


def _client(app: Dispatcher, login: str) -> Client:
    client = Client(app)
    page = client.get("/region/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    data = {"login": login, "password": PASSWORD, "csrf_token": token[1]}
    assert client.post("/region/login", data=data).status_code == 302
    return client


def _codes(answer: Any) -> list[str]:
    """The schools a list shows: the regional table's rows, the front page's items."""
    assert answer.status_code == 200
    return re.findall(r'<(?:tr|li) id="school-([a-z0-9_]+)">', answer.get_data(as_text=True))


def test_250_schools_are_searched_filtered_and_paged_without_opening_one(
    big: tuple[Registry, Dispatcher],
) -> None:
    registry, app = big
    for login in ("oblast-admin", "oblast-audit"):
        client = _client(app, login)
        pages = [_codes(client.get(f"/region/?page={n}")) for n in range(1, 6)]
        assert [len(p) for p in pages] == [50] * 5
        assert [c for page in pages for c in page] == [
            f"sch{n:03d}" for n in range(250)
        ]  # once each
        assert _codes(client.get("/region/?page=6")) == pages[-1]  # past the end: the last
        assert "страница 1 из 5" in client.get("/region/").get_data(as_text=True)
        assert _codes(client.get("/region/?q=лобачевск")) == ["sch042"]  # any case
        assert _codes(client.get("/region/?q=SCH24")) == [f"sch24{n}" for n in range(10)]
        assert _codes(client.get("/region/?q=%25")) == []  # a LIKE wildcard is a character
        assert _codes(client.get("/region/?q=_")) == []
        # a NUL (PostgreSQL text cannot hold one) is dropped: nothing else asked, all listed
        assert _codes(client.get("/region/?q=%00")) == pages[0]
        disabled = _codes(client.get("/region/?status=disabled"))
        assert disabled == [f"sch{n:03d}" for n in range(7, 250, 10)]
        second = client.get("/region/?status=active&page=2")
        assert _codes(second) == [f"sch{n:03d}" for n in range(250) if n % 10 != 7][50:100]
        assert "найдено 225 школ" in second.get_data(as_text=True)
    found = registry.find("школа № 1", "active", 1, 10)
    # «№ 1», «№ 1x», «№ 1xx», less the disabled «№ 17», «№ 1x7»
    assert found.total == 1 + 10 + 100 - 1 - 10 and found.pages == 10
    # the auditor's filters read the registry's ledger notes, not the schools
    now = datetime.now(UTC)
    registry.note_ledger("sch003", LedgerNote(now, 40, now.isoformat(), now.isoformat(), False))
    registry.note_ledger("sch004", LedgerNote(now, 40, now.isoformat(), now.isoformat(), True))
    registry.note_ledger("sch005", LedgerNote(now, None, "", "", None))
    assert [r.school.code for r in registry.find(ledger="failed").rows] == ["sch003"]
    assert registry.summary() == {
        "total": 250,
        "active": 225,
        "disabled": 25,
        "failed": 1,
        "unverified": 249 - 1,
    }
    unverified = registry.find(ledger="unverified", size=300)
    assert unverified.total == 248 and "sch005" in [r.school.code for r in unverified.rows]
    auditor = _client(app, "oblast-audit")
    assert _codes(auditor.get("/region/?ledger=failed")) == ["sch003"]
    assert app.deployment._systems == {}  # no school was opened to list them


def test_a_registry_of_the_previous_version_gains_its_new_columns(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    _, url = pg_schema
    base = settings_for(tmp_path, url)
    schema = sql.Identifier(Registry(base).schema)
    with psycopg.connect(base.database.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        conn.execute(
            sql.SQL(
                "CREATE TABLE {}.ejournal_schools (code text PRIMARY KEY, name text NOT NULL, "
                "status text NOT NULL, schema_name text NOT NULL UNIQUE, cluster text NOT NULL, "
                "created_at timestamptz NOT NULL, changed_at timestamptz NOT NULL)"
            ).format(schema)
        )
        conn.execute(
            sql.SQL(
                "INSERT INTO {}.ejournal_schools VALUES ('old1', 'Старая школа', 'active', "
                "'x_old1', 'main', now(), now())"
            ).format(schema)
        )
    registry = Registry(base)
    [listed] = registry.find().rows
    assert listed.school.code == "old1" and listed.school.reason == "" and listed.ledger is None
    assert registry.set_status("old1", "disabled", "переезд").reason == "переезд"


def test_a_school_that_cannot_be_opened_is_not_left_registered(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    _, url = pg_schema
    base = settings_for(tmp_path, url)
    registry = Registry(base)
    registry.add_account("oblast-admin", "regional_admin", PASSWORD)

    def broken(settings: Settings) -> System:
        raise OSError("disk full")

    app = Dispatcher(Deployment(base, {}, open_system=broken), testing=True)
    client = _client(app, "oblast-admin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/region/").get_data(True))
    assert token
    data = {"code": "delta", "name": "Школа Дельта", "confirmed": "yes", "csrf_token": token[1]}
    answer = client.post("/region/schools", data=data)
    assert answer.status_code == 422
    assert "Школу не удалось открыть" in answer.get_data(as_text=True)
    assert registry.schools() == []  # nothing half-written


def test_the_root_list_reads_the_registry_page_by_page_without_opening_a_school(
    big: tuple[Registry, Dispatcher],
) -> None:
    _, app = big
    client = Client(app)  # nobody signed in: the deployment's front page
    working = [f"sch{n:03d}" for n in range(250) if n % 10 != 7]
    pages = [_codes(client.get(f"/?page={n}")) for n in range(1, 6)]
    assert [len(p) for p in pages] == [50, 50, 50, 50, 25]
    assert [c for page in pages for c in page] == working  # once each, no disabled school
    first = client.get("/").get_data(as_text=True)
    assert "страница 1 из 5, найдено 225 школ" in first and 'href="/s/sch000/"' in first
    assert _codes(client.get("/?q=лобачевск")) == ["sch042"]
    assert _codes(client.get("/?q=SCH24")) == [f"sch24{n}" for n in range(10) if n != 7]
    assert _codes(client.get("/?q=_")) == []  # a LIKE wildcard is a character
    assert _codes(client.get("/?q=%00")) == pages[0]  # a NUL is dropped, not a 500
    english = client.get("/?q=SCH24", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "page 1 of 1, 9 schools found" in english
    # a disabled school's address: the root pages' 503, in the product's look, no school opened
    disabled = client.get("/s/sch007/journal/", headers={"Accept-Language": "en"})
    assert disabled.status_code == 503
    assert "School disabled" in disabled.get_data(as_text=True)
    assert "Школа № 7" in disabled.get_data(as_text=True)
    assert client.get("/s/nosuch/").status_code == 404
    assert app.deployment._systems == {}  # no school was opened
