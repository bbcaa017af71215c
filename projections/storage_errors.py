"""The database cannot take writes — out of space, or read-only — recognised in ONE place;
and the other questions the inner layers ask of a storage error, without importing a driver.

SQLite, PostgreSQL, the ``eventsourcing`` recorders (which wrap the driver's error) and the
file system each say it their own way; ``storage_problem`` walks an error's chain and names
it ``StorageUnavailable("full" | "readonly")``. The web UI turns that into a 503 page, the API
into a JSON 503, the command line into a message and exit code 8. The store's transactions
are atomic, so such a refusal leaves nothing half-written; once space returns the next
command succeeds without a restart.

The drivers' own errors (psycopg's, sqlite3's) are answered by the composition root: it
implements ``DriverErrors`` (``ejournal.driver_errors``) and ``install``\\ s it when it builds
the system, so no inner layer imports a driver (an import contract in ``pyproject.toml``).
"""

from __future__ import annotations

import errno
from typing import Protocol

from eventsourcing import persistence
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

_TEXT = (
    ("database or disk is full", FULL),
    ("no space left on device", FULL),
    ("readonly database", READONLY),
    ("read-only file system", READONLY),
    ("read-only transaction", READONLY),
)
_ERRNO = {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READONLY}

#: The event store's own "unavailable" errors (raised after its retries).
UNAVAILABLE: tuple[type[BaseException], ...] = (
    persistence.OperationalError,
    persistence.InterfaceError,
)


class DriverErrors(Protocol):
    """What the inner layers ask of a database driver's own errors (the error itself, not
    the errors it was raised from)."""

    def storage_reason(self, error: BaseException) -> str | None:
        """``FULL`` or ``READONLY`` when the driver says the storage is full or read-only."""
        ...

    def unavailable(self, error: BaseException) -> bool:
        """The database could not be reached or dropped the connection (a restart, the
        network, a full pool): the request may be sent again."""
        ...

    def unreadable(self, error: BaseException) -> bool:
        """A stored value cannot be read as its type (e.g. a column of hex holding text)."""
        ...


_drivers: list[DriverErrors] = []


def install(driver: DriverErrors) -> None:
    """Answer the questions below for ``driver``'s errors too, from now on (the composition
    root does it when it builds the system; installing the same one again changes nothing)."""
    if driver not in _drivers:
        _drivers.append(driver)


class StorageUnavailable(Exception):
    """Writing failed because the storage is full (``"full"``) or read-only (``"readonly"``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.text = MESSAGES[reason]
        super().__init__(self.text)


def reason_in_text(message: str) -> str | None:
    """``FULL`` or ``READONLY`` when an error's message says so, in the words SQLite, the
    file system or PostgreSQL use."""
    text = message.lower()
    return next((reason for needle, reason in _TEXT if needle in text), None)


def _reason(error: BaseException) -> str | None:
    for driver in _drivers:
        reason = driver.storage_reason(error)
        if reason is not None:
            return reason
    if isinstance(error, OSError) and error.errno in _ERRNO:
        return _ERRNO[error.errno]
    if isinstance(error, PersistenceError):
        return reason_in_text(str(error))
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


def database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or dropped the connection (the event store's
    error after its own retries, or a driver's): the command is either committed or not at
    all, and may be sent again."""
    return isinstance(error, UNAVAILABLE) or any(d.unavailable(error) for d in _drivers)


def unreadable(error: BaseException) -> bool:
    """A driver could not read a stored value as its type (a row overwritten by hand)."""
    return any(d.unreadable(error) for d in _drivers)
