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

#: The zone of a school that sets none (``EJOURNAL_TIMEZONE``).
DEFAULT_ZONE = "Europe/Moscow"

#: The school's local time zone: it decides which calendar day "today" is, and every page
#: shows moments in it. Set once at start-up by ``set_school_zone``; read as
#: ``clock.SCHOOL_TZ`` (module ``__getattr__`` below) or ``school_zone()``.
_zone: list[ZoneInfo] = [ZoneInfo(DEFAULT_ZONE)]


def set_school_zone(name: str) -> None:
    """Use the IANA time zone ``name`` (``Asia/Yekaterinburg``) as the school's;
    ``ZoneInfoNotFoundError`` (a ``KeyError``) for an unknown one."""
    _zone[0] = ZoneInfo(name)


def school_zone() -> ZoneInfo:
    """The school's time zone."""
    return _zone[0]


def __getattr__(name: str) -> ZoneInfo:
    """``clock.SCHOOL_TZ``: the school's time zone as set now (not as at import)."""
    if name == "SCHOOL_TZ":
        return _zone[0]
    raise AttributeError(name)


def now() -> datetime:
    """Return the current time (UTC, timezone-aware), or the travelled-to time."""
    moment = _override.get()
    return moment if moment is not None else datetime.now(UTC)


def today() -> date:
    """Return the school's calendar date of ``now()``."""
    return local_date(now())


def local_date(moment: datetime) -> date:
    """The school's calendar date of ``moment``."""
    return moment.astimezone(school_zone()).date()


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
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=school_zone()).astimezone(
        UTC
    )


def days_between(start: date, end: date) -> int:
    """Return whole days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (end - start) // timedelta(days=1)
