"""What a view is: tables, and handlers that keep them from events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

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


Handler = Callable[[ViewStore, Any, Applied], None]


def event_name(event: object) -> str:
    """``Lesson.MarkRecorded``; ``Redacted`` for destroyed events."""
    if isinstance(event, Redacted):
        return "Redacted"
    return type(event).__qualname__


def when(event: object) -> datetime:
    """The event's timestamp."""
    moment = event.timestamp  # type: ignore[attr-defined]
    assert isinstance(moment, datetime)
    return moment


@dataclass(frozen=True)
class View:
    """A named view: its tables and a handler per event name it cares about."""

    name: str
    title: str
    tables: tuple[Table, ...]
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    #: Called for every event, before ``handlers`` (views of the whole log).
    every: Handler | None = None

    def apply(self, store: ViewStore, event: object, applied: Applied) -> None:
        """Apply one event (events the view does not handle are ignored)."""
        if self.every is not None:
            self.every(store, event, applied)
        handler = self.handlers.get(event_name(event))
        if handler is not None:
            handler(store, event, applied)
