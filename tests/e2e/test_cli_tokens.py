"""``ejournal api-token``: a person issues their own JSON API token with their password, an
administrator one for a service account — never for another person (issue 14); tokens are
shown once, listed without the secret and revoked; a revoked token authenticates no one."""

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


def _run(tmp_path: Path, *args: str, password: str | None = None) -> tuple[int, str]:
    env = {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
    }
    stdin = None if password is None else password + "\n"
    result = CliRunner().invoke(main, ["api-token", *args], env=env, input=stdin)
    return result.exit_code, result.output


def test_tokens_are_issued_once_listed_without_secret_and_revoked(tmp_path: Path) -> None:
    with build(settings_for(tmp_path)) as system:
        build_school(system.journal)
    code, out = _run(
        tmp_path, "issue", "teacher", "--name", "школьный портал", password="uchitel-secret-1"
    )
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
    assert code == 1 and "только сам владелец" in out
    code, out = _run(tmp_path, "issue", "nobody")
    assert code == 1 and "не найдена" in out
    assert _run(tmp_path, "revoke", token_id, "--reason", "утечка", "--as", "admin")[0] == 0
    code, out = _run(tmp_path, "revoke", token_id)
    assert code == 1 and "уже отозван" in out
    code, out = _run(tmp_path, "list", "teacher")
    assert code == 0 and re.search(r"revoked \d\d\.\d\d\.20\d\d \d\d:\d\d ", out), out
    assert "+00:00" not in out and "T" not in out.split()[2]  # school time, not ISO UTC
    with build(settings_for(tmp_path)) as system, pytest.raises(errors.InvalidToken):
        system.journal.tokens.authenticate_token(token)


def test_a_token_for_another_persons_account_is_refused(tmp_path: Path) -> None:
    """Issue 14: the administrator (or the operator) cannot issue a token for a person; the
    person's own token needs their password; a service account's is the administrator's."""
    with build(settings_for(tmp_path)) as system:
        school = build_school(system.journal)
        system.journal.accounts.create_service_account(
            "svc.portal", "Региональный портал", ["teacher"], school.admin
        )
        before = system.journal.recorder.max_notification_id()
    code, out = _run(tmp_path, "issue", "head", "--as", "admin", "--name", "чужой")
    assert code == 1 and "только сам владелец" in out, out
    code, out = _run(tmp_path, "issue", "head", "--name", "чужой", password="wrong-password")
    assert code == 1 and "Неверный логин или пароль" in out, out
    with build(settings_for(tmp_path)) as system:
        written = system.journal.recorder.max_notification_id()
        assert written == before + 1  # only the failed sign-in, no token
    code, out = _run(tmp_path, "issue", "svc.portal", "--as", "admin", "--name", "портал")
    assert code == 0 and "for svc.portal" in out, out
    with build(settings_for(tmp_path)) as system:
        token = out.strip().splitlines()[-1]
        assert system.journal.tokens.authenticate_token(token).login == "svc.portal"
