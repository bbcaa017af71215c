"""The database drivers' errors (psycopg's, sqlite3's) answered for the inner layers: the
implementation of ``projections.storage_errors.DriverErrors``, installed by ``install()``
when the composition root builds the system (``ejournal.bootstrap.build``, the CLI)."""

from __future__ import annotations

import sqlite3

import psycopg

from projections import storage_errors
from projections.storage_errors import FULL, READONLY, reason_in_text

_SQLSTATE = {"53100": FULL, "53000": FULL, "25006": READONLY}  # disk full; insufficient
# resources; read-only transaction (a hot standby, default_transaction_read_only)

#: The drivers' "could not reach the database or lost the connection".
DRIVER_UNAVAILABLE: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,  # also the pools' PoolTimeout
    psycopg.InterfaceError,
)

#: The database could not be reached or dropped the connection (a restart, the network, a
#: full pool), the event store's errors included: the request may be sent again. Its
#: command is either committed or not at all.
UNAVAILABLE = DRIVER_UNAVAILABLE + storage_errors.UNAVAILABLE


class Drivers:
    """psycopg's and sqlite3's errors, as ``projections.storage_errors`` asks of them."""

    def storage_reason(self, error: BaseException) -> str | None:
        if isinstance(error, psycopg.Error):
            state = error.sqlstate or ""
            if state in _SQLSTATE:
                return _SQLSTATE[state]
        if isinstance(error, sqlite3.Error | psycopg.Error):
            return reason_in_text(str(error))
        return None

    def unavailable(self, error: BaseException) -> bool:
        return isinstance(error, DRIVER_UNAVAILABLE)

    def unreadable(self, error: BaseException) -> bool:
        return isinstance(error, psycopg.DataError)  # e.g. decode(leaf, 'hex') of no hex


DRIVERS = Drivers()


def install() -> None:
    """Let the inner layers recognise the drivers' errors (once is enough; idempotent)."""
    storage_errors.install(DRIVERS)
