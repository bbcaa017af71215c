"""The e-mail outbox and its delivery record (issue 18, ADR 0023): operational tables of the
views' database, shared by every process that sends (``ejournal notify run``, the worker).

Not views — no event makes them and ``views rebuild`` leaves them alone — and not records:
what is due and what the mail server answered is the sending machinery's state.

- ``ops_mail_messages``: one row per message, keyed by its **idempotency key** (a hash of
  the account, the kind and what it covers: an item, or a digest's day), so two planners
  that find the same thing insert one row. The message itself (subject, text, HTML) is
  sealed under the account's person key; the recipient's address is not kept here at all
  (the sender opens it from the consent at the moment it sends). A sender **claims** a row
  by a conditional UPDATE that sets a lease (owner, until): one sender wins each row on
  SQLite and PostgreSQL alike; a sender killed mid-send leaves a lease that runs out, and
  the next one sends the row again — with the same Message-ID.
- ``ops_mail_items``: which diary items each message covered (ids and times only), for
  «отправлено 12.03 18:00» beside them in the diary.
- ``ops_mail_attempts``: the delivery record — every attempt: when, by which sender, the
  server's answer (code and text, any address in it masked) and the outcome.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from projections.schema import Table
from projections.sqlstore import Database
from projections.view import Sealer

MESSAGES = Table(
    "ops_mail_messages",
    (
        ("key", "text"),
        ("account_id", "text"),
        ("kind", "text"),
        ("series", "text"),
        ("body", "blob"),
        ("items", "int"),
        ("state", "text"),
        ("attempts", "int"),
        ("next_at", "real"),
        ("lease_owner", "text"),
        ("lease_until", "real"),
        ("created", "real"),
        ("sent_at", "real"),
        ("message_id", "text"),
        ("answer", "text"),
    ),
    ("key",),
    indexes=(("state", "next_at"), ("account_id",)),
)
ITEMS = Table(
    "ops_mail_items",
    (
        ("key", "text"),
        ("item", "text"),
        ("account_id", "text"),
        ("student_id", "text"),
        ("ref", "text"),
    ),
    ("key", "item"),
    indexes=(("account_id", "student_id"),),
)
ATTEMPTS = Table(
    "ops_mail_attempts",
    (
        ("key", "text"),
        ("attempt", "int"),
        ("at", "real"),
        ("owner", "text"),
        ("code", "int"),
        ("answer", "text"),
        ("outcome", "text"),
    ),
    ("key", "attempt"),
    indexes=(("at",),),
)

#: States of a message. ``empty``: a digest day planned with nothing to say (never sent).
QUEUED, SENT, FAILED, DROPPED, EMPTY = "queued", "sent", "failed", "dropped", "empty"
#: Outcomes of an attempt. ``sending``: started and never answered (the sender stopped).
SENDING, RETRY = "sending", "retry"
_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")
UNSUBSCRIBE_PURPOSE = b"ejournal/mail-unsubscribe/v1\x00"

Clock = Callable[[], float]


def idempotency_key(*parts: str) -> str:
    """The key of a message: the same parts make the same key in every process."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def masked(answer: str) -> str:
    """A server's answer with any e-mail address in it masked (personal data), at most
    300 characters."""
    return _ADDRESS.sub("<адрес>", answer)[:300]


def unsubscribe_token(secret: bytes, account_id: UUID) -> str:
    """The opt-out link's token: the account id and an HMAC of it under a key derived from
    the server's secret for this one purpose (it opens nothing else)."""
    mac = hmac.new(secret, UNSUBSCRIBE_PURPOSE + account_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(account_id.bytes + mac[:16]).decode().rstrip("=")


def unsubscribe_account(secret: bytes, token: str) -> UUID | None:
    """The account a token opts out, or None when it is not one this server signed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 32:
        return None
    account_id = UUID(bytes=raw[:16])
    return account_id if hmac.compare_digest(unsubscribe_token(secret, account_id), token) else None


@dataclass(frozen=True)
class Planned:
    """A message to queue: key, account, kind, series (to seal under), its content and the
    diary items it covers as (item, student id, ref)."""

    key: str
    account_id: str
    kind: str
    series: str
    subject: str
    text: str
    html: str
    items: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class Claimed:
    """A message a sender holds the lease of, and the number of the attempt it starts."""

    key: str
    account_id: str
    kind: str
    subject: str
    text: str
    html: str
    attempt: int


@dataclass(frozen=True)
class Attempt:
    """One line of the delivery record."""

    key: str
    account_id: str
    kind: str
    attempt: int
    at: float
    owner: str
    code: int | None
    answer: str
    outcome: str
    message_id: str | None
    state: str
    items: int


def setup(db: Database) -> None:
    """Create the outbox's tables (idempotent)."""
    with db.transaction() as cur:
        for table in (MESSAGES, ITEMS, ATTEMPTS):
            for statement in table.ddl(db.dialect):
                cur.execute(statement)


class MailOutbox:
    """Queue, claim, record: the outbox in the views' database."""

    def __init__(self, db: Database, sealer: Sealer, now: Clock | None = None) -> None:
        self.db, self.sealer = db, sealer
        self.now = now or time.time
        self._ready = False

    def _setup(self) -> None:
        if not self._ready:
            setup(self.db)
            self._ready = True

    def known(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are already queued (in any state)."""
        self._setup()
        wanted, found = list(keys), set()
        p = self.db.param
        with self.db.transaction() as cur:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join([p] * len(chunk))
                cur.execute(f"SELECT key FROM {MESSAGES.name} WHERE key IN ({marks})", chunk)
                found |= {str(r[0]) for r in cur.fetchall()}
        return found

    def queue(self, planned: Sequence[Planned]) -> int:
        """Insert the messages not yet queued (their key decides); the number inserted."""
        self._setup()
        p, now, inserted = self.db.param, self.now(), 0
        with self.db.transaction() as cur:
            for m in planned:
                body = None
                if m.items:
                    content = json.dumps({"subject": m.subject, "text": m.text, "html": m.html})
                    body = self.sealer.seal(m.series, content.encode(), m.key.encode())
                cur.execute(
                    f"INSERT INTO {MESSAGES.name} (key, account_id, kind, series, body, items, "
                    f"state, attempts, next_at, created) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, "
                    f"{p}, 0, {p}, {p}) ON CONFLICT (key) DO NOTHING",
                    (
                        m.key,
                        m.account_id,
                        m.kind,
                        m.series,
                        body,
                        len(m.items),
                        QUEUED if m.items else EMPTY,
                        now,
                        now,
                    ),
                )
                if cur.rowcount != 1:
                    continue
                inserted += 1
                for item, student_id, ref in m.items:
                    cur.execute(
                        f"INSERT INTO {ITEMS.name} (key, item, account_id, student_id, ref) "
                        f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT DO NOTHING",
                        (m.key, item, m.account_id, student_id, ref),
                    )
        return inserted

    def claim(self, owner: str, lease: float) -> Claimed | None:
        """Claim the next due message for ``owner`` for ``lease`` seconds and record the
        attempt as started (``sending``), in one transaction: a conditional UPDATE, so of
        two senders exactly one gets a row. None when nothing is due."""
        self._setup()
        p, now = self.db.param, self.now()
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT key FROM {MESSAGES.name} WHERE state = {p} AND next_at <= {p} "
                f"AND (lease_until IS NULL OR lease_until < {p}) ORDER BY next_at, key LIMIT 8",
                (QUEUED, now, now),
            )
            found = None
            for (key,) in cur.fetchall():
                cur.execute(
                    f"UPDATE {MESSAGES.name} SET lease_owner = {p}, lease_until = {p}, "
                    f"attempts = attempts + 1 WHERE key = {p} AND state = {p} "
                    f"AND (lease_until IS NULL OR lease_until < {p})",
                    (owner, now + lease, key, QUEUED, now),
                )
                if cur.rowcount == 1:
                    cur.execute(
                        f"SELECT account_id, kind, body, attempts FROM {MESSAGES.name} "
                        f"WHERE key = {p}",
                        (key,),
                    )
                    found = (str(key), *cur.fetchone())
                    break
            if found is None:
                return None
            key, account_id, kind, body, attempt = found
            cur.execute(
                f"INSERT INTO {ATTEMPTS.name} (key, attempt, at, owner, code, answer, outcome) "
                f"VALUES ({p}, {p}, {p}, {p}, NULL, '', {p}) "
                f"ON CONFLICT (key, attempt) DO UPDATE SET at = excluded.at, "
                f"owner = excluded.owner, outcome = excluded.outcome",
                (key, int(attempt), now, owner, SENDING),
            )
        opened = self.sealer.open(bytes(body), key.encode())
        if opened is None:  # the account's key was destroyed: nothing to send
            self.finish(key, owner, DROPPED, None, "данные уничтожены", None)
            return self.claim(owner, lease)
        content = json.loads(opened)
        return Claimed(
            key,
            str(account_id),
            str(kind),
            content["subject"],
            content["text"],
            content["html"],
            int(attempt),
        )

    def finish(
        self,
        key: str,
        owner: str,
        outcome: str,
        code: int | None,
        answer: str,
        message_id: str | None,
        retry_at: float | None = None,
    ) -> None:
        """Record the server's answer to ``owner``'s latest attempt and the message's new
        state: ``sent``, ``retry`` (queued again from ``retry_at``), ``failed`` or
        ``dropped`` (the consent withdrawn or destroyed before sending)."""
        p, now, text = self.db.param, self.now(), masked(answer)
        state = {SENT: SENT, RETRY: QUEUED, FAILED: FAILED, DROPPED: DROPPED}[outcome]
        with self.db.transaction() as cur:
            cur.execute(
                f"UPDATE {MESSAGES.name} SET state = {p}, next_at = {p}, lease_owner = NULL, "
                f"lease_until = NULL, sent_at = {p}, message_id = {p}, answer = {p} "
                f"WHERE key = {p} AND lease_owner = {p}",
                (
                    state,
                    retry_at if retry_at is not None else now,
                    now if outcome == SENT else None,
                    message_id,
                    text,
                    key,
                    owner,
                ),
            )
            cur.execute(
                f"SELECT attempts FROM {MESSAGES.name} WHERE key = {p}",
                (key,),
            )
            row = cur.fetchone()
            if row is not None and int(row[0]) > 0:
                cur.execute(
                    f"UPDATE {ATTEMPTS.name} SET code = {p}, answer = {p}, outcome = {p} "
                    f"WHERE key = {p} AND attempt = {p}",
                    (code, text, outcome, key, int(row[0])),
                )

    def sent_refs(self, account_id: str, student_id: str) -> dict[str, float]:
        """When each diary item (by ref: a mark's or a lesson's id) of ``student_id`` was
        first sent to ``account_id``."""
        self._setup()
        p = self.db.param
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT i.ref, MIN(m.sent_at) FROM {ITEMS.name} i JOIN {MESSAGES.name} m "
                f"ON m.key = i.key WHERE i.account_id = {p} AND i.student_id = {p} "
                f"AND m.state = {p} GROUP BY i.ref",
                (account_id, student_id, SENT),
            )
            return {str(ref): float(at) for ref, at in cur.fetchall()}

    def record(self, limit: int = 200, state: str | None = None) -> list[Attempt]:
        """The latest attempts, newest first (the administrator's page), optionally only
        of messages in ``state``."""
        self._setup()
        p = self.db.param
        where, params = ("WHERE m.state = " + p, (state,)) if state else ("", ())
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT a.key, m.account_id, m.kind, a.attempt, a.at, a.owner, a.code, "
                f"a.answer, a.outcome, m.message_id, m.state, m.items FROM {ATTEMPTS.name} a "
                f"JOIN {MESSAGES.name} m ON m.key = a.key {where} "
                f"ORDER BY a.at DESC, a.key LIMIT {int(limit)}",
                params,
            )
            return [_attempt(r) for r in cur.fetchall()]

    def items_of(self, key: str) -> list[tuple[str, str]]:
        """The diary items a message covers: (pupil id, item — what, ref and time)."""
        self._setup()
        p = self.db.param
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT student_id, item FROM {ITEMS.name} WHERE key = {p} ORDER BY item",
                (key,),
            )
            return [(str(s), str(i)) for s, i in cur.fetchall()]

    def counts(self) -> dict[str, int]:
        """Messages by state."""
        self._setup()
        with self.db.transaction() as cur:
            cur.execute(f"SELECT state, COUNT(*) FROM {MESSAGES.name} GROUP BY state")
            return {str(s): int(n) for s, n in cur.fetchall()}


def _attempt(row: Sequence[Any]) -> Attempt:
    key, account, kind, attempt, at, owner, code, answer, outcome, message_id, state, items = row
    return Attempt(
        str(key),
        str(account),
        str(kind),
        int(attempt),
        float(at),
        str(owner),
        None if code is None else int(code),
        str(answer or ""),
        str(outcome),
        None if message_id is None else str(message_id),
        str(state),
        int(items),
    )
