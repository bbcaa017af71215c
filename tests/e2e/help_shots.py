"""The help pages' screenshots (ADR 0026): which pages they show, the templates and files
each depends on, and the manifest that says whether a committed image is current.

An image in ``web/static/help/shots/`` is current when the manifest's ``inputs`` for it equals
the hash of what it shows now (``inputs_hash``): the templates listed for it, the base
template and styles, the policy files, and the scenario (``tests/e2e/test_browser_help.py``).
The browser test replaces a missing or stale image (and its manifest entry) and leaves a
current one alone, so a run that changes nothing changes no committed file; every image it
takes also lands in ``test-artifacts/help/`` to look at."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT
from web.help_pages import MANIFEST, SHOTS

TEMPLATES = ROOT / "web" / "templates"
#: What every screenshot depends on besides its own templates.
SHARED = (
    TEMPLATES / "base.html",
    TEMPLATES / "_style.html",  # base.html's style and header corner, shared with /region/
    TEMPLATES / "_corner.html",
    TEMPLATES / "nav.html",
    ROOT / "web" / "static" / "grid.css",
    ROOT / "tests" / "e2e" / "test_browser_help.py",
    ROOT / "tests" / "e2e" / "live.py",  # the browser and its language
    *sorted((ROOT / "policies").glob("*.toml")),
)


@dataclass(frozen=True)
class Shot:
    """One screenshot: ``name`` (as the help templates' ``figure('name', …)`` call it), the
    role that takes it, the widths and the templates of the page it shows; ``element``: the
    CSS selector of the one part of the page it shows (empty: the whole page)."""

    name: str
    role: str
    widths: tuple[int, ...]
    templates: tuple[str, ...]
    element: str = ""


PLAN = (
    Shot("today", "teacher", (1366,), ("journal/index.html",)),
    Shot("my-class", "class_teacher", (1366,), ("journal/index.html",), "section.my-class"),
    Shot("lesson", "teacher", (1366,), ("journal/lesson.html", "_marks.html")),
    Shot("lesson-tablet", "teacher", (820,), ("journal/lesson.html", "_marks.html")),
    Shot("grid", "teacher", (1366, 820), ("journal/grid.html", "_marks.html")),
    Shot("year", "teacher2", (1366,), ("journal/grid.html", "_marks.html")),
    Shot("late", "teacher", (1366,), ("journal/lesson.html", "_marks.html")),
    Shot("approvals", "deputy", (1366, 820), ("classes/approvals.html",)),
    Shot("terms", "deputy", (1366,), ("classes/terms.html",)),
    Shot(
        "class-journal",
        "class_teacher",
        (1366,),
        ("classes/journal.html", "classes/_tabs.html", "classes/_period.html", "_marks.html"),
    ),
    Shot("summary", "deputy", (1366,), ("classes/summary.html", "classes/_tabs.html")),
    Shot(
        "attendance-report",
        "class_teacher",
        (1366,),
        ("classes/attendance.html", "classes/_tabs.html", "classes/_period.html"),
    ),
    Shot(
        "diary-week",
        "parent",
        (1366, 820),
        ("diary/week.html", "diary/_tabs.html", "diary/_news.html"),
    ),
    Shot(
        "diary-term",
        "parent",
        (1366,),
        ("diary/pupil.html", "diary/_tabs.html", "diary/_news.html"),
    ),
    Shot("mail", "parent", (1366,), ("notify/profile.html",)),
    Shot("ledger", "auditor", (1366,), ("audit/ledger.html",)),
    Shot("history", "auditor", (1366,), ("audit/record.html", "audit/_authenticated_by.html")),
    Shot("register", "archivist", (1366,), ("records/register.html", "records/_tabs.html")),
    Shot("accounts", "admin", (1366,), ("admin/accounts.html",)),
)

#: Personal data that must never be in a screenshot (the demo data is fictional; still).
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"\+7[\d\s()-]{9,}|\b8[\s(-]*9\d\d[\s)-]*\d{3}[\s-]*\d\d[\s-]*\d\d\b")


def inputs_hash(shot: Shot) -> str:
    """The hash of everything ``shot`` shows but the data: its templates, the shared files."""
    digest = hashlib.sha256()
    for path in (*(TEMPLATES / t for t in shot.templates), *SHARED):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes() if path.exists() else b"(missing)")
    return digest.hexdigest()


def image(shot: Shot, width: int) -> Path:
    return SHOTS / f"{shot.name}-{width}.png"


def manifest() -> dict[str, dict[str, str]]:
    try:
        loaded: dict[str, dict[str, str]] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded


def stale(shot: Shot, width: int) -> bool:
    """True when the committed image is missing or was taken of other templates."""
    entry = manifest().get(f"{shot.name}-{width}")
    return (
        not image(shot, width).is_file()
        or entry is None
        or entry.get("inputs") != inputs_hash(shot)
    )


def record(shot: Shot, width: int) -> None:
    """Write the manifest entry of a replaced image (sorted, one line each: small diffs)."""
    entries = manifest()
    entries[f"{shot.name}-{width}"] = {
        "inputs": inputs_hash(shot),
        "role": shot.role,
        "templates": ", ".join(shot.templates),
    }
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    # replaced whole (another test process may be reading it: tests run under xdist)
    fresh = MANIFEST.with_suffix(".json.tmp")
    fresh.write_text(
        json.dumps(dict(sorted(entries.items())), ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    os.replace(fresh, MANIFEST)


def figures() -> set[str]:
    """Every screenshot name the help templates show (``figure('name', …)``)."""
    found: set[str] = set()
    for path in (TEMPLATES / "help").rglob("*.html"):
        found |= set(re.findall(r"figure\('([a-z0-9-]+)'", path.read_text(encoding="utf-8")))
    return found
