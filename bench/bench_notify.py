"""E-mail notifications benchmark (issue 18): the daily digest for the whole demo school —
every guardian opted in — against a real SMTP server in this process (``aiosmtpd``).

The demo school (8 classes × 25 pupils, the first two weeks of September) gets a parent
account for every guardian (≈ 350), each opted in to the daily digest the evening before the
last school day; then, after that day's digest time:

1. **planning**: ``Notifier.plan`` reads each guardian's children's diaries and queues one
   digest per guardian (messages/s);
2. **sending**: ``Notifier.send`` claims, sends and records every digest through the SMTP
   server (messages/s);
3. **raw limit, same run**: the same server accepting the same messages from ``smtplib`` on
   one connection with nothing else done (messages/s) — the figure is sending ÷ raw.

    .venv/bin/python -m bench.bench_notify [--backend sqlite|postgres|both] [--weeks 2]
                                           [--raw-rounds 3] [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import smtplib
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from bench import common
from domain import clock, passwords
from ejournal.bootstrap import build
from ejournal.demo import seed_demo
from ejournal.mailer import MailSettings
from ejournal.notify import Notifier
from tests.smtp import smtp_server

#: The last school day of the first two weeks of the demo year, and its digest time.
LAST_DAY = date(2025, 9, 12)


def _raw(url: str, messages: list[EmailMessage], rounds: int) -> float:
    """Messages/s the server accepts from smtplib on one connection (best of ``rounds``)."""
    port = int(url.split(":")[2].split("?", maxsplit=1)[0])
    best = 0.0
    for _ in range(rounds):
        client = smtplib.SMTP("127.0.0.1", port, timeout=30)
        client.ehlo()
        start = time.perf_counter()
        for m in messages:
            client.mail("journal@school.example")
            client.rcpt(str(m["To"]))
            client.data(m.as_bytes(policy=SMTP))
        seconds = time.perf_counter() - start
        client.quit()
        best = max(best, len(messages) / seconds)
    return best


def _opt_in_everyone(system: Any, given: datetime) -> int:
    """A parent account for every guardian, each opted in to the digest at ``given``."""
    j = system.journal
    reads = system.views.reads
    admin = j.queries.account_by_login("admin").id
    guardians = reads.people.of_kind("guardian")
    with clock.travel(given):
        for number, guardian in enumerate(sorted(guardians)):
            login = f"bench_g{number:03d}"
            account = j.accounts.create_account(
                login,
                "Родитель",
                f"Номер{number}",
                "",
                ["parent"],
                "bench-parent-1",
                admin,
                person_id=uuid.UUID(guardian),
            ).id
            j.notifications.subscribe(account, f"g{number:03d}@example.ru", [], True, account)
    system.views.catch_up()
    return len(guardians)


def _measure(backend: str, settings: Any, args: argparse.Namespace, figures: Any) -> None:
    digest_at = clock.local_datetime(LAST_DAY, 18)
    with build(replace(settings, views_mode="inline")) as system:
        started = time.perf_counter()
        with clock.travel(digest_at + timedelta(hours=2)):
            seed_demo(system.journal, weeks=args.weeks, pupils_per_class=args.pupils)
        system.views.catch_up()
        seeded = time.perf_counter() - started
        guardians = _opt_in_everyone(system, digest_at - timedelta(days=1, minutes=-1))
        print(f"\n{backend}: demo seeded in {seeded:.0f} s; {guardians} guardians opted in")
        with smtp_server() as (handler, url):
            mail_settings = MailSettings.from_env(
                {"EJOURNAL_SMTP_URL": url, "EJOURNAL_MAIL_FROM": "journal@school.example"}
            )
            notifier = Notifier(system, mail_settings, b"b" * 32, owner="bench")
            plan_seconds, planned = common.stopwatch(lambda: notifier.plan(digest_at))
            send_seconds, tally = common.stopwatch(notifier.send)
            assert tally.sent == planned == len(handler.accepted), (tally.line(), planned)
            sent = [r.message for r in handler.accepted]
            raw = _raw(url, sent, args.raw_rounds)
        sizes = sorted(len(m.as_bytes()) for m in sent)
        counts = notifier.outbox.counts()
    rate = planned / send_seconds
    plan_rate = planned / plan_seconds
    print(
        f"  planned {planned} digests in {plan_seconds:.1f} s = {plan_rate:.1f} messages/s "
        f"(median {sizes[len(sizes) // 2]} bytes; outbox {counts})"
    )
    print(
        f"  sent    {tally.sent} in {send_seconds:.1f} s = {rate:.1f} messages/s; the server "
        f"alone accepts {raw:.1f} messages/s from smtplib: {rate / raw:.3f} of its rate"
    )
    figures.add(
        "digest of the whole demo school: sending",
        backend,
        "inline",
        rate,
        "messages/s",
        raw=raw,
        raw_label="the same SMTP server accepting the same messages from smtplib, messages/s",
    )
    figures.add(
        "digest of the whole demo school: planning (diaries read, messages sealed)",
        backend,
        "inline",
        plan_rate,
        "messages/s",
        raw=raw,
        raw_label="the same SMTP server's acceptance rate, messages/s",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--weeks", type=int, default=2, help="weeks of lessons in the demo")
    parser.add_argument("--pupils", type=int, default=25, help="pupils per class")
    parser.add_argument("--raw-rounds", type=int, default=3, help="rounds of the raw limit")
    common.arguments(parser)
    args = parser.parse_args()
    common.quick(args, pupils=5, raw_rounds=1)
    passwords.SCRYPT_N = 2**10  # the accounts' passwords are not what is measured
    figures = common.Figures("bench_notify", args)
    common.describe_machine("E-mail notifications", packages=("eventsourcing", "aiosmtpd"))
    with tempfile.TemporaryDirectory() as folder:
        if args.backend in ("sqlite", "both"):
            _measure("sqlite", common.settings(Path(folder) / "sqlite"), args, figures)
        if args.backend in ("postgres", "both"):
            problem = common.postgres_reachable(args.pg_url)
            if problem:
                print(f"\npostgres: skipped, {problem}")
            else:
                schema = f"bench_notify_{uuid.uuid4().hex[:8]}"
                url = common.with_schema(args.pg_url, schema)
                common.create_schema(args.pg_url, schema)
                try:
                    settings = common.settings(Path(folder) / "pg", url)
                    _measure("postgres", settings, args, figures)
                finally:
                    common.drop_schema(args.pg_url, schema)
    figures.write()


if __name__ == "__main__":
    main()
