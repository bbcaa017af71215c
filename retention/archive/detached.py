"""The detached-signature hook (``EJOURNAL_DETACHED_SIGNER``).

A qualified electronic signature under 63-FZ needs GOST R 34.10-2012 / 34.11-2012 and a
certified crypto provider (CryptoPro CSP, ViPNet, …), which neither pyHanko nor
``cryptography`` offers. The hook hands each signed PDF/A file to an external command —
for example ``cryptcp -sign -detached -der -thumbprint … {in} {out}`` — that writes a
detached CMS signature ``FILE.sig`` beside it; the archive records the signature's SHA-256.

The template is split like a shell command line (no shell runs it); ``{in}`` and ``{out}``
are replaced inside each argument by the file's and the signature's paths. A tool that
names its output itself — CryptoPro ``cryptcp -signf -dir DIR FILE`` writes ``DIR/FILE.sgn``
— gets ``{dir}`` instead of ``{out}``: an empty folder, whose one file becomes ``FILE.sig``::

    cryptcp -signf -dir {dir} -thumbprint 0123… -der -cadest -cadestsa URL {in}
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import tempfile
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


def usable_template(template: str) -> bool:
    """A command line with ``{in}`` and one of ``{out}`` or ``{dir}``."""
    has_out = ("{out}" in template) != ("{dir}" in template)
    return bool(shlex.split(template)) and "{in}" in template and has_out


@dataclass(frozen=True)
class DetachedSigner:
    """An external signing command (``{in}`` with ``{out}`` or ``{dir}``, see above)."""

    template: str

    def __post_init__(self) -> None:
        if not usable_template(self.template):
            raise ValueError("EJOURNAL_DETACHED_SIGNER: a command with {in} and {out} (or {dir})")

    @property
    def tool(self) -> str:
        """The command's program name (recorded with the signature's hash)."""
        return Path(shlex.split(self.template)[0]).name

    def sign(self, path: Path) -> DetachedSignature:
        """Run the command for ``path``; return ``path.sig`` and its hash."""
        out = path.with_name(path.name + ".sig")
        out.unlink(missing_ok=True)
        if "{dir}" not in self.template:
            self._run(path, out, out)
            return self._check(out)
        with tempfile.TemporaryDirectory(prefix="ejournal-sig-", dir=path.parent) as folder:
            self._run(path, out, Path(folder))
            made = [p for p in Path(folder).iterdir() if p.is_file()]
            if len(made) != 1:
                names = ", ".join(p.name for p in made) or "nothing"
                raise DetachedSignerFailed(f"{self.tool} wrote {names} to {{dir}}, not one file")
            os.replace(made[0], out)
        return self._check(out)

    def _run(self, path: Path, out: Path, folder: Path) -> None:
        words = shlex.split(self.template)
        args = [
            w.replace("{in}", str(path)).replace("{out}", str(out)).replace("{dir}", str(folder))
            for w in words
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

    def _check(self, out: Path) -> DetachedSignature:
        if not out.is_file() or out.stat().st_size == 0:
            raise DetachedSignerFailed(f"{self.tool} wrote no signature to {out}")
        return DetachedSignature(out, hashlib.sha256(out.read_bytes()).hexdigest(), self.tool)
