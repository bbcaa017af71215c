"""Recording the policies a deployment runs with (``PolicySet``, ADR 0025).

Start-up (``serve``, ``worker``, ``retention run``, ``demo``) reads the bytes of every
known file of the policies folder, and the domain records a new version when a hash
differs from the last recorded one. Documents are made from the approved version's texts,
validated by the same schemas as the running files (``policies_from_texts``).
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import date
from pathlib import Path
from uuid import UUID

from domain import clock, ids
from domain.base import SYSTEM_ACTOR
from domain.policies import Policies
from domain.policy_set import PolicyFileText
from ejournal.bootstrap import System
from ejournal.policyfiles import KNOWN, load_policies


def running_files(folder: Path) -> dict[str, PolicyFileText]:
    """Every known policy file of ``folder``: SHA-256 of its bytes and its text."""
    found = {}
    for name in KNOWN:
        path = folder / name
        if path.is_file():
            data = path.read_bytes()
            found[name] = PolicyFileText(hashlib.sha256(data).hexdigest(), data.decode("utf-8"))
    return found


def record_at_start(system: System) -> str:
    """Record the running policies as a new version when they changed; what to tell."""
    number = system.journal.rules.record(running_files(system.settings.policies_dir), SYSTEM_ACTOR)
    system.views.catch_up()
    if not number:
        return ""
    return (
        f"правила (policies/) изменились: записана редакция {number}; "
        "её утверждает директор (ejournal policies approve)"
    )


def policies_from_texts(texts: dict[str, str]) -> Policies:
    """The policies of a recorded version, validated like the running ones (``PolicyError``
    when a recorded text no longer passes the schemas)."""
    with tempfile.TemporaryDirectory(prefix="ejournal-policies-") as folder:
        for name, text in texts.items():
            (Path(folder) / name).write_text(text, encoding="utf-8")
        return load_policies(Path(folder))


#: The order the demo school's head approves the shipped policies by.
DEMO_ORDER = "1-од"


def demo_rules(system: System, year_id: UUID) -> None:
    """The demo school: the policies recorded, and approved by the head's order dated the
    first day of the seeded year (or today, if that is later)."""
    system.journal.rules.record(running_files(system.settings.policies_dir), SYSTEM_ACTOR)
    year = system.views.reads.school.year(str(year_id))
    first = date.fromisoformat(str(year["starts"])) if year else clock.today()
    number = system.journal.rules.recorded_version()
    system.journal.rules.approve(
        number, DEMO_ORDER, min(first, clock.today()), ids.account_id("head")
    )
    system.views.catch_up()
