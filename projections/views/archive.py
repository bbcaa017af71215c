"""Volumes of the annual archive («архив журналов»): each signed PDF/A file captured as an
``ArchiveVolume`` record, with its hashes, pages, the ledger checkpoint it prints, its
signers, its retention class and the detached signature's hash when there is one.

``archive verify`` looks a file up here by its SHA-256; the records register lists these
rows beside the record series they belong to. Who signed (certificate holders' names) and
the reason of a forced archive may be personal data: they are sealed under the volume's
series key, like every name in the views; roles and certificate fingerprints stay plain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain.archive import ArchiveVolume
from projections.schema import Table
from projections.store import Reader, Row, ViewStore
from projections.view import Applied, Sealer, View, by_event, on, when

VOLUMES = Table(
    "v_archive_volumes",
    (
        ("volume_id", "text"),
        ("year_id", "text"),
        ("group_id", "text"),
        ("kind", "text"),
        ("series", "text"),
        ("retention_class", "text"),
        ("file_name", "text"),
        ("sha256", "text"),
        ("size", "int"),
        ("rendered_sha256", "text"),
        ("rendered_size", "int"),
        ("pages", "int"),
        ("checkpoint", "text"),
        ("roles", "text"),
        ("forced", "int"),
        ("sealed", "blob"),
        ("captured_at", "text"),
        ("captured_by", "text"),
        ("detached_file", "text"),
        ("detached_sha256", "text"),
        ("detached_tool", "text"),
        ("valid_until", "text"),
        ("refreshed_at", "text"),
        ("refreshes", "int"),
    ),
    ("volume_id",),
    (("sha256",), ("year_id",)),
    sealed_with=("volume_id",),
)


def _captured(store: ViewStore, e: ArchiveVolume.Captured, applied: Applied) -> None:
    private = {"signers": e.signers, "forced_reason": e.forced_reason}
    sealed = applied.sealer.seal(
        e.series, json.dumps(private, ensure_ascii=False).encode(), str(e.originator_id).encode()
    )
    store.upsert(
        VOLUMES,
        {
            "volume_id": e.originator_id,
            "year_id": e.year_id,
            "group_id": e.group_id,
            "kind": e.kind,
            "series": e.series,
            "retention_class": e.retention_class,
            "file_name": e.file_name,
            "sha256": e.sha256,
            "size": e.size,
            "rendered_sha256": e.rendered_sha256,
            "rendered_size": e.rendered_size,
            "pages": e.pages,
            "checkpoint": json.dumps(e.checkpoint, sort_keys=True),
            "roles": ",".join(s["role"] for s in e.signers),
            "forced": int(bool(e.forced_reason)),
            "sealed": sealed,
            "captured_at": when(e),
            "captured_by": e.actor,
            "refreshes": 0,
        },
    )


def _validity(store: ViewStore, e: ArchiveVolume.ValidityNoted, _: Applied) -> None:
    store.update(VOLUMES, (e.originator_id,), {"valid_until": e.valid_until})


def _refreshed(store: ViewStore, e: ArchiveVolume.Refreshed, _: Applied) -> None:
    row = store.get(VOLUMES, (e.originator_id,))
    count = int(row["refreshes"] or 0) + 1 if row is not None else 1
    store.update(
        VOLUMES,
        (e.originator_id,),
        {
            "sha256": e.sha256,
            "size": e.size,
            "valid_until": e.valid_until,
            "refreshed_at": when(e),
            "refreshes": count,
        },
    )


def _detached(store: ViewStore, e: ArchiveVolume.DetachedSignatureAdded, _: Applied) -> None:
    store.update(
        VOLUMES,
        (e.originator_id,),
        {"detached_file": e.file_name, "detached_sha256": e.sha256, "detached_tool": e.tool},
    )


def _mentions(store: ViewStore, e: ArchiveVolume.MentionsRecorded, _: Applied) -> None:
    """Whom a volume names is the records register's (``MENTIONS_MANY``); the volume's row
    here does not change."""


VIEW = View(
    name="archive",
    title="Тома годового архива: подписанные PDF/A",
    tables=(VOLUMES,),
    handlers=by_event(
        on(ArchiveVolume.Captured, _captured),
        on(ArchiveVolume.DetachedSignatureAdded, _detached),
        on(ArchiveVolume.MentionsRecorded, _mentions),
        on(ArchiveVolume.ValidityNoted, _validity),
        on(ArchiveVolume.Refreshed, _refreshed),
    ),
)


@dataclass(frozen=True)
class Volume:
    """A volume as the register holds it."""

    volume_id: str
    year_id: str
    group_id: str
    kind: str
    series: str
    retention_class: str
    file_name: str
    sha256: str
    size: int
    rendered_sha256: str
    rendered_size: int
    pages: int
    checkpoint: dict[str, Any]
    signers: list[dict[str, str]]
    forced_reason: str
    captured_at: str
    captured_by: str
    detached_file: str | None
    detached_sha256: str | None
    valid_until: str | None = None
    refreshed_at: str | None = None
    refreshes: int = 0


def _volume(row: Row, sealer: Sealer) -> Volume:
    opened = sealer.open(bytes(row["sealed"]), row["volume_id"].encode())
    private: dict[str, Any] = (
        json.loads(opened) if opened is not None else {"signers": [], "forced_reason": ""}
    )
    return Volume(
        volume_id=row["volume_id"],
        year_id=row["year_id"],
        group_id=row["group_id"],
        kind=row["kind"],
        series=row["series"],
        retention_class=row["retention_class"],
        file_name=row["file_name"],
        sha256=row["sha256"],
        size=row["size"],
        rendered_sha256=row["rendered_sha256"],
        rendered_size=row["rendered_size"],
        pages=row["pages"],
        checkpoint=json.loads(row["checkpoint"]),
        signers=private["signers"],
        forced_reason=private["forced_reason"],
        captured_at=row["captured_at"],
        captured_by=row["captured_by"],
        detached_file=row["detached_file"],
        detached_sha256=row["detached_sha256"],
        valid_until=row["valid_until"],
        refreshed_at=row["refreshed_at"],
        refreshes=int(row["refreshes"] or 0),
    )


def volumes_of_year(reader: Reader, sealer: Sealer, year_id: str) -> list[Volume]:
    """Every volume of a school year, ordered by file name (signers' names opened; empty
    when the series' key was destroyed)."""
    rows = reader.select(VOLUMES, {"year_id": str(year_id)})
    return sorted((_volume(r, sealer) for r in rows), key=lambda v: v.file_name)


def all_volumes(reader: Reader, sealer: Sealer) -> list[Volume]:
    """Every volume of every year, ordered by file name."""
    return sorted(
        (_volume(r, sealer) for r in reader.select(VOLUMES, {})), key=lambda v: v.file_name
    )


def volume_by_hash(reader: Reader, sealer: Sealer, sha256: str) -> Volume | None:
    """The volume whose signed file has this SHA-256, if any."""
    rows = reader.select(VOLUMES, {"sha256": sha256})
    return _volume(rows[0], sealer) if rows else None
