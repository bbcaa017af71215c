"""The encrypting mapper: every stored event state is AES-GCM ciphertext under the data key
of the record series its aggregate belongs to.

Stored layout: ``b"EJ\\x01" ‖ key id (16) ‖ nonce (12) ‖ ciphertext+tag``. The plain header
names the key, so reading needs no lookup table; the originator id and version are bound as
associated data, so a ciphertext cannot be moved to another event. Only the state column is
encrypted: topics and ids never carry personal data.
"""

from __future__ import annotations

import os
import struct
import threading
from collections import OrderedDict
from typing import cast
from uuid import UUID

from cryptography.exceptions import InvalidTag
from eventsourcing.domain import AggregateCreated, DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)

from domain import errors
from domain.base import Redacted
from ejournal.keyring import DataKey, DestroyedKey, Keyring, KeyringError
from projections.sealing import Authentication, Authenticity

MAGIC = b"EJ\x01"
HEADER = len(MAGIC) + 16 + 12


def associated_data(originator_id: UUID | str, version: int) -> bytes:
    """What binds a ciphertext to its place in the store."""
    raw = originator_id.bytes if isinstance(originator_id, UUID) else originator_id.encode()
    return b"ejournal/v1" + raw + struct.pack(">q", version)


def key_id_of(state: bytes) -> UUID:
    """The data key id in a stored state's header."""
    if state[: len(MAGIC)] != MAGIC:
        raise MapperDeserialisationError("stored state is not in the ejournal v1 format")
    return UUID(bytes=state[len(MAGIC) : len(MAGIC) + 16])


def _unauthentic(stored: StoredEvent) -> errors.RecordUnauthentic:
    return errors.RecordUnauthentic(
        f"Событие записи {stored.originator_id} (версия {stored.originator_version}) не прошло "
        "проверку подлинности: вставлено или изменено в обход приложения. Команда не выполнена, "
        "ничего не записано; карантин события: docs/operations.md, «Карантин подложного "
        "события».",
        originator_id=str(stored.originator_id),
        version=stored.originator_version,
    )


class EncryptingMapper(Mapper[UUID]):
    """Encrypts each event with its series' data key; destroyed keys read as ``Redacted``."""

    CACHE_SIZE = 200_000

    def __init__(self, transcoder: Transcoder, keyring: Keyring) -> None:
        super().__init__(transcoder)
        self.keyring = keyring
        self.recorder: ApplicationRecorder | None = None
        self._key_ids: OrderedDict[UUID | str, UUID] = OrderedDict()
        self._lock = threading.Lock()

    def bind_recorder(self, recorder: ApplicationRecorder) -> None:
        """Let the mapper find an aggregate's key from its first stored event."""
        self.recorder = recorder

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        plain = super().to_stored_event(domain_event)
        key = self._key_for(domain_event)
        nonce = os.urandom(12)
        ciphertext = key.aead.encrypt(
            nonce, plain.state, associated_data(plain.originator_id, plain.originator_version)
        )
        state = MAGIC + key.key_id.bytes + nonce + ciphertext
        return StoredEvent(plain.originator_id, plain.originator_version, plain.topic, state)

    def authenticate(self, originator_id: UUID | str, version: int, state: bytes) -> Authentication:
        """The ``projections.sealing.Authenticator`` port: is this stored row ciphertext
        of ours, under its series key, with its own associated data? (Decrypts, keeps
        nothing.) A destroyed series' row cannot be checked: ``DESTROYED`` with when."""
        try:
            key = self.keyring.key_by_id(key_id_of(state))
        except (MapperDeserialisationError, KeyringError):
            return Authentication(Authenticity.FORGED)
        if isinstance(key, DestroyedKey):
            return Authentication(Authenticity.DESTROYED, key.destroyed_at)
        try:
            key.aead.decrypt(
                state[len(MAGIC) + 16 : HEADER],
                state[HEADER:],
                associated_data(originator_id, version),
            )
        except (InvalidTag, ValueError):
            return Authentication(Authenticity.FORGED)
        return Authentication(Authenticity.AUTHENTIC)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        state = stored_event.state
        try:
            key_id = key_id_of(state)
            key = self.keyring.key_by_id(key_id)
        except (MapperDeserialisationError, KeyringError):
            raise _unauthentic(stored_event) from None
        self._remember(stored_event.originator_id, key_id)
        if isinstance(key, DestroyedKey):
            return Redacted(
                # UUIDs: the recorders' default ``originator_id_type``, the only one used here
                originator_id=cast(UUID, stored_event.originator_id),
                originator_version=stored_event.originator_version,
                timestamp=key.destroyed_at,
                original_topic=stored_event.topic,
                key_id=key.key_id,
                certificate_id=key.certificate_id,
                series=key.series,
            )
        try:
            plain = key.aead.decrypt(
                state[len(MAGIC) + 16 : HEADER],
                state[HEADER:],
                associated_data(stored_event.originator_id, stored_event.originator_version),
            )
        except (InvalidTag, ValueError):  # ValueError: too short to hold a tag
            raise _unauthentic(stored_event) from None
        return super().to_domain_event(
            StoredEvent(
                stored_event.originator_id,
                stored_event.originator_version,
                stored_event.topic,
                plain,
            )
        )

    # --- which key -----------------------------------------------------------------------
    def _key_for(self, event: DomainEventProtocol[UUID]) -> DataKey:
        originator = event.originator_id
        if isinstance(event, AggregateCreated):
            series = getattr(event, "series", None)
            if not isinstance(series, str) or not series:
                raise TypeError(f"{type(event).__qualname__} must carry a record 'series'")
            created = self.keyring.key_for_series(series)
            self._remember(originator, created.key_id)
            return created
        key_id = self._key_ids.get(originator) or self._lookup(originator)
        key = self.keyring.key_by_id(key_id)
        if isinstance(key, DestroyedKey):
            raise errors.RecordDestroyed(series=key.series, certificate_id=key.certificate_id)
        return key

    def _lookup(self, originator_id: UUID | str) -> UUID:
        if self.recorder is None:
            raise LookupError("EncryptingMapper has no recorder bound")
        first = self.recorder.select_events(originator_id, limit=1)
        if not first:
            raise LookupError(f"no stored events for {originator_id}: cannot choose a key")
        key_id = key_id_of(first[0].state)
        self._remember(originator_id, key_id)
        return key_id

    def _remember(self, originator_id: UUID | str, key_id: UUID) -> None:
        with self._lock:
            self._key_ids[originator_id] = key_id
            self._key_ids.move_to_end(originator_id)
            if len(self._key_ids) > self.CACHE_SIZE:
                self._key_ids.popitem(last=False)
