"""Server-side web sessions and rate-limit counters: operational tables of the views'
database (SQLite file or PostgreSQL schema), shared by every server process (ADR 0012).

They are not views — no event makes them and ``ejournal views rebuild`` leaves them alone —
but they live beside them, so ``serve --processes N`` and both backends need nothing more.

- ``ops_sessions``: one row per signed-in browser, keyed by the SHA-256 of the session id
  (the cookie carries the id; the database never does). The row holds the account, the
  credentials generation it was opened at (``projections.views.accounts``), when it was
  opened and last seen, and the device and address **sealed** under the account's person
  key (personal data, 152-FZ). A session is alive while its row exists, it has been idle
  less than the idle limit, it is younger than the absolute limit, and the account's
  generation has not moved.
- ``ops_rate_counters``: fixed-window counters keyed by an HMAC of what they count (a client
  address, a login): neither is stored in plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain import ids
from projections.schema import Table
from projections.sqlstore import Database, take_setup_lock
from projections.view import Sealer
from projections.views.accounts import CREDENTIALS

SESSIONS = Table(
    "ops_sessions",
    (
        ("sid_hash", "text"),
        ("account_id", "text"),
        ("generation", "int"),
        ("created", "real"),
        ("last_seen", "real"),
        ("device", "blob"),
    ),
    ("sid_hash",),
    indexes=(("account_id",),),
)

COUNTERS = Table(
    "ops_rate_counters",
    (("bucket", "text"), ("slot", "int"), ("hits", "int"), ("expires", "real")),
    ("bucket", "slot"),
    indexes=(("expires",),),
)

#: A session's last write as the primary's WAL position after it (ADR 0028): a page read
#: from a hot standby waits for the standby to replay this far first (read-your-writes).
WRITES = Table(
    "ops_session_writes",
    (("sid_hash", "text"), ("lsn", "text"), ("written", "real")),
    ("sid_hash",),
    indexes=(("written",),),
)

#: ``last_seen`` is written at most this often per session (a page view is a read).
TOUCH_SECONDS = 60.0

Clock = Callable[[], float]


def _wall_clock() -> float:
    return time.time()  # looked up at each call: tests move the clock


def _not_durable(db: Database, cur: Any) -> None:
    """Let this transaction commit without waiting for the disk (PostgreSQL): a counter or
    a last-seen time lost in a crash costs nothing, and a page should not wait for a flush.
    Opening and ending sessions stay durable — an ended session must stay ended."""
    if db.dialect == "postgres":
        cur.execute("SET LOCAL synchronous_commit TO OFF")


def sid_hash(sid: str) -> str:
    """What the database keeps of a session id."""
    return hashlib.sha256(sid.encode()).hexdigest()


@dataclass(frozen=True)
class ActiveSession:
    """A live session as its owner sees it on «Мои сеансы»."""

    sid_hash: str
    created: float
    last_seen: float
    device: str
    address: str


def setup(db: Database) -> None:
    """Create the operational tables (idempotent). On PostgreSQL under the set-up lock of
    ``ejournal.bootstrap``: two server processes opening a school at once both create them
    (seen: «ops_sessions already exists», a server process restarted)."""
    with db.transaction() as cur:
        if db.dialect == "postgres":
            take_setup_lock(cur, getattr(db, "schema", "public"))
        for table in (SESSIONS, COUNTERS, WRITES):
            for statement in table.ddl(db.dialect):
                cur.execute(statement)


class SessionStore:
    """Create, check, list and end server-side sessions."""

    def __init__(
        self,
        db: Database,
        sealer: Sealer,
        idle_seconds: float,
        absolute_seconds: float,
        now: Clock | None = None,
    ) -> None:
        self.db, self.sealer = db, sealer
        self.idle, self.absolute = idle_seconds, absolute_seconds
        self.now = now or _wall_clock
        p = db.param
        self._check = (
            f"SELECT s.account_id, s.generation, s.created, s.last_seen, c.generation "
            f"FROM {SESSIONS.name} s LEFT JOIN {CREDENTIALS.name} c "
            f"ON c.account_id = s.account_id WHERE s.sid_hash = {p}"
        )

    def _seal(self, account_id: str, digest: str, device: str, address: str) -> bytes:
        data = json.dumps({"device": device[:300], "address": address[:64]}).encode()
        series = ids.person_series(UUID(account_id))
        return self.sealer.seal(series, data, digest.encode())

    def create(self, sid: str, account_id: str, device: str, address: str) -> None:
        """Open a session for ``account_id`` at its current credentials generation; purge
        the expired sessions of every account on the way."""
        now, digest = self.now(), sid_hash(sid)
        sealed = self._seal(account_id, digest, device, address)
        p = self.db.param
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT generation FROM {CREDENTIALS.name} WHERE account_id = {p}", (account_id,)
            )
            row = cur.fetchone()
            cur.execute(
                f"DELETE FROM {SESSIONS.name} WHERE last_seen < {p} OR created < {p}",
                (now - self.idle, now - self.absolute),
            )
            cur.execute(f"DELETE FROM {WRITES.name} WHERE written < {p}", (now - self.absolute,))
            cur.execute(
                f"INSERT INTO {SESSIONS.name} (sid_hash, account_id, generation, created, "
                f"last_seen, device) VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                (digest, account_id, int(row[0]) if row else 0, now, now, sealed),
            )

    def check(self, sid: str) -> str | None:
        """The account of a live session, or None (unknown, ended, idle too long, too old,
        or opened before the account's credentials changed: then its row is deleted)."""
        now, digest = self.now(), sid_hash(sid)
        with self.db.read() as cur:
            cur.execute(self._check, (digest,))
            row = cur.fetchone()
        if row is None:
            return None
        account_id, generation, created, last_seen, current = row
        alive = (
            now - float(last_seen) < self.idle
            and now - float(created) < self.absolute
            and int(generation) == int(current or 0)
        )
        if not alive:
            self.end(sid)
            return None
        if now - float(last_seen) >= TOUCH_SECONDS:
            with self.db.transaction() as cur:
                _not_durable(self.db, cur)
                cur.execute(
                    f"UPDATE {SESSIONS.name} SET last_seen = {self.db.param} "
                    f"WHERE sid_hash = {self.db.param}",
                    (now, digest),
                )
        return str(account_id)

    def remember_write(self, sid: str, lsn: str) -> None:
        """Remember that this session wrote, up to the primary's WAL position ``lsn``."""
        p = self.db.param
        with self.db.transaction() as cur:
            cur.execute(
                f"INSERT INTO {WRITES.name} (sid_hash, lsn, written) VALUES ({p}, {p}, {p}) "
                "ON CONFLICT (sid_hash) DO UPDATE SET lsn = excluded.lsn, "
                "written = excluded.written",
                (sid_hash(sid), lsn, self.now()),
            )

    def last_write(self, sid: str) -> str | None:
        """The WAL position after this session's last write (None: it wrote nothing yet)."""
        with self.db.read() as cur:
            cur.execute(
                f"SELECT lsn FROM {WRITES.name} WHERE sid_hash = {self.db.param}",
                (sid_hash(sid),),
            )
            row = cur.fetchone()
        return None if row is None else str(row[0])

    def end(self, sid: str) -> None:
        """End one session for good."""
        self.end_hashed(sid_hash(sid))

    def end_hashed(self, digest: str, account_id: str | None = None) -> bool:
        """End the session whose id hashes to ``digest`` (only when it is ``account_id``'s,
        when given); True when there was one."""
        p = self.db.param
        query = f"DELETE FROM {SESSIONS.name} WHERE sid_hash = {p}"
        params: tuple[str, ...] = (digest,)
        if account_id is not None:
            query += f" AND account_id = {p}"
            params += (account_id,)
        with self.db.transaction() as cur:
            cur.execute(query, params)
            return bool(cur.rowcount)

    def end_all(self, account_id: str, keep: str | None = None) -> int:
        """End every session of an account (but the one with id ``keep``); how many."""
        p = self.db.param
        query = f"DELETE FROM {SESSIONS.name} WHERE account_id = {p}"
        params: tuple[str, ...] = (account_id,)
        if keep is not None:
            query += f" AND sid_hash <> {p}"
            params += (sid_hash(keep),)
        with self.db.transaction() as cur:
            cur.execute(query, params)
            return int(cur.rowcount)

    def of_account(self, account_id: str) -> list[ActiveSession]:
        """The account's live sessions, the most recently seen first."""
        now, p = self.now(), self.db.param
        with self.db.read() as cur:
            cur.execute(
                f"SELECT sid_hash, created, last_seen, device FROM {SESSIONS.name} "
                f"WHERE account_id = {p} AND last_seen >= {p} AND created >= {p}",
                (account_id, now - self.idle, now - self.absolute),
            )
            rows = cur.fetchall()
        found = []
        for digest, created, last_seen, sealed in rows:
            opened = self.sealer.open(bytes(sealed), str(digest).encode())
            fields: dict[str, Any] = json.loads(opened) if opened else {}
            found.append(
                ActiveSession(
                    str(digest),
                    float(created),
                    float(last_seen),
                    str(fields.get("device", "")),
                    str(fields.get("address", "")),
                )
            )
        return sorted(found, key=lambda s: -s.last_seen)


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per ``seconds`` (a fixed window)."""

    count: int
    seconds: int


class RateCounters:
    """Fixed-window counters in the database, shared by every server process. Keys are
    HMAC-SHA256 digests under the server's secret: an address or a login is never stored."""

    def __init__(self, db: Database, secret: bytes, now: Clock | None = None) -> None:
        self.db, self.secret, self.now = db, secret, now or _wall_clock
        p = db.param
        self._hit = (
            f"INSERT INTO {COUNTERS.name} (bucket, slot, hits, expires) "
            f"VALUES ({p}, {p}, 1, {p}) ON CONFLICT (bucket, slot) "
            f"DO UPDATE SET hits = {COUNTERS.name}.hits + 1 RETURNING hits"
        )
        self._peek = f"SELECT hits FROM {COUNTERS.name} WHERE bucket = {p} AND slot = {p}"

    def _bucket(self, name: str, key: str, limit: Limit) -> str:
        message = f"{name}/{limit.seconds}/{key}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:40]

    def _window(self, limit: Limit) -> tuple[int, float]:
        """The current window's number and when it ends."""
        window = math.floor(self.now() / limit.seconds)
        return window, (window + 1) * limit.seconds

    def hit(self, counts: Sequence[tuple[str, str, Limit]]) -> int | None:
        """Count one hit on each ``(name, key, limit)``, in one transaction; the seconds to
        wait when one of them is over its limit now (None when none is)."""
        wait: int | None = None
        with self.db.transaction() as cur:
            _not_durable(self.db, cur)
            for name, key, limit in counts:
                window, ends = self._window(limit)
                cur.execute(self._hit, (self._bucket(name, key, limit), window, ends))
                if int(cur.fetchone()[0]) > limit.count:
                    wait = max(wait or 0, math.ceil(ends - self.now()))
            if random.random() < 0.01:  # noqa: S311  # now and then, drop ended windows
                cur.execute(
                    f"DELETE FROM {COUNTERS.name} WHERE expires < {self.db.param}", (self.now(),)
                )
        return wait

    def over(self, name: str, key: str, limit: Limit) -> int | None:
        """Without counting: the seconds to wait when ``(name, key)`` has reached its limit
        in the current window, else None."""
        window, ends = self._window(limit)
        with self.db.read() as cur:
            cur.execute(self._peek, (self._bucket(name, key, limit), window))
            row = cur.fetchone()
        if row is not None and int(row[0]) >= limit.count:
            return max(1, math.ceil(ends - self.now()))
        return None

    def forget(self, name: str, key: str, limit: Limit) -> None:
        """Reset ``(name, key)`` (a successful sign-in clears the client's failures)."""
        window, _ = self._window(limit)
        p = self.db.param
        with self.db.transaction() as cur:
            cur.execute(
                f"DELETE FROM {COUNTERS.name} WHERE bucket = {p} AND slot = {p}",
                (self._bucket(name, key, limit), window),
            )
