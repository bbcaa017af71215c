"""The ``ejournal`` command line (operator tool). Help texts come from the docstrings."""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import click
import psycopg
from psycopg import sql

from domain import auth_context, clock
from domain.auth_context import AuthenticatedBy
from domain.errors import DomainError, RecordUnauthentic
from ejournal import driver_errors
from ejournal.bootstrap import DatabaseUnavailable, StorageError, System, build
from ejournal.exitcodes import Exit, Refused, epilog
from ejournal.keyring import KeyringError
from ejournal.keystore import DEMO_SEEDED
from ejournal.policy_record import demo_rules, record_at_start
from ejournal.policyfiles import PolicyError, load_policies
from ejournal.settings import Settings, SettingsError
from projections.ledger import LedgerError
from projections.storage_errors import StorageUnavailable, storage_problem
from projections.store import jsonable

#: The commands a disabled school still answers: what an operator needs to check it, move
#: it between clusters (backup, restore) or enable it again.
WHILE_DISABLED = frozenset({"backup", "restore", "ledger", "views", "info", "school", "policies"})


def _base_settings() -> Settings:
    """The deployment's settings, before any school of a regional deployment is chosen."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise Refused(Exit.SETTINGS, str(error)) from None


def _chosen_school() -> str | None:
    """``--school CODE`` (or EJOURNAL_SCHOOL) of this command line."""
    ctx = click.get_current_context(silent=True)
    return (ctx.find_root().obj or {}).get("school") if ctx else None


def _regional(settings: Settings) -> bool:
    """Whether ``settings`` is a regional deployment's (its registry exists; ADR 0027). An
    unreachable database counts as not: the command's own start then says why."""
    from ejournal.region import Registry

    if settings.database.backend != "postgres":
        return False
    try:
        return Registry(settings).exists()
    except psycopg.Error:
        return False


def _settings() -> Settings:
    """The settings of the school this command acts on: in a regional deployment the school
    of ``--school`` (refused when there is none, or when it is disabled and the command is
    not one of ``WHILE_DISABLED``); otherwise the one school of the deployment."""
    from ejournal.region import RegionError, Registry, school_settings

    base = _base_settings()
    code = _chosen_school()
    if not _regional(base):
        if code and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", code):
            raise Refused(Exit.SETTINGS, "--school: lowercase letters, digits, '-' and '_'")
        return replace(base, school=code) if code else base
    if not code:
        raise Refused(
            Exit.SETTINGS,
            "this deployment serves several schools: name one with --school CODE (or "
            "EJOURNAL_SCHOOL); `ejournal school list` lists them",
        )
    try:
        school = Registry(base).school(code)
        chosen = school_settings(base, school, os.environ)
    except (RegionError, SettingsError) as error:
        raise Refused(Exit.SETTINGS, str(error)) from None
    ctx = click.get_current_context(silent=True)
    command = ctx.find_root().invoked_subcommand if ctx else None
    if not school.active and command not in WHILE_DISABLED:
        raise Refused(
            Exit.FAILED,
            f"school {code} is disabled: it serves nothing until `ejournal school enable "
            f"{code}` (backup, restore, ledger, views and info still work)",
        )
    return chosen


def _create_asked() -> bool:
    """True when the command line says ``ejournal --create …``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and (ctx.find_root().obj or {}).get("create"))


def _system(settings: Settings | None = None, *, create: bool = False) -> System:
    """Build the system or stop with one clear message and the exit code of its class
    (``ejournal.exitcodes``), nothing written. A SQLite file that does not exist is refused
    (exit 5) unless ``create`` (``demo``, ``restore``) or ``ejournal --create``."""
    settings = settings or _settings()
    try:
        return build(settings, create=create or _create_asked())
    except PolicyError as error:
        raise Refused(Exit.POLICIES, "invalid policies:\n" + str(error)) from None
    except StorageError as error:
        raise Refused(Exit.STORAGE, str(error)) from None
    except StorageUnavailable as error:
        raise Refused(Exit.STORAGE, f"{settings.database_url}: {error.text}") from None
    except LedgerError as error:
        raise Refused(Exit.SIGNING_KEY, str(error)) from None
    except KeyringError as error:
        raise Refused(Exit.MASTER_KEY, str(error)) from None
    except DatabaseUnavailable as error:
        raise Refused(Exit.DATABASE, f"{error} ({settings.database_url})") from None


def _operator() -> str:
    """The operating-system user running the command (who acts at the server's shell)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


class _Main(click.Group):
    """The command group; a command that finds the database full or read-only stops with
    the Russian message and exit code 8 (nothing half-written: transactions are atomic)."""

    def invoke(self, ctx: click.Context) -> Any:
        driver_errors.install()  # so that ``storage_problem`` knows psycopg's and sqlite3's
        try:
            # Events caused from the shell say so (ADR 0011); ``api-token issue`` narrows
            # it to the person whose password it read.
            with auth_context.authenticated(AuthenticatedBy("cli", _operator())):
                return super().invoke(ctx)
        except click.ClickException:
            raise
        except RecordUnauthentic as error:  # a stored row forged or altered: one line
            raise click.ClickException(error.text) from None
        except Exception as error:
            problem = storage_problem(error)
            if problem is None:
                raise
            raise Refused(Exit.STORAGE, problem.text) from None


@click.group(cls=_Main, epilog=epilog())
@click.option(
    "--create",
    is_flag=True,
    help="Create the SQLite database when its file does not exist (otherwise refused: a "
    "mistyped path must not start an empty school; `demo` and `restore` create it anyway).",
)
@click.option(
    "--school",
    metavar="CODE",
    envvar="EJOURNAL_SCHOOL",
    default=None,
    help="The school to act on in a regional deployment (or EJOURNAL_SCHOOL; `school list` "
    "lists them). Without it a regional deployment's `serve` and `worker` serve every school.",
)
@click.pass_context
def main(ctx: click.Context, create: bool, school: str | None) -> None:
    """ejournal — an event-sourced electronic school journal («электронный журнал»).

    Settings come from EJOURNAL_* environment variables (see README.md). A command refuses to
    start, with one message and nothing written, when a setting, a policy, the database, a
    key or a storage folder is wrong; its exit code names which (README, «Start-up
    refusals»).
    """
    ctx.ensure_object(dict).update(create=create, school=school)


# --- policies ------------------------------------------------------------------------------
@main.group()
def policies() -> None:
    """Policy files (policies/*.toml): the journal's rules as data."""


@policies.command("check")
def policies_check() -> None:
    """Validate every policy file (with `--school`, with that school's overlay); exit 4 naming
    the file and key of each error. In a regional deployment without `--school` only the files
    are checked."""
    base = _base_settings()
    regional_files_only = not _chosen_school() and _regional(base)
    settings = base if regional_files_only else _settings()
    folder = settings.policies_dir
    try:
        load_policies(folder, settings.policies_overlay)
    except PolicyError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(Exit.POLICIES)
    click.echo(f"policies OK: {', '.join(sorted(p.name for p in folder.glob('*.toml')))}")
    if regional_files_only:
        return
    database = settings.database
    if database.backend == "sqlite" and not Path(database.path or "").exists():
        click.echo("accounts not checked: no database yet")
        return
    with _system(settings) as built:
        built.views.catch_up()
        items = built.views.reads.accounts.accounts(clock.now())
        duties = built.views.policies.access.duties
    bad = [(a, duties.conflicts(set(a.roles) | {r for r, _ in a.pending})) for a in items]
    bad = [(a, c) for a, c in bad if c]
    for account, conflicts in bad:
        pairs = ", ".join(f"{x} + {y}" for x, y in conflicts)
        click.echo(f"incompatible roles: {account.login}: {pairs}", err=True)
    if bad:
        sys.exit(Exit.POLICIES)
    click.echo(f"accounts OK: {len(items)} checked against [duties.incompatible]")


# --- demo ----------------------------------------------------------------------------------
def _has_events(system: System) -> bool:
    return bool(system.journal.recorder.max_notification_id())


def _reset(settings: Settings) -> None:
    """Erase the database, keyring and master key of the configured school."""
    db = settings.database
    if db.backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(db.path + suffix).unlink(missing_ok=True)
    elif settings.regional:  # the school's own schema, whole; the deployment's key stays
        with psycopg.connect(db.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(db.schema))
            )
    else:
        with psycopg.connect(db.conninfo(), autocommit=True) as conn:
            schema = sql.Identifier(db.schema or "public")
            for table in ("ejournal_events", "ejournal_keyring", "ejournal_keyring_meta"):
                conn.execute(
                    sql.SQL("DROP TABLE IF EXISTS {}.{} CASCADE").format(
                        schema, sql.Identifier(table)
                    )
                )
            conn.execute(sql.SQL("DROP TYPE IF EXISTS {}.stored_event_uuid CASCADE").format(schema))
    if not settings.regional:
        settings.master_key_file.unlink(missing_ok=True)
    settings.demo_logins_file.unlink(missing_ok=True)


@main.command()
@click.option("--reset", is_flag=True, help="Erase the database and keys first.")
@click.option("--if-empty", is_flag=True, help="Do nothing (exit 0) when already seeded.")
@click.option(
    "--year",
    default=None,
    help="School year to seed, e.g. 2025/26 or 2025-26 (default: the current one, so that "
    "teachers can enter today's lessons). Lessons are held up to today only; a past year is "
    "complete: term and year marks, exam and final marks in the grades with exams, the "
    "pedagogical council's decisions — ready for `year close` and `archive close-year`.",
)
@click.option(
    "--weeks",
    type=click.IntRange(min=1),
    default=None,
    help="Hold lessons in the first N weeks only (default: every school day from "
    "1 September up to today).",
)
@click.option(
    "--classes",
    type=click.IntRange(1, 20),
    default=8,
    show_default=True,
    help="Number of classes, two a grade from 5: 8 is 5А–8Б, 10 adds 9А and 9Б (exams).",
)
@click.option(
    "--pupils", type=click.IntRange(min=1), default=25, show_default=True, help="Pupils a class."
)
@click.option(
    "--seed", default=2025, show_default=True, help="Random seed (same seed, same school)."
)
def demo(
    reset: bool,
    if_empty: bool,
    year: str | None,
    weeks: int | None,
    classes: int,
    pupils: int,
    seed: int,
) -> None:
    """Seed a realistic demo school and print a login for every role: a timetable (bells,
    holidays, weekly patterns, thematic plans, substitutions) and from it lessons with topics,
    homework, marks and attendance every school day from 1 September up to today, term marks
    of the quarters already over, corrections and requests, news the family accounts have
    not read yet; a past year (--year) complete to its council's decisions."""
    from domain import clock, ids
    from ejournal.demo import parse_year, seed_demo

    year = year.strip().replace("-", "/", 1) if year else ids.school_year_of(clock.today())
    try:
        parse_year(year)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--year") from None

    settings = _settings()
    if reset:
        _reset(settings)
    with _system(settings, create=True) as system:
        if _has_events(system):
            if if_empty:
                click.echo(f"demo school already seeded; logins: {settings.demo_logins_file}")
                return
            raise click.ClickException(
                "the database already holds a school; use --reset to erase it first"
            )
        started = time.perf_counter()
        with click.progressbar(length=100, label="Заполнение демо-школы") as bar:

            def progress(stage: str, done: int, total: int) -> None:
                bar.label = f"{stage:<28}"
                bar.update(int(100 * done / max(total, 1)) - bar.pos)

            # Seed first, then build the views once: faster than after every command.
            listeners = list(system.journal.saved_listeners)
            system.journal.saved_listeners.clear()
            try:
                school = seed_demo(
                    system.journal,
                    year=year,
                    seed=seed,
                    progress=progress,
                    weeks=weeks,
                    classes=classes,
                    pupils_per_class=pupils,
                    school=settings.school,
                    catch_up=system.views.catch_up,
                )
            finally:
                system.journal.saved_listeners[:] = listeners
        system.views.rebuild()
        demo_rules(system, school.year_id)  # the rules recorded and approved by the head
        for account, pupil, moment in school.read_up_to:  # «что нового» starts there
            system.views.seen.visit(str(account), str(pupil), "demo", moment)
        system.ledger.checkpoint()  # the seeded history is sealed from the start
        system.keyring.store.set_meta(DEMO_SEEDED, b"1")  # the start page may list the logins
        elapsed = time.perf_counter() - started
    logins = [
        {"role": role, "login": login, "password": password}
        for role, login, password in school.logins
    ]
    path = settings.demo_logins_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(logins, ensure_ascii=False, indent=1), encoding="utf-8")
    path.chmod(0o600)
    click.echo(
        f"seeded in {elapsed:.1f} s: {len(school.classes)} classes, {school.pupils} pupils, "
        f"{school.guardians} guardians, {school.teachers} teachers, {school.lessons} lessons, "
        f"{school.marks} marks, {school.corrections} corrections, {school.events} events"
    )
    if school.decisions:
        click.echo(
            f"year {year} complete: {school.year_marks} year marks, {school.exam_marks} exam "
            f"marks, {school.decisions} council decisions — ready for `ejournal year close "
            f"{year} --as deputy` and `ejournal archive close-year {year} --as head`"
        )
    click.echo(f"{'role':<14} {'login':<12} password")
    for row in logins:
        click.echo(f"{row['role']:<14} {row['login']:<12} {row['password']}")


# --- history -------------------------------------------------------------------------------
_plain = jsonable


@main.command()
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def history(record_id: str, as_json: bool) -> None:
    """Print every event of a record (aggregate) in order: time, actor, type, reason, values.

    Personal data is decrypted: this is an operator tool for authorised use.
    """
    try:
        uid = UUID(record_id)
    except ValueError:
        raise click.BadParameter("not a record id (UUID)", param_hint="RECORD_ID") from None
    with _system() as system:
        journal = system.journal
        try:
            entries = journal.queries.history(uid)
        except DomainError as error:
            raise click.ClickException(str(error)) from None
        logins: dict[UUID, str] = {}

        def who(actor: UUID | None) -> str:
            if actor is None:
                return ""
            if actor not in logins:
                try:
                    logins[actor] = journal.queries.account(actor).login
                except DomainError:
                    logins[actor] = "system" if actor.int == 0 else str(actor)
            return logins[actor]

        rows = [
            {
                "version": e.version,
                "time": _plain(e.time),
                "actor": _plain(e.actor),
                "actor_login": who(e.actor),
                "type": e.type,
                "reason": e.reason,
                "values": _plain(e.values),
                "redacted": e.redacted,
            }
            for e in entries
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        values = ", ".join(f"{k}={v}" for k, v in row["values"].items())
        reason = f" — причина: {row['reason']}" if row["reason"] else ""
        click.echo(
            f"v{row['version']:<3} {row['time'] or '(уничтожено)':<32} "
            f"{row['actor_login']:<12} {row['type']:<20}{reason}  {values}"
        )


# --- serve ---------------------------------------------------------------------------------
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per process.")
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port (use about one per CPU core).",
)
def serve(host: str, port: int, threads: int, processes: int) -> None:
    """Serve the web UI with a production WSGI server (waitress)."""
    from ejournal.server import serve as run_server
    from ejournal.webapp import (
        SecretKeyError,
        check_web_app,
        read_secret_key,
        secret_key,
        web_app,
    )
    from web.access import UndeclaredPermission

    base = _base_settings()
    if not _chosen_school() and _regional(base):
        _serve_region(base, host, port, threads, processes)
        return
    settings = _settings()
    try:
        read_secret_key(settings.secret_key_file)
    except SecretKeyError as error:
        raise Refused(Exit.SIGNING_KEY, str(error)) from None
    try:  # a route's permission missing from access.toml: refused, nothing opened
        check_web_app(load_policies(settings.policies_dir))
    except PolicyError:
        pass  # refused below with every problem of the files
    except UndeclaredPermission as error:
        raise Refused(Exit.POLICIES, f"invalid policies: {error}") from None
    with _system(settings) as started:  # refuse to start (one clear message) before listening
        told = started.records.at_start()  # after an upgrade: recorded, never silent
        told.append(record_at_start(started))  # the policies it runs with (ADR 0025)
    for line in filter(None, told):
        click.echo(line)
    secret_key(settings.secret_key_file)  # made once here, not raced by server processes

    # Each request holds one connection of the views' pool while it runs.
    served = replace(settings, view_pool_size=max(settings.view_pool_size, threads + 4))

    def factory() -> tuple[object, Callable[[], None]]:
        system = _system(served)
        return web_app(system), system.close

    click.echo(
        f"ejournal on http://{host}:{port}/ ({settings.database_url}; "
        f"{processes} process{'es' if processes > 1 else ''} × {threads} threads)"
    )
    run_server(factory, host, port, threads, processes)


def _serve_region(base: Settings, host: str, port: int, threads: int, processes: int) -> None:
    """Serve every school of a regional deployment (``ejournal.tenants``): each is checked
    at start (one clear refusal), its web secret made before the server processes fork."""
    from ejournal.region import Registry, school_settings
    from ejournal.server import serve as run_server
    from ejournal.tenants import regional_app, with_pool
    from ejournal.webapp import secret_key

    schools = [s for s in Registry(base).schools() if s.active]
    for school in schools:
        with _system(school_settings(base, school, os.environ)) as started:
            for line in started.records.at_start():
                click.echo(f"{school.code}: {line}")
        secret_key(started.settings.secret_key_file)
    secret_key(base.secret_key_file)  # the regional pages' own
    served = with_pool(base, threads)

    def factory() -> tuple[object, Callable[[], None]]:
        app = regional_app(served, os.environ)
        return app, app.close

    click.echo(
        f"ejournal (regional: {len(schools)} active schools at /s/CODE/, regional pages at "
        f"/region/) on http://{host}:{port}/ ({base.database_url}; {processes} × {threads})"
    )
    run_server(factory, host, port, threads, processes)


# --- views -------------------------------------------------------------------------------
@main.group()
def views() -> None:
    """Views (read models) built from the event log: rebuild and status."""


@views.command("rebuild")
@click.option("--view", "names", multiple=True, help="Rebuild only this view (repeatable).")
@click.option(
    "--nice",
    "niceness",
    type=click.IntRange(0, 19),
    default=10,
    show_default=True,
    help="Lower this process's CPU priority by this much: the pages of the schools being "
    "served come first (0: full speed, e.g. while the service is stopped).",
)
def views_rebuild(names: tuple[str, ...], niceness: int) -> None:
    """Drop and rebuild views from the whole event log, then print their row counts."""
    if niceness:
        os.nice(niceness)
    with _system() as system:
        try:
            selected = [
                n if n == "ledger" else system.views.processor.view(n).name for n in names
            ] or None
        except KeyError as error:
            raise click.BadParameter(str(error.args[0]), param_hint="--view") from None
        head = system.journal.recorder.max_notification_id() or 0
        started = time.perf_counter()
        with click.progressbar(length=max(head, 1), label="Перестроение представлений") as bar:
            position = system.views.rebuild(
                selected, progress=lambda done, _total: bar.update(done - bar.pos)
            )
        elapsed = time.perf_counter() - started
        click.echo(
            f"rebuilt to event {position} in {elapsed:.1f} s "
            f"({position / max(elapsed, 1e-9):,.0f} events/s)"
        )
        for table, count in system.views.counts(selected).items():
            click.echo(f"  {table:<28} {count:>9} rows")


@views.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def views_status(as_json: bool) -> None:
    """Print the position and lag of every view."""
    with _system() as system:
        rows = system.views.status()
    if as_json:
        click.echo(json.dumps([vars(r) for r in rows], ensure_ascii=False, indent=1))
        return
    for r in rows:
        click.echo(f"{r.name:<14} position {r.position:>9}  lag {r.lag:>7}  {r.title}")


@main.command()
@click.option("--poll", default=1.0, show_default=True, help="Seconds between polls.")
@click.option(
    "--lanes",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="A regional deployment: threads serving its schools, views before ledgers.",
)
def worker(poll: float, lanes: int) -> None:
    """Keep the views up to date continuously (PostgreSQL: woken by LISTEN/NOTIFY)."""
    import signal
    import threading

    from ejournal.worker import run_worker

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    base = _base_settings()
    if not _chosen_school() and _regional(base):
        _region_workers(base, stop, poll, lanes)
        return
    with _system() as system:
        for line in [*system.records.at_start(), record_at_start(system)]:
            if line:
                click.echo(line)
        click.echo(f"worker: keeping views of {system.settings.database_url} up to date")
        run_worker(system, stop, poll, _mail_tick(system))


def _region_workers(base: Settings, stop: Any, poll: float, lanes: int) -> None:
    """The active schools of a regional deployment served by ``lanes`` threads (ADR 0035),
    one LISTEN connection per cluster; schools added, enabled or disabled while it runs are
    taken up or let go within ``EJOURNAL_REGISTRY_SECONDS`` (5) seconds (ADR 0030)."""
    from ejournal.region import Registry, school_settings
    from ejournal.worker import RegionWorkers

    every = os.environ.get("EJOURNAL_REGISTRY_SECONDS") or "5"
    try:
        seconds = float(every)
        if not 0.1 <= seconds <= 3600:
            raise ValueError(every)
    except ValueError:
        raise SettingsError("EJOURNAL_REGISTRY_SECONDS: seconds from 0.1 to 3600") from None
    registry = Registry(base)
    RegionWorkers(
        registry.schools,
        lambda school: _system(school_settings(base, school, os.environ)),
        poll=poll,
        registry_seconds=seconds,
        lanes=lanes,
        tick_of=_mail_tick,
        said=click.echo,
    ).run(stop)


def _mail_tick(system: System) -> Callable[[], None] | None:
    """The worker's e-mail round (``ejournal notify``), when EJOURNAL_SMTP_URL is set."""
    from ejournal.cli_notify import mail_settings, notifier

    settings = mail_settings()
    if settings.smtp is None:
        return None
    click.echo(f"worker: sending notifications through {settings.smtp.shown}")
    return notifier(system, settings).tick


def _iso_date(value: str | None, hint: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("not a date (2026-03-14)", param_hint=hint) from None


@main.command()
@click.argument("view")
@click.option(
    "--as-of",
    "as_of",
    required=True,
    help='Moment, e.g. "2026-03-14T12:00" (school time unless an offset is given).',
)
@click.option("--course", help="Course journal id (grid, term-marks).")
@click.option(
    "--term", type=int, help="Term number (grid, class-journal, term-marks, completeness)."
)
@click.option(
    "--group",
    help="Class or group id (class-journal, year-marks, summary, attendance, completeness).",
)
@click.option("--student", help="Pupil id (diary).")
@click.option("--record", help="Record id (history).")
@click.option("--year", help="School year id (diary).")
@click.option("--from", "first", help="First date (attendance, diary).")
@click.option("--to", "last", help="Last date (attendance, diary).")
@click.option("--json", "json_out", is_flag=True, help="Print JSON.")
def replay(view: str, as_of: str, json_out: bool, **filters: Any) -> None:
    """Print a view as it stood at a moment, rebuilt in memory from the events.

    VIEW: grid, class-journal, term-marks, year-marks, summary, diary, attendance,
    completeness or history; each needs its filters. Personal data is decrypted: an
    operator tool for authorised use.
    """
    from ejournal.replay import REPLAYS, as_json, render

    if view not in REPLAYS:
        raise click.BadParameter(f"one of: {', '.join(REPLAYS)}", param_hint="VIEW")
    try:
        moment = datetime.fromisoformat(as_of)
    except ValueError:
        raise click.BadParameter(
            "not a date and time (2026-03-14T12:00)", param_hint="--as-of"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.SCHOOL_TZ)
    filters["first"] = _iso_date(filters["first"], "--from")
    filters["last"] = _iso_date(filters["last"], "--to")
    missing = [n for n in REPLAYS[view].needs if filters.get(n) in (None, "")]
    if view == "diary" and not filters.get("year") and not (filters["first"] and filters["last"]):
        missing.append("year (or from and to)")
    if missing:
        raise click.UsageError(f"view {view} needs: {', '.join('--' + m for m in missing)}")
    # An operator's tool (personal data decrypted): attendance codes as recorded, «Б» too.
    with _system() as system, system.views.reading_codes(allowed=True):
        try:
            result = REPLAYS[view].query(system.views, moment, filters)
        except (LookupError, ValueError) as error:
            raise click.ClickException(str(error)) from None
        click.echo(as_json(result) if json_out else render(system.views, result))


# --- ledger ------------------------------------------------------------------------------
@main.group()
def ledger() -> None:
    """The tamper-evident ledger: a Merkle tree over every event, signed checkpoints."""


def _read_checkpoint(path: str) -> Any:
    """A checkpoint kept outside the system: an exported JSON file, or the one an annual
    archive volume (PDF) carries in its metadata (see ``_signed``)."""
    from projections.ledger import Checkpoint, LedgerError

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror}") from None
    if not data.startswith(b"%PDF-"):
        try:
            return Checkpoint.from_json(data.decode("utf-8"))
        except (LedgerError, UnicodeDecodeError) as error:
            problem = error if isinstance(error, LedgerError) else "not UTF-8 text"
            raise click.ClickException(f"{path}: {problem}") from None
    from retention.archive.verify import NoCheckpoint, printed_checkpoint

    try:
        printed = printed_checkpoint(data)
    except NoCheckpoint as error:
        raise click.ClickException(f"{path}: {error}") from None
    if not printed["size"].isdigit():
        raise click.ClickException(f"{path}: ledger-size is not a number: {printed['size']!r}")
    size = int(printed["size"])
    return Checkpoint(
        size, printed["root"], printed["time"], printed["key_id"], printed["signature"]
    )


def _signed(checkpoint: Any, system: System) -> Any:
    """``checkpoint``, or — read from a PDF made before the signature was put in its
    metadata — with the signature of the stored checkpoint that has the same size, root,
    time and key id (checked like any other afterwards: it signs exactly those fields)."""
    if checkpoint.signature:
        return checkpoint
    fields = (checkpoint.size, checkpoint.root, checkpoint.time, checkpoint.key_id)
    for stored in system.ledger.checkpoints():
        if (stored.size, stored.root, stored.time, stored.key_id) == fields:
            return stored
    return checkpoint


@ledger.command("verify")
@click.option(
    "--against",
    "against",
    type=click.Path(dir_okay=False),
    help="A checkpoint exported earlier and kept outside the system.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def ledger_verify(against: str | None, as_json: bool) -> None:
    """Recompute the tree from the event table; check every checkpoint and signature.

    Exit 0 when intact; exit 1 naming the first bad notification id and what is wrong.
    """
    checkpoint = _read_checkpoint(against) if against else None
    with _system() as system:
        if checkpoint is not None:
            checkpoint = _signed(checkpoint, system)
        verdict = system.ledger.verify(checkpoint)
        unsealed = max(0, verdict.events - system.ledger.head().size)
    if as_json:
        click.echo(json.dumps(vars(verdict) | {"unsealed": unsealed}, ensure_ascii=False))
    elif verdict.ok:
        tail = f" ({unsealed} newest not yet sealed)" if unsealed > 0 else ""
        click.echo(f"ledger OK: {verdict.events} events, {verdict.checkpoints} checkpoints{tail}")
    else:
        where = "" if verdict.first_bad is None else f" at notification {verdict.first_bad}"
        click.echo(f"LEDGER BROKEN{where}: {verdict.problem}", err=True)
    if not verdict.ok:
        sys.exit(1)


@ledger.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def ledger_status(as_json: bool) -> None:
    """Print how far sealing has come: sealed events, the log's head, the latest checkpoint,
    and where sealing is halted (exit 1) when a stored row failed authentication."""
    with _system() as system:
        status = system.ledger.status()
        latest = system.ledger.latest()
    halt = status.halt
    if as_json:
        click.echo(
            json.dumps(
                {
                    "sealed": status.size,
                    "last_sealed": status.last_position,
                    "head": status.head,
                    "unsealed": status.unsealed,
                    "checkpoint": None if latest is None else latest.size,
                    "halted_at": None if halt is None else halt.position,
                    "problem": None if halt is None else halt.problem,
                },
                ensure_ascii=False,
            )
        )
    else:
        checkpoint = "none" if latest is None else f"size {latest.size} at {latest.time}"
        click.echo(
            f"sealed {status.size} events up to notification {status.last_position}; "
            f"log head {status.head}; latest checkpoint {checkpoint}"
        )
        if halt is not None:
            click.echo(
                f"SEALING HALTED at notification {halt.position}: {halt.problem} — "
                "quarantine: docs/operations.md, «Карантин подложного события»",
                err=True,
            )
    if halt is not None:
        sys.exit(1)


@ledger.command("checkpoint")
@click.option(
    "--export",
    "export",
    type=click.Path(dir_okay=False),
    help="Also write the checkpoint to this file (for an auditor to keep).",
)
def ledger_checkpoint(export: str | None) -> None:
    """Sign a checkpoint of the current tree head (on demand)."""
    from projections.ledger import write_atomically

    with _system() as system:
        checkpoint = system.ledger.checkpoint()
    text = checkpoint.to_json()
    if export:
        try:
            write_atomically(Path(export), text + "\n")
        except OSError as error:
            raise click.ClickException(f"cannot write {export}: {error.strerror}") from None
    click.echo(text)


@ledger.command("prove")
@click.argument("event")
def ledger_prove(event: str) -> None:
    """Print an inclusion proof (JSON) of an event — its notification id, or a mark's id —
    against the latest checkpoint, with the event's stored row it is computed from
    (docs/ledger-json.md). The proof is verified before it is printed."""
    from projections.ledger import LedgerError

    with _system() as system:
        system.views.catch_up()
        position = _event_position(system, event)
        try:
            proof = system.ledger.prove(position)
        except LedgerError as error:
            raise click.ClickException(str(error)) from None
    click.echo(json.dumps(proof, indent=1))


def _event_position(system: System, event: str) -> int:
    if event.isdigit():
        return int(event)
    try:
        mark = UUID(event)
    except ValueError:
        raise click.BadParameter("a notification id or a mark id", param_hint="EVENT") from None
    rows = system.views.reads.audit.mark_history(str(mark))
    if not rows:
        raise click.ClickException(f"no mark {mark}")
    return rows[0].position


@ledger.command("consistency")
@click.argument("old_file", type=click.Path(dir_okay=False))
def ledger_consistency(old_file: str) -> None:
    """Print a consistency proof (JSON, RFC 9162 §2.1.4) from a checkpoint kept outside
    the system (an exported file or an archive PDF) to the latest one. Refused, printing no
    proof, unless both are signed by the school's key and the tree still has OLD's root."""
    from projections.ledger import LedgerError

    checkpoint = _read_checkpoint(old_file)
    with _system() as system:
        old = _signed(checkpoint, system)
        try:
            proof = system.ledger.consistency(old)
        except LedgerError as error:
            raise click.ClickException(str(error)) from None
    click.echo(json.dumps(proof, indent=1))


@ledger.command("public-key")
def ledger_public_key() -> None:
    """Print the school's ledger public key (PEM) for auditors."""
    from projections.ledger import public_pem

    with _system() as system:
        click.echo(public_pem(system.ledger.public), nl=False)


@main.command()
def info() -> None:
    """Print the effective settings (secrets redacted) and the store's size."""
    settings = _settings()
    with _system(settings) as system:
        click.echo(f"database     {settings.database_url}")
        if settings.read_database is not None:
            standby = settings.read_database
            click.echo(f"standby      {standby.where} (the diaries, reports and replays)")
        click.echo(f"master key   {settings.master_key_file}")
        click.echo(f"policies     {settings.policies_dir}")
        click.echo(f"var dir      {settings.var_dir}")
        click.echo(f"time zone    {settings.timezone}")
        click.echo(f"events       {system.journal.recorder.max_notification_id() or 0}")
        click.echo(f"series keys  {len(system.keyring.rows())}")


def _add_groups() -> None:
    from ejournal.cli_archive import archive, keys
    from ejournal.cli_backup import backup, restore
    from ejournal.cli_documents import (
        documents,
        policies_approve,
        policies_record,
        policies_versions,
    )
    from ejournal.cli_notify import notify
    from ejournal.cli_pd import pd
    from ejournal.cli_region import region
    from ejournal.cli_region import register as register_region
    from ejournal.cli_retention import retention
    from ejournal.cli_school import school
    from ejournal.cli_timetable import timetable
    from ejournal.cli_tokens import api_token
    from ejournal.cli_year import year

    register_region(school)
    for group in (
        year,
        school,
        region,
        retention,
        pd,
        api_token,
        keys,
        archive,
        backup,
        restore,
        notify,
        timetable,
    ):
        main.add_command(group)
    main.add_command(documents)
    for command in (policies_versions, policies_record, policies_approve):
        policies.add_command(command)


_add_groups()

if __name__ == "__main__":  # pragma: no cover
    main()
