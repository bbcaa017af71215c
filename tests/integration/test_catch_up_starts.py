"""The worker's batches start where this process's last batch left the views and the
ledger (no read of the positions before each batch, issue 19), yet a move by another
process — a rebuild that set the views back, another process sealing ahead — is caught:
the views end equal to a rebuild and every row is sealed exactly once. On SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from ejournal.bootstrap import System, build
from ejournal.settings import Settings
from projections.processor import Processor
from projections.sealing import Keeper
from tests.school import build_school
from tests.views import snapshot


def _views(system: System) -> dict[str, Any]:
    with system.views.reader() as reader:
        return snapshot(reader, system.views.sealer)


def _another_process(processor: Processor) -> Processor:
    """A processor of the same views and stores, as another process has."""
    return Processor(
        processor.views, processor.recorder, processor.mapper, processor.db, processor.sealer
    )


def test_views_set_back_by_a_rebuild_elsewhere_are_caught_up_again(
    backend_settings: Settings,
) -> None:
    with build(backend_settings) as system:
        school = build_school(system.journal)
        here = system.views.processor
        here.catch_up()
        elsewhere = _another_process(here)
        built = elsewhere.build_in_memory(elsewhere.views)  # a rebuild reads the log to here…
        school.hold()  # …a lesson is held meanwhile…
        here.catch_up()  # …and applied here: this process keeps where its next batch starts
        with_lesson = _views(system)
        assert len(with_lesson["v_lessons"]) == 1
        # The rebuild swaps in what it built before the lesson: the views moved back.
        elsewhere.build_in_memory = lambda views, progress=None, **_: built  # type: ignore[method-assign]
        elsewhere.rebuild()
        assert _views(system)["v_lessons"] == []
        assert here.catch_up() >= 1  # no new event, yet the views are behind: caught up
        assert _views(system) == with_lesson
        system.views.rebuild()
        assert _views(system) == with_lesson


def test_rows_sealed_ahead_by_another_process_are_sealed_once(backend_settings: Settings) -> None:
    with build(backend_settings) as system:
        school = build_school(system.journal)
        keeper = system.views.keeper
        assert keeper is not None
        keeper.catch_up()
        elsewhere = Keeper(keeper.recorder, keeper.db, keeper.authenticator)
        school.hold()  # (on SQLite the command seals inline, in this process)
        inline = system.settings.views_mode == "inline"
        assert elsewhere.catch_up() >= 1 or inline  # the other process seals the lesson's rows
        assert keeper.status().last_position == system.journal.recorder.max_notification_id()
        school.hold(period=3)
        # This one starts where it stopped, finds the ledger moved, reads it again.
        assert keeper.catch_up() >= 1 or inline
        head = system.journal.recorder.max_notification_id()
        status = keeper.status()
        assert status.size == status.last_position == head  # every row once, none twice
        assert system.ledger.verify().ok
