"""How the acting person was authenticated, for the events a command triggers (ADR 0011).

The edge that authenticated the request — a web page (its session), the JSON API (its bearer
token), the CLI (the operator, or a person whose password it read) — sets ``authenticated``
for the duration of the request; ``JournalBase.run`` stamps every new event with it under the
attribute ``authenticated_by`` before saving. The attribute is not a declared field of any
event class: it is kept in the event's stored (encrypted) state beside the fields, events
saved before it existed simply lack it, and the library passes only declared fields to the
aggregates' methods — so no published event class changes and nothing needs upcasting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

#: The attribute under which events carry it (a plain dict: ``AuthenticatedBy.stored``).
ATTRIBUTE = "authenticated_by"
#: Ways of authenticating, as stored.
KINDS = ("session", "token", "cli", "system")


@dataclass(frozen=True)
class AuthenticatedBy:
    """``kind``: session, token, cli or system; ``ref``: the session id, the token id, or
    the operator's user name; ``name``: the token's name (which system holds it)."""

    kind: str
    ref: str
    name: str = ""

    def stored(self) -> dict[str, str]:
        """The plain form kept in events."""
        return {"kind": self.kind, "ref": self.ref, "name": self.name}


_CURRENT: ContextVar[AuthenticatedBy | None] = ContextVar("ejournal_authenticated_by", default=None)


def current() -> AuthenticatedBy | None:
    """How the person acting now was authenticated (None: not said)."""
    return _CURRENT.get()


@contextmanager
def authenticated(by: AuthenticatedBy | None) -> Iterator[None]:
    """Run a block on behalf of a person authenticated ``by``."""
    token = _CURRENT.set(by)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def begin(by: AuthenticatedBy | None) -> object:
    """Set it until ``end`` (for request hooks that cannot wrap a block)."""
    return _CURRENT.set(by)


def end(token: object) -> None:
    """Undo a ``begin``."""
    _CURRENT.reset(token)  # type: ignore[arg-type]


def of_event(event: Any) -> AuthenticatedBy | None:
    """How the actor of a stored event was authenticated (None for older events)."""
    found = getattr(event, ATTRIBUTE, None)
    if not isinstance(found, dict) or found.get("kind") not in KINDS:
        return None
    return AuthenticatedBy(
        str(found["kind"]), str(found.get("ref", "")), str(found.get("name", ""))
    )


def stamp(events: Any) -> None:
    """Stamp new events with how their actor was authenticated (when it is known)."""
    by = current()
    if by is None:
        return
    stored = by.stored()
    for event in events:
        object.__setattr__(event, ATTRIBUTE, stored)
