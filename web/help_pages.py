"""Help inside the product (issue 18 §3, ADR 0026): ``/help/`` and a page per role — the
role's tasks step by step with screenshots the browser tests take, and the regulation's rules
with their current values read from the loaded policies (``retention.rules``) — and the «?»
link in every page's header, leading to the help section for that page.

Pages are whole documents per language (``templates/help/ru/…``, ``templates/help/en/…``):
long prose is translated as a page, not as a sentence at a time; the UI's labels inside them
are the ones of that language's catalogue. The rules and role names come through the
catalogue (``retention.rules``), so a changed policy reads the same in both.

Which section a page's «?» opens: ``SECTIONS`` names, for every endpoint, anchors from the
most specific to the most general; the first anchor that one of the user's role pages holds
(``PAGE_SECTIONS``) wins, the roles tried in ``ROLE_PAGES`` order. A test walks every GET
route of the URL map as every role and follows the link to its anchor.

The regional pages (``web/region.py``) have a help of their own, ``/region/help/``, with a
page for the regional administrator and one for the regional auditor (``REGION_*`` below),
chosen the same way; the walk test covers their routes as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from retention.rules import days_words, journal_rules, roles_words
from web.access import public
from web.pages import services

bp = Blueprint("help", __name__, url_prefix="/help")

#: Where the screenshots are served from (``/static/help/shots/NAME-WIDTH.png``) and the
#: manifest the browser tests keep (``tests/e2e/test_browser_help.py``).
SHOTS = Path(__file__).parent / "static" / "help" / "shots"
MANIFEST = SHOTS / "manifest.json"
#: The widths a screenshot is taken at: a laptop and a tablet (portrait).
WIDTHS = (1366, 820)

#: One page per role, in the order the index lists them and the «?» link tries them.
ROLE_PAGES = {
    "teacher": _l("Учитель"),
    "class_teacher": _l("Классный руководитель"),
    "deputy": _l("Заместитель директора"),
    "head": _l("Директор"),
    "parent": _l("Родитель"),
    "pupil": _l("Обучающийся"),
    "auditor": _l("Аудитор"),
    "archivist": _l("Архивист"),
    "admin": _l("Администратор"),
}

#: Sections every role page holds (``templates/help/<lang>/_common.html``).
COMMON = ("start", "login", "profile", "password", "sessions", "mail", "help")

_JOURNAL_READ = ("today", "grid", "lesson")
_CLASSES = ("classes", "class-journal", "summary", "attendance-report", "completeness")
_DIARY = ("diary", "diary-week")
_DEPUTY = (
    *_JOURNAL_READ,
    "approvals",
    "terms",
    "council",
    *_CLASSES,
    *_DIARY,
    "timetable",
    "year-close",
    "records",
    "rules",
)

#: The anchors of each role page (a test renders each page and finds every one of them).
PAGE_SECTIONS: dict[str, tuple[str, ...]] = {
    "teacher": ("today", "grid", "lesson", "marks", "absent", "correct", "late", "rules"),
    "class_teacher": ("my-class", *_JOURNAL_READ, *_CLASSES, *_DIARY, "rules"),
    "deputy": _DEPUTY,
    # the head does what the deputy does, and more
    "head": (*_DEPUTY, "audit", "grants", "regulations"),
    "parent": (*_DIARY, "diary-term", "news", "rules"),
    "pupil": (*_DIARY, "diary-term"),
    "auditor": (
        *_JOURNAL_READ,
        *_CLASSES,
        *_DIARY,
        "ledger",
        "history",
        "as-of",
        "access-log",
        "records",
    ),
    "archivist": ("register", "plan", "proposals", "holds", "certificates", "archive"),
    "admin": (
        "admin",
        "accounts",
        "tokens",
        "years",
        "pupils",
        "school-profile",
        "mail-deliveries",
        "timetable",
        "grants",
    ),
}

#: Each endpoint's help anchors, most specific first; an endpoint not named here takes its
#: blueprint's (``BLUEPRINT_SECTIONS``).
SECTIONS: dict[str, tuple[str, ...]] = {
    "home": ("start",),
    "auth.login": ("login",),
    "auth.change_password": ("password",),
    "sessions.sessions": ("sessions",),
    "profile.index": ("profile",),
    "profile.grants": ("grants", "profile"),
    "notify.settings": ("mail",),
    "notify.unsubscribe_link": ("mail",),
    "notify.deliveries": ("mail-deliveries",),
    "journal.index": ("my-class", "today"),
    "journal.grid": ("grid",),
    "journal.lesson": ("lesson",),
    "classes.index": ("classes",),
    "classes.journal": ("class-journal",),
    "classes.journal_now": ("class-journal",),
    "classes.attendance": ("attendance-report",),
    "classes.completeness": ("completeness",),
    "classes.approvals": ("approvals",),
    "classes.terms": ("terms",),
    "classes.council": ("council",),
    "classes.summary": ("summary", "classes"),
    "diary.index": ("diary",),
    "diary.pupil": ("diary-week", "diary"),
    "admin.index": ("admin",),
    "admin.accounts": ("accounts",),
    "admin.account": ("accounts",),
    "admin.tokens": ("tokens",),
    "admin.years": ("years",),
    "admin.year": ("years",),
    "admin.group": ("years",),
    "admin.import_form": ("pupils",),
    "admin.pupils": ("pupils",),
    "admin.pupil": ("pupils",),
    "admin.profile": ("school-profile",),
    "audit.ledger_status": ("ledger", "audit"),
    "audit.find_record": ("history", "audit"),
    "audit.record_history": ("history", "audit"),
    "audit.mark_history": ("history", "audit"),
    "replay.as_of": ("as-of", "audit"),
    "replay.grid_as_of": ("as-of", "audit"),
    "replay.diary_as_of": ("as-of", "audit"),
    "replay.access_log_page": ("access-log", "audit"),
    "records.register": ("register", "records"),
    "records.plan": ("plan", "records"),
    "records.proposals": ("proposals", "records"),
    "records.proposal": ("proposals", "records"),
    "records.approve_confirm": ("proposals", "records"),
    "records.holds": ("holds", "records"),
    "records.certificates": ("certificates", "records"),
    "records.archive": ("archive", "records"),
    "records.year": ("year-close",),
    "timetable.index": ("timetable",),
    "timetable.course": ("timetable",),
    "regulations.index": ("regulations",),
}

#: The anchors of a blueprint's pages that ``SECTIONS`` does not name (a page added later
#: still opens its area's help).
BLUEPRINT_SECTIONS: dict[str, tuple[str, ...]] = {
    "help": ("help",),
    "journal": ("grid", "today"),
    "classes": ("classes",),
    "diary": ("diary",),
    "admin": ("admin",),
    "audit": ("audit", "ledger"),
    "replay": ("as-of", "audit"),
    "records": ("records", "register"),
    "timetable": ("timetable",),
    "regulations": ("regulations",),
    "profile": ("profile",),
    "notify": ("mail",),
    "sessions": ("sessions",),
    "auth": ("login",),
}

#: The help index's own sections (for those not signed in).
INDEX_SECTIONS = ("start", "login", "mail", "roles", "help")


def anchors_of(endpoint: str | None) -> tuple[str, ...]:
    """The help anchors of ``endpoint``, most specific first (empty: none known)."""
    if endpoint is None:
        return ()
    if endpoint in SECTIONS:
        return SECTIONS[endpoint]
    return BLUEPRINT_SECTIONS.get(endpoint.partition(".")[0], ())


def target(endpoint: str | None, roles: Iterable[str]) -> tuple[str | None, str]:
    """(role page or None for the index, anchor) of the help for ``endpoint`` as a user
    holding ``roles`` sees it."""
    held = [r for r in ROLE_PAGES if r in set(roles)]
    for anchor in anchors_of(endpoint):
        for role in held:
            if anchor in PAGE_SECTIONS[role] or anchor in COMMON:
                return role, anchor
        if not held and anchor in INDEX_SECTIONS:
            return None, anchor
    if held:
        return held[0], "help"
    return None, "help"


def help_link() -> str:
    """The URL of the help section for the page being rendered."""
    roles = list(current_user.roles) if current_user.is_authenticated else []
    role, anchor = target(request.endpoint, roles)
    if role is None:
        return url_for("help.index", _anchor=anchor)
    return url_for("help.role", role=role, _anchor=anchor)


# --- the regional pages (web/region.py, ADR 0027): a help of their own under /region/help/ --
#: One page per regional role.
REGION_PAGES = {
    "regional_admin": _l("Региональный администратор"),
    "regional_auditor": _l("Региональный аудитор"),
}
#: Sections both regional pages hold (``templates/help/<lang>/_region_common.html``).
REGION_COMMON = ("region-start", "region-login", "region-language", "region-help")
REGION_PAGE_SECTIONS: dict[str, tuple[str, ...]] = {
    "regional_admin": ("schools", "search", "add-school", "disable-school", "enable-school"),
    "regional_auditor": ("schools", "search", "school-ledger", "verify", "downloads"),
}
#: Each regional endpoint's anchors, most specific first.
REGION_SECTIONS: dict[str, tuple[str, ...]] = {
    "login": ("region-login",),
    "schools": ("schools", "search"),
    "confirm_status": ("disable-school", "enable-school"),
    "ledger": ("school-ledger", "schools"),
    "help_index": ("region-help",),
    "help_role": ("region-help",),
}
#: The regional help's index sections (for those not signed in).
REGION_INDEX_SECTIONS = ("region-start", "region-login", "region-language", "roles", "region-help")


def region_target(endpoint: str | None, role: str | None) -> tuple[str | None, str]:
    """(regional role page or None for the index, anchor) of the help for ``endpoint``."""
    for anchor in REGION_SECTIONS.get(endpoint or "", ()):
        if role in REGION_PAGES and (
            anchor in REGION_PAGE_SECTIONS[role] or anchor in REGION_COMMON
        ):
            return role, anchor
        if role not in REGION_PAGES and anchor in REGION_INDEX_SECTIONS:
            return None, anchor
    return (role, "region-help") if role in REGION_PAGES else (None, "region-help")


def region_help_link() -> str:
    """The URL of the regional help section for the regional page being rendered."""
    user = g.get("user")
    page, anchor = region_target(request.endpoint, user.role if user is not None else None)
    if page is None:
        return url_for("help_index", _anchor=anchor)
    return url_for("help_role", role=page, _anchor=anchor)


def register_region(app: Flask) -> None:
    """The regional help pages on the regional app (``/help/``, ``/help/<role>``)."""

    @app.get("/help/")
    def help_index() -> ResponseReturnValue:
        return render_template(
            f"help/{_language()}/region_index.html",
            user=g.get("user"),
            role=None,
            role_pages=REGION_PAGES,
        )

    @app.get("/help/<role>")
    def help_role(role: str) -> ResponseReturnValue:
        if role not in REGION_PAGES:
            abort(404)
        return render_template(
            f"help/{_language()}/{role}.html",
            user=g.get("user"),
            role=role,
            role_pages=REGION_PAGES,
        )


def _manifest() -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded


def shot(name: str) -> dict[int, str]:
    """The committed screenshots of ``name`` by width (URLs); an empty dict when none is
    there yet (the page then says so instead of showing a broken image)."""
    return {
        width: url_for("static", filename=f"help/shots/{name}-{width}.png")
        for width in WIDTHS
        if (SHOTS / f"{name}-{width}.png").is_file()
    }


def _language() -> str:
    return "en" if str(get_locale()) == "en" else "ru"


def _rules() -> list[Any]:
    return journal_rules(services().policies.journal, gettext, ngettext)


def _values() -> dict[str, str]:
    """The regulation's values in words for the steps' text («в течение 7 дней»)."""
    regulation = services().policies.journal
    return {
        "entry_deadline": days_words(regulation.entry_deadline_days, ngettext),
        "own_correction": days_words(regulation.own_correction_days, ngettext),
        "late_entry": days_words(regulation.late_entry_days, ngettext),
        "approvers": roles_words(regulation.approver_roles, gettext),
        "period_roles": roles_words(regulation.period_roles, gettext),
    }


@bp.get("/")
@public
def index() -> ResponseReturnValue:
    """The help's start: what the journal is, signing in, the pages per role."""
    return render_template(f"help/{_language()}/index.html", role_pages=ROLE_PAGES)


@bp.get("/<role>")
@public
def role(role: str) -> ResponseReturnValue:
    """One role's help page."""
    if role not in ROLE_PAGES:
        abort(404)
    return render_template(
        f"help/{_language()}/{role}.html",
        role=role,
        role_title=ROLE_PAGES[role],
        role_pages=ROLE_PAGES,
        rules=_rules(),
        say=_values(),
        codes=services().policies.attendance.codes,
        kinds=services().policies.grading.kinds,
    )


def register(app: Flask) -> None:
    """The help pages and the «?» link's URL for every template."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(help_link=help_link, help_shot=shot)
