"""``ejournal notify run`` as processes against a real SMTP server in the test process
(issue 18): a sender SIGKILLed in the middle of a batch, and two senders at once — every
message accepted exactly once, with its one Message-ID, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import build
from ejournal.cli import main
from ejournal.mailer import MailSettings
from ejournal.notify import Notifier
from ejournal.settings import Settings
from tests.conftest import settings_for
from tests.integration.test_notify import ADDRESS, SECRET, family
from tests.school import LESSON_DAY, at
from tests.smtp import smtp_server

ROOT = Path(__file__).resolve().parents[2]
LEASE = 1.0

pytestmark = pytest.mark.slow


def queue(settings: Settings, days: int) -> int:
    """A parent opted in to «2» and absences; six lessons a day for ``days`` days, each
    with a «2» and an «Н» for the child: two messages per lesson, queued."""
    with build(settings) as system:
        f = family(system)
        with clock.travel(at(LESSON_DAY, 8)):
            system.journal.notifications.subscribe(
                f.parent, ADDRESS, ["low_mark", "absence"], False, f.parent
            )
        for d in range(days):
            day = LESSON_DAY + timedelta(days=d)
            for period in range(1, 7):
                lesson = f.school.hold(day, period)
                with clock.travel(at(day, 10 + period)):
                    j = system.journal
                    two = [MarkEntry(f.child, "2", "test")]
                    j.entry.record_marks(lesson, two, f.school.teacher)
                    j.entry.mark_attendance(lesson, {f.child: "Н"}, f.school.teacher)
        mail = MailSettings.from_env({"EJOURNAL_SMTP_URL": "smtp://127.0.0.1:1?starttls=no"})
        with clock.travel(at(LESSON_DAY + timedelta(days=days - 1), 20)):
            system.views.catch_up()
            return Notifier(system, mail, SECRET).plan()


def sender(settings: Settings, url: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "EJOURNAL_VAR_DIR": str(settings.var_dir),
        "EJOURNAL_DATABASE_URL": settings.database_url,
        "EJOURNAL_POLICIES_DIR": str(settings.policies_dir),
        "EJOURNAL_SMTP_URL": url,
        "EJOURNAL_MAIL_FROM": "journal@school.example",
        "EJOURNAL_NOTIFY_LEASE_SECONDS": str(LEASE),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ejournal.cli", "notify", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sent_of(output: str) -> int:
    """``sent N`` of ``notify run``'s summary line."""
    words = output.split()
    return int(words[words.index("sent") + 1].rstrip(","))


def record(settings: Settings) -> list[tuple[str, int, str]]:
    with build(settings) as system:
        return sorted((a.key, a.attempt, a.outcome) for a in system.views.mail.record(limit=1000))


def test_a_sender_killed_mid_batch_leaves_nothing_unsent_and_nothing_twice(
    backend_settings: Settings,
) -> None:
    queued = queue(backend_settings, 1)
    assert queued == 12
    with smtp_server() as (handler, url):
        running: list[subprocess.Popen[str]] = []

        def kill_at_fifth(number: int) -> bool:
            if number != 5:
                return True
            running[0].kill()  # SIGKILL while the server holds the fifth message's data
            running[0].wait()
            return False  # the client is gone: the server accepts nothing

        handler.before_data = kill_at_fifth
        running.append(sender(backend_settings, url))
        running[0].wait(timeout=120)
        assert running[0].returncode == -9
        assert len(handler.accepted) == 4
        handler.before_data = None
        time.sleep(LEASE + 0.5)  # the killed sender's lease runs out
        again = sender(backend_settings, url)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
    ids = [r.message_id for r in handler.accepted]
    assert len(ids) == queued and len(set(ids)) == queued
    assert sent_of(out) == queued - 4
    attempts = record(backend_settings)
    cut = [key for key, attempt, outcome in attempts if outcome == "sending"]
    assert len(cut) == 1  # the killed attempt stays in the record, unanswered
    assert (cut[0], 2, "sent") in attempts  # … and the next sender's second attempt sent it


def test_two_senders_at_once_send_each_message_once(backend_settings: Settings) -> None:
    queued = queue(backend_settings, 3)
    assert queued == 36
    with smtp_server() as (handler, url):
        both = [sender(backend_settings, url), sender(backend_settings, url)]
        outputs = [p.communicate(timeout=180) for p in both]
    for p, (_, err) in zip(both, outputs, strict=True):
        assert p.returncode == 0, err
    ids = [r.message_id for r in handler.accepted]
    assert len(ids) == queued and len(set(ids)) == queued
    assert sum(sent_of(out) for out, _ in outputs) == queued
    assert all(outcome == "sent" for _, _, outcome in record(backend_settings))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "EJOURNAL_SMTP_URL is not set"),
        ("http://mail.example", "EJOURNAL_SMTP_URL: expected smtp://"),
        ("smtp://mail.example?starttls=maybe", "starttls=yes or starttls=no"),
    ],
)
def test_notify_run_refuses_a_missing_or_bad_smtp_url(
    tmp_path: Path, url: str, expected: str
) -> None:
    env = {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
        "EJOURNAL_SMTP_URL": url,
    }
    result = CliRunner().invoke(main, ["notify", "run"], env=env)
    assert result.exit_code == 3 and expected in result.output
    assert not (tmp_path / "var" / "ejournal.sqlite").exists()  # refused before opening


def test_notify_status_counts_without_addresses(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    queue(settings, 1)
    env = {
        "EJOURNAL_VAR_DIR": str(settings.var_dir),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
    }
    result = CliRunner().invoke(main, ["notify", "status"], env=env)
    assert result.exit_code == 0, result.output
    assert "consents in force 1, withdrawn 0" in result.output
    assert "messages: queued 12" in result.output and ADDRESS not in result.output
    with build(settings) as system:  # an attempt, then the record in JSON with its items
        mail = MailSettings.from_env({"EJOURNAL_SMTP_URL": "smtp://127.0.0.1:1?starttls=no"})
        assert Notifier(system, mail, SECRET).send(limit=1).retried == 1
    shown = CliRunner().invoke(main, ["notify", "status", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    (attempt,) = json.loads(shown.output)["attempts"]
    assert attempt["outcome"] == "retry" and attempt["items"] == 1
    assert len(attempt["diary_items"]) == 1 and ADDRESS not in shown.output
