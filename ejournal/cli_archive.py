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


@click.group()
def keys() -> None:
    """Signing keys and certificates."""


@keys.command("demo")
@click.option("--replace", is_flag=True, help="Replace an existing demo PKI.")
def keys_demo(replace: bool) -> None:
    """Make a throwaway PKI for the demo and tests under EJOURNAL_PKI_DIR (var/pki):
    root CA (root.pem, root.crl), head-of-school and class-teacher signing certificates and
    a timestamping certificate (PKCS#12 files with passphrase files). Never for real use."""
    from ejournal.cli import _settings
    from ejournal.pki import PKIError, make_demo_pki

    settings = _settings()
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


@archive.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def verify(file: str, as_json: bool) -> None:
    """Verify an archive file: signatures (AdES, trust to the configured root, B-LTA),
    PDF/A of the signed revision, hash in the register, checkpoint in the ledger.
    Exit 0 when every check passes, 1 otherwise."""
    from ejournal.archiving import trust_roots
    from ejournal.cli import _system
    from retention.archive.signing import SigningError
    from retention.archive.verify import verify_file

    data = Path(file).read_bytes()
    sig = Path(file + ".sig")
    detached = sig.read_bytes() if sig.is_file() else None
    with _system() as system:
        try:
            roots = trust_roots(system.settings.archiving)
        except SigningError as error:
            raise click.ClickException(str(error)) from None
        report = verify_file(data, roots, system.views, system.ledger, detached)
    if as_json:
        checks = [vars(c) for c in report.checks]
        click.echo(json.dumps({"ok": report.ok, "sha256": report.sha256, "checks": checks}))
    else:
        for check in report.checks:
            click.echo(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        click.echo(f"{file}: {'VALID' if report.ok else 'REJECTED'}")
    if not report.ok:
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
