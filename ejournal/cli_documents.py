"""``ejournal policies versions|record|approve`` and ``ejournal documents``: the rules in
force as recorded versions, the head's approval by order, and the school's regulations
made from them as signed PDF/A (ADR 0025)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ejournal.cli_support import actor, as_option, parse_date, refused, ru_date, system
from ejournal.policy_record import record_at_start


@click.command("versions")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def policies_versions(as_json: bool) -> None:
    """List the recorded versions of the policies (latest first): what changed, each
    file's SHA-256, and the order that approved the version."""
    with system() as built:
        built.views.catch_up()
        found = built.views.reads.policies.versions()
    if as_json:
        out = [
            {
                "version": v.number,
                "recorded_at": v.recorded_at.isoformat(),
                "files": v.files,
                "changed": list(v.changed),
                "diff": v.diff,
                "order_no": v.order_no or None,
                "order_date": v.order_date.isoformat() if v.order_date else None,
            }
            for v in found
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo("редакции правил не записаны (записываются при запуске: serve, worker)")
    for v in found:
        state = v.order or "не утверждена"
        click.echo(f"редакция {v.number} от {ru_date(v.recorded_at)}: {state}")
        if v.number == 1:
            click.echo(f"  первая записанная редакция: {', '.join(sorted(v.files))}")
            continue
        for name in v.changed:
            changes = v.diff.get(name, {})
            for key, (old, new) in changes.get("changed", {}).items():
                click.echo(f"  {name}: {key}: {old} → {new}")
            for key, value in changes.get("added", {}).items():
                click.echo(f"  {name}: {key}: добавлено {value}")
            for key in changes.get("removed", {}):
                click.echo(f"  {name}: {key}: удалено")


@click.command("record")
def policies_record() -> None:
    """Record the policies this deployment runs with as a new version if they changed
    (start-up does it too: serve, worker, retention run)."""
    with system() as built:
        told = record_at_start(built)
    click.echo(told or "правила не изменились: новая редакция не записана")


@click.command("approve")
@click.option("--order", "order_no", required=True, help="Number of the head's order (12-од).")
@click.option("--date", "order_date", required=True, help="Date of the order (YYYY-MM-DD).")
@click.option(
    "--version", "number", type=int, default=None, help="Version to approve (default: latest)."
)
@as_option
def policies_approve(order_no: str, order_date: str, number: int | None, login: str) -> None:
    """Approve a recorded version of the policies by the head's order («приказ № … от …»):
    documents are made from the latest approved version."""
    day = parse_date(order_date, "--date")
    assert day is not None
    with system() as built, refused():
        who = actor(built, login)
        chosen = number or built.journal.rules.recorded_version()
        built.journal.rules.approve(chosen, order_no, day, who)
        built.views.catch_up()
        version = next(v for v in built.views.reads.policies.versions() if v.number == chosen)
    click.echo(f"редакция {chosen} утверждена: {version.order}")


@click.command("documents")
@click.option(
    "--out",
    "out",
    default=None,
    help="Folder to write into (default: EJOURNAL_VAR_DIR/documents).",
)
@click.option("--as-of", "as_of", default=None, help="Date of the access list (YYYY-MM-DD).")
@click.option(
    "--only",
    "only",
    multiple=True,
    help="Only this document (repeatable): journal-regulation, diary-regulation, "
    "pd-access-list, parent-consent, records-schedule.",
)
def documents(out: str | None, as_of: str | None, only: tuple[str, ...]) -> None:
    """Write the school's regulations as signed PDF/A from the approved policies and live
    data: the journal regulation, the diary regulation, the list of persons with access
    to personal data as of a date, the parent's consent form and the records schedule
    extract. Exit 1 when no version of the policies is approved."""
    # The PDF makers (reportlab, pikepdf, pyHanko): only for this command, not every start.
    from ejournal.documents import KINDS, NotApproved, running_differs, write_all

    unknown = [o for o in only if o not in KINDS]
    if unknown:
        raise click.BadParameter(f"{unknown[0]} (known: {', '.join(KINDS)})", param_hint="--only")
    day = parse_date(as_of)
    with system() as built:
        folder = Path(out) if out else built.settings.var_dir / "documents"
        try:
            written = write_all(built, folder, day, only)
        except NotApproved as error:
            click.echo(str(error), err=True)
            sys.exit(1)
        if running_differs(built):
            click.echo(
                "внимание: действующие файлы правил не совпадают с утверждённой редакцией; "
                "документы составлены по утверждённой",
                err=True,
            )
    for path in written:
        click.echo(str(path))
