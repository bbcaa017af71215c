"""Policy and config errors: ``ejournal serve``, ``ejournal worker`` and other commands refuse
to start with ONE clear message (no traceback) and the exit code of the error's class
(``ejournal.exitcodes``), and write nothing: every file under the school's folder is as it
was — no database created, no master or ledger key generated."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ejournal.bootstrap import build
from ejournal.exitcodes import Exit
from tests.conftest import ROOT, settings_for
from tests.reliability.input_support import snapshot
from tests.school import build_school

COMMANDS = [["serve", "--port", "0"], ["worker", "--poll", "0.2"], ["info"]]


def run(tmp_path: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``ejournal ARGS`` in ``tmp_path`` with only our EJOURNAL_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EJOURNAL_")}
    return subprocess.run(
        [sys.executable, "-m", "ejournal.cli", *args],
        cwd=tmp_path,
        env=clean | {"EJOURNAL_POLICIES_DIR": str(ROOT / "policies")} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def seeded(tmp_path: Path) -> None:
    """A school with events under tmp_path/var (the default settings' folder)."""
    with build(settings_for(tmp_path)) as system:
        build_school(system.journal)


def broken_policies(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    grading = folder / "grading.toml"
    grading.write_text(
        grading.read_text(encoding="utf-8").replace("weight = 3", 'weight = "3"', 1),
        encoding="utf-8",
    )
    return {"EJOURNAL_POLICIES_DIR": str(folder)}


def missing_master_key(tmp_path: Path) -> dict[str, str]:
    seeded(tmp_path)
    (tmp_path / "var" / "keys" / "master.key").unlink()
    return {}


def wrong_master_key(tmp_path: Path) -> dict[str, str]:
    seeded(tmp_path)
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    (tmp_path / "var" / "keys" / "master.key").write_text(other + "\n")
    return {}


def malformed_master_key(tmp_path: Path) -> dict[str, str]:
    seeded(tmp_path)
    (tmp_path / "var" / "keys" / "master.key").write_text("not base64 at all!\n")
    return {}


def missing_keyring_rows(tmp_path: Path) -> dict[str, str]:
    """Events exist, the key file is gone and so is the keyring's check value: a fresh master
    key must still not be generated (it would not decrypt the events' data)."""
    import sqlite3

    seeded(tmp_path)
    (tmp_path / "var" / "keys" / "master.key").unlink()
    with sqlite3.connect(tmp_path / "var" / "ejournal.sqlite") as conn:
        conn.execute("DELETE FROM ejournal_keyring_meta")
        conn.execute("DELETE FROM ejournal_keyring")
    return {}


def key_file(name: str, text: str) -> Callable[[Path], dict[str, str]]:
    """A key file var/keys/NAME holding ``text``."""

    def make(tmp_path: Path) -> dict[str, str]:
        path = tmp_path / "var" / "keys" / name
        path.parent.mkdir(parents=True)
        path.write_text(text)
        path.chmod(0o600)  # private, as a key file must be (else refused for its mode)
        return {}

    return make


malformed_ledger_key = key_file(
    "ledger-ed25519.pem", "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n"
)
short_web_secret = key_file("web-secret.key", "short\n")


def unreadable_ledger_key(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "var" / "keys" / "ledger-ed25519.pem").mkdir(parents=True)  # not a file
    return {}


def missing_database(tmp_path: Path) -> dict[str, str]:
    """A school exists, but the URL names a file that does not (a typo in the path)."""
    seeded(tmp_path)
    return {"EJOURNAL_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'ejournal.sqllite'}"}


def shared_key(name: str, mode: int) -> Callable[[Path], dict[str, str]]:
    """A school whose key file var/keys/NAME has ``mode`` (readable by group or others)."""

    def make(tmp_path: Path) -> dict[str, str]:
        seeded(tmp_path)
        path = tmp_path / "var" / "keys" / name
        if not path.exists():  # the web secret: made by the first `serve`
            path.write_text(secrets.token_hex(32))
        path.chmod(mode)
        return {}

    return make


def undeclared_permission(tmp_path: Path) -> dict[str, str]:
    """access.toml without a permission that the auditor's routes use."""
    seeded(tmp_path)
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    access = folder / "access.toml"
    text = access.read_text(encoding="utf-8")
    start = text.index('[permissions."audit.ledger"]')
    end = text.index("[permissions.", start + 1)
    access.write_text(text[:start] + text[end:], encoding="utf-8")
    return {"EJOURNAL_POLICIES_DIR": str(folder)}


def not_a_database(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "ejournal.sqlite").write_bytes(b"this is a text file, not SQLite\n" * 64)
    return {}


def unwritable_archive_dir(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "blocker").write_text("a file where a folder should be\n")
    return {"EJOURNAL_ARCHIVE_DIR": str(tmp_path / "blocker" / "archive")}


def database_dir_is_a_file(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "blocker").write_text("a file where a folder should be\n")
    return {"EJOURNAL_DATABASE_URL": f"sqlite:///{tmp_path / 'blocker' / 'db.sqlite'}"}


@dataclass(frozen=True)
class Case:
    """A broken configuration: how to make it, the exit code, the words of the message."""

    make: Callable[[Path], dict[str, str]]
    code: Exit
    says: tuple[str, ...]
    commands: tuple[str, ...] = ("serve", "worker", "info")


def settings_env(env: dict[str, str]) -> Callable[[Path], dict[str, str]]:
    return lambda _tmp: env


CASES = {
    "malformed views setting": Case(
        settings_env({"EJOURNAL_VIEWS": "sometimes"}), Exit.SETTINGS, ("EJOURNAL_VIEWS",)
    ),
    "unsupported database URL": Case(
        settings_env({"EJOURNAL_DATABASE_URL": "mysql://x@y/z"}),
        Exit.SETTINGS,
        ("unsupported scheme 'mysql'",),
    ),
    "a standby without PostgreSQL": Case(
        settings_env({"EJOURNAL_READ_DATABASE_URL": "postgresql://x@db2:5432/ejournal"}),
        Exit.SETTINGS,
        ("EJOURNAL_READ_DATABASE_URL", "needs EJOURNAL_DATABASE_URL on PostgreSQL"),
    ),
    "malformed batch size": Case(
        settings_env({"EJOURNAL_VIEW_BATCH_SIZE": "many"}),
        Exit.SETTINGS,
        ("EJOURNAL_VIEW_BATCH_SIZE",),
    ),
    "invalid policies": Case(broken_policies, Exit.POLICIES, ("invalid policies", "grading.toml")),
    "unreachable PostgreSQL": Case(
        settings_env({"EJOURNAL_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}),
        Exit.DATABASE,
        ("cannot open the database 127.0.0.1:9/none",),
    ),
    "no server of a multi-host URL answers": Case(
        settings_env(
            {
                "EJOURNAL_DATABASE_URL": "postgresql://nobody@127.0.0.1:9,127.0.0.1:11/none"
                "?target_session_attrs=read-write"
            }
        ),
        Exit.DATABASE,
        ("cannot open the database 127.0.0.1:9,127.0.0.1:11/none",),
    ),
    "not a database file": Case(not_a_database, Exit.DATABASE, ("cannot open the database",)),
    "missing SQLite file": Case(
        missing_database, Exit.DATABASE, ("ejournal.sqllite does not exist", "--create")
    ),
    "fresh folder without --create": Case(
        settings_env({}), Exit.DATABASE, ("ejournal.sqlite does not exist",)
    ),
    "master key readable by others": Case(
        shared_key("master.key", 0o644),
        Exit.MASTER_KEY,
        ("mode 0644", "run `chmod 600 ", "master.key`"),
    ),
    "ledger key readable by group": Case(
        shared_key("ledger-ed25519.pem", 0o640),
        Exit.SIGNING_KEY,
        ("mode 0640", "run `chmod 600 ", "ledger-ed25519.pem`"),
    ),
    "web secret readable by others": Case(
        shared_key("web-secret.key", 0o604),
        Exit.SIGNING_KEY,
        ("mode 0604", "run `chmod 600 ", "web-secret.key`"),
        ("serve",),
    ),
    "permission a route uses missing from access.toml": Case(
        undeclared_permission,
        Exit.POLICIES,
        ("access.toml lacks", "'audit.ledger'", "audit.ledger_status"),
        ("serve",),
    ),
    "missing master key": Case(missing_master_key, Exit.MASTER_KEY, ("master.key is missing",)),
    "missing master key and keyring": Case(
        missing_keyring_rows, Exit.MASTER_KEY, ("master.key is missing",)
    ),
    "wrong master key": Case(wrong_master_key, Exit.MASTER_KEY, ("wrong key",)),
    "malformed master key": Case(malformed_master_key, Exit.MASTER_KEY, ("unreadable",)),
    "malformed ledger key": Case(
        malformed_ledger_key, Exit.SIGNING_KEY, ("ledger signing key", "unreadable")
    ),
    "unreadable ledger key": Case(
        unreadable_ledger_key, Exit.SIGNING_KEY, ("ledger signing key", "unreadable")
    ),
    "short web secret": Case(
        short_web_secret, Exit.SIGNING_KEY, ("web session secret", "too short"), ("serve",)
    ),
    "archive dir under a file": Case(
        unwritable_archive_dir, Exit.STORAGE, ("EJOURNAL_ARCHIVE_DIR", "is a file")
    ),
    "database dir is a file": Case(
        database_dir_is_a_file, Exit.STORAGE, ("EJOURNAL_DATABASE_URL", "is a file")
    ),
}

PAIRS = [
    pytest.param(name, command, id=f"{name}-{command[0]}")
    for name, case in CASES.items()
    for command in COMMANDS
    if command[0] in case.commands
]


@pytest.mark.parametrize(("name", "command"), PAIRS)
def test_a_broken_configuration_is_refused_with_its_exit_code(
    tmp_path: Path, name: str, command: list[str]
):
    case = CASES[name]
    env = case.make(tmp_path)
    before = snapshot(tmp_path)
    result = run(tmp_path, command, env)
    assert result.returncode == case.code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("Error: "), result.stderr
    message = result.stderr
    for words in case.says:
        assert words in message, message
    assert result.stdout == ""  # nothing started
    assert snapshot(tmp_path) == before  # nothing written, nothing created


def test_every_exit_code_is_in_the_help(tmp_path: Path):
    result = run(tmp_path, ["--help"], {})
    assert result.returncode == 0
    for code in Exit:
        assert f"  {int(code)}  " in result.stdout, result.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Start-up refusals") :]
    for code in Exit:
        assert f"| {int(code)} |" in section


def test_a_good_configuration_starts_and_then_restarts_with_the_same_keys(tmp_path: Path):
    """The refusals are not over-eager: a fresh folder starts with --create (keys generated
    once, every file and folder private to the service's account), and a second start
    reuses them without it."""
    first = run(tmp_path, ["--create", "info"], {})
    assert first.returncode == 0, first.stderr
    keys = snapshot(tmp_path / "var" / "keys")
    assert {"master.key", "ledger-ed25519.pem"} <= set(keys)
    second = run(tmp_path, ["info"], {})
    assert second.returncode == 0, second.stderr
    assert snapshot(tmp_path / "var" / "keys") == keys
    var = tmp_path / "var"
    modes = {str(p.relative_to(tmp_path)): p.stat().st_mode & 0o777 for p in [var, *var.rglob("*")]}
    assert modes["var"] == modes["var/keys"] == 0o700
    assert modes["var/ejournal.sqlite"] == modes["var/keys/master.key"] == 0o600
    assert {m for m in modes.values()} <= {0o700, 0o600}, modes


@pytest.mark.postgres
def test_a_missing_master_key_is_refused_on_postgresql_too(tmp_path: Path, pg_schema):
    _, url = pg_schema
    with build(settings_for(tmp_path, url)) as system:
        build_school(system.journal)
    (tmp_path / "var" / "keys" / "master.key").unlink()
    before = snapshot(tmp_path)
    result = run(tmp_path, ["info"], {"EJOURNAL_DATABASE_URL": url})
    assert result.returncode == Exit.MASTER_KEY, result.stderr
    assert "master.key is missing" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before
