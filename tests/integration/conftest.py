"""Fixtures of the integration tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from uuid import UUID

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


#: The operator's details the acts and the regulations print (valid ОГРН and ИНН check digits).
PROFILE = {
    "full_name": "Муниципальное бюджетное общеобразовательное учреждение «Школа № 7»",
    "short_name": "МБОУ «Школа № 7»",
    "address": "654321, г. Энск, ул. Садовая, д. 3",
    "head_name": "Директорова Ирина Павловна",
    "head_position": "Директор",
    "ogrn": "1027700123450",
    "inn": "7701234560",
}

ProfileSetter = Callable[[System, UUID], None]


@pytest.fixture
def give_profile() -> ProfileSetter:
    """Gives a system's school ``PROFILE``, set by an actor, with the views caught up — what
    the tests of acts and regulations start from (call it under the clock they need)."""

    def give(system: System, actor: UUID) -> None:
        system.journal.profile.set_profile(system.settings.school, PROFILE, actor)
        system.views.catch_up()

    return give
