"""The master key: generated safely, required once keys exist, and checked."""

from __future__ import annotations

import base64
import secrets
import stat
from pathlib import Path

import pytest

from ejournal.bootstrap import build
from ejournal.keyring import KeyringError
from tests.conftest import settings_for
from tests.school import build_school


def test_master_key_is_generated_with_owner_only_permissions(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with build(settings):
        pass
    mode = stat.S_IMODE(settings.master_key_file.stat().st_mode)
    assert mode == 0o600
    assert len(base64.b64decode(settings.master_key_file.read_text())) == 32


def test_missing_master_key_with_a_filled_keyring_refuses_to_start(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with build(settings) as system:
        build_school(system.journal)
    settings.master_key_file.unlink()
    with pytest.raises(KeyringError, match="missing"):
        build(settings)
    assert not settings.master_key_file.exists()


def test_wrong_master_key_refuses_to_start(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with build(settings) as system:
        build_school(system.journal)
    settings.master_key_file.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(KeyringError, match="does not fit"):
        build(settings)


def test_a_key_destroyed_elsewhere_stops_working_once_the_epoch_is_rechecked(
    tmp_path: Path,
) -> None:
    """Each keyring (as in each process) caches unwrapped keys, re-reads the destruction
    epoch at most every ``recheck_seconds`` while using them, and drops the cache when
    another keyring destroyed a key."""
    from domain.errors import RecordDestroyed
    from ejournal.keyring import DestroyedKey, Keyring
    from ejournal.keystore import SQLiteKeyStore

    path = str(tmp_path / "keys.sqlite")
    master = secrets.token_bytes(32)
    now = [100.0]
    here = Keyring(SQLiteKeyStore(path), master, recheck_seconds=1.0, monotonic=lambda: now[0])
    there = Keyring(SQLiteKeyStore(path), master)
    key = here.key_for_series("journal/2025-26/5А")
    kept = here.key_for_series("journal/2025-26/5Б")
    there.destroy("journal/2025-26/5А", "cert-1")
    now[0] += 1.5
    assert isinstance(here.key_by_id(key.key_id), DestroyedKey)
    with pytest.raises(RecordDestroyed):
        here.key_for_series("journal/2025-26/5А")
    again = here.key_by_id(kept.key_id)  # the others work as before
    assert not isinstance(again, DestroyedKey)
    assert again.aead.decrypt(b"n" * 12, kept.aead.encrypt(b"n" * 12, b"ok", None), None) == b"ok"


def test_a_cached_record_is_not_served_after_its_key_is_destroyed_elsewhere(
    tmp_path: Path,
) -> None:
    """Aggregates stay in an in-memory cache between loads; when another process destroys a
    series' key, the next load (after the epoch recheck) must not serve the decrypted copy."""
    from dataclasses import replace

    from domain import ids
    from domain.errors import RecordDestroyed

    settings = replace(settings_for(tmp_path), key_recheck_seconds=0.0)
    here, there = build(settings), build(settings)
    try:
        school = build_school(here.journal)
        assert here.journal.queries.account(school.teacher).login  # now cached in ``here``
        assert here.journal.queries.account(school.teacher).login  # served from the cache
        assert here.journal._facts.get(school.teacher) is not None
        there.keyring.destroy_many([ids.person_series(school.teacher)], "cert-cache")
        with pytest.raises(RecordDestroyed):
            here.journal.queries.account(school.teacher)
        assert here.journal.queries.account(school.other_teacher).login  # others still load
    finally:
        here.close()
        there.close()


def test_the_aggregate_cache_can_be_switched_off(tmp_path: Path) -> None:
    from dataclasses import replace

    system = build(replace(settings_for(tmp_path), aggregate_cache=0))
    try:
        school = build_school(system.journal)
        assert system.journal.queries.account(school.teacher).login
        assert system.journal._facts.get(school.teacher) is None
    finally:
        system.close()


def test_a_load_racing_a_destruction_does_not_put_its_copy_back(tmp_path: Path) -> None:
    """A load that decrypted a record just before its key was destroyed (in another
    thread) must not leave its copy in the cache, where later loads would find it."""
    import threading

    from domain import ids
    from domain.errors import RecordDestroyed

    with build(settings_for(tmp_path)) as system:
        journal = system.journal
        school = build_school(journal)
        pupil = school.pupils[0]
        real_get = journal.repository.get
        loaded, release = threading.Event(), threading.Event()

        def slow_get(*args, **kwargs):  # type: ignore[no-untyped-def]
            found = real_get(*args, **kwargs)
            if args and args[0] == pupil and not release.is_set():
                loaded.set()  # decrypted; now wait while the key is destroyed
                assert release.wait(10)
            return found

        journal.repository.get = slow_get  # type: ignore[method-assign]
        reader = threading.Thread(target=journal.queries.student, args=(pupil,))
        reader.start()
        assert loaded.wait(10)
        system.keyring.destroy(ids.person_series(pupil), "cert-race")
        release.set()
        reader.join(10)
        journal.repository.get = real_get  # type: ignore[method-assign]
        with pytest.raises(RecordDestroyed):
            journal.queries.student(pupil)


def test_the_librarys_aggregate_cache_stays_off_whatever_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGGREGATE_CACHE_MAXSIZE", "1000")
    with build(settings_for(tmp_path)) as system:
        assert system.journal.repository.cache is None
