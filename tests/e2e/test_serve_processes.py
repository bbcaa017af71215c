"""``ejournal serve --processes N``: several waitress processes on one port, supervised —
a child that dies is replaced, and SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from tests.httpload.app import children as _children
from tests.httpload.app import free_port as _free_port


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _until(condition: object, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_children_are_replaced_and_all_stop_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EJOURNAL_")}
    env |= {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
    }
    cmd = [sys.executable, "-m", "ejournal.cli", "--create", "serve", "--port", str(port)]
    cmd += ["--processes", "2"]  # a new school: --create, or a missing database is refused
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert _until(lambda: _healthy(port) and len(_children(server.pid)) == 2), "no start"
        first = _children(server.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        assert _until(lambda: len(_children(server.pid) - {victim}) == 2), "not replaced"
        assert victim not in _children(server.pid)
        assert all(_healthy(port) for _ in range(20))  # served by the survivors and the new one
        seen = first | _children(server.pid)
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        assert not any(Path(f"/proc/{k}").exists() for k in seen)
        assert not _healthy(port)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
