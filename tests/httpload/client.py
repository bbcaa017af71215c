"""A browser over HTTP: a keep-alive session with its cookies,
signing in through the login form, and finding what to open in the pages themselves (the
teacher's journals, a parent's child, a class's pupils, a new lesson's form) — the way a
user gets there, with no access to the database.
"""

from __future__ import annotations

import html
import http.client
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
Form = list[tuple[str, str]]


class SetupError(Exception):
    """The app did not answer as a browser user expects, so the run cannot go on."""


@dataclass(frozen=True)
class Response:
    """Status, the redirect target (path only) and the body."""

    status: int
    location: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Session:
    """One browser: a keep-alive HTTP/1.1 connection and its cookies. Redirects are not
    followed (their status and target are what the benchmark checks)."""

    def __init__(self, host: str, port: int, name: str) -> None:
        self.host, self.port, self.name = host, port, name
        self.cookies: dict[str, str] = {}
        self.token = ""  # the session's CSRF token (every form of the session takes it)
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.failures = 0  # requests that got no HTTP answer (connection reset, timeout)
        self.reconnects = 0  # idle connections the server had closed (sent again once)

    def request(self, method: str, path: str, form: Form | None = None) -> Response:
        """Send one request and read the whole answer; status 0 when none came."""
        headers = {"Accept": "text/html", "Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body, headers)
                answer = self.conn.getresponse()
                data = answer.read()
                break
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                # The server closed an idle keep-alive connection: open a new one, once.
                self.reconnect()
                self.reconnects += 1
                if attempt == 2:
                    self.failures += 1
                    return Response(0, "", b"")
            except (OSError, http.client.HTTPException):
                self.failures += 1
                self.reconnect()
                return Response(0, "", b"")
        for cookie in answer.headers.get_all("Set-Cookie") or ():
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        location = urlsplit(answer.headers.get("Location", ""))
        target = location.path + (f"?{location.query}" if location.query else "")
        return Response(answer.status, target, data)

    def reconnect(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        self.conn.close()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def expect(self, status: int, method: str, path: str, form: Form | None = None) -> Response:
        """``request``, or ``SetupError`` naming the answer when the status differs."""
        got = self.request(method, path, form)
        if got.status != status:
            raise SetupError(
                f"{self.name}: {method} {path} answered {got.status or 'nothing'} "
                f"(expected {status}){f' → {got.location}' if got.location else ''}"
            )
        return got


def alert(page: Response) -> str:
    """The page's error message (``role="alert"``), as plain text, or ``""``."""
    found = re.search(r'role="alert">(.*?)</div>', page.text, re.S)
    if not found:
        return ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())[:200]


def csrf(page: Response) -> str:
    """The CSRF token of the first form on the page."""
    found = CSRF.search(page.text)
    if not found:
        raise SetupError("no CSRF token in the page")
    return html.unescape(found.group(1))


def sign_in(session: Session, login: str, password: str) -> None:
    """Sign in through the login form (CSRF token from the form), as a browser does; the
    session's token is kept for its later forms."""
    session.token = csrf(session.expect(200, "GET", "/login"))
    form = [("csrf_token", session.token), ("login", login), ("password", password)]
    signed_in = session.expect(302, "POST", "/login", form)
    # The CSRF token rotates at sign-in (issue 14): take the new one from the page the
    # sign-in leads to (every signed-in page carries the sign-out form).
    session.token = csrf(session.expect(200, "GET", signed_in.location or "/"))


def own_courses(session: Session, term: int) -> list[str]:
    """The course journals listed for a teacher whose grid offers to add a lesson (the
    teacher's own: a class teacher also sees the class's other journals, read-only)."""
    listed = re.findall(
        rf'href="/journal/({UUID})/\d+"', session.expect(200, "GET", "/journal/").text
    )
    own = []
    for course in dict.fromkeys(listed):
        page = session.expect(200, "GET", f"/journal/{course}/{term}").text
        if f'action="/journal/{course}/lessons' in page:
            own.append(course)
    return own


def children(session: Session) -> list[str]:
    """The pupils whose diary a parent may open (a single child: the redirect's target)."""
    page = session.request("GET", "/diary/")
    if page.status == 302:
        return re.findall(rf"^/diary/({UUID})", page.location)
    if page.status != 200:
        raise SetupError(f"{session.name}: GET /diary/ answered {page.status}")
    return list(dict.fromkeys(re.findall(rf'href="/diary/({UUID})"', page.text)))


def class_pupils(session: Session, index: int) -> list[str]:
    """The pupils of the ``index``-th class offered on a staff member's diary page."""
    page = session.expect(200, "GET", "/diary/").text
    groups = re.findall(rf'<option value="({UUID})"', page)
    if not groups:
        raise SetupError(f"{session.name}: no class offered on /diary/")
    listing = session.expect(200, "GET", f"/diary/?group={groups[index % len(groups)]}").text
    return list(dict.fromkeys(re.findall(rf'href="/diary/({UUID})"', listing)))


@dataclass
class LessonForm:
    """A lesson page's form as the browser would send it, and the marks posted to it."""

    lesson_id: str
    token: str
    topic: str
    homework: str
    pupils: list[str]
    kinds: dict[str, str]  # pupil → the kind selected in the form
    attendance: dict[str, str]  # pupil → the attendance selected
    values: list[str]  # the marks the lesson's scale offers
    keyed: bool = False  # the form carries a key (``form_key``: one per rendered form)
    posted: int = field(default=0)

    def with_mark(self, pupil: str, turn: int) -> Form:
        """Every field of the form, one new mark (the ``turn``-th of the scale's values)
        filled in for ``pupil`` (a browser sends every field); a fresh form key, as the
        page rendered again after the previous save would carry (the same body sent again
        is the same submission)."""
        value = self.values[turn % len(self.values)]
        form = [("csrf_token", self.token), ("topic", self.topic), ("homework", self.homework)]
        if self.keyed:
            form.append(("form_key", secrets.token_hex(16)))
        for p in self.pupils:
            form += [
                (f"mark-{p}", value if p == pupil else ""),
                (f"kind-{p}", self.kinds[p]),
                (f"att-{p}", self.attendance[p]),
            ]
        return form


def _options(page: str, name: str) -> list[tuple[str, bool]]:
    """The options of the ``<select name=…>``: (value, selected)."""
    found = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    if not found:
        raise SetupError(f"no field {name} in the lesson form")
    return [
        (html.unescape(value if attribute else label), "selected" in rest)
        for attribute, value, rest, label in re.findall(
            r'<option( value="([^"]*)")?([^>]*)>([^<]*)', found.group(1)
        )
    ]


def _selected(page: str, name: str) -> str:
    """The selected option's value of the ``<select name=…>`` (the first one if none is)."""
    options = _options(page, name)
    chosen = [value for value, selected in options if selected] or [v for v, _ in options]
    return chosen[0] if chosen else ""


def lesson_form(session: Session, lesson_id: str) -> LessonForm:
    """Open a lesson's page and read its form (pupils, kinds, attendance, topic)."""
    page = session.expect(200, "GET", f"/journal/lessons/{lesson_id}").text
    pupils = list(dict.fromkeys(re.findall(rf'name="mark-({UUID})"', page)))
    if not pupils:
        raise SetupError(f"{session.name}: the form of lesson {lesson_id} lists no pupils")

    def value(name: str) -> str:
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        return html.unescape(found.group(1)) if found else ""

    return LessonForm(
        lesson_id,
        csrf(Response(200, "", page.encode())),
        value("topic"),
        value("homework"),
        pupils,
        {p: _selected(page, f"kind-{p}") for p in pupils},
        {p: _selected(page, f"att-{p}") for p in pupils},
        [v for v, _ in _options(page, f"mark-{pupils[0]}") if v],
        keyed='name="form_key"' in page,
    )


def hold_lesson(session: Session, course: str, term: int, day: str, period: int) -> str | None:
    """Add a lesson through the grid's form; its id, or None when the slot is taken (409)."""
    form = [
        ("csrf_token", session.token),
        ("day", day),
        ("period", str(period)),
        ("topic", "Решение задач (бенчмарк)"),
        ("homework", "№ 12, 14"),
    ]
    got = session.request("POST", f"/journal/{course}/lessons?term={term}", form)
    if got.status == 409:
        return None
    found = re.fullmatch(rf"/journal/lessons/({UUID})", got.location)
    if got.status != 302 or not found:
        raise SetupError(f"{session.name}: adding a lesson answered {got.status} {got.location}")
    return found.group(1)
