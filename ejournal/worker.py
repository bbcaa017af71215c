"""``ejournal worker``: keeps the views up to date continuously.

On PostgreSQL it sleeps on LISTEN for the event store's NOTIFY (sent by every insert) and
polls as a fallback; on SQLite it polls.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from ejournal.bootstrap import System
from ejournal.driver_errors import UNAVAILABLE

log = logging.getLogger(__name__)
CHANNEL = "ejournal_events"


def run_worker(
    system: System,
    stop: threading.Event,
    poll: float = 1.0,
    tick: Callable[[], None] | None = None,
) -> None:
    """Catch up, then wait for a notification (or ``poll`` seconds); until ``stop``.
    ``tick`` runs after each catch-up (the e-mail notifications, ``ejournal.notify``)."""
    db = system.settings.database
    conn: psycopg.Connection[object] | None = None
    try:
        while not stop.is_set():
            try:
                if conn is None and db.backend == "postgres":
                    conn = psycopg.connect(db.conninfo(), autocommit=True)
                    conn.execute(f"LISTEN {CHANNEL}")
                processed = system.views.catch_up()
                if processed:
                    log.info("views caught up: %d events", processed)
                system.ledger.maybe_checkpoint()
                if tick is not None:
                    tick()
                if conn is not None:
                    for _ in conn.notifies(timeout=poll, stop_after=1):
                        pass
                else:
                    stop.wait(poll)
            except UNAVAILABLE as error:  # the event store's errors too: they
                # come after its own retries, e.g. while PostgreSQL restarts (crash test)
                log.warning("database unavailable (%s); retrying", type(error).__name__)
                if conn is not None:
                    conn.close()
                conn = None
                stop.wait(poll)
    finally:
        if conn is not None:
            conn.close()
