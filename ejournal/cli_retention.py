"""``ejournal retention``: the records register, the plan, holds, and the two-person
disposition (propose → approve or reject → execute or transfer) with certificates."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from domain import clock
from domain.holds import SCOPES
from ejournal.cli_archive import run_refresh
from ejournal.cli_support import actor, as_option, parse_date, parse_id, refused, ru_date, system
from ejournal.policy_record import record_at_start
from projections.queries.records_register import STATES
from retention import words
from retention.plan import Plan
from retention.service import act_stems
from retention.transfer import TransferError

STATE_RU = {
    "open": "открыта",
    "closed": "закрыта",
    "due": "срок истёк",
    "proposed": "предложена",
    "approved": "утверждена",
    "destroyed": "уничтожена",
    "transferred": "передана",
    "permanent": "постоянно",
}


@click.group()
def retention() -> None:
    """Records retention: register, plan, holds, disposition and certificates."""


@retention.command("register")
@click.option("--as-of", "as_of", help="Day the states are judged on (default today).")
@click.option("--class", "record_class", help="Only this record class.")
@click.option("--state", type=click.Choice(STATES), help="Only series in this state.")
@click.option("--year", help="Only series of this school year (2025/26).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def register(
    as_of: str | None, record_class: str | None, state: str | None, year: str | None, as_json: bool
) -> None:
    """List every record series: class, cut-off, due date, events, files, holds, state."""
    with system() as built:
        entries = built.records.register(parse_date(as_of))
        classes = built.policies.retention.classes
    label = year.replace("-", "/", 1) if year else None
    entries = [
        e
        for e in entries
        if (not record_class or e.record_class == record_class)
        and (not state or e.state == state)
        and (not label or e.year == label)
    ]
    if as_json:
        rows = [
            {
                "series": e.series,
                "record_class": e.record_class,
                "state": e.state,
                "cut_off": e.cut_off.isoformat() if e.cut_off else None,
                "due_on": e.due_on.isoformat() if e.due_on else None,
                "events": e.events,
                "files": e.files,
                "holds": list(e.holds),
                "disposition_id": e.disposition_id,
                "certificate_id": e.certificate_id,
                "act_number": e.act_number or None,
                "rescheduled_from": e.rescheduled_from.isoformat() if e.rescheduled_from else None,
            }
            for e in entries
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for e in entries:
        held = " ПРИОСТАНОВЛЕНО" if e.held else ""
        day = ru_date(clock.local_date(e.disposed_at)) if e.disposed_at else "—"
        act = f" по акту № {e.act_number} от {day}" if e.act_number else ""
        moved = f" (срок пересчитан, было {ru_date(e.rescheduled_from)})" if e.rescheduled else ""
        title = classes[e.record_class].title if e.record_class in classes else e.record_class
        click.echo(
            f"{e.series:<48} {title}: отсечка {ru_date(e.cut_off)}, срок {ru_date(e.due_on)}"
            f"{moved}, событий {e.events}, {STATE_RU[e.state]}{act}{held}"
        )


def _print_plan(plan: Plan) -> None:
    click.echo(
        f"План на {plan.as_of:%d.%m.%Y}: к исполнению {len(plan.executable)}, "
        f"приостановлено {len(plan.held)}, на экспертизу {len(plan.review)}"
    )
    for title, lines in (
        ("к исполнению", plan.executable),
        ("приостановлено", plan.held),
        ("на экспертизу", plan.review),
    ):
        for line in lines:
            rc = line.record_class
            action = words.ACTIONS.get(rc.action, rc.action)
            click.echo(f"  [{title}] {line.entry.series} ({rc.title}; {action}): {line.why}")


@retention.command("plan")
@click.option("--as-of", "as_of", help="Day to plan for (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plan(as_of: str | None, as_json: bool) -> None:
    """Dry run: what is due on a day and why; held and review-only series apart."""
    with system() as built:
        found = built.records.plan(parse_date(as_of))
    click.echo(found.to_json()) if as_json else _print_plan(found)


@retention.command("run")
@click.option("--as-of", "as_of", help="Day to plan for (default today).")
@click.option(
    "--as",
    "login",
    default="",
    help="Also run `archive refresh` as this head, deputy head or operator (long-term "
    "validation of the archive's signatures).",
)
def run(as_of: str | None, login: str) -> None:
    """The daily run (cron): plan, write the plan to var/retention/plan-DAY.json and print
    what needs attention; with --as LOGIN, also renew the archive's long-term validation
    data (`archive refresh`). It never proposes, approves or destroys anything."""
    with system() as built:
        for line in [*built.records.at_start(), record_at_start(built)]:
            if line:
                click.echo(line)
        found = built.records.plan(parse_date(as_of))
        folder = built.settings.var_dir / "retention"
        failed = run_refresh(built, actor(built, login)) if login else 0
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"plan-{found.as_of.isoformat()}.json"
    path.write_text(found.to_json(), encoding="utf-8")
    if found.executable or found.held or found.review:
        _print_plan(found)
    click.echo(f"план записан: {path}")
    if failed:
        sys.exit(1)


@retention.command("reschedule")
@as_option
@click.option("--reason", default="", help="Why (the order or protocol adopting the schedule).")
@click.option(
    "--allow-earlier",
    is_flag=True,
    help="Adopt rules that bring due dates sooner (needs --reason).",
)
@click.option("--dry-run", is_flag=True, help="Only print the due dates that would move.")
def reschedule(login: str, reason: str, allow_earlier: bool, dry_run: bool) -> None:
    """Adopt the rules of policies/retention.toml as the schedule in force: every closed
    series whose due date they move gets an event with the old and the new date. Start-up
    (serve, worker, retention run) does this by itself unless a due date would come sooner."""
    with system() as built, refused():
        if dry_run:
            pending = built.records.pending_reschedule()
            if pending is None:
                click.echo("сроки хранения policies/retention.toml уже действуют")
                return
            changed = pending
        else:
            changed = built.records.reschedule(
                actor(built, login), reason, allow_earlier=allow_earlier
            )
        for c in changed:
            click.echo(
                f"{c.series:<48} отсечка {ru_date(c.cut_off)}: "
                f"срок {ru_date(c.before)} → {ru_date(c.after)}"
            )
        verb = "будет пересчитано" if dry_run else "пересчитано"
        click.echo(f"{verb} сроков: {len(changed)}")


@retention.command("propose")
@as_option
@click.option("--series", multiple=True, help="Only this series (repeatable).")
@click.option("--class", "record_class", default="", help="Only this record class.")
def propose(login: str, series: tuple[str, ...], record_class: str) -> None:
    """Propose what is due today for disposition (archivist): one proposal per action."""
    with system() as built, refused():
        created = built.records.propose(
            actor(built, login), series=series, record_class=record_class
        )
        for proposal in created:
            info = built.journal.retention.disposition(proposal)
            action = words.ACTIONS.get(info.action, info.action)
            click.echo(f"предложение {proposal}: {action}, серий {len(info.items)}")


@retention.command("proposals")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def proposals(as_json: bool) -> None:
    """List every disposition: state, action, series, who and when."""
    with system() as built:
        rows = built.records.dispositions()
        names = {
            who: built.records.name(who)
            for d in rows
            for who in (d.proposed_by, d.approved_by)
            if who
        }
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        **vars(d),
                        "as_of": d.as_of.isoformat(),
                        "proposed_at": d.proposed_at.isoformat(),
                        "approved_at": d.approved_at.isoformat() if d.approved_at else None,
                        "decided_at": d.decided_at.isoformat() if d.decided_at else None,
                        "executed_at": d.executed_at.isoformat() if d.executed_at else None,
                        "items": list(d.items),
                    }
                    for d in rows
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    for d in rows:
        approver = f", утвердил {names.get(d.approved_by, '—')}" if d.approved_by else ""
        proposer = f"предложил {names.get(d.proposed_by)} {ru_date(d.proposed_at)}"
        state = words.DISPOSITION_STATES.get(d.state, d.state)
        action = words.ACTIONS.get(d.action, d.action)
        click.echo(
            f"{d.disposition_id} {state:<11} {action:<16} серий {len(d.items):>4}  "
            f"{proposer}{approver}"
        )


@retention.command("approve")
@click.argument("disposition_id", metavar="ID")
@click.option(
    "--protocol",
    "protocol_no",
    default="",
    help="Number of the expert commission's protocol (required to approve a destruction).",
)
@click.option(
    "--protocol-date",
    help="Date of the expert commission's protocol (2031-12-20; required with --protocol).",
)
@as_option
def approve(disposition_id: str, protocol_no: str, protocol_date: str | None, login: str) -> None:
    """Approve proposal ID (a second person with an approver role of every class in it) on
    the expert commission's protocol: its number and date go into the act."""
    day = parse_date(protocol_date, "--protocol-date")
    with system() as built, refused():
        built.journal.retention.approve_disposition(
            parse_id(disposition_id), actor(built, login), protocol_no, day
        )
    click.echo(f"предложение {disposition_id} утверждено")


@retention.command("reject")
@click.argument("disposition_id", metavar="ID")
@click.option("--reason", required=True, help="Why it is rejected.")
@as_option
def reject(disposition_id: str, reason: str, login: str) -> None:
    """Reject proposal ID with a reason; its series may be proposed again."""
    with system() as built, refused():
        built.journal.retention.reject_disposition(
            parse_id(disposition_id), reason, actor(built, login)
        )
    click.echo(f"предложение {disposition_id} отклонено")


@retention.command("execute")
@click.argument("disposition_id", metavar="ID")
@as_option
def execute(disposition_id: str, login: str) -> None:
    """Execute approved proposal ID: destroy the series' keys, view rows and files, and
    write the destruction certificate (JSON, PDF). Refused, and the attempt recorded, when
    a series is under a hold. Run again to complete an execution that was interrupted."""
    with system() as built, refused():
        certificate = built.records.execute(parse_id(disposition_id), actor(built, login))
        folder = built.settings.certificates_dir
    totals = certificate["totals"]
    click.echo(
        f"уничтожено: серий {totals['series']}, событий {totals['events']}, "
        f"файлов {totals['files']}"
    )
    click.echo(f"акт № {certificate['number']}: {folder / (act_stems(certificate)[0] + '.pdf')}")


@retention.command("transfer")
@click.argument("disposition_id", metavar="ID")
@click.option(
    "--to",
    "destination",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the package in.",
)
@click.option("--recipient", default="", help="The receiving archive (printed in the act).")
@as_option
def transfer(disposition_id: str, destination: str, recipient: str, login: str) -> None:
    """Transfer approved proposal ID to an archive: write a BagIt package under --to
    (events as JSON, files with their signatures, the inventory and the act of transfer as
    signed PDF/A, the ledger's public key and checkpoints, the trust roots and CRLs, SHA-256
    manifests), validate it, record the transfer, then destroy the series here. The
    register and `archive verify` then say «передано по акту № …»."""
    with system() as built, refused():
        try:
            certificate = built.records.transfer(
                parse_id(disposition_id), Path(destination), actor(built, login), recipient
            )
        except TransferError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"передано по акту № {certificate['number']}")
    click.echo(f"пакет: {certificate['package']['path']}")


@retention.command("certificate")
@click.argument("certificate_id", metavar="ID")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Write the JSON and PDF files into this folder."
)
def certificate(certificate_id: str, out: str | None) -> None:
    """Print (or write again) the certificate of an executed disposition."""
    with system() as built, refused():
        found = built.records.certificate(certificate_id)
        if out:
            folder = Path(out)
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in built.records.act_files(found).items():
                (folder / name).write_bytes(data)
                click.echo(folder / name)
            return
    click.echo(json.dumps(found, ensure_ascii=False, indent=1))


@retention.group()
def hold() -> None:
    """Holds: freeze disposition of a scope (legal or audit), with a reason."""


@hold.command("place")
@click.option(
    "--scope", required=True, type=click.Choice(list(SCOPES)), help="What the hold covers."
)
@click.option(
    "--value", required=True, help="series name, class name, «2025/26 5А», pupil id or 2025/26."
)
@click.option("--reason", required=True, help="Why (a court request, an audit).")
@as_option
def hold_place(scope: str, value: str, reason: str, login: str) -> None:
    """Place a hold: nothing in its scope is proposed or disposed of until released."""
    with system() as built, refused():
        receipt = built.journal.retention.place_hold(scope, value, reason, actor(built, login))
    click.echo(f"приостановка {receipt.id}")


@hold.command("release")
@click.argument("hold_id", metavar="ID")
@click.option("--reason", required=True, help="Why it is lifted.")
@as_option
def hold_release(hold_id: str, reason: str, login: str) -> None:
    """Release hold ID, with a reason."""
    with system() as built, refused():
        built.journal.retention.release_hold(parse_id(hold_id), reason, actor(built, login))
    click.echo(f"приостановка {hold_id} снята")


@hold.command("list")
def hold_list() -> None:
    """List every hold, in force first."""
    with system() as built:
        rows = built.records.holds()
        for h in sorted(rows, key=lambda h: not h.active):
            state = "действует" if h.active else f"снята {ru_date(h.released_at)}"
            who = built.records.name(h.placed_by)
            scope = SCOPES.get(h.kind, h.kind).split(" (")[0]  # as the holds page says it
            click.echo(
                f"{h.hold_id} {scope}: {h.value} — {h.reason} "
                f"({who}, {ru_date(h.placed_at)}; {state})"
            )
