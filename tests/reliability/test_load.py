"""Load: 30 teachers save lesson forms and corrections over HTTP for a bounded time, against
``ejournal serve`` (waitress) and ``ejournal worker`` on PostgreSQL. Afterwards every
acknowledged command is in the event store exactly once, every view equals a rebuild, and
the ledger verifies; rejections are counted by reason, and no answer is a 5xx."""

from __future__ import annotations

import time
import uuid

import pytest

from ejournal.bootstrap import build
from tests.reliability.conftest import CLIENTS, LOAD_SECONDS, School, write_figures
from tests.reliability.harness import Load, check_all, describe, figures_of, settings_of


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

    figures = figures_of(found, load) | {
        "teachers": CLIENTS,
        "seconds of load": round(seconds, 1),
        "events before": before,
        "view rows compared with a rebuild": rows,
        "views equal a rebuild": int(views_equal),
        "ledger verifies": 1,
    }
    write_figures("load", figures, school.notes + describe(found))
    print("\n".join(describe(found)))

    assert found.acknowledged > CLIENTS, "the teachers got (almost) nothing saved"
    assert not found.lost, f"acknowledged but not stored: {found.lost[:10]}"
    assert not found.duplicated and not found.stray_marks, found.duplicated[:10]
    assert not found.server_errors, describe(found)
    assert found.unanswered == 0, "without kills every request is answered"
    assert views_equal, "the views differ from a rebuild"
    assert "ledger OK" in ledger
