"""What a view is: tables, and handlers that keep them from events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from domain.base import Redacted
from projections.schema import Table
from projections.store import ViewStore


class Sealer(Protocol):
    """Encrypts values for view rows under a record series' key (personal data), and
    opens them again; ``open`` gives None when the key was destroyed."""

    def seal(self, series: str, data: bytes, context: bytes) -> bytes: ...
    def open(self, blob: bytes, context: bytes) -> bytes | None: ...


@dataclass(frozen=True)
class Applied:
    """What a handler knows besides the event: its position in the log and the sealer."""

    position: int
    sealer: Sealer
    #: The stored event (ids, topic, ciphertext): for views of the log itself (the ledger).
    notification: Any = None


E = TypeVar("E")

#: Keeps a view's tables from one event: ``handler(store, event, applied)``. ``Handler[E]``
#: takes events of class ``E`` (a bare ``Handler`` takes any).
Handler = Callable[[ViewStore, E, Applied], None]


def on(event: type[E], handler: Handler[E]) -> tuple[type[E], Handler[Any]]:
    """One entry of a view's handlers: ``handler`` for events of class ``event`` (a class of
    the domain, e.g. ``Lesson.MarkRecorded``); mypy checks that the handler takes it."""
    return event, handler


def by_event(*entries: tuple[type[Any], Handler[Any]]) -> dict[type[Any], Handler[Any]]:
    """A view's handlers from ``on(...)`` entries, keyed by event class; a class given
    twice is an error (a dict literal would silently keep the last)."""
    handlers: dict[type[Any], Handler[Any]] = {}
    for event, handler in entries:
        if event in handlers:
            raise ValueError(f"two handlers for {event.__qualname__}")
        handlers[event] = handler
    return handlers


def event_name(event: object) -> str:
    """``Lesson.MarkRecorded``; ``Redacted`` for destroyed events (what the history and
    the views' rows store as an event's type)."""
    if isinstance(event, Redacted):
        return "Redacted"
    return type(event).__qualname__


def when(event: object) -> datetime:
    """The event's timestamp."""
    moment = event.timestamp  # type: ignore[attr-defined]
    assert isinstance(moment, datetime)
    return moment


def stamped_after(event: object, until: datetime) -> bool:
    """True when the event is stamped after ``until`` (an as-of replay leaves it out)."""
    try:
        return when(event) > until
    except AttributeError:
        return False


@dataclass(frozen=True)
class View:
    """A named view: its tables and a handler per event class it cares about."""

    name: str
    title: str
    tables: tuple[Table, ...]
    #: Keyed by the event's class (``by_event(on(Lesson.MarkRecorded, ...), ...)``);
    #: a destroyed event arrives as a ``Redacted`` (only ``every`` sees it unless keyed).
    handlers: Mapping[type[Any], Handler[Any]] = field(default_factory=dict)
    #: Called for every event, ``Redacted`` ones too, before ``handlers`` (views of the
    #: whole log: the history, the records register, the ledger).
    every: Handler[object] | None = None

    def steps(self, kind: type[Any]) -> list[Handler[Any]]:
        """What ``apply`` calls for an event of class ``kind``, in order."""
        found: list[Handler[Any]] = [] if self.every is None else [self.every]
        handler = self.handlers.get(kind)
        return found if handler is None else [*found, handler]

    def apply(self, store: ViewStore, event: object, applied: Applied) -> None:
        """Apply one event (events the view does not handle are ignored)."""
        if self.every is not None:
            self.every(store, event, applied)
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(store, event, applied)
