"""Transfer packages: the series of a disposition as a BagIt bag (RFC 8493) for hand-over
to an archive — the events of every record as JSON (decrypted: the receiving archive
takes custody), the series' files (signed PDF/A printouts with their detached
signatures), the inventory of what is handed over (JSON, and as PDF/A with the act of
transfer), the ledger checkpoint that anchors the events and those the volumes carry, the
ledger's public key, the trust roots and revocation lists; with SHA-256 manifests. The
bag is validated with the ``bagit`` library before the transfer is recorded.

Layout under ``data/``::

    series/SERIES/events.json, series/SERIES/files/…   the records and their files
    inventory.json, ledger-checkpoint.json               what is handed over; its anchor
    transfer-act.pdf(.sig), transfer-inventory.pdf(.sig) the act and inventory (PDF/A)
    ledger/ledger-public-key.pem                         checks every checkpoint's signature
    ledger/checkpoints/checkpoint-SIZE.json              every checkpoint the package cites
    trust/root-N.pem, trust/gost-root-N.pem, trust/crl-N.crl
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import bagit

from domain.base import Redacted
from domain.journal import Journal
from projections.store import jsonable
from retention.archive.detached import DetachedSignerFailed


class TransferError(Exception):
    """Raised when a package cannot be written or does not validate."""


def record_events(journal: Journal, originator: str) -> list[dict[str, Any]]:
    """Every event of one record, decrypted, as plain JSON-able mappings."""
    found = []
    for event in journal.events.get(UUID(originator)):
        if isinstance(event, Redacted):
            raise TransferError(f"запись {originator} уже уничтожена: передать нечего")
        state = {k: v for k, v in vars(event).items() if k not in ("originator_id",)}
        found.append({"record": originator, "type": type(event).__qualname__, **jsonable(state)})
    return found


def _safe(series: str) -> str:
    return re.sub(r"[^0-9A-Za-zА-Яа-яЁё._-]+", "_", series)


def _put(root: Path, relative: str, data: bytes | str) -> None:
    """Write one file of the package (``relative`` must stay inside it)."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise TransferError(f"{relative}: вне пакета")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode() if isinstance(data, str) else data)


def write_package(
    destination: Path,
    name: str,
    *,
    journal: Journal,
    series: Mapping[str, Iterable[str]],
    files: Mapping[str, Iterable[Mapping[str, Any]]],
    archive_dir: Path,
    inventory: Mapping[str, Any],
    checkpoint: Mapping[str, Any],
    school: str,
    checkpoints: Iterable[Mapping[str, Any]] = (),
    extras: Mapping[str, bytes] | None = None,
    documents: Mapping[str, bytes] | None = None,
    sign_beside: Callable[[Path], Path | None] | None = None,
) -> dict[str, Any]:
    """Write and validate the bag ``destination/name``; returns what identifies it.

    ``checkpoints``: the ledger checkpoints the files carry (besides ``checkpoint``);
    ``extras``: further files by path under ``data/`` (public key, roots, CRLs);
    ``documents``: the act and inventory PDFs, each given a detached signature by
    ``sign_beside`` when one is configured."""
    root = destination / name
    if root.exists():
        raise TransferError(f"{root} уже существует")
    root.mkdir(parents=True)
    try:
        for each, originators in series.items():
            folder = root / "series" / _safe(each)
            folder.mkdir(parents=True)
            events = [e for o in sorted(originators) for e in record_events(journal, o)]
            (folder / "events.json").write_text(
                json.dumps(events, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            for file in files.get(each, ()):
                source = archive_dir / file["path"]
                target = folder / "files" / file["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                if hashlib.sha256(target.read_bytes()).hexdigest() != file["sha256"]:
                    raise TransferError(f"файл {file['path']} не совпадает с реестром (SHA-256)")
        (root / "inventory.json").write_text(
            json.dumps(inventory, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        (root / "ledger-checkpoint.json").write_text(json.dumps(checkpoint, indent=1))
        cited = {int(c["size"]): c for c in (checkpoint, *checkpoints) if c}
        for size, head in sorted(cited.items()):
            _put(root, f"ledger/checkpoints/checkpoint-{size}.json", json.dumps(head, indent=1))
        for relative, data in (extras or {}).items():
            _put(root, relative, data)
        for relative, data in (documents or {}).items():
            _put(root, relative, data)
            if sign_beside is not None:
                sign_beside(root / relative)
        bag = bagit.make_bag(
            str(root),
            bag_info={
                "Source-Organization": school,
                "External-Identifier": str(inventory.get("disposition_id", "")),
                "External-Description": "ejournal: передача по истечении сроков хранения",
            },
            checksums=["sha256"],
        )
        bag.validate()
    except (OSError, bagit.BagError, TransferError, DetachedSignerFailed) as error:
        shutil.rmtree(root, ignore_errors=True)
        raise TransferError(f"пакет не записан: {error}") from error
    tagmanifest = (root / "tagmanifest-sha256.txt").read_bytes()
    return {
        "name": name,
        "path": str(root),
        "payload_oxum": bag.info.get("Payload-Oxum", ""),
        "tagmanifest_sha256": hashlib.sha256(tagmanifest).hexdigest(),
    }
