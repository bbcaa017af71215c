"""The server's clock.

Every event is stamped by the server, never by the client. Tests and the demo seeder may
move the clock (``clock.travel``) to record history at realistic moments; production never does.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_override: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "ejournal_clock", default=None
)

#: The school's local time zone decides which calendar day "today" is.
SCHOOL_TZ = ZoneInfo("Europe/Moscow")


def now() -> datetime:
    """Return the current time (UTC, timezone-aware), or the travelled-to time."""
    moment = _override.get()
    return moment if moment is not None else datetime.now(UTC)


def today() -> date:
    """Return the school's calendar date of ``now()``."""
    return local_date(now())


def local_date(moment: datetime) -> date:
    """The school's calendar date of ``moment``."""
    return moment.astimezone(SCHOOL_TZ).date()


@contextmanager
def travel(moment: datetime) -> Iterator[None]:
    """Run the block as if the time were ``moment`` (tests and demo seeding only)."""
    if moment.tzinfo is None:
        raise ValueError("clock.travel needs a timezone-aware datetime")
    token = _override.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _override.reset(token)


def set_time(moment: datetime | None) -> None:
    """Move the clock for the rest of the current context (None restores the real clock)."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("clock.set_time needs a timezone-aware datetime")
    _override.set(moment.astimezone(UTC) if moment is not None else None)


def local_datetime(day: date, hour: int, minute: int = 0) -> datetime:
    """Return the UTC moment of a school-local wall time on ``day``."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SCHOOL_TZ).astimezone(UTC)


def days_between(start: date, end: date) -> int:
    """Return whole days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (end - start) // timedelta(days=1)
