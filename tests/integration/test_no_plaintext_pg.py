"""The PostgreSQL half of ``test_no_plaintext.py`` (its docstring says what is checked): no
personal data in a `pg_dump` of the schema after `ejournal demo`. A module of its own, so that
the two seeded schools are checked at once on two pytest-xdist workers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.no_plaintext import (
    assert_absent,
    assert_no_code_in_json,
    curriculum,
    mail,
    personal_values,
    seed,
    sensitive_codes,
)


@pytest.mark.slow
@pytest.mark.postgres
def test_pg_dump_holds_no_personal_data_in_plaintext(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    server, url = pg_schema
    seed(tmp_path, url)
    mail(tmp_path, url)
    values = personal_values(tmp_path, url)
    schema = url.rsplit("schema=", 1)[1]
    dump = subprocess.run(
        ["pg_dump", "--dbname", server, "--schema", schema],
        check=True,
        capture_output=True,
        timeout=300,
    ).stdout
    assert b"ejournal_events" in dump and len(dump) > 100_000
    assert b"v_persons" in dump and b"v_marks" in dump  # every view table is dumped
    assert_absent(dump, values, curriculum(tmp_path, url))
    codes = sensitive_codes(tmp_path, url)
    assert_no_code_in_json(dump, codes)
    assert b"v_attendance" in dump
    # COPY data is text, one row a line, columns between tabs (bytea as hex): no field is a
    # sensitive code.
    fields = {f for line in dump.decode().splitlines() for f in line.split("\t")}
    assert not fields & codes, "a sensitive code in plaintext in the dump"
