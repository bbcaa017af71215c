"""The detached-signature hook (``EJOURNAL_DETACHED_SIGNER``).

A qualified electronic signature under 63-FZ needs GOST R 34.10-2012 / 34.11-2012 and a
certified crypto provider (CryptoPro CSP, ViPNet, …), which neither pyHanko nor
``cryptography`` offers. The hook hands each signed PDF/A file to an external command —
for example ``cryptcp -sign -detached -der -thumbprint … {in} {out}`` — that writes a
detached CMS signature ``FILE.sig`` beside it; the archive records the signature's SHA-256.

The template is split like a shell command line (no shell runs it); ``{in}`` and ``{out}``
are replaced inside each argument by the file's and the signature's paths.
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

TIMEOUT = 300


class DetachedSignerFailed(Exception):
    """Raised when the external signer fails, times out, or writes no signature file."""


@dataclass(frozen=True)
class DetachedSignature:
    """What the hook produced: the signature file, its SHA-256, and the tool's name."""

    path: Path
    sha256: str
    tool: str


class SignsDetached(Protocol):
    """What the archive needs of a detached signer: the hook below, or the GOST signer
    (``retention.archive.gost.GostSigner``)."""

    @property
    def tool(self) -> str:
        """The signing program's name (recorded with the signature's hash)."""
        ...

    def sign(self, path: Path) -> DetachedSignature:
        """Write ``path.sig`` and return it with its hash; ``DetachedSignerFailed``."""
        ...


@dataclass(frozen=True)
class DetachedSigner:
    """An external signing command (``{in}``/``{out}`` template)."""

    template: str

    def __post_init__(self) -> None:
        words = shlex.split(self.template)
        if not words or "{in}" not in self.template or "{out}" not in self.template:
            raise ValueError("EJOURNAL_DETACHED_SIGNER: a command with {in} and {out}")

    @property
    def tool(self) -> str:
        """The command's program name (recorded with the signature's hash)."""
        return Path(shlex.split(self.template)[0]).name

    def sign(self, path: Path) -> DetachedSignature:
        """Run the command for ``path``; return ``path.sig`` and its hash."""
        out = path.with_name(path.name + ".sig")
        out.unlink(missing_ok=True)
        args = [
            word.replace("{in}", str(path)).replace("{out}", str(out))
            for word in shlex.split(self.template)
        ]
        try:
            done = subprocess.run(  # noqa: S603 (the operator's own configured command)
                args, capture_output=True, timeout=TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise DetachedSignerFailed(f"{self.tool}: {error}") from None
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip()[-400:]
            raise DetachedSignerFailed(f"{self.tool} exited {done.returncode}: {tail}")
        if not out.is_file() or out.stat().st_size == 0:
            raise DetachedSignerFailed(f"{self.tool} wrote no signature to {out}")
        return DetachedSignature(out, hashlib.sha256(out.read_bytes()).hexdigest(), self.tool)
