"""Fixtures of the domain's unit tests: policies, a fresh in-memory journal, a small school."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path

import pytest

from domain import clock
from domain.errors import DomainError
from domain.journal import Journal
from domain.policies import Policies
from ejournal import password_strength
from ejournal.policyfiles import load_policies
from tests.school import School, at, build_school

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

Rejects = Callable[[type[DomainError]], AbstractContextManager[pytest.ExceptionInfo[DomainError]]]


def stored(journal: Journal) -> int:
    """How many events the journal has stored (one notification per event)."""
    return len(journal.recorder.select_notifications(start=1, limit=10**6))


def new_journal(policies: Policies) -> Journal:
    """A fresh journal on the in-memory (POPO) backend, with the product's password
    strength check (as ``ejournal.bootstrap.build`` gives it)."""
    journal = Journal(policies, env=dict(MEMORY))
    journal.accounts.strength = password_strength.check
    return journal


@contextmanager
def expect_rejected(
    journal: Journal, error: type[DomainError]
) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """The block raises exactly ``error`` (not a subclass or a sibling) and stores nothing."""
    before = stored(journal)
    with pytest.raises(DomainError) as info:
        yield info
    assert type(info.value) is error, f"expected {error.__name__}, got {info.value!r}"
    assert stored(journal) == before, "a rejected command stored events"


@contextmanager
def on(day: date, hour: int = 15) -> Iterator[None]:
    """Run the block at ``hour`` o'clock school time on ``day``."""
    with clock.travel(at(day, hour)):
        yield


@pytest.fixture(scope="session")
def policies() -> Policies:
    return load_policies(POLICIES_DIR)


@pytest.fixture
def journal(policies: Policies) -> Journal:
    return new_journal(policies)


@pytest.fixture
def school(journal: Journal) -> School:
    return build_school(journal)


@pytest.fixture
def rejects(journal: Journal) -> Rejects:
    """``with rejects(PeriodClosed): ...`` — exactly that error, and no events stored."""
    return lambda error: expect_rejected(journal, error)


@pytest.fixture(autouse=True)
def _attendance_codes_as_recorded() -> Iterator[None]:
    """Queries over in-memory views read attendance codes as a reader allowed the sensitive
    ones (the web decides per user; ``tests/integration/test_sensitive_codes.py``)."""
    from projections.views import grid
    from tests.views import PlainSealer

    policy = load_policies(POLICIES_DIR).attendance
    with grid.reading_codes(grid.Codes(PlainSealer(), policy, allowed=True)):
        yield
