"""Web hygiene (issue 14, item 7; ``web/hygiene.py``, ``docs/security.md``): redirects stay
on this site; a lone surrogate is 422 and a number too large for any column 404, never 500;
``Cache-Control: no-store`` on signed-in pages, API answers and downloads; a body over 1 MB is
413 before it is read; the CSP forbids ``<base>`` and foreign form targets; HSTS with secure
cookies; ``/healthz`` tells anonymous callers only ok; demo logins only in a demo school."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from ejournal.bootstrap import System
from ejournal.keystore import DEMO_SEEDED
from ejournal.webapp import services_of, web_app
from tests.web import WebSchool, api_token, bearer, client_for, csrf
from web import WebConfig, create_app
from web.hygiene import MAX_BODY_BYTES, safe_next

BIG = 10**19  # 20 digits: above any 64-bit column


# --- redirects -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "referer",
    [
        "//evil.example/x",
        "http://localhost//evil.example/x",  # this site's URL whose path is «//evil.example/x»
        "https://evil.example/journal/",
        "http://localhost/\\evil.example/x",
        "/\t/evil.example/x",
        "http:evil.example",
        "javascript:alert(1)",
    ],
)
def test_the_language_switch_never_redirects_off_site(system: System, referer: str):
    client = web_app(system, testing=True).test_client()
    response = client.get("/lang/en", headers={"Referer": referer})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), location
    assert "evil.example" not in urlsplit(location).netloc and "\\" not in location
    assert location == "/"


def test_the_language_switch_returns_to_the_page_it_was_on(system: System):
    client = web_app(system, testing=True).test_client()
    response = client.get("/lang/en", headers={"Referer": "http://localhost/journal/?term=2"})
    assert response.headers["Location"] == "/journal/?term=2"


def test_safe_next_keeps_paths_of_this_site_only(system: System):
    app = web_app(system, testing=True)
    with app.test_request_context("/", base_url="https://school.example"):
        assert safe_next("/diary/?term=2") == "/diary/?term=2"
        assert safe_next("https://school.example/a/b?c=1") == "/a/b?c=1"
        for bad in ("", None, "//x.example", "/\\x.example", "https://x.example/", "a/b"):
            assert safe_next(bad) == "/"
        assert safe_next("https://x.example/", default="/journal/") == "/journal/"


# --- malformed input is 4xx, never 500 -------------------------------------------------------
def test_a_lone_surrogate_in_the_api_is_422_json(system: System, web: WebSchool):
    client = web_app(system, testing=True).test_client()
    headers = bearer(api_token(system, web, "teacher"))
    path = f"/api/v1/course-journals/{web.school.course_id}/lessons"
    for body in (
        '{"day": "2025-09-17", "period": 3, "topic": "\\ud800", "homework": ""}',
        '{"day": "2025-09-17", "period": 3, "topic": "ok", "homework": "", "\\udfff": 1}',
        '{"day": "2025-09-17", "period": 3, "topic": ["\\ud83d"], "homework": ""}',
    ):
        response = client.post(path, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 422, response.get_data(as_text=True)[:500]
        answer = response.get_json()
        assert answer["code"] == 422 and "проверку" in answer["message"]
        assert any("суррогат" in m for ms in answer["errors"].values() for m in ms)


def test_a_lone_surrogate_in_a_form_or_query_is_never_500(system: System, web: WebSchool):
    teacher = client_for(system, web, "teacher")
    lesson = web.school.hold()
    token = csrf(teacher, f"/journal/lesson/{lesson}")
    # werkzeug decodes bytes that are not UTF-8 with replacement: a surrogate's UTF-8-like
    # bytes arrive as U+FFFD, so the form is judged on its content (here: refused as markup-free
    # text it accepts or a rule refuses — anything but 500).
    body = f"topic=%ED%A0%80&homework=&csrf_token={token}"
    response = teacher.post(
        f"/journal/lesson/{lesson}",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500
    assert teacher.get("/journal/?term=%ED%A0%80").status_code < 500


def test_every_int_in_a_path_refuses_20_digits_with_404(system: System):
    app = web_app(system, testing=True)
    adapter = app.url_map.bind("localhost")
    uuid = "00000000-0000-0000-0000-000000000001"
    checked = 0
    for rule in app.url_map.iter_rules():
        numbers = {n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)}
        if not numbers:
            continue
        values = {n: BIG if n in numbers else uuid for n in rule._converters}
        path = rule.build(values, append_unknown=False)[1]  # type: ignore[index]
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]  # type: ignore[operator]
        with pytest.raises(NotFound):
            adapter.match(path, method=method)
        checked += 1
    assert checked >= 8  # journal, classes, audit, terms, the API…


def test_a_20_digit_term_is_404_on_the_page_and_the_api(system: System, web: WebSchool):
    s = web.school
    teacher = client_for(system, web, "teacher")
    assert teacher.get(f"/journal/{s.course_id}/{BIG}").status_code == 404
    assert teacher.get(f"/journal/{s.course_id}/1").status_code == 200
    client = web_app(system, testing=True).test_client()
    headers = bearer(api_token(system, web, "teacher"))
    answer = client.get(
        f"/api/v1/course-journals/{s.course_id}/terms/{BIG}/lessons", headers=headers
    )
    assert answer.status_code == 404 and answer.get_json()["code"] == 404


# --- headers ---------------------------------------------------------------------------------
def test_no_store_on_signed_in_pages_api_answers_and_downloads(system: System, web: WebSchool):
    s = web.school
    teacher = client_for(system, web, "teacher")
    assert teacher.get("/journal/").headers["Cache-Control"] == "no-store"
    client = web_app(system, testing=True).test_client()
    headers = bearer(api_token(system, web, "teacher"))
    assert client.get("/api/v1/course-journals", headers=headers).headers["Cache-Control"] == (
        "no-store"
    )
    tutor = client_for(system, web, "class_teacher")
    query = "first=2025-09-01&last=2025-09-30"
    download = tutor.get(f"/classes/{s.class_id}/attendance.xlsx?{query}")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    system.ledger.checkpoint()
    auditor = client_for(system, web, "auditor")
    checkpoint = auditor.get("/audit/ledger/checkpoint.json")
    assert checkpoint.status_code == 200 and checkpoint.headers["Cache-Control"] == "no-store"
    static = auditor.get("/static/grid.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_the_csp_forbids_base_and_foreign_form_targets(system: System):
    response = web_app(system, testing=True).test_client().get("/login")
    policy = {
        d.strip().split()[0]: d.strip().split()[1:]
        for d in response.headers["Content-Security-Policy"].split(";")
    }
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("secure", [True, False])
def test_hsts_only_with_secure_cookies(system: System, secure: bool):
    config = WebConfig(secret_key=b"k" * 32, secure_cookies=secure, testing=True)
    response = create_app(services_of(system, config), config).test_client().get("/login")
    assert ("Strict-Transport-Security" in response.headers) is secure
    if secure:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- request size ----------------------------------------------------------------------------
class Unread:
    """A 30 MB request body that is never produced: it counts what was read of it."""

    size = 30 * 1024 * 1024

    def __init__(self) -> None:
        self.read_bytes = 0
        self._at = 0

    def tell(self) -> int:  # the test client measures the body by seeking
        return self._at

    def seek(self, offset: int, whence: int = 0) -> int:
        self._at = self.size + offset if whence == 2 else offset
        return self._at

    def read(self, size: int = -1) -> bytes:
        chunk = b"x" * (min(size, 65536) if size and size > 0 else 65536)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def test_a_30_mb_upload_is_413_in_russian_before_it_is_read(system: System, web: WebSchool):
    admin = client_for(system, web, "admin")
    body = Unread()
    response = admin.post(
        f"/admin/groups/{web.school.class_id}/import",
        input_stream=body,  # type: ignore[arg-type]
        content_type="multipart/form-data; boundary=xyz",
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "слишком велик" in page and "1 МБ" in page
    assert body.read_bytes == 0


def test_a_large_api_body_is_413_json(system: System, web: WebSchool):
    client = web_app(system, testing=True).test_client()
    headers = bearer(api_token(system, web, "teacher"))
    body = json.dumps({"topic": "x" * (MAX_BODY_BYTES + 1)})
    response = client.post(
        f"/api/v1/course-journals/{web.school.course_id}/lessons",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == 413 and "1 МБ" in response.get_json()["message"]


def test_a_class_list_just_over_512_kb_is_still_judged_by_the_import(
    system: System, web: WebSchool
):
    import io

    admin = client_for(system, web, "admin")
    page = f"/admin/groups/{web.school.class_id}/import"
    data = b"x" * (600 * 1024)
    response = admin.post(
        page,
        data={
            "file": (io.BytesIO(data), "5a.csv"),
            "on": "2025-09-01",
            "csrf_token": csrf(admin, page),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422  # the import's own refusal, not the 1 MB cap


# --- /healthz --------------------------------------------------------------------------------
def test_healthz_tells_anonymous_callers_only_ok(system: System, web: WebSchool):
    anonymous = web_app(system, testing=True).test_client().get("/healthz")
    assert anonymous.status_code == 200 and anonymous.get_json() == {"status": "ok"}
    teacher = client_for(system, web, "teacher").get("/healthz")
    assert teacher.get_json() == {"status": "ok"}
    for role in ("admin", "auditor"):
        details = client_for(system, web, role).get("/healthz").get_json()
        assert details["status"] == "ok"
        assert details["events"] == system.journal.recorder.max_notification_id()
        assert details["views_lag"] >= 0


def test_healthz_is_503_when_the_store_does_not_answer(system: System, monkeypatch):
    def broken() -> int:
        raise OSError("disk gone")

    monkeypatch.setattr(system.journal.recorder, "max_notification_id", broken)
    answer = web_app(system, testing=True).test_client().get("/healthz")
    assert answer.status_code == 503 and answer.get_json() == {"status": "unavailable"}


# --- demo logins -----------------------------------------------------------------------------
def _stray_demo_file(system: System) -> None:
    path = system.settings.demo_logins_file
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"role": "admin", "login": "admin", "password": "leaked-pass-1"}]
    path.write_text(json.dumps(rows), encoding="utf-8")


def test_no_demo_logins_without_the_demo_mark(system: System):
    _stray_demo_file(system)
    page = web_app(system, testing=True).test_client().get("/").get_data(as_text=True)
    assert "leaked-pass-1" not in page


def test_demo_logins_in_a_school_seeded_by_ejournal_demo(system: System):
    _stray_demo_file(system)
    system.keyring.store.set_meta(DEMO_SEEDED, b"1")
    page = web_app(system, testing=True).test_client().get("/").get_data(as_text=True)
    assert "leaked-pass-1" in page
