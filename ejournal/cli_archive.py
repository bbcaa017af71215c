"""``ejournal keys`` and ``ejournal archive``: the demo PKI and the annual archive."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from uuid import UUID

import click

from domain import clock, ids
from domain.errors import DomainError
from ejournal.settings import Settings


@click.group()
def keys() -> None:
    """Signing keys and certificates."""


@keys.command("demo")
@click.option("--replace", is_flag=True, help="Replace an existing demo PKI.")
@click.option(
    "--gost",
    is_flag=True,
    help="Make the GOST test PKI under EJOURNAL_GOST_DIR (var/pki/gost) with OpenSSL's GOST "
    "engine (libengine-gost-openssl), and the RSA one if there is none yet.",
)
def keys_demo(replace: bool, gost: bool) -> None:
    """Make a throwaway PKI for the demo and tests under EJOURNAL_PKI_DIR (var/pki):
    root CA (root.pem, root.crl), head-of-school and class-teacher signing certificates and
    a timestamping certificate (PKCS#12 files with passphrase files), with real lifetimes:
    root 20 years, signers 3 years, TSA 10 years, CRL next update in 4 weeks (`archive
    refresh` publishes the next CRL and renews the TSA certificate). Never for real use.

    With --gost: a GOST R 34.10-2012 (256-bit) root and head-of-school certificate made by
    OpenSSL with the GOST engine; every volume and act then also gets FILE.pdf.sig, a
    detached CMS signature (GOST R 34.11-2012 hash) that `archive verify` checks."""
    from ejournal.cli import _settings
    from ejournal.pki import ROOT_PEM

    settings = _settings()
    if gost:
        from retention.archive.gost import engine_problem

        problem = engine_problem()  # before anything is replaced
        if problem:
            raise click.ClickException(problem)
        if replace or not (settings.archiving.pki_dir / ROOT_PEM).exists():
            _rsa_demo(settings, replace)
        _gost_demo(settings, replace)
        return
    _rsa_demo(settings, replace)


def _gost_demo(settings: Settings, replace: bool) -> None:
    from ejournal.gost_pki import GostPKIError, make_gost_pki

    folder = settings.archiving.gost_dir
    try:
        made = make_gost_pki(folder, settings.school, replace=replace)
    except GostPKIError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"GOST test PKI in {made.folder} (GOST R 34.10-2012 256-bit; throwaway)")
    click.echo(f"  GOST root      {made.root}")
    click.echo(f"  head (GOST)    {made.signer}  (key {made.key}, passphrase in {made.passphrase})")


def _rsa_demo(settings: Settings, replace: bool) -> None:
    from ejournal.pki import PKIError, make_demo_pki

    try:
        pki = make_demo_pki(settings.archiving.pki_dir, settings.school, replace=replace)
    except PKIError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"demo PKI in {pki.folder} (throwaway: the root key is beside it)")
    click.echo(f"  trust root     {pki.root}")
    click.echo(f"  revocation     {pki.crl}")
    for role, path in pki.pkcs12.items():
        click.echo(f"  {role:<14} {path}  (passphrase in {pki.passphrases[role]})")


@click.group()
def archive() -> None:
    """The annual archive: signed PDF/A class journals and summary sheets (63-FZ)."""


def _actor(login: str) -> UUID:
    return ids.account_id(login)


@archive.command("close-year")
@click.argument("year")
@click.option("--force", is_flag=True, help="Proceed although journals are incomplete.")
@click.option("--reason", default="", help="Why, when forced (recorded in every volume).")
@click.option(
    "--as", "login", required=True, help="Login of the head or deputy head making the archive."
)
def close_year(year: str, force: bool, reason: str, login: str) -> None:
    """Check completeness, close the school year (the cut-off of its record series), then
    render, sign (PAdES B-LTA) and capture every class's journal and summary sheet of YEAR
    (e.g. 2025/26) as PDF/A-2b under the archive folder, each registered with its series.

    Refuses, listing what is missing, unless --force with --reason (recorded in the year's
    close and in every volume). Warns after 30 June.
    """
    from ejournal.archiving import archiver
    from ejournal.cli import _system
    from projections.views import catalog
    from retention.archive.service import after_deadline
    from retention.archive.signing import SigningError

    if force and len(reason.strip()) < 5:
        raise click.UsageError("--force needs --reason (at least 5 characters)")
    with _system() as system:
        year_id = ids.school_year_id(system.settings.school, year)
        system.views.catch_up()
        with system.views.reader() as reader:
            row = reader.get(catalog.YEARS, (str(year_id),))
        if row is None:
            raise click.ClickException(f"no school year {year}")
        ends = date.fromisoformat(row["ends"])
        if after_deadline(ends, clock.today()):
            click.echo(
                f"ВНИМАНИЕ: архив за {year} формируется после 30 июня {ends.year} "
                "(срок по дорожной карте — не позднее 30 июня).",
                err=True,
            )
        try:
            service = archiver(system)
        except (SigningError, OSError, ValueError) as error:
            raise click.ClickException(f"cannot sign: {error}") from None
        _run(service, year_id, _actor(login), force, reason)
        with system.views.reader() as reader:
            closed = reader.get(catalog.YEARS, (str(year_id),))
        if closed is not None and closed["closed"]:
            click.echo(f"учебный год {year} закрыт: его серии записей больше не принимают событий")


def _run(service: object, year_id: UUID, actor: UUID, force: bool, reason: str) -> None:
    from retention.archive.gaps import ArchiveIncomplete
    from retention.archive.service import Archiver

    assert isinstance(service, Archiver)
    click.echo(f"timestamps: {service.setup.timestamper_name}")
    plan = service.plan(year_id)
    try:
        with click.progressbar(length=max(len(plan), 1), label="Архив") as bar:

            def progress(label: str, done: int, total: int, pages: int) -> None:
                bar.label = f"{label:<24} листов: {pages:>5}"
                bar.update(done - bar.pos)

            made = service.close_year(year_id, actor, force=force, reason=reason, progress=progress)
    except ArchiveIncomplete as error:
        click.echo("Журналы заполнены не полностью — архив не сформирован:", err=True)
        for gap in error.gaps:
            click.echo(f"  {gap.line()}", err=True)
        click.echo(
            f"Всего замечаний: {len(error.gaps)}. Исправьте или запустите с --force --reason.",
            err=True,
        )
        sys.exit(1)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    if not made:
        click.echo("nothing to do: every volume of this year is already in the archive")
        return
    for item in made:
        sig = f"  + {item.detached.name}" if item.detached else ""
        click.echo(f"  {item.path}  {item.pages:>4} pages  sha256 {item.sha256[:16]}…{sig}")
    click.echo(f"{len(made)} volumes, {sum(m.pages for m in made)} pages")


#: ``archive verify`` exit codes.
VERIFY_EXIT = {"valid": 0, "rejected": 1, "unusable": 2}


@archive.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--at",
    "at",
    default=None,
    help="Validate as of this date (YYYY-MM-DD), e.g. a future one: would the file, "
    "as it is now, still verify then?",
)
def verify(file: str, as_json: bool, at: str | None) -> None:
    """Verify an archive file: signatures (AdES, trust to the configured root), every
    document timestamp (chain, revocation data, time; B-LTA), PDF/A-2b of the unsigned
    first revision (and pikepdf's verdict on the whole file: SKIP when pikepdf cannot
    check signed content), hash in the register, checkpoint in the ledger, and FILE.sig
    beside it: its registered hash and, with a GOST root (EJOURNAL_GOST_ROOTS, `keys demo
    --gost`), `openssl cms -verify` with the GOST engine.

    A file whose series was handed over to an archive is reported «передано по акту № …».
    Exit 0 when every check that ran passed (VALID, or TRANSFERRED), 1 when one failed
    (REJECTED), 2 when the file or the configuration cannot be used (one line saying why,
    no traceback)."""
    from datetime import UTC, datetime, time

    from ejournal.archiving import gost_roots, trust_roots
    from ejournal.cli import _system
    from retention.archive.signing import SigningError
    from retention.archive.verify import verify_file

    moment = None
    if at:
        try:
            moment = datetime.combine(date.fromisoformat(at), time(12), tzinfo=UTC)
        except ValueError:
            raise click.UsageError(f"--at: дата в виде ГГГГ-ММ-ДД, а не «{at}»") from None
    try:
        data = Path(file).read_bytes()
        sig = Path(file + ".sig")
        detached = sig.read_bytes() if sig.is_file() else None
    except OSError as error:
        click.echo(f"{file}: не удаётся прочитать файл ({error.strerror})", err=True)
        sys.exit(VERIFY_EXIT["unusable"])
    with _system() as system:
        try:
            roots = trust_roots(system.settings.archiving)
        except SigningError as error:
            click.echo(f"нет корневого сертификата для проверки: {error}", err=True)
            sys.exit(VERIFY_EXIT["unusable"])
        try:
            report = verify_file(
                data,
                roots,
                system.views,
                system.ledger,
                detached,
                moment,
                gost_roots(system.settings.archiving),
            )
        except Exception as error:  # whatever a strange file does, answer in one line
            first = str(error).strip().splitlines()
            reason = f"{type(error).__name__}: {first[0] if first else ''}"[:300]
            click.echo(f"{file}: проверка невозможна — {reason}", err=True)
            sys.exit(VERIFY_EXIT["unusable"])
    if as_json:
        checks = [vars(c) for c in report.checks]
        out = {
            "ok": report.ok,
            "sha256": report.sha256,
            "at": at,
            "transferred": report.transferred or None,
            "checks": checks,
        }
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        if at:
            click.echo(f"as of {at}")
        for check in report.checks:
            click.echo(f"{check.mark} {check.name}: {check.detail}")
        verdict = "VALID" if report.ok else "REJECTED"
        if report.ok and report.transferred:
            verdict = f"{report.transferred} (TRANSFERRED)"
        click.echo(f"{file}: {verdict}")
    if not report.ok:
        sys.exit(VERIFY_EXIT["rejected"])


@archive.command("refresh")
@click.option("--as", "login", required=True, help="Login of the head, deputy head or operator.")
def refresh(login: str) -> None:
    """Long-term validation (PAdES B-LTA, ETSI EN 319 142): every volume whose newest
    document timestamp, TSA certificate or CRL ends within EJOURNAL_ARCHIVE_REFRESH_MARGIN_DAYS
    (default 14) gets fresh revocation data and a new document timestamp, and records the
    refresh. Run it daily (cron; `retention run --as LOGIN` runs it too). Exit 0 when every
    file is current or refreshed, 1 when one could not be (listed)."""
    from ejournal.cli import _system

    with _system() as system:
        failed = run_refresh(system, _actor(login))
    if failed:
        sys.exit(1)


@archive.command("mentions")
@click.option("--as", "login", required=True, help="Login of the head, deputy head or admin.")
def mentions(login: str) -> None:
    """Record the people each kept volume names where its record does not say so (volumes
    captured before this was recorded): holds on a pupil then reach those volumes, and the
    pupil's identity is kept while they are. Start-up (serve, worker) does this by itself."""
    from ejournal.cli import _system
    from retention.archive.service import record_volume_mentions

    with _system() as system:
        try:
            done = record_volume_mentions(system.journal, system.views, _actor(login))
        except DomainError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"томов дополнено: {done}")


def run_refresh(system: object, actor: UUID) -> int:
    """Refresh the archive of a built system, print one line per volume refreshed or
    failed and a total; returns how many failed."""
    from ejournal.archiving import refresher, renewal
    from ejournal.bootstrap import System
    from retention.archive.signing import SigningError

    assert isinstance(system, System)
    service = refresher(system)
    try:
        outcomes = service.run(clock.now(), renewal(system), actor)
    except (SigningError, OSError, ValueError) as error:
        raise click.ClickException(f"cannot refresh: {error}") from None
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.state] = counts.get(o.state, 0) + 1
        if o.state in ("refreshed", "failed"):
            until = f"действительна до {ru_date(o.valid_until)}" if o.valid_until else ""
            click.echo(f"  {o.state:<9} {o.file_name}  {until}  {o.detail}".rstrip())
    summary = ", ".join(f"{state}: {n}" for state, n in sorted(counts.items()))
    click.echo(f"archive refresh: {len(outcomes)} volumes ({summary or 'none'})")
    return counts.get("failed", 0)


def ru_date(moment: object) -> str:
    """A moment's date as Russians write it (ДД.ММ.ГГГГ), in the school's time zone."""
    from datetime import datetime

    from ejournal.cli_support import ru_date as day

    assert isinstance(moment, datetime)
    return day(clock.local_date(moment))


@archive.command("list")
@click.argument("year")
def list_volumes(year: str) -> None:
    """List the captured volumes of YEAR: file, kind, retention class, pages, hash."""
    from ejournal.cli import _system
    from projections.views import archive as archive_view

    with _system() as system:
        year_id = ids.school_year_id(system.settings.school, year)
        system.views.catch_up()
        with system.views.reader() as reader:
            volumes = archive_view.volumes_of_year(reader, system.views.sealer, str(year_id))
    for v in volumes:
        sig = "  +sig" if v.detached_sha256 else ""
        click.echo(
            f"{v.file_name:<40} {v.kind:<15} {v.retention_class:<16} {v.pages:>4} pp  "
            f"{v.sha256[:16]}…{sig}"
        )
    click.echo(f"{len(volumes)} volumes")
