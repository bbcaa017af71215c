"""The school's Ed25519 ledger signing key: a PEM file (0600), generated on first use."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ejournal.filemodes import create_private_file, shared_key_problem
from projections.ledger import LedgerError


def read_signing_key(path: Path) -> Ed25519PrivateKey | None:
    """The ledger key in ``path``; ``None`` when there is no such file; ``LedgerError`` when
    it is unreadable or not an Ed25519 private key."""
    if not path.exists():
        return None
    problem = shared_key_problem(path, "ledger signing key")
    if problem:
        raise LedgerError(problem)
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
    with os.fdopen(create_private_file(path), "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return key
