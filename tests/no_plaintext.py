"""Shared by the no-plaintext tests (``tests/integration/test_no_plaintext*.py``): the demo
school seeded as a process, the personal values read back through the keys, and the one-pass
search for them in a database file or a dump."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from domain import clock
from domain.base import Redacted
from ejournal.bootstrap import build
from ejournal.mailer import MailSettings
from ejournal.notify import Notifier
from projections.views import grid
from tests.conftest import ROOT, settings_for
from tests.smtp import smtp_server

PERSONAL_FIELDS = ("surname", "name", "patronymic", "birth_date", "phone", "email")


def seed(tmp_path: Path, database_url: str | None) -> None:
    """`ejournal demo --weeks 6` as a process (the accounts hashed at the tests' scrypt cost)."""
    env = dict(
        os.environ,
        EJOURNAL_VAR_DIR=str(tmp_path / "var"),
        EJOURNAL_POLICIES_DIR=str(ROOT / "policies"),
    )
    if database_url:
        env["EJOURNAL_DATABASE_URL"] = database_url
    subprocess.run(
        [sys.executable, "-m", "tests.tools.cheap_ejournal", "demo", "--weeks", "6"],
        env=env,
        cwd=ROOT,  # python -m tests.tools…
        check=True,
        capture_output=True,
        timeout=600,
    )


def mail(tmp_path: Path, database_url: str | None) -> None:
    """``parent01`` opts in on the demo year's first day; the next evening's run sends."""
    with build(settings_for(tmp_path, database_url)) as system:
        j = system.journal
        account = j.queries.account_by_login("parent01").id
        first = date.fromisoformat(str(system.views.reads.school.years()[0]["starts"]))
        events = ["low_mark", "absence", "correction"]
        with clock.travel(clock.local_datetime(first, 7)):
            j.notifications.subscribe(account, "parent01.mail@example.ru", events, True, account)
        system.views.catch_up()
        with smtp_server() as (handler, url):
            mail = MailSettings.from_env({"EJOURNAL_SMTP_URL": url})
            notifier = Notifier(system, mail, b"k" * 32)
            notifier.plan(clock.local_datetime(first + timedelta(days=1), 20))
            tally = notifier.send()
        assert tally.sent >= 1 and len(handler.accepted) == tally.sent
        assert "Дневник:" in handler.accepted[0].text  # a pupil's name and their news


def curriculum(tmp_path: Path, database_url: str | None) -> list[bytes]:
    """Lesson topics and homework: plain curriculum text, not personal data — but it may
    contain first names («Тарас Бульба», «Эпоха Петра I»), so it is blanked out before
    the search."""
    with build(settings_for(tmp_path, database_url)) as system, system.views.reader() as reader:
        rows = reader.select(grid.LESSONS)
    texts = {r["topic"] for r in rows} | {r["homework"] for r in rows}
    return sorted((t.encode() for t in texts if t), key=len, reverse=True)


def personal_values(tmp_path: Path, database_url: str | None) -> set[str]:
    """Every personal value of every seeded person, read back through the keys."""
    values: set[str] = set()
    with build(settings_for(tmp_path, database_url)) as system:
        recorder, mapper = system.journal.recorder, system.journal.mapper
        for note in recorder.select_notifications(start=1, limit=10**7):
            event = mapper.to_domain_event(note)
            assert not isinstance(event, Redacted)
            for field in PERSONAL_FIELDS:
                value = getattr(event, field, None)
                if value:
                    values.add(str(value))
    return values


def needles(values: set[str]) -> list[bytes]:
    """Byte patterns to look for. Values shorter than 4 characters are left out: a 2-letter
    name («Ян») is 4 bytes, which random ciphertext of a few MB contains by chance."""
    out = []
    for value in values:
        if len(value) < 4:
            continue
        raw = value.encode()
        out += [raw, raw.hex().encode()]  # raw bytes, and bytea's hex form in a dump
        if len(value) == 10 and value[4] == "-":  # an ISO date: also 07.03.2014
            out.append(f"{value[8:]}.{value[5:7]}.{value[:4]}".encode())
    return out


Trie = dict[int | None, "Trie"]  # a byte → the rest; None marks a needle's end


def trie_pattern(needles: list[bytes]) -> re.Pattern[bytes]:
    """One regular expression matching any of ``needles``, built as a trie («Ив(?:анов|…)»):
    one pass over the blob instead of one search a needle (3,000 needles × 26 MB took
    about a minute of CPU; the pass takes well under a second). Wherever a needle occurs the
    pattern matches there or at an overlapping earlier place, so "no match" means "no needle"."""
    trie: Trie = {}
    for needle in needles:
        node = trie
        for byte in needle:
            node = node.setdefault(byte, {})
        node[None] = {}

    def build(node: Trie) -> bytes:
        branches = [
            re.escape(bytes([b])) + build(child) for b, child in node.items() if b is not None
        ]
        if not branches:
            return b""
        ends = None in node
        body = (
            branches[0] if len(branches) == 1 and not ends else b"(?:" + b"|".join(branches) + b")"
        )
        return body + b"?" if ends else body

    return re.compile(build(trie))


def assert_absent(blob: bytes, values: set[str], curriculum: list[bytes]) -> None:
    assert len(curriculum) > 20, "the demo's lessons should have topics"
    for text in curriculum:
        blob = blob.replace(text, b"")
    assert len(values) > 500, "the demo should have seeded hundreds of people"
    assert any(len(v) == 10 and v[4] == "-" for v in values), "birth dates are checked too"
    found = sorted({m.group() for m in trie_pattern(needles(values)).finditer(blob)})
    assert not found, f"personal data in plaintext: {found[:5]}"


def sensitive_codes(tmp_path: Path, database_url: str | None) -> set[str]:
    """The sensitive codes of the policy that the demo recorded (it does record «Б»)."""
    with build(settings_for(tmp_path, database_url)) as system:
        policy = system.policies.attendance
        sensitive = {c for c, v in policy.codes.items() if v.sensitive}
        recorder, mapper = system.journal.recorder, system.journal.mapper
        seen = {
            getattr(mapper.to_domain_event(note), "code", None)
            for note in recorder.select_notifications(start=1, limit=10**7)
            if note.topic.endswith(("AttendanceMarked", "AttendanceCorrected"))
        }
    assert "Б" in sensitive and sensitive <= seen, "the demo should record «Б»"
    return sensitive


def assert_no_code_in_json(blob: bytes, codes: set[str]) -> None:
    """No JSON value of a view (the history's remembered state) holds a sensitive code."""
    for code in codes:
        for spelling in (f'"code": "{code}"', f'"code":"{code}"'):
            assert spelling.encode() not in blob, f"{spelling} in plaintext"
