"""Data keys per record series, wrapped by the master key (AES key wrap, RFC 3394).

Crypto-shredding: ``destroy(series, certificate_id)`` erases a series' wrapped key, after
which its events read as ``Redacted``. Unwrapped keys are cached in memory; every
destruction changes an epoch in the keyring, and each process re-reads it at most every
``recheck_seconds`` while using keys and drops its cache when it changed — so a key
destroyed by one process stops working in all of them.

The master key lives in a file (0600) named by ``EJOURNAL_MASTER_KEY_FILE``; a fresh one
is generated only while the keyring is empty, and a check value refuses a wrong master
key before anything is written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from domain import clock, errors
from ejournal.filemodes import create_private_file, shared_key_problem
from ejournal.keystore import KeyRow, KeyStore


class KeyringError(Exception):
    """Raised when the master key is missing, unreadable or does not fit the keyring."""


@dataclass(frozen=True)
class DataKey:
    """A live data key of a series."""

    key_id: UUID
    series: str
    aead: AESGCM


@dataclass(frozen=True)
class DestroyedKey:
    """A series key destroyed under a disposition."""

    key_id: UUID
    series: str
    destroyed_at: datetime
    certificate_id: str


def check_value(master: bytes) -> bytes:
    """The keyring's check value of a master key (HMAC, reveals nothing of the key)."""
    return hmac.new(master, b"ejournal master key check v1", hashlib.sha256).digest()


def read_master_key(path: Path) -> bytes | None:
    """The master key in ``path``; ``None`` when there is no such file; ``KeyringError``
    when it is unreadable or malformed (nothing is written either way)."""
    if not path.exists():
        return None
    problem = shared_key_problem(path, "Master key file")
    if problem:
        raise KeyringError(problem)
    try:
        master = base64.b64decode(path.read_text().strip(), validate=True)
    except (OSError, ValueError) as error:
        raise KeyringError(f"Master key file {path} is unreadable: {error}") from None
    if len(master) != 32:
        raise KeyringError(f"Master key file {path} must hold 32 bytes (base64).")
    return master


def check_master_key(path: Path, master: bytes | None, check: bytes | None, data: bool) -> None:
    """Refuse (``KeyringError``) a missing key while ``data`` exists, or a key that does not
    fit the keyring's ``check`` value; both looked at before anything is opened for writing."""
    if master is None and (data or check is not None):
        raise missing_master_key(path)
    if (
        master is not None
        and check is not None
        and not hmac.compare_digest(check, check_value(master))
    ):
        raise KeyringError(f"Master key file {path} does not fit this keyring (wrong key).")


def missing_master_key(path: Path) -> KeyringError:
    """The refusal when the key file is gone but data encrypted under it exists."""
    return KeyringError(
        f"Master key file {path} is missing, but the database holds data encrypted under a "
        "master key: restore the key file (EJOURNAL_MASTER_KEY_FILE) from its backup."
    )


def load_or_create_master_key(path: Path, store: KeyStore) -> bytes:
    """Read the master key; create it (0600) only when the keyring holds nothing."""
    master = read_master_key(path)
    if master is None:
        if store.count() or store.meta("check"):
            raise missing_master_key(path)
        master = secrets.token_bytes(32)
        with os.fdopen(create_private_file(path), "w") as handle:
            handle.write(base64.b64encode(master).decode() + "\n")
    stored = store.meta("check")
    if stored is None:
        store.set_meta("check", check_value(master))
        stored = store.meta("check")
    if stored is None or not hmac.compare_digest(stored, check_value(master)):
        raise KeyringError(f"Master key file {path} does not fit this keyring (wrong key).")
    return master


#: The keyring meta entry holding a school's key-encryption key, wrapped by the master key.
SCHOOL_KEK = "school-kek"


def school_kek(store: KeyStore, master: bytes) -> bytes:
    """A regional school's key-encryption key (ADR 0027): unwrapped from the school's own
    keyring with the deployment's master key, or made (and stored wrapped) while its
    keyring holds no key. The series keys of the school are wrapped by it, so one school's
    keys are worth nothing to another school's keyring, and the master key unwraps a
    school only through its KEK."""
    wrapped = store.meta(SCHOOL_KEK)
    if wrapped is None:
        if store.count():
            raise KeyringError(
                "this school's keyring holds keys but no key-encryption key: not a school of "
                "a regional deployment (or its keyring meta was damaged)"
            )
        store.set_meta(SCHOOL_KEK, aes_key_wrap(master, secrets.token_bytes(32)))
        wrapped = store.meta(SCHOOL_KEK)
        assert wrapped is not None
    try:
        return aes_key_unwrap(master, wrapped)
    except InvalidUnwrap:
        raise KeyringError(
            "the school's key-encryption key does not unwrap with this master key "
            "(another deployment's school?)"
        ) from None


class Keyring:
    """Looks up, creates and destroys series data keys; caches unwrapped keys in memory."""

    def __init__(
        self,
        store: KeyStore,
        master_key: bytes,
        recheck_seconds: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._master = master_key
        self._by_series: dict[str, DataKey] = {}
        self._by_id: dict[UUID, DataKey | DestroyedKey] = {}
        self._lock = threading.Lock()
        self.recheck_seconds = recheck_seconds
        self._monotonic = monotonic
        self._epoch = store.epoch()
        self._checked = monotonic()
        #: Called whenever keys may have been destroyed (here or by another process): the
        #: composition root drops every in-memory copy of decrypted records there.
        self.forget_listeners: list[Callable[[], None]] = []

    def refresh(self) -> None:
        """Look (at most every ``recheck_seconds``) whether keys were destroyed elsewhere."""
        self._fresh()

    def _fresh(self) -> None:
        """Drop cached keys when another process destroyed some since the last look."""
        now = self._monotonic()
        if now - self._checked < self.recheck_seconds:
            return
        self._checked = now
        epoch = self.store.epoch()
        if epoch != self._epoch:
            self._epoch = epoch
            self.forget()

    def key_for_series(self, series: str) -> DataKey:
        """The live key of ``series``, created on first use; ``RecordDestroyed`` if shredded."""
        self._fresh()
        cached = self._by_series.get(series)
        if cached is not None:
            return cached
        row = self.store.by_series(series)
        if row is None:
            raw = AESGCM.generate_key(bit_length=256)
            self.store.insert(
                str(uuid4()), series, aes_key_wrap(self._master, raw), datetime.now(UTC)
            )
            row = self.store.by_series(series)  # another process may have won the race
            assert row is not None
        key = self._remember(row)
        if isinstance(key, DestroyedKey):
            raise errors.RecordDestroyed(series=series, certificate_id=key.certificate_id)
        return key

    def key_by_id(self, key_id: UUID) -> DataKey | DestroyedKey:
        """The key with ``key_id`` (live or destroyed); ``KeyringError`` if unknown."""
        self._fresh()
        cached = self._by_id.get(key_id)
        if cached is not None:
            return cached
        row = self.store.by_id(str(key_id))
        if row is None:
            raise KeyringError(f"Data key {key_id} is not in the keyring.")
        return self._remember(row)

    def destroy(self, series: str, certificate_id: str) -> DestroyedKey:
        """Destroy the data key of ``series`` for good (crypto-shredding)."""
        row = self.store.by_series(series)
        if row is None:
            raise KeyringError(f"No data key for series {series!r}.")
        self.store.destroy(row.key_id, clock.now(), certificate_id)
        with self._lock:
            self._by_series.pop(series, None)
            self._by_id.pop(UUID(row.key_id), None)
        destroyed = self.store.by_id(row.key_id)
        assert destroyed is not None
        for listener in self.forget_listeners:
            listener()
        key = self._remember(destroyed)
        assert isinstance(key, DestroyedKey)
        return key

    def destroy_many(self, series: Sequence[str], certificate_id: str) -> list[str]:
        """Destroy the keys of many series at once; return those that were live."""
        destroyed = self.store.destroy_series(series, clock.now(), certificate_id)
        self.forget()
        return destroyed

    def forget(self) -> None:
        """Drop the in-memory cache (after another process destroyed keys)."""
        with self._lock:
            self._by_series.clear()
            self._by_id.clear()
        for listener in self.forget_listeners:
            listener()

    def rows(self) -> list[KeyRow]:
        """Every series key (without key material)."""
        return self.store.rows()

    def _remember(self, row: KeyRow) -> DataKey | DestroyedKey:
        key_id = UUID(row.key_id)
        key: DataKey | DestroyedKey
        if row.wrapped is None:
            key = DestroyedKey(
                key_id,
                row.series,
                datetime.fromisoformat(row.destroyed_at or "1970-01-01T00:00:00"),
                row.certificate_id or "",
            )
        else:
            try:
                raw = aes_key_unwrap(self._master, row.wrapped)
            except InvalidUnwrap:
                raise KeyringError(
                    f"Data key {key_id} does not unwrap with the master key."
                ) from None
            key = DataKey(key_id, row.series, AESGCM(raw))
            with self._lock:
                self._by_series[row.series] = key
        with self._lock:
            self._by_id[key_id] = key
        return key
