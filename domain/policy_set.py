"""``PolicySet``: the rules a deployment runs with, as recorded, and the head's approvals.

The rules live in ``policies/*.toml``; the school's regulations (``ejournal documents``)
are generated from them. So that a document, a term mark's explanation or an auditor can
say which rules were in force, the composition root records them at start-up: when the
content (SHA-256 of each file's bytes) differs from the last recorded version it records
``PoliciesChanged`` — every file's hash and text, which files changed and, key by key, what
changed. Each change is a new **version** (1, 2, …). The head approves a version by an
order («приказ № … от …»): ``Approved``. The version in force for documents is the latest
approved one.

One aggregate per deployment, saved with the event store's optimistic concurrency: two
processes starting at once both try to append the same next version; the loser's save
fails, it reloads, finds the same hashes recorded, and records nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import clock, errors, ids
from domain.base import SYSTEM_ACTOR, Aggregate
from domain.service import CommandGroup, Receipt

#: Longest order number («приказ № 12-од»).
ORDER_NO_MAX = 40


class VersionNotRecorded(errors.NotFound):
    """Raised when approving a version of the policies that was never recorded."""

    message = "Такая редакция правил не записана."


class VersionAlreadyApproved(errors.Conflict):
    """Raised when approving a version of the policies that is approved already."""

    message = "Эта редакция правил уже утверждена."


class OrderInvalid(errors.InvalidInput):
    """Raised when the order approving the policies lacks a number, or its date is later
    than today or earlier than the version it approves."""

    message = "Укажите номер и дату приказа (не позже сегодняшнего дня)."


@dataclass(frozen=True)
class PolicyFileText:
    """One policy file as read at start-up: its SHA-256 (of the bytes) and its text."""

    sha256: str
    text: str


def _flat(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """Dotted keys of a TOML value; a list of tables keyed by each one's ``code`` (or
    ``name``) when it has one, so that moving an entry is not reported as a change."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flat(inner, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        for index, item in enumerate(value):
            label = item.get("code") or item.get("name") or str(index)
            _flat(item, f"{prefix}[{label}]", out)
    else:
        out[prefix] = value


def flatten(text: str) -> dict[str, Any]:
    """A TOML text as dotted keys → values (``{}`` when it does not parse)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    out: dict[str, Any] = {}
    _flat(data, "", out)
    return out


def diff(before: str, after: str) -> dict[str, Any]:
    """What changed between two texts of one file, key by key: ``added`` and ``removed``
    (key → value) and ``changed`` (key → [old, new])."""
    old, new = flatten(before), flatten(after)
    return {
        "added": {k: new[k] for k in sorted(new.keys() - old.keys())},
        "removed": {k: old[k] for k in sorted(old.keys() - new.keys())},
        "changed": {
            k: [old[k], new[k]] for k in sorted(old.keys() & new.keys()) if old[k] != new[k]
        },
    }


def changes(
    recorded: Mapping[str, PolicyFileText], running: Mapping[str, PolicyFileText]
) -> tuple[list[str], dict[str, Any]]:
    """The files whose hashes differ (added and removed ones too), and the diff of each."""
    names = sorted(
        n
        for n in recorded.keys() | running.keys()
        if (recorded.get(n) or PolicyFileText("", "")).sha256
        != (running.get(n) or PolicyFileText("", "")).sha256
    )
    found = {
        n: diff(
            (recorded.get(n) or PolicyFileText("", "")).text,
            (running.get(n) or PolicyFileText("", "")).text,
        )
        for n in names
    }
    return names, found


class PolicySet(Aggregate):
    """The recorded versions of the policies and their approvals (one per deployment, in
    the ``retention`` series: kept for ever, as the retention schedule is)."""

    closes_with_year = False

    @staticmethod
    def create_id(**_: object) -> UUID:
        return ids.policy_set_id()

    class Started(Aggregate.Created):
        """The record of the policies begun (the first ``PoliciesChanged`` follows)."""

        series: str
        actor: UUID

    @event(Started)
    def __init__(self, series: str, actor: UUID) -> None:
        self.series = series
        self.files: dict[str, PolicyFileText] = {}
        self.versions = 0
        self.approved: dict[int, str] = {}
        self.issued = 0

    class PoliciesChanged(Aggregate.Event):
        """A new version of the policies runs: ``files`` name → SHA-256 and ``texts`` of
        every file, ``changed`` the files that differ from the last version, ``diff`` what
        changed in each, key by key."""

        number: int
        files: dict[str, str]
        texts: dict[str, str]
        changed: list[str]
        diff: dict[str, Any]
        actor: UUID

    def record(self, running: Mapping[str, PolicyFileText], actor: UUID) -> bool:
        """Record ``running`` as a new version unless it is the recorded one; True if so."""
        changed, found = changes(self.files, running)
        if not changed:
            return False
        self._changed(
            number=self.versions + 1,
            files={n: f.sha256 for n, f in sorted(running.items())},
            texts={n: f.text for n, f in sorted(running.items())},
            changed=changed,
            diff=found,
            actor=actor,
        )
        return True

    @event(PoliciesChanged)
    def _changed(
        self,
        number: int,
        files: dict[str, str],
        texts: dict[str, str],
        changed: list[str],
        diff: dict[str, Any],
        actor: UUID,
    ) -> None:
        self.files = {n: PolicyFileText(files[n], texts[n]) for n in files}
        self.versions = number

    class Approved(Aggregate.Event):
        """The head approved version ``number`` by order ``order_no`` of ``order_date``."""

        number: int
        order_no: str
        order_date: str
        actor: UUID

    def approve(self, number: int, order_no: str, order_date: date, actor: UUID) -> None:
        """Approve version ``number`` (``VersionNotRecorded``, ``VersionAlreadyApproved``,
        ``OrderInvalid``)."""
        if not 1 <= number <= self.versions:
            raise VersionNotRecorded(version=number)
        if number in self.approved:
            raise VersionAlreadyApproved(
                f"Редакция {number} уже утверждена приказом № {self.approved[number]}.",
                version=number,
            )
        text = " ".join(order_no.split())
        if not text or len(text) > ORDER_NO_MAX or order_date > clock.today():
            raise OrderInvalid()
        self._approved(number=number, order_no=text, order_date=order_date.isoformat(), actor=actor)

    @event(Approved)
    def _approved(self, number: int, order_no: str, order_date: str, actor: UUID) -> None:
        self.approved[number] = order_no

    class DocumentIssued(Aggregate.Event):
        """A regulation made from approved version ``number`` was written: the signed
        file's name, SHA-256 and size, and those of its unsigned PDF/A first revision
        (``archive verify`` finds the document by its hash)."""

        number: int
        stem: str
        file_name: str
        sha256: str
        size: int
        rendered_sha256: str
        rendered_size: int
        actor: UUID

    def issue(self, number: int, stem: str, files: Mapping[str, Any], actor: UUID) -> None:
        """Record a document made from approved version ``number``."""
        if number not in self.approved:
            raise VersionNotRecorded("Документы составляются только по утверждённой редакции.")
        self._issued(
            number=number,
            stem=stem,
            file_name=str(files["file_name"]),
            sha256=str(files["sha256"]),
            size=int(files["size"]),
            rendered_sha256=str(files["rendered_sha256"]),
            rendered_size=int(files["rendered_size"]),
            actor=actor,
        )

    @event(DocumentIssued)
    def _issued(
        self,
        number: int,
        stem: str,
        file_name: str,
        sha256: str,
        size: int,
        rendered_sha256: str,
        rendered_size: int,
        actor: UUID,
    ) -> None:
        self.issued += 1


class Rules(CommandGroup):
    """Commands on the recorded policies: record what runs, approve a version."""

    def record(self, running: Mapping[str, PolicyFileText], actor: UUID = SYSTEM_ACTOR) -> int:
        """Record the policies the deployment runs with (start-up, as the system): a new
        version when a file's hash differs from the recorded version. Returns the new
        version's number, 0 when nothing changed. Safe when processes race: the loser of
        the save retries on fresh state and finds nothing to record."""
        set_id = ids.policy_set_id()
        made: list[int] = []

        def command() -> list[Aggregate]:
            made.clear()
            if self.app.exists(set_id):
                found = self.app.load(PolicySet, set_id)
            else:
                found = PolicySet(series=ids.RETENTION_SERIES, actor=actor)
            if not found.record(running, actor):
                return []
            made.append(found.versions)
            return [found]

        self.app.run(command, set_id)
        return made[0] if made else 0

    def approve(self, number: int, order_no: str, order_date: date, actor: UUID) -> Receipt:
        """Approve recorded version ``number`` of the policies by the head's order
        (permission ``policies.approve`` of ``access.toml``)."""
        self.app.require_permission(actor, "policies.approve")
        set_id = ids.policy_set_id()
        if not self.app.exists(set_id):
            raise VersionNotRecorded(version=number)
        return self.app.change(
            PolicySet,
            set_id,
            lambda p: p.approve(number, order_no, order_date, actor),
            VersionNotRecorded,
        )

    def issue_document(
        self, number: int, stem: str, files: Mapping[str, Any], actor: UUID = SYSTEM_ACTOR
    ) -> Receipt:
        """Record a regulation written from approved version ``number`` (``files``:
        file_name, sha256, size, rendered_sha256, rendered_size)."""
        return self.app.change(
            PolicySet,
            ids.policy_set_id(),
            lambda p: p.issue(number, stem, files, actor),
            VersionNotRecorded,
        )

    def recorded_version(self) -> int:
        """The number of the latest recorded version (0: none yet)."""
        set_id = ids.policy_set_id()
        if not self.app.exists(set_id):
            return 0
        return self.app.load(PolicySet, set_id, readonly=True).versions
