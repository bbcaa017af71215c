"""The page to change one's own password (issue 14, item 5): the current password and the
new one twice, behind CSRF, Russian messages naming what is wrong, nothing written when
refused; afterwards only the new password signs in."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from ejournal.bootstrap import System
from tests.web import WebSchool, client_for, csrf, sign_in, written_since


def change(client: FlaskClient, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    data = {"current": current, "password": new, "password2": new if again is None else again}
    return client.post("/password", data={**data, "csrf_token": csrf(client, "/password")})


def test_the_page_asks_for_the_current_password_and_the_new_one_twice(
    system: System, web: WebSchool
) -> None:
    client = client_for(system, web, "parent")
    page = client.get("/password").get_data(as_text=True)
    assert 'name="current"' in page and 'name="password2"' in page
    assert "не короче 12 символов" in page and 'name="csrf_token"' in page
    assert 'href="/password"' in page  # linked from the header of every page


def test_anonymous_visitors_are_sent_to_sign_in(system: System) -> None:
    from ejournal.webapp import web_app

    response = web_app(system, testing=True).test_client().get("/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_without_the_csrf_token_nothing_changes(system: System, web: WebSchool) -> None:
    client = client_for(system, web, "teacher")
    position = system.journal.recorder.max_notification_id() or 0
    data = {"current": "uchitel-secret-1", "password": "tihaya-gavan-22"}
    response = client.post("/password", data={**data, "password2": data["password"]})
    assert response.status_code == 400
    assert written_since(system, position) == []


def test_refusals_name_what_is_wrong_and_write_nothing(system: System, web: WebSchool) -> None:
    client = client_for(system, web, "teacher")
    position = system.journal.recorder.max_notification_id() or 0
    cases = [
        (("wrong-current-1", "tihaya-gavan-22"), "Текущий пароль введён неверно."),
        (("uchitel-secret-1", "tihaya-gavan-22", "tihaya-gavan-23"), "Пароли не совпадают."),
        (("uchitel-secret-1", "short-one"), "Пароль слишком короткий: нужно не менее 12"),
        (("uchitel-secret-1", "teacher-2026-x"), "Пароль слишком простой: в нём есть логин."),
        (("uchitel-secret-1", "password1234"), "Пароль слишком простой: распространённый"),
    ]
    for args, message in cases:
        response = change(client, *args)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, page[:2000]
        assert message in page
        assert "tihaya-gavan" not in page and "uchitel-secret" not in page  # never shown back
    assert written_since(system, position) == []


def test_after_a_change_only_the_new_password_signs_in(system: System, web: WebSchool) -> None:
    client = client_for(system, web, "teacher")
    response = change(client, "uchitel-secret-1", "tihaya-gavan-22")
    assert response.status_code == 302
    assert "Пароль изменён." in client.get(response.headers["Location"]).get_data(as_text=True)
    from ejournal.webapp import web_app

    fresh = web_app(system, testing=True).test_client()
    refused = fresh.post(
        "/login",
        data={"login": "teacher", "password": "uchitel-secret-1", "csrf_token": csrf(fresh)},
    )
    assert refused.status_code == 401
    sign_in(fresh, "teacher", "tihaya-gavan-22")


def test_no_password_hash_is_stored_in_plaintext(system: System, web: WebSchool) -> None:
    """The hashes live only inside the accounts' encrypted event states: the database file
    (and its WAL) holds no ``scrypt$…`` string to attack offline without the master key."""
    client = client_for(system, web, "teacher")
    assert change(client, "uchitel-secret-1", "tihaya-gavan-22").status_code == 302
    path = Path(system.settings.database.path)
    stored = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    assert b"scrypt$" not in stored
