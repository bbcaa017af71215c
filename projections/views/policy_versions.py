"""The recorded versions of the policies (``PolicySet``) and their approvals: one row per
version with every file's SHA-256 and text, what changed, and the head's order when
approved. No personal data (the approver is an account id).

``approval_for_hash`` maps a file's hash (a term mark keeps the hash of ``grading.toml`` it
was computed under) to the order that approved rules containing it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.policy_set import PolicySet
from projections.schema import Table
from projections.store import Reader, ViewStore
from projections.view import Applied, View, by_event, on, when

VERSIONS = Table(
    "v_policy_versions",
    (
        ("number", "int"),
        ("recorded_at", "text"),
        ("files", "text"),
        ("texts", "text"),
        ("changed", "text"),
        ("diff", "text"),
        ("order_no", "text"),
        ("order_date", "text"),
        ("approved_by", "text"),
        ("approved_at", "text"),
    ),
    ("number",),
)


def _changed(store: ViewStore, e: PolicySet.PoliciesChanged, _: Applied) -> None:
    store.upsert(
        VERSIONS,
        {
            "number": e.number,
            "recorded_at": when(e).isoformat(),
            "files": json.dumps(e.files, sort_keys=True),
            "texts": json.dumps(e.texts, ensure_ascii=False, sort_keys=True),
            "changed": json.dumps(e.changed),
            "diff": json.dumps(e.diff, ensure_ascii=False, sort_keys=True, default=str),
            "order_no": None,
            "order_date": None,
            "approved_by": None,
            "approved_at": None,
        },
    )


def _approved(store: ViewStore, e: PolicySet.Approved, _: Applied) -> None:
    store.update(
        VERSIONS,
        (e.number,),
        {
            "order_no": e.order_no,
            "order_date": e.order_date,
            "approved_by": str(e.actor),
            "approved_at": when(e).isoformat(),
        },
    )


DOCUMENTS = Table(
    "v_policy_documents",
    (
        ("sha256", "text"),
        ("number", "int"),
        ("stem", "text"),
        ("file_name", "text"),
        ("size", "int"),
        ("rendered_sha256", "text"),
        ("rendered_size", "int"),
        ("issued_at", "text"),
    ),
    ("sha256",),
)


def _issued(store: ViewStore, e: PolicySet.DocumentIssued, _: Applied) -> None:
    store.upsert(
        DOCUMENTS,
        {
            "sha256": e.sha256,
            "number": e.number,
            "stem": e.stem,
            "file_name": e.file_name,
            "size": e.size,
            "rendered_sha256": e.rendered_sha256,
            "rendered_size": e.rendered_size,
            "issued_at": when(e).isoformat(),
        },
    )


VIEW = View(
    name="policy_versions",
    title="Редакции правил (policies/) и их утверждение",
    tables=(VERSIONS, DOCUMENTS),
    handlers=by_event(
        on(PolicySet.PoliciesChanged, _changed),
        on(PolicySet.Approved, _approved),
        on(PolicySet.DocumentIssued, _issued),
    ),
)


@dataclass(frozen=True)
class PolicyVersion:
    """One recorded version of the policies."""

    number: int
    recorded_at: datetime
    #: File name → SHA-256 of its bytes.
    files: dict[str, str]
    texts: dict[str, str]
    changed: tuple[str, ...]
    diff: dict[str, Any]
    order_no: str = ""
    order_date: date | None = None
    approved_by: str = ""

    @property
    def approved(self) -> bool:
        """True once the head approved this version."""
        return self.order_date is not None

    @property
    def order(self) -> str:
        """«приказ № 12-од от 01.09.2026» ("" while not approved)."""
        if self.order_date is None:
            return ""
        return f"приказ № {self.order_no} от {self.order_date:%d.%m.%Y}"


def _version(row: dict[str, Any]) -> PolicyVersion:
    return PolicyVersion(
        number=int(row["number"]),
        recorded_at=datetime.fromisoformat(str(row["recorded_at"])),
        files=json.loads(row["files"]),
        texts=json.loads(row["texts"]),
        changed=tuple(json.loads(row["changed"])),
        diff=json.loads(row["diff"]),
        order_no=str(row["order_no"] or ""),
        order_date=date.fromisoformat(row["order_date"]) if row["order_date"] else None,
        approved_by=str(row["approved_by"] or ""),
    )


def versions(reader: Reader) -> list[PolicyVersion]:
    """Every recorded version, the latest first."""
    found = [_version(r) for r in reader.select(VERSIONS)]
    return sorted(found, key=lambda v: v.number, reverse=True)


def latest(reader: Reader) -> PolicyVersion | None:
    """The latest recorded version (the one the deployment runs with), or None."""
    found = versions(reader)
    return found[0] if found else None


def in_force(reader: Reader) -> PolicyVersion | None:
    """The latest approved version (the one documents are made from), or None."""
    return next((v for v in versions(reader) if v.approved), None)


def approval_for_hash(
    reader: Reader, sha256: str, file: str = "grading.toml"
) -> PolicyVersion | None:
    """The approved version whose ``file`` has this SHA-256 — the earliest such, the order
    that first approved these rules — or None when no approved version contains it."""
    found = [v for v in versions(reader) if v.approved and v.files.get(file) == sha256]
    return min(found, key=lambda v: v.number) if found else None


@dataclass(frozen=True)
class IssuedDocument:
    """A regulation written from an approved version (found by its signed file's hash)."""

    sha256: str
    number: int
    stem: str
    file_name: str
    size: int
    rendered_sha256: str
    rendered_size: int
    issued_at: str


def document_by_hash(reader: Reader, sha256: str) -> IssuedDocument | None:
    """The regulation whose signed file has this SHA-256, if one was issued."""
    row = reader.get(DOCUMENTS, (sha256,))
    return None if row is None else IssuedDocument(**{k: row[k] for k in DOCUMENTS.column_names})
