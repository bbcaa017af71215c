"""Password hashing with scrypt (standard library; memory-hard, RFC 7914)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from domain import errors

# n=2**14, r=8, p=1: about 16 MiB and ~50 ms per hash on the reference machine. The cost is
# stored in each hash, so a test suite may lower SCRYPT_N for speed and hashes still verify.
SCRYPT_N = 2**14
_R, _P = 8, 1
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` for ``password``; raise ``WeakPassword`` if short."""
    if len(password) < MIN_LENGTH:
        raise errors.WeakPassword()
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=_R, p=_P, dklen=32)
    enc = base64.b64encode
    return f"scrypt${SCRYPT_N}${_R}${_P}${enc(salt).decode()}${enc(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the ``stored`` hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**26,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
