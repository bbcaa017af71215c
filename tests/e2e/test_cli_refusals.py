"""Bad configuration refused at start-up (issue 14, item 6), in process and fast (the same
refusals across serve, worker and info, with nothing written, are in
tests/reliability/test_startup.py): a SQLite file that does not exist, a key file open to group
or others, a permission a route uses but access.toml lacks — each with one line and its exit
code; and what the system creates is private (0600 files, 0700 folders) whatever the umask."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ejournal.bootstrap import build
from ejournal.cli import main
from ejournal.exitcodes import Exit
from ejournal.webapp import web_app
from tests.conftest import ROOT, settings_for
from web.access import UndeclaredPermission


@pytest.fixture(autouse=True)
def _open_umask() -> Iterator[None]:
    """The usual umask 022, under which files would be made 0644 unless made private."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
        **more,
    }


def refusal(result: object) -> str:
    output: str = result.output  # type: ignore[attr-defined]
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    assert "Traceback" not in output
    return lines[0]


def modes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder.parent)): p.stat().st_mode & 0o777
        for p in [folder, *folder.rglob("*")]
    }


def seeded(tmp_path: Path) -> None:
    with build(settings_for(tmp_path)):
        pass


def test_a_sqlite_file_that_does_not_exist_is_refused_and_not_created(tmp_path: Path) -> None:
    seeded(tmp_path)
    typo = tmp_path / "var" / "ejournal.sqlite3"
    result = CliRunner().invoke(
        main, ["info"], env=env(tmp_path, EJOURNAL_DATABASE_URL=f"sqlite:///{typo}")
    )
    assert result.exit_code == Exit.DATABASE
    line = refusal(result)
    assert f"{typo} does not exist" in line and "ejournal --create" in line
    assert not typo.exists()


def test_create_makes_a_new_school_private_whatever_the_umask(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["info"], env=env(tmp_path)).exit_code == Exit.DATABASE
    assert not (tmp_path / "var").exists()  # refused: nothing made
    result = CliRunner().invoke(main, ["--create", "info"], env=env(tmp_path))
    assert result.exit_code == 0, result.output
    found = modes(tmp_path / "var")
    assert found["var"] == found["var/keys"] == 0o700
    for name in ("var/ejournal.sqlite", "var/keys/master.key", "var/keys/ledger-ed25519.pem"):
        assert found[name] == 0o600, found
    assert set(found.values()) <= {0o600, 0o700}, found  # -wal and -shm too
    again = CliRunner().invoke(main, ["info"], env=env(tmp_path))  # exists now: no --create
    assert again.exit_code == 0, again.output


def test_the_web_secret_is_created_private(tmp_path: Path) -> None:
    with build(settings_for(tmp_path)) as system:
        web_app(system, testing=True)
    assert modes(tmp_path / "var")["var/keys/web-secret.key"] == 0o600


@pytest.mark.parametrize(
    ("name", "mode", "args", "code"),
    [
        ("master.key", 0o644, ["info"], Exit.MASTER_KEY),
        ("master.key", 0o660, ["worker"], Exit.MASTER_KEY),
        ("ledger-ed25519.pem", 0o644, ["info"], Exit.SIGNING_KEY),
        ("web-secret.key", 0o644, ["serve", "--port", "0"], Exit.SIGNING_KEY),
    ],
)
def test_a_key_file_open_to_group_or_others_is_refused_with_the_chmod_to_run(
    tmp_path: Path, name: str, mode: int, args: list[str], code: Exit
) -> None:
    with build(settings_for(tmp_path)) as system:
        web_app(system, testing=True)  # makes the web secret
    key = tmp_path / "var" / "keys" / name
    key.chmod(mode)
    result = CliRunner().invoke(main, args, env=env(tmp_path))
    assert result.exit_code == code
    line = refusal(result)
    assert f"(mode {mode:04o}): run `chmod 600 {key}`" in line
    key.chmod(0o600)
    if args[0] == "info":
        assert CliRunner().invoke(main, args, env=env(tmp_path)).exit_code == 0


def without_permission(tmp_path: Path, code: str) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    access = folder / "access.toml"
    text = access.read_text(encoding="utf-8")
    start = text.index(f'[permissions."{code}"]')
    end = text.index("[permissions.", start + 1)
    access.write_text(text[:start] + text[end:], encoding="utf-8")
    return folder


def test_a_permission_a_route_uses_but_access_toml_lacks_refuses_serve(tmp_path: Path) -> None:
    seeded(tmp_path)
    policies = without_permission(tmp_path, "records.view")
    result = CliRunner().invoke(
        main, ["serve", "--port", "0"], env=env(tmp_path, EJOURNAL_POLICIES_DIR=str(policies))
    )
    assert result.exit_code == Exit.POLICIES
    line = refusal(result)
    assert "access.toml lacks" in line and "'records.view'" in line
    assert re.search(r"routes: [^)]*records\.register", line), line


def test_building_the_app_refuses_an_undeclared_permission(tmp_path: Path) -> None:
    with build(settings_for(tmp_path)) as system:
        del system.policies.access.permissions["admin.accounts"]
        with pytest.raises(UndeclaredPermission, match=r"'admin\.accounts'"):
            web_app(system, testing=True)
