"""GOST R 34.10-2012 detached signatures made and checked by OpenSSL with Debian's GOST
engine (``libengine-gost-openssl``), called as a subprocess.

Each archive file gets ``FILE.pdf.sig``: a detached CMS SignedData in DER (GOST R 34.10-2012
256-bit signature, GOST R 34.11-2012 "Streebog" 256-bit hash)::

    openssl cms -sign -engine gost -md md_gost12_256 -binary -outform DER \\
        -in FILE.pdf -signer signer.pem -inkey signer-key.pem -passin file:signer.pass \\
        -out FILE.pdf.sig

and is checked against the GOST root(s)::

    openssl cms -verify -engine gost -binary -inform DER -in FILE.pdf.sig \\
        -content FILE.pdf -CAfile root.pem -purpose any -out /dev/null

The engine is a reference implementation, not an FSB-certified crypto provider: what it
signs is a GOST signature, not a qualified one (ADR 0008, «Which signature is which»). A
school with a qualified certificate keeps using the external-signer hook (CryptoPro
``cryptcp``); ``verify`` checks those signatures too when the accredited CA's root is given.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import cms

from retention.archive.detached import TIMEOUT, DetachedSignature, DetachedSignerFailed

OPENSSL = "openssl"
ENGINE = ("-engine", "gost")
#: What the volume records as the tool that made the signature.
TOOL = "openssl-gost"
INSTALL = "apt-get install libengine-gost-openssl"


class GostUnavailable(Exception):
    """Raised when OpenSSL or its GOST engine is not installed (the message says how)."""


@dataclass(frozen=True)
class Outcome:
    """What one OpenSSL command said: exit status and its messages."""

    returncode: int
    output: str

    @property
    def last_line(self) -> str:
        """The most telling line: OpenSSL ends with its verdict or error."""
        lines = [line for line in self.output.splitlines() if line.strip()]
        useful = [line for line in lines if 'Engine "gost" set' not in line]
        return (useful or lines or [""])[-1].strip()[:400]


def openssl(args: Sequence[str], *, timeout: float = TIMEOUT) -> Outcome:
    """Run ``openssl ARGS`` (no shell); ``GostUnavailable`` when there is no openssl."""
    try:
        done = subprocess.run(  # noqa: S603 (a fixed program with our own arguments)
            [OPENSSL, *args], capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise GostUnavailable(f"no `openssl` on PATH ({INSTALL} openssl)") from None
    except (OSError, subprocess.TimeoutExpired) as error:
        return Outcome(-1, f"openssl: {error}")
    text = (done.stdout + done.stderr).decode(errors="replace")
    return Outcome(done.returncode, text)


def engine_problem() -> str | None:
    """None when OpenSSL loads its GOST engine; else what is missing and how to install it."""
    try:
        found = openssl(["engine", *ENGINE[1:], "-t"], timeout=30)
    except GostUnavailable as error:
        return str(error)
    if found.returncode != 0 or "available" not in found.output:
        return f"OpenSSL has no GOST engine ({INSTALL}): {found.last_line}"
    return None


def require_engine() -> None:
    """``GostUnavailable`` unless the GOST engine is installed."""
    problem = engine_problem()
    if problem:
        raise GostUnavailable(problem)


@dataclass(frozen=True)
class GostSigner:
    """Signs files with a GOST certificate and its (passphrase-protected) key; the same
    interface as the external-signer hook (``DetachedSigner``)."""

    certificate: Path
    key: Path
    passphrase_file: Path

    @property
    def tool(self) -> str:
        """What the volume records as the signing tool."""
        return TOOL

    def sign(self, path: Path) -> DetachedSignature:
        """Write ``path.sig`` (detached CMS, DER) and return it with its SHA-256."""
        out = path.with_name(path.name + ".sig")
        out.unlink(missing_ok=True)
        args = [
            "cms", "-sign", *ENGINE, "-md", "md_gost12_256", "-binary", "-outform", "DER",
            "-in", str(path), "-signer", str(self.certificate), "-inkey", str(self.key),
            "-passin", f"file:{self.passphrase_file}", "-out", str(out),
        ]  # fmt: skip
        try:
            done = openssl(args)
        except GostUnavailable as error:
            raise DetachedSignerFailed(f"{TOOL}: {error}") from None
        if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            out.unlink(missing_ok=True)
            problem = engine_problem() or done.last_line
            raise DetachedSignerFailed(f"{TOOL}: no signature for {path.name}: {problem}")
        return DetachedSignature(out, hashlib.sha256(out.read_bytes()).hexdigest(), TOOL)


@dataclass(frozen=True)
class Verdict:
    """``openssl cms -verify`` on a file and its detached signature."""

    ok: bool
    detail: str
    signer: str = ""
    algorithm: str = ""


def describe(signature: bytes) -> tuple[str, str, datetime | None]:
    """The signer's name (subject CN, else the whole subject), the signature algorithm and
    the signing time of a detached CMS signature, read with asn1crypto; ("", "", None)
    when unreadable."""
    try:
        signed = cms.ContentInfo.load(signature)["content"]
        info = signed["signer_infos"][0]
        algorithm = info["signature_algorithm"]["algorithm"].dotted
        signed_at = next(
            (
                a["values"][0].native
                for a in info["signed_attrs"]
                if a["type"].native == "signing_time"
            ),
            None,
        )
        serial = info["sid"].chosen["serial_number"].native
        name = ""
        for choice in signed["certificates"]:
            cert = choice.chosen
            if cert.serial_number == serial:
                name = str(cert.subject.native.get("common_name") or cert.subject.human_friendly)
        return name, algorithm, signed_at
    except Exception:  # not CMS, or an odd one: the verdict says what OpenSSL made of it
        return "", "", None


#: GOST R 34.10-2012 signature algorithm identifiers (256 and 512 bit).
GOST_ALGORITHMS = {
    "1.2.643.7.1.1.3.2": "ГОСТ Р 34.10-2012 (256 бит) / ГОСТ Р 34.11-2012",
    "1.2.643.7.1.1.3.3": "ГОСТ Р 34.10-2012 (512 бит) / ГОСТ Р 34.11-2012",
    "1.2.643.7.1.1.1.1": "ГОСТ Р 34.10-2012 (256 бит)",
    "1.2.643.7.1.1.1.2": "ГОСТ Р 34.10-2012 (512 бит)",
}


def verify(data: bytes, signature: bytes, roots: Sequence[Path]) -> Verdict:
    """Check a detached CMS ``signature`` over ``data`` with ``openssl cms -verify``
    against the GOST ``roots`` (PEM files), the certificates' validity judged at the
    signing time the signature states (a detached CMS carries no timestamp: that the
    signature existed then is shown by the register, which holds its hash in the ledger);
    ``GostUnavailable`` without the engine."""
    require_engine()
    signer, algorithm, signed_at = describe(signature)
    when = ["-attime", str(int(signed_at.timestamp()))] if signed_at else []
    with tempfile.TemporaryDirectory(prefix="ejournal-gost-") as folder:
        content, sig, bundle = (Path(folder) / n for n in ("content", "content.sig", "roots"))
        content.write_bytes(data)
        sig.write_bytes(signature)
        bundle.write_bytes(b"\n".join(Path(r).read_bytes() for r in roots))
        args = [
            "cms", "-verify", *ENGINE, "-binary", "-inform", "DER", "-in", str(sig),
            "-content", str(content), "-CAfile", str(bundle), "-purpose", "any",
            "-out", str(Path(folder) / "out"), *when,
        ]  # fmt: skip
        done = openssl(args)
    ok = done.returncode == 0 and "Verification successful" in done.output
    named = GOST_ALGORITHMS.get(algorithm, algorithm or "?")
    who = f"{signer}, " if signer else ""
    at = f", at signing time {signed_at:%Y-%m-%d %H:%M} UTC" if signed_at else ""
    if ok and algorithm not in GOST_ALGORITHMS:
        ok, detail = False, f"подпись не ГОСТ / not a GOST R 34.10-2012 signature: {who}{named}"
    elif ok:
        detail = f"подпись верна / signature valid: {who}{named}{at} (CMS Verification successful)"
    else:
        detail = f"подпись НЕ верна / signature invalid: {who}{named} — {done.last_line}"
    return Verdict(ok, detail, signer, algorithm)
