"""Every event the domain records has a Russian name in the auditor's trail (issue 17 item 8):
a record's history never shows «Изменение записи» for an event the product itself writes."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from eventsourcing.domain import Aggregate, DomainEvent

import domain
from web import trail

#: The base classes every aggregate carries, never recorded under their own name here.
BASES = frozenset({"Created", "Event"})


def recorded_events(*, bases: bool = False) -> set[str]:
    """«Aggregate.Event» of every event class declared on a domain aggregate (``bases``:
    with the ``Created`` and ``Event`` every aggregate has, which some record as such)."""
    found = set()
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, Aggregate) or cls.__module__ != module.__name__:
                continue
            for name, member in vars(cls).items():
                event = inspect.isclass(member) and issubclass(member, DomainEvent)
                if event and (bases or name not in BASES):
                    found.add(f"{cls.__name__}.{name}")
    return found


def test_every_domain_event_has_a_russian_name_in_the_trail() -> None:
    events = recorded_events()
    assert "Lesson.MarkRecorded" in events and "Timetable.SubstituteAssigned" in events
    assert sorted(events - set(trail.EVENTS)) == []


def test_the_trail_names_no_event_the_domain_does_not_have() -> None:
    assert sorted(set(trail.EVENTS) - recorded_events(bases=True)) == []
