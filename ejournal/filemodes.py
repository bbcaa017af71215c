"""The school's files are private to the account the service runs as: the folders the system
creates (``var/``, the keys' and the database's folders) are made 0700, the SQLite database
and the key files 0600, whatever the umask; and a key file that group or others may read or
write is refused at start-up with the ``chmod`` that fixes it (README, «Start-up refusals»).
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: The permission bits of group and others.
_SHARED = 0o077


def private_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each one created 0700 (folders that
    already exist are left as the operator made them)."""
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        path.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        path.chmod(PRIVATE_DIR)  # mkdir's mode passes through the umask; this does not


def create_private_file(path: Path) -> int:
    """Create ``path`` (it must not exist) 0600 for writing; returns the open descriptor."""
    private_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return fd


def shared_key_problem(path: Path, what: str) -> str | None:
    """The refusal's one line when the key file ``path`` is open to group or others (None
    when it is private or absent)."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return None  # absent or unreadable: the key's own reader says so
    if path.is_file() and mode & _SHARED:
        return (
            f"{what} {path} may be read by group or others (mode {mode:04o}): "
            f"run `chmod 600 {path}` and start again"
        )
    return None
