"""Sending the notifications (issue 18, ADR 0023): plan what is due, then send it.

**Planning** reads, for every consent in force, the diary of each pupil the account may see
(the diary's own read: ``reads.reports.diary``, with the attendance codes as a parent sees
them), and queues a message per chosen event and a digest per day after its time. Each
message's idempotency key is a hash of what it covers, so planning again — or in two
processes at once — queues nothing twice.

**Sending** claims one due message at a time (a lease in ``ops_mail_messages``), records the
attempt as started, sends it with its stable Message-ID, and records the server's answer:
250 sent; 4xx or no connection: queued again after the policy's next back-off; 5xx, or the
back-offs used up: failed (shown on ``/admin/mail``). A sender killed mid-send leaves the
attempt «sending» and a lease that runs out; the next sender sends the message again.
"""

from __future__ import annotations

import html
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from uuid import UUID

from domain import clock
from domain.notifications import EVENTS, NotificationPolicy, Notifications
from ejournal.bootstrap import System
from ejournal.mailer import Answer, MailSettings, SmtpConnection
from projections import mail
from projections.queries.diary import DiaryNews
from projections.views.notifications import Consent

log = logging.getLogger(__name__)

#: Immediate messages are planned for items at most this old (a sender down for a week
#: does not flood the parents when it comes back: the digest covers the rest).
IMMEDIATE_WINDOW = timedelta(days=3)
WHAT = {
    "mark": "отметка",
    "corrected": "исправлена отметка",
    "cancelled": "отменена отметка",
    "attendance": "посещаемость",
    "homework": "домашнее задание",
}


@dataclass
class Tally:
    """What one run did."""

    planned: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    answers: list[int] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"queued {self.planned}, sent {self.sent}, to retry {self.retried}, "
            f"failed {self.failed}, dropped {self.dropped}"
        )


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d.%m")


def _moment(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(clock.SCHOOL_TZ).strftime("%d.%m %H:%M")


def describe(n: DiaryNews) -> str:
    """One item in words, as the diary says it."""
    if n.what == "corrected":
        change = f"отметка «{n.previous}» исправлена на «{n.value}»"
    elif n.what == "cancelled":
        change = f"отметка «{n.value}» отменена"
    elif n.what == "mark":
        change = f"отметка «{n.value}»"
    elif n.what == "attendance":
        change = f"отмечено «{n.value}»"
    elif n.what == "final":
        which = f"четвертная отметка за {n.term} четверть" if n.term else "годовая отметка"
        change = (
            f"{which} исправлена на «{n.value}»" if n.previous else f"новая {which}: «{n.value}»"
        )
    else:
        change = f"домашнее задание: {n.value}"
    return f"{_day(n.day)}, {n.subject}: {change} (записано {_moment(n.at)})"


@dataclass(frozen=True)
class Item:
    """A diary item for one account: the pupil, the news, its event code (or "")."""

    student_id: str
    name: str
    news: DiaryNews
    event: str

    @property
    def key(self) -> str:
        return f"{self.news.what}:{self.news.ref}:{self.news.at}"


class Notifier:
    """Plans and sends the notifications of one school."""

    def __init__(
        self,
        system: System,
        settings: MailSettings,
        secret: bytes,
        *,
        owner: str = "",
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.system, self.settings, self.secret = system, settings, secret
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wall = wall
        self.outbox = mail.MailOutbox(system.views.db, system.views.sealer, now=wall)
        self._last_tick = 0.0

    @property
    def policy(self) -> NotificationPolicy:
        return Notifications(self.system.journal).policy()

    # --- planning ---------------------------------------------------------------------------
    def _event_of(self, n: DiaryNews) -> str:
        if n.what == "mark" and n.value == "2":
            return "low_mark"
        if n.what in ("corrected", "cancelled"):
            return "correction"
        if n.what == "final":
            return "final_mark"
        if n.what == "attendance":
            code = self.system.policies.attendance.codes.get(n.value)
            if code is not None and code.absent and not code.excused:
                return "absence"
        return ""

    def _pupils(self, consent: Consent, now: datetime) -> list[str]:
        reads = self.system.views.reads
        account = reads.accounts.account(consent.account_id, now)
        if account is None or account.locked:
            return []
        roles = [r for r in account.roles if r in ("parent", "pupil")]
        owned = reads.scope.owned(account.account_id, account.person_id, roles, "student")
        return sorted(owned)

    def _items(self, consent: Consent, now: datetime, since: datetime) -> list[Item]:
        reads = self.system.views.reads
        year = reads.school.current_year(clock.local_date(now))
        if year is None:
            return []
        pupils = self._pupils(consent, now)
        names = reads.people.names(pupils, short=True)
        found = []
        for pupil in pupils:
            diary = reads.reports.diary(
                pupil,
                year_id=str(year["year_id"]),
                first=date.fromisoformat(str(year["starts"])),
                last=date.fromisoformat(str(year["ends"])),
                since=since,
            )
            for n in diary.news:
                if datetime.fromisoformat(n.at) <= now:
                    found.append(Item(pupil, names.get(pupil, ""), n, self._event_of(n)))
        return found

    def plan(self, now: datetime | None = None) -> int:
        """Queue what is due for every consent in force; the number of messages queued."""
        moment = now or clock.now()
        policy = self.policy
        queued = 0
        for consent in self.system.views.reads.notify.in_force():
            given = datetime.fromisoformat(str(consent.given_at))
            days = [clock.local_date(moment) - timedelta(days=d) for d in (1, 0)]
            digests = [
                (day, self._digest_moment(day, policy))
                for day in days
                if consent.digest and given < self._digest_moment(day, policy) <= moment
            ]
            keys = [
                mail.idempotency_key("digest", consent.account_id, d.isoformat())
                for d, _ in digests
            ]
            known = self.outbox.known(keys)
            digests = [(d, m) for (d, m), k in zip(digests, keys, strict=True) if k not in known]
            if not consent.events and not digests:
                continue
            starts = [moment - IMMEDIATE_WINDOW] + [m - timedelta(days=1) for _, m in digests]
            items = self._items(consent, moment, max(given, min(starts)))
            planned = [
                self._message(consent, "immediate", [i], i.key)
                for i in items
                if i.event in consent.events
                and datetime.fromisoformat(i.news.at) > moment - IMMEDIATE_WINDOW
            ]
            for day, until in digests:
                mine = [
                    i
                    for i in items
                    if until - timedelta(days=1) < datetime.fromisoformat(i.news.at) <= until
                ]
                planned.append(self._message(consent, "digest", mine, day.isoformat()))
            queued += self.outbox.queue(planned)
        return queued

    @staticmethod
    def _digest_moment(day: date, policy: NotificationPolicy) -> datetime:
        return clock.local_datetime(day, policy.digest_at.hour, policy.digest_at.minute)

    def _links(self, account_id: str) -> tuple[str, str]:
        token = mail.unsubscribe_token(self.secret, UUID(account_id))
        base = self.settings.public_url
        return f"{base}/diary/", f"{base}/mail/unsubscribe/{token}"

    def _message(self, consent: Consent, kind: str, items: list[Item], part: str) -> mail.Planned:
        key = mail.idempotency_key(kind, consent.account_id, part)
        refs = tuple((i.key, i.student_id, i.news.ref) for i in items)
        if not items:
            return mail.Planned(key, consent.account_id, kind, consent.series, "", "", "", ())
        subject, text, body = self.render(consent.account_id, kind, items, part)
        return mail.Planned(
            key, consent.account_id, kind, consent.series, subject, text, body, refs
        )

    def render(
        self, account_id: str, kind: str, items: list[Item], day: str = ""
    ) -> tuple[str, str, str]:
        """Subject, plain text and HTML of a message: what changed, by pupil, and the
        links to the diary and to opting out. Nothing but what the diary shows."""
        diary, unsubscribe = self._links(account_id)
        if kind == "digest":
            subject = f"Электронный дневник: сводка за {_day(day)}"
            lead = "Что изменилось в электронном дневнике за день:"
        else:
            subject = f"Электронный дневник: {EVENTS.get(items[0].event, 'изменение')}"
            lead = "В электронном дневнике новое:"
        by_pupil: dict[str, list[Item]] = {}
        for i in items:
            by_pupil.setdefault(i.student_id, []).append(i)
        lines = ["Здравствуйте!", "", lead]
        parts = [f"<p>Здравствуйте!</p><p>{html.escape(lead)}</p>"]
        for pupil, mine in by_pupil.items():
            link = f"{diary}{pupil}"
            lines += ["", f"{mine[0].name}:"] + [f"  • {describe(i.news)}" for i in mine]
            lines.append(f"  Дневник: {link}")
            parts.append(
                f"<h3>{html.escape(mine[0].name)}</h3><ul>"
                + "".join(f"<li>{html.escape(describe(i.news))}</li>" for i in mine)
                + f'</ul><p><a href="{html.escape(link)}">Открыть дневник</a></p>'
            )
        foot = (
            "Вы получаете это письмо, потому что включили уведомления в профиле "
            "электронного журнала."
        )
        lines += ["", "--", foot, f"Отписаться (без входа в журнал): {unsubscribe}"]
        parts.append(
            f'<hr><p style="color:#555">{html.escape(foot)} '
            f'<a href="{html.escape(unsubscribe)}">Отписаться</a></p>'
        )
        return subject, "\n".join(lines) + "\n", "".join(parts)

    # --- sending ----------------------------------------------------------------------------
    def email(self, claimed: mail.Claimed, recipient: str) -> EmailMessage:
        """The message as it goes on the wire: the same Message-ID on every attempt."""
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = recipient
        message["Subject"] = claimed.subject
        message["Message-ID"] = self.message_id(claimed.key)
        message["Date"] = format_datetime(clock.now())
        message["Auto-Submitted"] = "auto-generated"
        _, unsubscribe = self._links(claimed.account_id)
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(claimed.text)
        message.add_alternative(claimed.html, subtype="html")
        return message

    def message_id(self, key: str) -> str:
        return f"<{key}@{self.settings.domain}>"

    def send(self, limit: int | None = None) -> Tally:
        """Send due messages until none is due (or ``limit``); stops at a server that
        cannot be reached (the message is queued again)."""
        tally = Tally()
        smtp = self.settings.smtp
        if smtp is None:
            return tally
        connection: SmtpConnection | None = None
        try:
            while limit is None or tally.sent + tally.retried + tally.failed < limit:
                message = self.outbox.claim(self.owner, self.settings.lease_seconds)
                if message is None:
                    break
                consent = self.system.views.reads.notify.consent(message.account_id)
                if consent is None or not consent.active:
                    self.outbox.finish(
                        message.key, self.owner, mail.DROPPED, None, "согласие отозвано", None
                    )
                    tally.dropped += 1
                    continue
                attempt = message.attempt
                if connection is None:
                    connection = SmtpConnection(smtp)
                    problem = connection.open()
                    if problem is not None:
                        connection = None
                        self._record(message, attempt, problem, tally)
                        break
                answer = connection.send(
                    self.email(message, consent.email), self.settings.sender, consent.email
                )
                self._record(message, attempt, answer, tally)
                if connection.client is None:
                    connection = None
                    break
        finally:
            if connection is not None:
                connection.close()
        return tally

    def _record(self, message: mail.Claimed, attempt: int, answer: Answer, tally: Tally) -> None:
        tally.answers.append(answer.code)
        retries = self.policy.retry_minutes
        if answer.accepted:
            outcome, retry_at = mail.SENT, None
            tally.sent += 1
        elif answer.permanent or attempt > len(retries):
            outcome, retry_at = mail.FAILED, None
            tally.failed += 1
            log.warning("message %s failed for good: %s", message.key, answer.code)
        else:
            outcome, retry_at = mail.RETRY, self.wall() + 60 * retries[attempt - 1]
            tally.retried += 1
        self.outbox.finish(
            message.key,
            self.owner,
            outcome,
            answer.code or None,
            answer.text,
            self.message_id(message.key),
            retry_at,
        )

    def run(self, now: datetime | None = None, limit: int | None = None) -> Tally:
        """Catch up the views, plan, send."""
        self.system.views.catch_up()
        planned = self.plan(now)
        tally = self.send(limit)
        tally.planned = planned
        return tally

    def tick(self, every: float = 30.0) -> None:
        """For the worker: a run at most every ``every`` seconds; a failure is logged."""
        if self.wall() - self._last_tick < every:
            return
        self._last_tick = self.wall()
        try:
            tally = self.run()
        except Exception as error:  # the worker keeps the views whatever the mail does
            log.warning("notify: %s", type(error).__name__)
            return
        if tally.planned or tally.sent or tally.failed or tally.retried:
            log.info("notify: %s", tally.line())
