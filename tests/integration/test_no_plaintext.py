"""After `ejournal demo`, no personal data of any seeded person is stored in plaintext:
neither in the SQLite file nor in a `pg_dump` of the PostgreSQL schema — names, birth dates,
contacts, and the sensitive attendance code «Б» (health data, ``policies/attendance.toml``),
which the views keep sealed under the pupil's key. A parent opted in to e-mail and was sent
messages first: the address (consent events, the consents view) and the messages (the
outbox, the delivery record) are checked too (issue 18)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from domain import clock
from domain.base import Redacted
from ejournal.bootstrap import build
from ejournal.mailer import MailSettings
from ejournal.notify import Notifier
from projections.views import grid
from tests.conftest import ROOT, settings_for
from tests.smtp import smtp_server

PERSONAL_FIELDS = ("surname", "name", "patronymic", "birth_date", "phone", "email")


def _seed(tmp_path: Path, database_url: str | None) -> None:
    env = dict(
        os.environ,
        EJOURNAL_VAR_DIR=str(tmp_path / "var"),
        EJOURNAL_POLICIES_DIR=str(ROOT / "policies"),
    )
    if database_url:
        env["EJOURNAL_DATABASE_URL"] = database_url
    subprocess.run(
        [sys.executable, "-m", "ejournal.cli", "demo", "--weeks", "6"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )


def _mail(tmp_path: Path, database_url: str | None) -> None:
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


def _curriculum(tmp_path: Path, database_url: str | None) -> list[bytes]:
    """Lesson topics and homework: plain curriculum text, not personal data — but it may
    contain first names («Тарас Бульба», «Эпоха Петра I»), so it is blanked out before
    the search."""
    with build(settings_for(tmp_path, database_url)) as system, system.views.reader() as reader:
        rows = reader.select(grid.LESSONS)
    texts = {r["topic"] for r in rows} | {r["homework"] for r in rows}
    return sorted((t.encode() for t in texts if t), key=len, reverse=True)


def _personal_values(tmp_path: Path, database_url: str | None) -> set[str]:
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


def _needles(values: set[str]) -> list[bytes]:
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


def _trie_pattern(needles: list[bytes]) -> re.Pattern[bytes]:
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


def _assert_absent(blob: bytes, values: set[str], curriculum: list[bytes]) -> None:
    assert len(curriculum) > 20, "the demo's lessons should have topics"
    for text in curriculum:
        blob = blob.replace(text, b"")
    assert len(values) > 500, "the demo should have seeded hundreds of people"
    assert any(len(v) == 10 and v[4] == "-" for v in values), "birth dates are checked too"
    found = sorted({m.group() for m in _trie_pattern(_needles(values)).finditer(blob)})
    assert not found, f"personal data in plaintext: {found[:5]}"


def test_the_search_finds_a_needle_hidden_in_noise() -> None:
    """The one-pass search itself: a name, its hex form and a Russian date hidden in random
    bytes are each found; bytes that only share a prefix with a needle are not."""
    values = {"Иванова", "2014-03-07", "Петров"}
    noise = bytes(range(256)) * 4000
    for hidden in (
        "Иванова".encode(),
        "Петров".encode().hex().encode(),
        b"07.03.2014",
    ):
        pattern = _trie_pattern(_needles(values))
        assert pattern.search(noise[:5000] + hidden + noise[5000:]), hidden
    assert not _trie_pattern(_needles(values)).search(noise + "Иванов".encode() + b"07.03.201")


def _sensitive_codes(tmp_path: Path, database_url: str | None) -> set[str]:
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


def _assert_no_code_in_json(blob: bytes, codes: set[str]) -> None:
    """No JSON value of a view (the history's remembered state) holds a sensitive code."""
    for code in codes:
        for spelling in (f'"code": "{code}"', f'"code":"{code}"'):
            assert spelling.encode() not in blob, f"{spelling} in plaintext"


@pytest.mark.slow
def test_sqlite_file_holds_no_personal_data_in_plaintext(tmp_path: Path) -> None:
    _seed(tmp_path, None)
    _mail(tmp_path, None)
    values = _personal_values(tmp_path, None)
    db = tmp_path / "var" / "ejournal.sqlite"
    blob = b"".join(p.read_bytes() for p in db.parent.glob("ejournal.sqlite*"))
    _assert_absent(blob, values, _curriculum(tmp_path, None))
    assert b"v_persons" in blob and b"v_history" in blob  # the views are in the file too
    codes = _sensitive_codes(tmp_path, None)
    _assert_no_code_in_json(blob, codes)
    # A code stored in plain beside its lesson's and pupil's ids: the old layout of a row.
    for code in codes:
        beside = re.compile(rb"[0-9a-f-]{36}[0-9a-f-]{36}" + re.escape(code.encode()))
        assert not beside.search(blob), f"«{code}» in plaintext beside a pupil's id"
    with sqlite3.connect(db) as conn:  # and no cell of any table is a sensitive code
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            for column in columns:
                found = conn.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE typeof({column}) = 'text' "
                    f"AND {column} IN ({','.join('?' * len(codes))})",
                    sorted(codes),
                ).fetchone()[0]
                assert found == 0, f"a sensitive code in plaintext in {table}.{column}"


@pytest.mark.slow
@pytest.mark.postgres
def test_pg_dump_holds_no_personal_data_in_plaintext(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    server, url = pg_schema
    _seed(tmp_path, url)
    _mail(tmp_path, url)
    values = _personal_values(tmp_path, url)
    schema = url.rsplit("schema=", 1)[1]
    dump = subprocess.run(
        ["pg_dump", "--dbname", server, "--schema", schema],
        check=True,
        capture_output=True,
        timeout=300,
    ).stdout
    assert b"ejournal_events" in dump and len(dump) > 100_000
    assert b"v_persons" in dump and b"v_history" in dump  # every view table is dumped
    _assert_absent(dump, values, _curriculum(tmp_path, url))
    codes = _sensitive_codes(tmp_path, url)
    _assert_no_code_in_json(dump, codes)
    assert b"v_attendance" in dump
    # COPY data is text, one row a line, columns between tabs (bytea as hex): no field is a
    # sensitive code.
    fields = {f for line in dump.decode().splitlines() for f in line.split("\t")}
    assert not fields & codes, "a sensitive code in plaintext in the dump"
