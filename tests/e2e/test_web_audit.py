"""The auditor's pages through HTTP (Flask test client): sign-in, roles, CSRF, ledger status,
downloads, record history with proofs, and a tampered store reported as such."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System, build
from ejournal.webapp import web_app
from tests.conftest import settings_for
from tests.school import LESSON_DAY, School, at, build_school


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    with build(settings_for(tmp_path)) as built:
        yield built


@pytest.fixture
def school(system: System) -> School:
    built = build_school(system.journal)
    auditor = system.journal.accounts.create_account(
        "auditor", "Проверкина", "Ольга", "", ["auditor"], "revizor-secret-1", built.admin
    ).id
    system.journal.accounts.confirm_role_grant(auditor, "auditor", built.head)
    return built


@pytest.fixture
def client(system: System, school: School) -> FlaskClient:
    return web_app(system, testing=True).test_client()


def _token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def _sign_in(client: FlaskClient, login: str, password: str) -> int:
    response = client.post(
        "/login", data={"login": login, "password": password, "csrf_token": _token(client)}
    )
    return response.status_code


def test_home_page_is_russian_utf8_html(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in response.get_data(as_text=True)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_wrong_password_is_refused_in_russian_and_five_refuse_this_client(
    client: FlaskClient,
) -> None:
    for _ in range(5):
        assert _sign_in(client, "teacher", "wrong-password") == 401
    response = client.post(
        "/login", data={"login": "teacher", "password": "nope-nope", "csrf_token": _token(client)}
    )
    assert "Неверный логин или пароль" in response.get_data(as_text=True)
    # This client is refused now, with the same answer as a wrong password (ADR 0012).
    assert _sign_in(client, "teacher", "uchitel-secret-1") == 401


def test_login_without_csrf_token_is_rejected(client: FlaskClient, system: System) -> None:
    events = system.journal.recorder.max_notification_id()
    response = client.post("/login", data={"login": "teacher", "password": "wrong"})
    assert response.status_code == 400
    assert "форма устарела" in response.get_data(as_text=True)
    assert system.journal.recorder.max_notification_id() == events


@pytest.mark.parametrize(
    ("login", "password", "status"),
    [
        (None, None, 302),
        ("teacher", "uchitel-secret-1", 403),
        ("auditor", "revizor-secret-1", 200),
        ("head", "direktor-secret-1", 200),
    ],
)
def test_only_auditors_and_the_head_see_the_ledger(
    client: FlaskClient, login: str | None, password: str | None, status: int
) -> None:
    if login:
        assert _sign_in(client, login, password or "") == 302
    for path in ("/audit/", "/audit/ledger/public-key.pem"):
        assert client.get(path).status_code == status


def test_auditor_verifies_downloads_and_reads_a_record_with_proofs(
    client: FlaskClient, system: System, school: School
) -> None:
    lesson = school.hold()
    with clock.travel(at(LESSON_DAY, 14)):
        mark = system.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "3", "test")], school.teacher
        ).created[0]
        system.journal.entry.correct_mark(
            lesson, mark, "4", "test", "пересчёт баллов", school.teacher
        )
    checkpoint = system.ledger.checkpoint()
    assert _sign_in(client, "auditor", "revizor-secret-1") == 302

    page = client.get("/audit/").get_data(as_text=True)
    assert str(checkpoint.size) in page and checkpoint.root in page
    verified = client.post(
        "/audit/ledger/verify",
        data={"csrf_token": _token(client, "/audit/")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Проверка пройдена" in verified and "не проводилась" not in verified

    download = client.get("/audit/ledger/checkpoint.json")
    assert json.loads(download.get_data(as_text=True))["root"] == checkpoint.root
    assert (
        client.get("/audit/ledger/public-key.pem")
        .get_data(as_text=True)
        .startswith("-----BEGIN PUBLIC KEY-----")
    )

    history = client.get(f"/audit/records/{lesson}").get_data(as_text=True)
    assert (
        "Исправлена: 3 (контрольная работа) → 4 (контрольная работа), причина: пересчёт баллов"
        in history
    )
    assert "MarkCorrected" not in history
    assert "Петрова А. И." in history  # the actor's name, decrypted for display
    positions = re.findall(r"/audit/proof/(\d+)\.json", history)
    proof = client.get(f"/audit/proof/{positions[-1]}.json").get_json()
    assert proof["root"] == checkpoint.root and proof["tree_size"] == checkpoint.size

    assert (
        client.get("/audit/records?id=не-идентификатор", follow_redirects=True).status_code == 200
    )
    assert client.get(f"/audit/records/{school.admin.hex[:8]}").status_code == 404


def test_a_tampered_store_is_reported_on_the_page(
    client: FlaskClient, system: System, school: School
) -> None:
    system.ledger.checkpoint()
    db = sqlite3.connect(system.settings.database.path)
    with db:
        db.execute(
            "UPDATE stored_events SET state = CAST(substr(state, 1, 30) || X'FF' || "
            "substr(state, 32) AS BLOB) WHERE rowid = 7"
        )
    db.close()
    assert _sign_in(client, "auditor", "revizor-secret-1") == 302
    page = client.post(
        "/audit/ledger/verify",
        data={"csrf_token": _token(client, "/audit/")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "НАРУШЕНИЕ ЦЕЛОСТНОСТИ: событие № 7" in page
