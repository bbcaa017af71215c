"""After `ejournal demo`, no personal data of any seeded person is stored in plaintext:
neither in the SQLite file nor in a `pg_dump` of the PostgreSQL schema — names, birth dates,
contacts, and the sensitive attendance code «Б» (health data, ``policies/attendance.toml``),
which the views keep sealed under the pupil's key. A parent opted in to e-mail and was sent
messages first: the address (consent events, the consents view) and the messages (the
outbox, the delivery record) are checked too (issue 18)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.no_plaintext import (
    assert_absent,
    assert_no_code_in_json,
    curriculum,
    mail,
    needles,
    personal_values,
    seed,
    sensitive_codes,
    trie_pattern,
)


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
        pattern = trie_pattern(needles(values))
        assert pattern.search(noise[:5000] + hidden + noise[5000:]), hidden
    assert not trie_pattern(needles(values)).search(noise + "Иванов".encode() + b"07.03.201")


@pytest.mark.slow
def test_sqlite_file_holds_no_personal_data_in_plaintext(tmp_path: Path) -> None:
    seed(tmp_path, None)
    mail(tmp_path, None)
    values = personal_values(tmp_path, None)
    db = tmp_path / "var" / "ejournal.sqlite"
    blob = b"".join(p.read_bytes() for p in db.parent.glob("ejournal.sqlite*"))
    assert_absent(blob, values, curriculum(tmp_path, None))
    assert b"v_persons" in blob and b"v_marks" in blob  # the views are in the file too
    codes = sensitive_codes(tmp_path, None)
    assert_no_code_in_json(blob, codes)
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
