"""Plumbing shared by the journal's application commands.

Loading aggregates with named errors, the acting account, the facts a rule needs
(``EntryContext``), and saving with bounded retries on concurrent writes.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Transcoder,
    Transcoding,
)

from domain import auth_context, clock, errors
from domain.account import Account
from domain.base import SYSTEM_ACTOR, Aggregate
from domain.explain import FinalInputs
from domain.groups import ActivityGroup, ClassGroup, CourseJournal
from domain.policies import Policies
from domain.rules import Actor, EntryContext
from domain.school_year import SchoolYear
from domain.series_guard import SeriesGuard

A = TypeVar("A", bound=Aggregate)

#: How many times a command is re-run when another writer saved the same aggregate first.
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Receipt:
    """What a command returns: the id of the record it created or changed, and the
    notification id of its last event (0 when nothing changed) for read-your-writes."""

    id: UUID
    position: int
    created: tuple[UUID, ...] = ()


class DateAsISO(Transcoding):
    """Stores ``datetime.date`` values as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


MapperFactory = Callable[[Transcoder], Mapper[UUID]]


class JournalBase(Application[UUID]):
    """The event-sourced application underneath every command and query."""

    name = "ejournal"

    def __init__(
        self,
        policies: Policies,
        env: dict[str, str] | None = None,
        mapper_factory: MapperFactory | None = None,
        cache_size: int = 0,
    ) -> None:
        self.policies = policies
        #: Where the marks a term or year mark is computed from are read (ADR 0024): the
        #: composition root wires the journal's views here; None reads no inputs (a mark
        #: set then keeps an empty explanation and needs no reason).
        self.final_inputs: FinalInputs | None = None
        self._facts = FactCache(cache_size)
        self._mapper_factory = mapper_factory
        #: Called with the last notification id after each command's events are committed
        #: (the composition root hooks the in-process view processor here on SQLite).
        self.saved_listeners: list[Callable[[int], None]] = []
        #: Called before each load (the composition root checks there whether series keys
        #: were destroyed, and then drops the aggregate cache: see ``forget_cached``).
        self.load_listeners: list[Callable[[], None]] = []
        self.series_guard = SeriesGuard(self)
        # Read-only loads made while one command runs, shared by its rules and the guard.
        self._memo = threading.local()
        super().__init__(env)
        bind = getattr(self.mapper, "bind_recorder", None)
        if bind is not None:
            bind(self.recorder)
        self.compose()

    def compose(self) -> None:
        """Build the command groups on this application (``Journal`` does): called once at
        the end of ``__init__``, when the event store and the repository are ready."""

    # --- infrastructure hooks ----------------------------------------------------------
    def construct_repository(self) -> Repository[UUID]:
        """The library's repository without its aggregate cache, whatever the environment
        says (``AGGREGATE_CACHE_MAXSIZE``): that cache fast-forwards the shared instance in
        place while other threads read it, and would keep serving records after their keys
        are destroyed. Read-only loads use ``FactCache`` instead."""
        return Repository(event_store=self.events, snapshot_store=self.snapshots)

    def construct_mapper(self) -> Mapper[UUID]:
        """Use the injected (encrypting) mapper when the composition root gives one."""
        if self._mapper_factory is None:
            return super().construct_mapper()
        return self._mapper_factory(self.construct_transcoder())

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- loading -----------------------------------------------------------------------
    def load(
        self,
        cls: type[A],
        aggregate_id: UUID,
        missing: type[errors.NotFound] = errors.RecordNotFound,
        *,
        readonly: bool = False,
    ) -> A:
        """Return the aggregate, or raise ``missing`` (a named not-found error).

        ``readonly`` loads (the facts a rule reads: course journal, year, account, group)
        may share the repository cache's copy — fast-forwarded to the latest version, but
        not deep-copied — so they must never be changed. Within one run of a command they
        are loaded once."""
        memo: dict[UUID, object] | None = getattr(self._memo, "loads", None)
        if readonly and memo is not None and aggregate_id in memo:
            found = memo[aggregate_id]
            if isinstance(found, cls):
                return found
        for listener in self.load_listeners:
            listener()
        try:
            aggregate: object = (
                self._load_fact(aggregate_id)
                if readonly
                else self.repository.get(aggregate_id, projector_func=_project)
            )
        except AggregateNotFoundError:
            raise missing(record_id=str(aggregate_id)) from None
        if not isinstance(aggregate, cls):
            raise missing(record_id=str(aggregate_id))
        if readonly and memo is not None:
            memo[aggregate_id] = aggregate
        return aggregate

    def _load_fact(self, aggregate_id: UUID) -> object:
        """A read-only load through the fact cache: the cached copy brought up to date
        with the events stored since (written by any process), replayed on a copy —
        a copy once cached is never changed, so threads may share it."""
        generation = self._facts.generation
        cached = self._facts.get(aggregate_id)
        if cached is None:
            aggregate = self.repository.get(aggregate_id, projector_func=_project)
        else:
            newer = list(self.repository.event_store.get(aggregate_id, gt=cached.version))
            if not newer:
                return cached
            aggregate = _project(copy.deepcopy(cached), newer)
        self._facts.put(aggregate_id, aggregate, generation)
        return aggregate

    def forget_cached(self) -> None:
        """Drop every cached aggregate (after keys were destroyed: a cached copy would
        still hold the decrypted personal data of a shredded series)."""
        self._facts.clear()

    def exists(self, aggregate_id: UUID) -> bool:
        """True when a record with this id has been stored."""
        return aggregate_id in self.repository

    def actor(self, account_id: UUID) -> Actor:
        """The acting account with its roles; the system actor acts as administrator."""
        if account_id == SYSTEM_ACTOR:
            return Actor(SYSTEM_ACTOR, frozenset({"admin"}))
        account = self.load(Account, account_id, errors.AccountNotFound, readonly=True)
        if account.is_locked(clock.now()):
            raise errors.AccountLocked()
        return Actor(account.id, frozenset(account.roles))

    def require_role(self, account_id: UUID, roles: frozenset[str]) -> Actor:
        """Return the actor, or raise ``RoleRequired`` unless it holds one of ``roles``."""
        actor = self.actor(account_id)
        if not actor.has_any(roles):
            raise errors.RoleRequired(roles=sorted(roles))
        return actor

    def require_permission(self, account_id: UUID, code: str) -> Actor:
        """Return the actor, or raise ``RoleRequired`` unless one of its roles holds
        permission ``code`` of ``policies/access.toml`` for every record (the file, not the
        code, says who may run a command: issue 14)."""
        return self.require_role(account_id, self.policies.access.roles_for(code))

    def group_of(self, journal: CourseJournal) -> ClassGroup | ActivityGroup:
        """The class or extracurricular group a course journal belongs to."""
        if journal.group_kind == "activity":
            return self.load(ActivityGroup, journal.group_id, readonly=True)
        return self.load(ClassGroup, journal.group_id, readonly=True)

    def entry_context(
        self, journal: CourseJournal, day: date, account_id: UUID, substitute: UUID | None = None
    ) -> EntryContext:
        """Everything the entry rules need for an entry dated ``day`` in ``journal``; the
        ``substitute`` of a lesson («замена», ADR 0019) keeps that lesson as its teacher."""
        year = self.load(SchoolYear, journal.year_id, readonly=True)
        substitutes = {substitute} if substitute is not None else set()
        return EntryContext(
            actor=self.actor(account_id),
            policies=self.policies,
            teachers=frozenset(journal.teachers) | substitutes,
            scale=journal.scale,
            locked=year.is_locked(day),
            enrolled=frozenset(self.group_of(journal).members_on(day)),
            now=clock.now(),
        )

    # --- saving ------------------------------------------------------------------------
    def run(self, command: Callable[[], Sequence[Aggregate]], record_id: UUID) -> Receipt:
        """Run ``command`` (load, decide, trigger) and save what it returns in one
        transaction. When another writer saved one of the aggregates first, the command is
        re-run on fresh state, at most ``MAX_ATTEMPTS`` times; then ``ConcurrentUpdate``."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._memo.loads = {}
            try:
                aggregates = list(command())
                entries = self.series_guard.prepare(aggregates)
                for aggregate in (*entries, *aggregates):
                    auth_context.stamp(aggregate.pending_events)
            finally:
                self._memo.loads = None
            try:
                recordings = self.save(*entries, *aggregates)
            except IntegrityError:
                if attempt == MAX_ATTEMPTS:
                    raise errors.ConcurrentUpdate(record_id=str(record_id)) from None
                # Exponential back-off with full jitter spreads the retries of rivals.
                time.sleep(random.uniform(0, 0.002 * 2**attempt))  # noqa: S311
                continue
            self.series_guard.saved(entries)
            position = recordings[-1].notification.id if recordings else 0
            if position:
                for listener in self.saved_listeners:
                    listener(position)
            return Receipt(record_id, position)
        raise AssertionError("unreachable")  # pragma: no cover

    def create(self, factory: Callable[[], A], *, exists_message: str = "") -> Receipt:
        """Create a new aggregate with a derived id; ``AlreadyExists`` if it is stored."""
        holder: dict[str, Any] = {}

        def command() -> Sequence[Aggregate]:
            aggregate = factory()
            if self.exists(aggregate.id):
                raise errors.AlreadyExists(exists_message or None, record_id=str(aggregate.id))
            holder["id"] = aggregate.id
            return [aggregate]

        try:
            receipt = self.run(command, SYSTEM_ACTOR)
        except errors.ConcurrentUpdate:
            raise errors.AlreadyExists(exists_message or None) from None
        return Receipt(holder["id"], receipt.position)

    def change(
        self,
        cls: type[A],
        aggregate_id: UUID,
        mutate: Callable[[A], object],
        missing: type[errors.NotFound] = errors.RecordNotFound,
    ) -> Receipt:
        """Load one aggregate, apply ``mutate`` (which enforces the rules), save.

        ``mutate`` may return the ids of what it created (marks, requests)."""
        created: list[UUID] = []

        def command() -> Sequence[Aggregate]:
            aggregate = self.load(cls, aggregate_id, missing)
            result = mutate(aggregate)
            created[:] = _ids(result)
            return [aggregate]

        receipt = self.run(command, aggregate_id)
        return Receipt(receipt.id, receipt.position, tuple(created))


class CommandGroup:
    """One group of the journal's commands or queries (``journal.entry``, ``journal.grades``…),
    composed on the application: it holds the application and reaches the event store, the
    acting account, the rules' facts and the retries (``run``/``create``/``change``) through
    it, so every group writes through the same event store and notification log."""

    def __init__(self, app: JournalBase) -> None:
        self.app = app


class FactCache:
    """A bounded, thread-safe map of aggregates for read-only loads (least recently used
    dropped first). Size 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()
        #: Advanced by every ``clear``: a load that began before a clear (it may have
        #: decrypted with a key destroyed since) must not put its copy back after it.
        self.generation = 0

    def get(self, aggregate_id: UUID) -> Any | None:
        with self._lock:
            found = self._items.get(aggregate_id)
            if found is not None:
                self._items.move_to_end(aggregate_id)
            return found

    def put(self, aggregate_id: UUID, aggregate: Any, generation: int) -> None:
        """Keep ``aggregate``, loaded by a load that began at ``generation``."""
        if self.size <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return  # cleared since the load began: its copy may be of a shredded key
            known = self._items.get(aggregate_id)
            if known is not None and known.version > aggregate.version:
                return  # another thread cached a newer version meanwhile
            self._items[aggregate_id] = aggregate
            self._items.move_to_end(aggregate_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.generation += 1


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply events in order. The library's default projector checks each event against a
    runtime ``Protocol`` — about half the cost of a replay — which our events never fail."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _ids(result: object) -> list[UUID]:
    if isinstance(result, UUID):
        return [result]
    if isinstance(result, list | tuple):
        return [r for r in result if isinstance(r, UUID)]
    return []
