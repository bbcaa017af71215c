"""``ejournal api-token``: an administrator issues a JSON API token (shown once), lists
tokens (never the token itself) and revokes one; the token then authenticates no one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain import errors
from ejournal.bootstrap import build
from ejournal.cli import main
from tests.conftest import ROOT, settings_for
from tests.school import build_school


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
    }
    result = CliRunner().invoke(main, ["api-token", *args], env=env)
    return result.exit_code, result.output


def test_tokens_are_issued_once_listed_without_secret_and_revoked(tmp_path: Path) -> None:
    with build(settings_for(tmp_path)) as system:
        build_school(system.journal)
    code, out = _run(tmp_path, "issue", "teacher", "--name", "школьный портал")
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    found = re.search(r"token id (\S+) for teacher", out)
    assert token.startswith("ejt_") and found, out
    token_id = found.group(1)
    code, out = _run(tmp_path, "list", "--json")
    assert code == 0 and token not in out
    (row,) = json.loads(out)
    assert (row["token_id"], row["login"], row["name"]) == (token_id, "teacher", "школьный портал")
    assert row["revoked_at"] is None
    assert _run(tmp_path, "list", "admin", "--json") == (0, "[]\n")
    code, out = _run(tmp_path, "issue", "admin", "--as", "teacher")
    assert code == 1 and "другая роль" in out
    code, out = _run(tmp_path, "issue", "nobody")
    assert code == 1 and "не найдена" in out
    assert _run(tmp_path, "revoke", token_id, "--reason", "утечка", "--as", "admin")[0] == 0
    code, out = _run(tmp_path, "revoke", token_id)
    assert code == 1 and "уже отозван" in out
    code, out = _run(tmp_path, "list", "teacher")
    assert code == 0 and "revoked 20" in out
    with build(settings_for(tmp_path)) as system, pytest.raises(errors.InvalidToken):
        system.journal.tokens.authenticate_token(token)
