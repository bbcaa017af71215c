"""``ejournal backup`` and ``ejournal restore``: a school's events, keyring, checkpoints,
archive files and certificates to a folder, and back into an empty database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import psycopg

from ejournal.backup import MASTER_KEY_NOTE, BackupError
from ejournal.backup import backup as run_backup
from ejournal.restore import restore as run_restore


@contextmanager
def _refused() -> Iterator[None]:
    """A refusal, an unreadable file or an unreachable database: one message, exit 1."""
    try:
        yield
    except psycopg.OperationalError as error:
        raise click.ClickException(f"database unreachable: {str(error).strip()}") from None
    except (BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None


@click.command()
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new (or empty) folder to write the backup in.",
)
def backup(target: Path) -> None:
    """Back up the school: the stored events (still encrypted) in notification order from
    one consistent snapshot, the keyring on its own, the ledger checkpoints, the archive
    files and destruction certificates, and manifest.json with the SHA-256 of every file.

    The master key and the ledger signing key are NOT included: back them up separately,
    offline (docs/operations.md)."""
    from ejournal.cli import _settings

    with _refused():
        done = run_backup(_settings(), target)
    click.echo(
        f"backup {done.folder}: {done.events} events (up to notification "
        f"{done.max_notification_id}), {done.keys} series keys ({done.destroyed_keys} "
        f"destroyed), {done.checkpoints} checkpoints, {done.files} files in "
        f"{done.seconds:.1f} s"
    )
    click.echo(f"master key: {MASTER_KEY_NOTE}")


@click.command()
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The backup folder.",
)
@click.option(
    "--keyring-from",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Take the keyring from another backup folder (kept apart from the events).",
)
def restore(source: Path, keyring_from: Path | None) -> None:
    """Restore a backup into an EMPTY database (refused, exit 1, nothing written otherwise).

    Checks the manifest's checksums, the master key and ledger key files (restore them from
    their offline copies first), then inserts the events with their notification ids, the
    keyring and the checkpoints; destroys again every series named by a destruction
    certificate or destroyed in the event log; rebuilds the views and verifies the ledger.
    Exit 1 when a check after restoring fails. Stop the server and the worker first."""
    from ejournal.cli import _settings, _system

    with _refused():
        done = run_restore(
            _settings(), source, keyring_from, open_system=lambda s: _system(s, create=True)
        )
    click.echo(
        f"restored {done.events} events (up to notification {done.max_notification_id}), "
        f"{done.keys} series keys, {done.files} files in {done.seconds:.1f} s; "
        f"{len(done.destroyed_series)} destroyed series kept destroyed"
    )
    for name, ok in done.checks:
        click.echo(f"  {'ok  ' if ok else 'FAIL'} {name}")
    passed = sum(ok for _, ok in done.checks)
    click.echo(f"restore checks passed: {passed}/{len(done.checks)}")
    if not done.ok:
        sys.exit(1)
