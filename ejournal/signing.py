"""The school's Ed25519 ledger signing key: a PEM file (0600), generated on first use."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.ledger import LedgerError


def read_signing_key(path: Path) -> Ed25519PrivateKey | None:
    """The ledger key in ``path``; ``None`` when there is no such file; ``LedgerError`` when
    it is unreadable or not an Ed25519 private key."""
    if not path.exists():
        return None
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as error:
        raise LedgerError(f"ledger signing key {path} is unreadable: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerError(f"ledger signing key {path} is not an Ed25519 key")
    return key


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The school's ledger key (PEM, 0600), generated on first use."""
    key = read_signing_key(path)
    if key is not None:
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return key
