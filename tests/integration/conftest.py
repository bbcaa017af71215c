"""Fixtures of the integration tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ejournal.bootstrap import System, build
from ejournal.settings import Settings
from ejournal.worker import run_worker


@pytest.fixture
def running(backend_settings: Settings) -> Iterator[System]:
    """A system whose views are kept by its own mode: inline on SQLite, a worker thread on
    PostgreSQL (as in production)."""
    with build(backend_settings) as system:
        stop = threading.Event()
        worker = None
        if system.settings.views_mode == "worker":
            worker = threading.Thread(target=run_worker, args=(system, stop, 0.2), daemon=True)
            worker.start()
        try:
            yield system
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=10)
