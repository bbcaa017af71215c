"""Exit codes of the ``ejournal`` command: one per class of start-up refusal, so that a
service manager or a script can tell what to fix without reading the message.

Every refusal prints ONE line (``Error: …``, no traceback) and writes nothing: the database,
the key files and the storage folders are as they were.
"""

from __future__ import annotations

from enum import IntEnum

import click


class Exit(IntEnum):
    """The documented exit codes (README, «Start-up refusals»; ``ejournal --help``)."""

    OK = 0
    FAILED = 1  # a command refused its input or a rule (the message says which)
    USAGE = 2  # a wrong option or argument (click's own code)
    SETTINGS = 3  # a malformed EJOURNAL_* variable
    POLICIES = 4  # an invalid or unreadable policy file; a route's permission access.toml lacks
    DATABASE = 5  # unreachable, refused, not an ejournal database; a SQLite file that is missing
    MASTER_KEY = 6  # missing (while data exists), unreadable, wrong, or open to group/others
    SIGNING_KEY = 7  # the ledger key or the web secret: unreadable, or open to group/others
    STORAGE = 8  # a storage folder is not writable; the database is full or read-only


MEANING = {
    Exit.OK: "done",
    Exit.FAILED: "the command refused its input or a rule of the journal",
    Exit.USAGE: "wrong option or argument",
    Exit.SETTINGS: "malformed setting (EJOURNAL_* variable)",
    Exit.POLICIES: "invalid policy file (policies/*.toml), or a permission used by a route "
    "missing from access.toml",
    Exit.DATABASE: "database unreachable, refused or not an ejournal database; SQLite file "
    "missing (ejournal --create makes one)",
    Exit.MASTER_KEY: "master key missing while data exists, unreadable, wrong, or readable by "
    "group or others",
    Exit.SIGNING_KEY: "ledger signing key or web session secret unreadable, malformed, or "
    "readable by group or others",
    Exit.STORAGE: "storage folder not writable; database full or read-only",
}


def epilog() -> str:
    """The exit-code table for ``ejournal --help``."""
    # \b keeps click from re-wrapping the table.
    rows = "\n".join(f"  {int(code)}  {text}" for code, text in MEANING.items())
    return "\b\nExit codes:\n" + rows


class Refused(click.ClickException):
    """Stop with one clear message and the exit code of its class."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        # click declares ``exit_code`` a class variable, yet reads it from the instance
        self.exit_code = int(code)  # type: ignore[misc]
