"""The access log under concurrent page views: every entry saved exactly once, at the
moment of its page view, each request returning after its own entry is committed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from uuid import UUID

from domain import clock
from domain.access_log import AccessEntry
from ejournal.bootstrap import System
from projections.views.access_log import accesses
from tests.school import build_school


def test_concurrent_page_views_are_each_logged_once(system: System) -> None:
    journal = system.journal
    school = build_school(journal)
    moment = datetime(2025, 10, 6, 9, 30, tzinfo=UTC)
    receipts: dict[int, UUID] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(24)

    def view(k: int) -> None:
        try:
            start.wait(10)
            with clock.travel(moment):
                pupil = school.pupils[k % len(school.pupils)]
                receipt = journal.access_log.record_access(school.teacher, f"/page/{k}", [pupil])
            assert journal.recorder.max_notification_id() >= receipt.position  # committed
            receipts[k] = receipt.id
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=view, args=(k,)) for k in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(set(receipts.values())) == 24
    for k, entry_id in receipts.items():
        entry = journal.repository.get(entry_id)
        assert isinstance(entry, AccessEntry)
        assert entry.page == f"/page/{k}"
        assert entry.version == 1
        assert entry.created_on == moment  # the page view's moment, whoever saved it
    system.views.catch_up()
    logged = system.views.read(accesses, actor=str(school.teacher), limit=100)
    assert sorted(r.page for r in logged) == sorted(f"/page/{k}" for k in range(24))
