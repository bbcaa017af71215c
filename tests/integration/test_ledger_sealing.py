"""Sealing attests authenticity (issue 15, items 1 and 2): a row inserted or altered in the
database, bypassing the application, is never sealed; sealing halts at it, visibly and
naming it; verify fails on it; and nothing else jams on it — views pass over it, reads
and writes keep working, no traceback anywhere. On both backends, each test on its own
copy of a sealed demo school (the fixtures of ``test_ledger``)."""

from __future__ import annotations

import json
import logging
import threading
from uuid import UUID

import pytest
from click.testing import CliRunner

from domain import errors, ids
from ejournal.cli import main
from ejournal.webapp import web_app
from ejournal.worker import run_worker
from projections import sealing
from tests.integration import test_ledger as base
from tests.integration.test_ledger import Demo, _more_events
from tests.web import sign_in

# The sealed demo school per backend, copied for each test.
golden_sqlite = base.golden_sqlite
golden_postgres = base.golden_postgres
demo = base.demo

FORGED_VERSION = 10_000_000


def _forge(demo: Demo, index: int = 150, record: UUID | None = None) -> tuple[int, UUID]:
    """The issue's forgery: a new row copying another event's stored state at a new
    version of the same record (the ``index``-th row, or the first of ``record``).
    Returns its notification id and the record's id."""
    rows = demo.raw.rows()
    donor = rows[index] if record is None else next(r for r in rows if r.originator_id == record)
    forged = demo.raw.execute(
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "SELECT originator_id, ?, topic, state FROM {events} WHERE {id} = ? RETURNING {id}",
        (FORGED_VERSION, donor.id),
    )
    return int(forged[0][0]), donor.originator_id


def _quarantine(demo: Demo, position: int) -> None:
    """The procedure of docs/operations.md: move the row aside."""
    if demo.raw.sqlite:
        demo.raw.execute(
            "CREATE TABLE IF NOT EXISTS ejournal_quarantine AS SELECT rowid AS notification_id, "
            "originator_id, originator_version, topic, state FROM stored_events WHERE 0"
        )
        demo.raw.execute(
            "INSERT INTO ejournal_quarantine SELECT rowid, originator_id, originator_version, "
            "topic, state FROM stored_events WHERE rowid = ?",
            (position,),
        )
    else:
        demo.raw.execute("CREATE TABLE IF NOT EXISTS ejournal_quarantine (LIKE ejournal_events)")
        demo.raw.execute(
            "INSERT INTO ejournal_quarantine SELECT * FROM ejournal_events "
            "WHERE notification_id = ?",
            (position,),
        )
    demo.raw.delete(position)


def _cli(demo: Demo, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=demo.env)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result
    return result.exit_code, result.stdout, result.stderr


def _assert_halted_at(demo: Demo, position: int) -> None:
    message = sealing.problem(position)
    assert message == (
        f"событие {position} не прошло проверку подлинности: вставлено или изменено в обход "
        "приложения"
    )
    verdict = demo.ledger.verify()
    assert not verdict.ok and verdict.first_bad == position and verdict.problem == message
    code, _, err = _cli(demo, "ledger", "verify")
    assert code == 1 and f"LEDGER BROKEN at notification {position}: {message}" in err
    code, out, _ = _cli(demo, "ledger", "verify", "--json")
    assert code == 1 and json.loads(out)["first_bad"] == position

    assert demo.ledger.status().halt == sealing.Halt(position, message)
    code, _, err = _cli(demo, "ledger", "status")
    assert code == 1 and f"SEALING HALTED at notification {position}: {message}" in err
    assert "docs/operations.md" in err
    code, out, _ = _cli(demo, "ledger", "status", "--json")
    assert code == 1 and json.loads(out)["halted_at"] == position


def test_a_forged_row_at_the_end_halts_sealing_and_fails_verify(
    demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    sealed = demo.ledger.head()
    forged, _ = _forge(demo)
    with caplog.at_level(logging.WARNING):
        assert demo.system.views.catch_up() == 1  # the views pass over it, no exception
    lines = [r.getMessage() for r in caplog.records]
    assert any(f"event {forged} skipped" in line for line in lines), lines
    assert any(f"sealing halted: {sealing.problem(forged)}" in line for line in lines), lines
    assert demo.ledger.head() == sealed  # never sealed
    _assert_halted_at(demo, forged)

    # The checkpoint signs the authenticated head; the worker keeps going; no traceback.
    code, out, _ = _cli(demo, "ledger", "checkpoint")
    assert code == 0 and json.loads(out)["size"] == sealed.size
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(demo.system, stop, 0.05))
    worker.start()
    stop.wait(0.3)
    stop.set()
    worker.join(10)
    assert not worker.is_alive()

    # Other reads keep working: a record's history, the auditor's page and /healthz.
    other = demo.raw.rows()[10].originator_id
    code, out, _ = _cli(demo, "history", str(other))
    assert code == 0 and out
    client = web_app(demo.system, testing=True).test_client()
    anonymous = client.get("/healthz").get_json()
    assert anonymous["status"] == "ok" and "ledger" not in anonymous
    _, login, password = next(r for r in demo.golden.school.logins if r[0] == "auditor")
    sign_in(client, login, password)
    page = client.get("/audit/")
    assert page.status_code == 200 and sealing.problem(forged) in page.get_data(as_text=True)
    health = client.get("/healthz").get_json()
    assert health["ledger"]["halted_at"] == forged, health


def test_a_forged_row_in_the_middle_halts_sealing_there_and_the_product_goes_on(
    demo: Demo,
) -> None:
    forged, _ = _forge(demo)
    before = len(demo.raw.rows())
    _more_events(demo.system, 2)  # writes after it: stored once, shown by the views
    rows = demo.raw.rows()
    assert len(rows) == before + 4 and rows[-1].id > forged
    demo.system.views.catch_up()
    assert all(s.position == rows[-1].id for s in demo.system.views.status() if s.name != "ledger")
    _assert_halted_at(demo, forged)
    assert demo.ledger.head().last_position < forged

    # Quarantine (docs/operations.md): move the row aside; sealing resumes by itself.
    _quarantine(demo, forged)
    demo.system.views.catch_up()
    status = demo.ledger.status()
    assert status.halt is None and status.last_position == rows[-1].id, status
    assert demo.ledger.verify().ok
    code, out, _ = _cli(demo, "ledger", "status")
    assert code == 0 and "HALTED" not in out


def test_a_write_after_a_forged_row_is_stored_once_or_refused_before_storing(demo: Demo) -> None:
    mark, lesson = demo.raw.a_mark()
    # Tokens are issued by an administrator only for service accounts (issue 14).
    admin = ids.account_id("admin")
    demo.system.journal.accounts.create_service_account("svc.portal", "Портал", ["teacher"], admin)
    forged, record = _forge(demo, record=UUID(lesson))  # a forged event of a lesson
    demo.system.views.catch_up()
    # A write to another record: done, exit 0, stored exactly once (no «stored but exit 1»).
    before = len(demo.raw.rows())
    code, out, _ = _cli(demo, "api-token", "issue", "svc.portal", "--as", "admin", "--name", "x")
    assert code == 0 and "ejt_" in out
    after = demo.raw.rows()
    assert len(after) > before
    assert len({(r.originator_id, r.version) for r in after}) == len(after)

    # A command on the forged record is refused before anything is stored, in one line.
    with pytest.raises(errors.RecordUnauthentic) as refused:
        demo.system.journal.queries.history(record)
    assert "не прошло проверку подлинности" in refused.value.text
    code, _, err = _cli(demo, "history", str(record))
    assert code == 1 and "не прошло проверку подлинности" in err
    assert len(err.strip().splitlines()) == 1
    count = len(demo.raw.rows())
    with pytest.raises(errors.RecordUnauthentic):
        demo.system.journal.entry.cancel_mark(record, UUID(mark), "ошибка", ids.account_id("admin"))
    assert len(demo.raw.rows()) == count
    _assert_halted_at(demo, forged)


def test_an_altered_unsealed_row_fails_verify(demo: Demo) -> None:
    """A row written by the application, altered before sealing reached it."""
    demo.system.journal.saved_listeners.clear()  # nothing seals it
    _more_events(demo.system, 1)
    last = demo.raw.rows()[-1]
    state = bytearray(last.state)
    state[-1] ^= 1
    demo.raw.set_state(last.id, bytes(state))
    verdict = demo.ledger.verify()
    assert not verdict.ok and verdict.first_bad == last.id, verdict
    demo.system.views.catch_up()
    assert demo.ledger.status().halt == sealing.Halt(last.id, sealing.problem(last.id))
