"""The database cannot take writes — out of space, or read-only — recognised in ONE place.

SQLite, PostgreSQL, the ``eventsourcing`` recorders (which wrap the driver's error) and the
file system each say it their own way; ``storage_problem`` walks an error's chain and names
it ``StorageUnavailable("full" | "readonly")``. The web UI turns that into a 503 page, the API
into a JSON 503, the command line into a message and exit code 8. The store's transactions
are atomic, so such a refusal leaves nothing half-written; once space returns the next
command succeeds without a restart.
"""

from __future__ import annotations

import errno
import sqlite3

import psycopg
from eventsourcing.persistence import PersistenceError

FULL = "full"
READONLY = "readonly"

#: Russian messages shown to users (web page, API error, command line).
MESSAGES = {
    FULL: "На сервере нет места для записи: изменения не сохранены. "
    "Повторите позже, когда администратор освободит место.",
    READONLY: "База данных доступна только для чтения: изменения не сохранены. "
    "Повторите позже или обратитесь к администратору.",
}

_SQLSTATE = {"53100": FULL, "53000": FULL, "25006": READONLY}  # disk full; insufficient
# resources; read-only transaction (a hot standby, default_transaction_read_only)
_TEXT = (
    ("database or disk is full", FULL),
    ("no space left on device", FULL),
    ("readonly database", READONLY),
    ("read-only file system", READONLY),
    ("read-only transaction", READONLY),
)
_ERRNO = {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READONLY}


class StorageUnavailable(Exception):
    """Writing failed because the storage is full (``"full"``) or read-only (``"readonly"``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.text = MESSAGES[reason]
        super().__init__(self.text)


def _reason(error: BaseException) -> str | None:
    if isinstance(error, psycopg.Error):
        state = error.sqlstate or ""
        if state in _SQLSTATE:
            return _SQLSTATE[state]
    if isinstance(error, OSError) and error.errno in _ERRNO:
        return _ERRNO[error.errno]
    if isinstance(error, sqlite3.Error | PersistenceError | psycopg.Error):
        text = str(error).lower()
        return next((reason for needle, reason in _TEXT if needle in text), None)
    return None


def storage_problem(error: BaseException) -> StorageUnavailable | None:
    """``StorageUnavailable`` when ``error`` (or an error it was raised from) says that the
    storage is full or read-only; ``None`` for any other error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StorageUnavailable):
            return current
        reason = _reason(current)
        if reason is not None:
            return StorageUnavailable(reason)
        current = current.__cause__ or current.__context__
    return None
