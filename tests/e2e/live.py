"""A live server of the web app in a thread (for the real browser), with a server clock the
test sets, and a Chromium from the system (Debian's package) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from werkzeug.serving import make_server

from domain import clock

REQUIRE = "EJOURNAL_REQUIRE_BROWSER"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Russian date inputs (ДД.ММ.ГГГГ) as a Russian user's browser shows them, in screenshots
    # too: headless Chromium takes the locale from --lang and LANGUAGE, and needs Debian's
    # chromium-l10n for the Russian resources (without it, it falls back to mm/dd/yyyy).
    "--lang=ru-RU",
]


def launch(playwright: Any, chromium: str) -> Any:
    """Chromium from the system, in Russian."""
    env = {**os.environ, "LANGUAGE": "ru", "LANG": "ru_RU.UTF-8"}
    return playwright.chromium.launch(executable_path=chromium, args=FLAGS, env=env)


def chromium_or_skip() -> str:
    """Chromium's path; skip (or fail when EJOURNAL_REQUIRE_BROWSER=1) without it."""
    missing = None
    if CHROMIUM is None:
        missing = "no chromium on PATH (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed (make test installs it)"
    if missing:
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{REQUIRE}=1 but {missing}")
        pytest.skip(f"browser tests skipped: {missing}")
    assert CHROMIUM is not None
    return CHROMIUM


def follow(page: Any, target: Any) -> None:
    """Click a link or a form's button (a selector or a locator) and wait until the page it
    leads to has loaded. A bare ``click`` returns once the navigation has begun, so a
    ``count()`` or ``inner_text()`` right after it may still read the page being left (seen
    in CI: a diary's marks counted on the page of the term before)."""
    locator = page.locator(target) if isinstance(target, str) else target
    with page.expect_navigation():
        locator.click()


class ServerClock:
    """The time every request of the live server runs at (None: the real clock)."""

    def __init__(self) -> None:
        self.moment: datetime | None = None

    def apply(self) -> None:
        clock.set_time(self.moment)


@contextmanager
def live_server(app: Any, server_clock: ServerClock) -> Iterator[str]:
    """Serve ``app`` on a free local port; yield its base URL."""
    app.before_request(server_clock.apply)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
