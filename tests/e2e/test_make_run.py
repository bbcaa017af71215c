"""A newcomer's first step: `make run` on a fresh clone serves the journal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

START_TIMEOUT = 600  # venv + install + demo seed on a cold machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


@pytest.mark.slow
def test_make_run_on_a_fresh_clone_answers_200_and_lists_demo_logins(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EJOURNAL_", "VIRTUAL_ENV", "PYTHON"))
    }
    log = (tmp_path / "make-run.log").open("w")
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert proc.poll() is None, (tmp_path / "make-run.log").read_text()[-3000:]
            try:
                status, content_type, body = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                assert time.monotonic() < deadline, "make run did not answer in time"
                time.sleep(1)
        assert status == 200
        assert content_type == "text/html; charset=utf-8"
        assert '<meta charset="utf-8">' in body
        assert "Демонстрационные учётные записи" in body
        for role in ("директор", "учитель", "родитель", "аудитор", "архивист"):
            assert role in body
        assert (clone / "var" / "ejournal.sqlite").exists()
        assert (clone / "var" / "keys" / "master.key").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
