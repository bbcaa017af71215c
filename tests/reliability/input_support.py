"""Helpers of the bad-input, start-up and disk-full tests of the reliability run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from domain.account import ROLES
from tests.conftest import ROOT
from web.access import PUBLIC

ARTIFACTS = ROOT / "test-artifacts" / "reliability"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: relative path → content hash (or «dir»).

    SQLite's ``-shm`` file is the WAL's shared-memory index, which any reader may rebuild:
    only its presence counts (the database and its ``-wal`` are compared byte for byte)."""
    found: dict[str, str] = {}
    if not folder.exists():
        return found
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_dir() or name.endswith("-shm"):
            found[name] = "dir" if path.is_dir() else "wal-index"
        else:
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def record_figures(name: str, figures: dict[str, Any]) -> Path:
    """Write ``{"name", "figures"}`` to test-artifacts/reliability/NAME.json (the reliability
    run's summary gathers these files) and print the figures (seen with ``-s``)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    path.write_text(
        json.dumps({"name": name, "figures": figures}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    print(f"\n{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    return path


#: The bad-input fuzzing's figures in this process (forms, API, schemathesis add to them).
FUZZ: dict[str, int] = {
    "form cases": 0,
    "api cases": 0,
    "schemathesis cases": 0,
    "5xx": 0,
    "events written by rejected requests": 0,
}


def fuzz_verdict(status: int, written: list[str], kind: str) -> None:
    """Count one fuzz case of ``kind`` and what it did."""
    FUZZ[kind] += 1
    if status >= 500:
        FUZZ["5xx"] += 1
    if 400 <= status < 500 and written:
        FUZZ["events written by rejected requests"] += 1


#: Roles tried first: those with «own» records reach real data, not only refusals.
PREFERENCE = ["teacher", "class_teacher", "admin", "deputy", "head", "archivist", "auditor"]
ANONYMOUS = ""


def role_for(system: Any, app: Any, endpoint: str) -> str:
    """A role that may use the route (``ANONYMOUS`` for public ones)."""
    code = getattr(app.view_functions[endpoint], "permission", None)
    if code == PUBLIC:
        return ANONYMOUS
    scopes = system.views.policies.access.permission(str(code)).scopes
    return next(r for r in [*PREFERENCE, *ROLES] if r in scopes)
