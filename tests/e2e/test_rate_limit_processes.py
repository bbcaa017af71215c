"""The sign-in rate limit holds across ``ejournal serve --processes 2`` (issue 14, item 4):
the counters live in the database, so the limit is one for every process — and for the
processes that replace them."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from tests.e2e.test_serve_processes import _healthy, _until
from tests.httpload.app import children as _children
from tests.httpload.app import free_port as _free_port

LIMIT = 4
WINDOW = 999_999  # the longest EJOURNAL_RATE_LIMITS takes (six digits)


def _sign_in(port: int) -> tuple[int, dict[str, str], str]:
    """One sign-in attempt of an unknown login on a fresh connection (and a fresh cookie):
    status, headers and page of the answer."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    with opener.open(f"{base}/login", timeout=10) as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert token is not None
    data = urllib.parse.urlencode(
        {"login": "nobody", "password": "guess-guess-1", "csrf_token": token.group(1)}
    ).encode()
    try:
        with opener.open(f"{base}/login", data=data, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_the_sign_in_limit_is_shared_by_every_server_process(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EJOURNAL_")}
    env |= {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
        # Windows are fixed (aligned to multiples of their length): one of 11.6 days is not
        # crossed during the test, so a new window never lets a fifth attempt in.
        "EJOURNAL_RATE_LIMITS": f"signin-address={LIMIT}/{WINDOW}",
    }
    cmd = [sys.executable, "-m", "ejournal.cli", "--create", "serve", "--port", str(port)]
    cmd += ["--processes", "2"]  # a new school: --create, or a missing database is refused
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert _until(lambda: _healthy(port) and len(_children(server.pid)) == 2), "no start"
        assert [_sign_in(port)[0] for _ in range(LIMIT)] == [401] * LIMIT
        # Every further attempt is refused, whichever process takes the connection.
        answers = [_sign_in(port) for _ in range(6)]
        assert [status for status, _, _ in answers] == [429] * 6
        _, headers, page = answers[0]
        assert 0 < int(headers["Retry-After"]) <= WINDOW
        assert "Слишком много попыток" in page
        # Processes that replace both (a fresh memory each) still refuse.
        first = _children(server.pid)
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        assert _until(lambda: len(_children(server.pid) - first) == 2 and _healthy(port))
        assert _sign_in(port)[0] == 429
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
