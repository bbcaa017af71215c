"""The auditor's tools of ``tools/`` (scripts, not part of the installed product), imported
by the tests from their folder."""

from __future__ import annotations

import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent / "tools"
AUDIT_SCRIPT = TOOLS / "ejournal_audit.py"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import ejournal_audit  # noqa: E402
import ledger_vectors  # noqa: E402

__all__ = ["AUDIT_SCRIPT", "TOOLS", "ejournal_audit", "ledger_vectors"]
