"""Load: 30 teachers save lesson forms and corrections over HTTP for a bounded time, against
``ejournal serve`` (waitress) and ``ejournal worker`` on PostgreSQL. Afterwards every
acknowledged command is in the event store exactly once, every view equals a rebuild, and
the ledger verifies; rejections are counted by reason, and no answer is a 5xx."""

from __future__ import annotations

import time
import uuid

import pytest

from ejournal.bootstrap import build
from tests.reliability.conftest import (
    CLIENTS,
    LOAD_SECONDS,
    School,
    assert_nothing_lost,
    run_figures,
    write_figures,
)
from tests.reliability.harness import Load, check_all, describe, settings_of


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.alone
def test_concurrent_teachers_lose_nothing(school: School) -> None:
    app = school.app
    app.start()
    load = Load(app, school.days, CLIENTS, uuid.uuid4().hex[:6])
    with build(settings_of(app)) as system:
        before = system.journal.recorder.max_notification_id() or 0
    began = time.monotonic()
    load.run_for(LOAD_SECONDS)
    seconds = time.monotonic() - began
    found, views_equal, rows, ledger = check_all(app, school.server, school.schema, load)

    figures = run_figures(found, load, seconds, rows, views_equal, ledger)
    figures["events before"] = before
    write_figures("load", figures, school.notes + describe(found))
    print("\n".join(describe(found)))

    assert_nothing_lost(found, views_equal, ledger)
    assert found.unanswered == 0, "without kills every request is answered"
