"""Who writes ``FILE.sig``: the GOST settings' defaults, the hook's command-line template
({in} with {out} or {dir}), and the hook chosen over a configured GOST certificate."""

from __future__ import annotations

from pathlib import Path

import pytest

from ejournal.settings import ArchiveSettings, SettingsError
from ejournal.signers import detached_signer, gost_roots
from retention.archive.detached import DetachedSigner
from retention.archive.gost import GostSigner


def test_the_gost_files_default_to_the_pki_folder(tmp_path: Path) -> None:
    settings = ArchiveSettings.from_env({}, tmp_path)
    gost = tmp_path / "pki" / "gost"
    assert settings.gost_dir == gost
    assert (settings.gost_certificate, settings.gost_key, settings.gost_passphrase_file) == (
        gost / "signer.pem",
        gost / "signer-key.pem",
        gost / "signer.pass",
    )
    assert settings.gost_roots == (gost / "root.pem",)
    moved = ArchiveSettings.from_env({"EJOURNAL_GOST_DIR": str(tmp_path / "g")}, tmp_path)
    assert moved.gost_certificate == tmp_path / "g" / "signer.pem"


@pytest.mark.parametrize(
    "template",
    ["cryptcp -sign -detached {in} {out}", "cryptcp -signf -dir {dir} -der {in}"],
)
def test_a_hook_needs_in_and_one_of_out_or_dir(template: str, tmp_path: Path) -> None:
    env = {"EJOURNAL_DETACHED_SIGNER": template}
    assert ArchiveSettings.from_env(env, tmp_path).detached_signer == template


@pytest.mark.parametrize(
    "template", ["cryptcp -sign {out}", "cryptcp -signf {in}", "tool {in} {out} {dir}"]
)
def test_a_hook_without_them_is_refused(template: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="EJOURNAL_DETACHED_SIGNER"):
        ArchiveSettings.from_env({"EJOURNAL_DETACHED_SIGNER": template}, tmp_path)


def test_the_hook_is_chosen_over_a_gost_certificate(tmp_path: Path) -> None:
    gost = tmp_path / "pki" / "gost"
    gost.mkdir(parents=True)
    assert detached_signer(ArchiveSettings.from_env({}, tmp_path)) is None
    assert gost_roots(ArchiveSettings.from_env({}, tmp_path)) == ()
    (gost / "signer.pem").write_text("certificate")
    (gost / "root.pem").write_text("root")
    settings = ArchiveSettings.from_env({}, tmp_path)
    assert isinstance(detached_signer(settings), GostSigner)
    assert gost_roots(settings) == (gost / "root.pem",)
    hooked = ArchiveSettings.from_env({"EJOURNAL_DETACHED_SIGNER": "x {in} {out}"}, tmp_path)
    assert isinstance(detached_signer(hooked), DetachedSigner)
