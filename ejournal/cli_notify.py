"""``ejournal notify``: e-mail notifications of parents and pupils (issue 18, ADR 0023).

``notify run`` (for cron, e.g. every 5 minutes) brings the views up to date, queues what is
due — immediate messages for the events each person chose, the daily digest after its time —
and sends it through ``EJOURNAL_SMTP_URL``. The worker does the same every 30 seconds when
the variable is set. Any number of them may run at once: each message is claimed by one
sender, and a sender killed mid-send leaves it to the next after the lease
(``EJOURNAL_NOTIFY_LEASE_SECONDS``). Nothing here prints an address or a message."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import click

from ejournal.bootstrap import System
from ejournal.cli_support import refused, system
from ejournal.exitcodes import Exit, Refused
from ejournal.mailer import MailSettings
from ejournal.notify import Notifier
from ejournal.settings import SettingsError


def mail_settings() -> MailSettings:
    """The mail settings of the environment; exit 3 naming a malformed one."""
    try:
        return MailSettings.from_env(os.environ)
    except SettingsError as error:
        raise Refused(Exit.SETTINGS, str(error)) from None


def notifier(built: System, settings: MailSettings | None = None) -> Notifier:
    """The notifier of ``built`` with the mail settings of the environment."""
    from ejournal.webapp import secret_key  # Flask and the pages: only for what sends mail

    found = settings or mail_settings()
    return Notifier(built, found, secret_key(built.settings.secret_key_file))


@click.group("notify")
def notify() -> None:
    """E-mail notifications of parents and pupils: send what is due, show the record."""


@notify.command("run")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many messages.")
@click.option("--plan-only", is_flag=True, help="Queue what is due, send nothing.")
def run(limit: int | None, plan_only: bool) -> None:
    """Queue what is due and send it (each message once, whoever else runs). Exit 3
    when EJOURNAL_SMTP_URL is not set (unless --plan-only)."""
    settings = mail_settings()
    if settings.smtp is None and not plan_only:
        raise Refused(Exit.SETTINGS, "EJOURNAL_SMTP_URL is not set: nothing can be sent")
    with system() as built, refused():
        sender = notifier(built, settings)
        if plan_only:
            built.views.catch_up()
            click.echo(f"queued {sender.plan()}")
            return
        tally = sender.run(limit=limit)
    click.echo(tally.line())


@notify.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--failed", is_flag=True, help="List the failed messages' last attempts.")
def status(as_json: bool, failed: bool) -> None:
    """Messages by state, consents in force, and the latest attempts (no addresses)."""
    with system() as built, refused():
        outbox = built.views.mail
        counts = outbox.counts()
        active, withdrawn = built.views.reads.notify.counts()
        attempts = outbox.record(limit=50, state="failed" if failed else None)
        items = {a.key: outbox.items_of(a.key) for a in attempts} if as_json else {}
    if as_json:
        click.echo(
            json.dumps(
                {
                    "messages": counts,
                    "consents": {"active": active, "withdrawn": withdrawn},
                    "attempts": [{**a.__dict__, "diary_items": items[a.key]} for a in attempts],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"consents in force {active}, withdrawn {withdrawn}")
    click.echo("messages: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    for a in attempts:
        at = datetime.fromtimestamp(a.at, UTC).isoformat(timespec="seconds")
        click.echo(
            f"{at}  {a.key}  {a.kind} of {a.items}  #{a.attempt}  {a.outcome:<8} "
            f"{a.code or '-'}  {a.answer}"
        )
