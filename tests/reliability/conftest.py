"""Shared by the reliability tests (``make test-reliability``): their bounded durations, the
figures each test writes, the «reliability figures» table printed at the end of the run, and
the demo school on PostgreSQL that the load and crash tests drive over HTTP.

Every test records its figures as ``test-artifacts/reliability/<name>.json`` —
``{"name": ..., "figures": {label: number}, "notes": [...]}`` (notes optional) — and the
summary prints every such file of the run in one table.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from _pytest.terminal import TerminalReporter

from domain import clock
from tests.conftest import ROOT, postgres_url
from tests.httpload.app import App
from tests.httpload.database import drop_schema, server_url, with_schema
from tests.httpload.school import entry_days, school_year
from tests.reliability.harness import Audit, Load, describe, figures_of

ARTIFACTS = ROOT / "test-artifacts" / "reliability"


def env_number(name: str, default: float) -> float:
    """A bounded duration or count from the environment (the CI defaults otherwise)."""
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        raise pytest.UsageError(f"{name} must be a number, got {raw!r}") from None


#: Concurrent simulated teachers (threads with their own HTTP sessions).
CLIENTS = int(env_number("EJOURNAL_RELIABILITY_CLIENTS", 30))
#: Seconds of load in the load test, and of load under kills in the crash test.
LOAD_SECONDS = env_number("EJOURNAL_RELIABILITY_LOAD_SECONDS", 30)
CRASH_SECONDS = env_number("EJOURNAL_RELIABILITY_CRASH_SECONDS", 45)
#: The least number of SIGKILLs (server and worker together) in the crash test.
KILLS = int(env_number("EJOURNAL_RELIABILITY_KILLS", 20))


def write_figures(name: str, figures: dict[str, float], notes: list[str] | None = None) -> Path:
    """Record a test's figures for the summary table (and for docs/reliability.md)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    data: dict[str, object] = {"name": name, "figures": figures}
    if notes:
        data["notes"] = notes
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


#: ``make test-reliability`` runs in two passes (the parallel one, then the serial one with
#: this variable set): the second keeps the first pass's figures and prints them all.
APPEND_VAR = "EJOURNAL_RELIABILITY_APPEND"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Figures of earlier runs are not this run's: remove them before any test writes — once,
    in the controlling process (never in a pytest-xdist worker, which starts when another may
    already have written), and not in the second pass of ``make test-reliability``."""
    if hasattr(session.config, "workerinput") or os.environ.get(APPEND_VAR) == "1":
        return
    if ARTIFACTS.is_dir():
        for old in ARTIFACTS.glob("*.json"):
            old.unlink()


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """Print every figures file of the run in one table, «reliability figures»."""
    files = sorted(ARTIFACTS.glob("*.json")) if ARTIFACTS.is_dir() else []
    if not files:
        return
    write = terminalreporter.write_line
    terminalreporter.section("reliability figures")
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            name, figures = str(data["name"]), dict(data["figures"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            write(f"{path.name}: unreadable ({type(error).__name__})")
            continue
        width = max((len(str(label)) for label in figures), default=10)
        write(f"{name}")
        for label, value in figures.items():
            shown = f"{value:,.0f}" if isinstance(value, int | float) else str(value)
            if isinstance(value, float) and not value.is_integer():
                shown = f"{value:,.2f}"
            write(f"    {label:<{width}}  {shown:>10}")
        for note in data.get("notes") or ():
            write(f"    note: {note}")


# --- the accounting every run under load ends with (load, crash, failover) ---------------
def run_figures(
    found: Audit, load: Load, seconds: float, rows: int, views_equal: bool, ledger: str
) -> dict[str, float]:
    """The figures of a run under load: the acknowledged-vs-found accounting
    (``figures_of``), then the teachers, the seconds, and the two checks after it."""
    return figures_of(found, load) | {
        "teachers": CLIENTS,
        "seconds of load": round(seconds, 1),
        "view rows compared with a rebuild": rows,
        "views equal a rebuild": int(views_equal),
        "ledger verifies": int("ledger OK" in ledger),
    }


def assert_nothing_lost(found: Audit, views_equal: bool, ledger: str) -> None:
    """What a run under load must show: the teachers got commands saved; every acknowledged
    command is stored, none twice (nor a re-sent form's mark recorded again); no answer was
    a 5xx; the views equal a rebuild; the ledger verifies."""
    assert found.acknowledged > CLIENTS, "the teachers got (almost) nothing saved"
    assert not found.lost, f"acknowledged but not stored: {found.lost[:10]}"
    assert not found.duplicated and not found.stray_marks, (
        f"stored twice: {found.duplicated[:10]}; {found.stray_marks} marks of re-sent forms"
    )
    assert not found.server_errors, describe(found)
    assert views_equal, "the views differ from a rebuild"
    assert "ledger OK" in ledger


# --- the demo school on PostgreSQL ---------------------------------------------------------
@dataclass
class School:
    """The seeded demo school: its app (processes not started), database and entry days."""

    app: App
    server: str  # the PostgreSQL server's URL (no schema)
    schema: str
    folder: Path
    days: list[date]  # days the teachers may enter lessons for, today first
    notes: list[str]

    @property
    def var_dir(self) -> Path:
        return self.folder / "var"


def _policies_for(today: date, folder: Path) -> tuple[Path, list[date], list[str]]:
    """The repository's policies, or — when no school day of the current year lies within
    the entry deadline (the holidays) — a copy whose deadline reaches back into the last
    quarter, so that teachers can still save lessons; the note says so."""
    year = school_year(today)
    days = entry_days(year, today)
    if days:
        return ROOT / "policies", days, []
    copy = folder / "policies"
    shutil.copytree(ROOT / "policies", copy)
    journal = copy / "journal.toml"
    text = journal.read_text(encoding="utf-8")
    deadline = tomllib.loads(text)["entry_deadline_days"]
    journal.write_text(
        text.replace(f"entry_deadline_days = {deadline}", "entry_deadline_days = 120"),
        encoding="utf-8",
    )
    days = entry_days(year, today, copy)[:3]
    note = (
        f"{today} is in the school holidays: the entry deadline was raised from {deadline} "
        f"to 120 days (a copy of policies/) so that lessons of {days[0] if days else '—'} "
        "could be saved"
    )
    return copy, days, [note]


@pytest.fixture(scope="session")
def school(request: pytest.FixtureRequest) -> Iterator[School]:
    """The demo school of the current school year (``ejournal demo`` in a subprocess), in a
    fresh PostgreSQL schema, seeded once for the load and the crash test; dropped at the end.
    Its tests are marked ``alone``: never in a pytest-xdist worker, beside other tests."""
    if hasattr(request.config, "workerinput"):
        pytest.fail(
            "the load, crash and restore tests (marked alone) run in one process with no other "
            "test at once: run them without -n (make test-reliability does)"
        )
    server = server_url(postgres_url())
    schema = f"rel_{uuid.uuid4().hex[:10]}"
    folder = Path(tempfile.mkdtemp(prefix="ejournal-reliability-"))
    policies, days, notes = _policies_for(clock.today(), folder)
    if not days:
        pytest.fail(f"no school day to enter lessons for on {clock.today()}")
    app = App(folder, with_schema(server, schema), threads=8)
    app.env["EJOURNAL_POLICIES_DIR"] = str(policies)
    try:
        # Six weeks, as before the demo reached today: the load and crash runs need a school,
        # not a whole term of history (which doubles the PostgreSQL seeding).
        app.seed(school_year(clock.today()), weeks=6, cheap_passwords=True)
        yield School(app, server, schema, folder, days, notes)
    finally:
        app.stop()
        drop_schema(server, schema)
        drop_schema(server, f"{schema}_rebuild")
        shutil.rmtree(folder, ignore_errors=True)
