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
