"""The storage-error port: the inner layers name a full, read-only, unreachable or unreadable
database without importing a driver; ``ejournal.driver_errors`` answers for psycopg and
sqlite3 once installed."""

from __future__ import annotations

import errno
import sqlite3

import psycopg
import psycopg.errors
import pytest
from eventsourcing import persistence
from psycopg_pool import PoolTimeout

from ejournal import driver_errors
from projections.storage_errors import (
    FULL,
    READONLY,
    database_unavailable,
    storage_problem,
    unreadable,
)


@pytest.fixture(autouse=True)
def installed() -> None:
    driver_errors.install()
    driver_errors.install()  # idempotent


def _raised_from(error: BaseException) -> BaseException:
    try:
        try:
            raise error
        except BaseException as cause:
            raise persistence.OperationalError("wrapped") from cause
    except BaseException as outer:
        return outer


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (psycopg.errors.DiskFull("could not extend file"), FULL),
        (psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT"), READONLY),
        (psycopg.OperationalError("could not write: No space left on device"), FULL),
        (sqlite3.OperationalError("database or disk is full"), FULL),
        (sqlite3.OperationalError("attempt to write a readonly database"), READONLY),
        (OSError(errno.ENOSPC, "No space left on device"), FULL),
        (OSError(errno.EROFS, "Read-only file system"), READONLY),
        (persistence.OperationalError("database or disk is full"), FULL),
    ],
)
def test_full_or_read_only_is_recognised_through_the_chain(
    error: BaseException, reason: str
) -> None:
    problem = storage_problem(error)
    assert problem is not None and problem.reason == reason
    wrapped = storage_problem(_raised_from(error))
    assert wrapped is not None and wrapped.reason == reason


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("no such table: x"),
        psycopg.errors.UniqueViolation("dup"),
        KeyError(),
    ],
)
def test_other_errors_are_no_storage_problem(error: BaseException) -> None:
    assert storage_problem(error) is None


def test_unavailable_and_unreadable() -> None:
    for error in (
        psycopg.OperationalError("the database system is shutting down"),
        psycopg.InterfaceError("connection closed"),
        PoolTimeout("no connection"),
        persistence.OperationalError("after retries"),
        persistence.InterfaceError("after retries"),
    ):
        assert database_unavailable(error), error
        assert isinstance(error, driver_errors.UNAVAILABLE)
    assert not database_unavailable(sqlite3.OperationalError("database is locked"))
    assert unreadable(psycopg.errors.InvalidParameterValue("invalid hexadecimal digit"))
    assert not unreadable(ValueError("non-hexadecimal number"))
