"""SQLite connections of the composition root (keyring, views): WAL, and write transactions
that take the write lock up front (BEGIN IMMEDIATE) so they never fail half-way on it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def connect(path: str) -> sqlite3.Connection:
    """An autocommit connection usable from any thread (callers serialise writes)."""
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    # Deleted content (destroyed keys, purged view rows) is overwritten, not left in
    # free pages of the file.
    conn.execute("PRAGMA secure_delete=ON")
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection, lock: threading.Lock) -> Iterator[sqlite3.Cursor]:
    """One write transaction on ``conn``; rolled back on any error."""
    with lock:
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
