"""The set-up lock's key (``projections.sqlstore.take_setup_lock``), one for ``build``'s
set-up and the session tables: a school's schema by name, no schema as ``public`` (as the
views' connections name it)."""

from __future__ import annotations

from typing import Any

from projections.sqlstore import take_setup_lock


class _Recorded:
    """A cursor that keeps what it was asked to run."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def execute(self, query: str, params: Any = ()) -> None:
        self.calls.append((query, params))


def _key(schema: str) -> str:
    cursor = _Recorded()
    take_setup_lock(cursor, schema)  # type: ignore[arg-type]
    [(query, (key,))] = cursor.calls
    assert query == "SELECT pg_advisory_xact_lock(hashtext(%s))"
    return str(key)


def test_a_school_schema_and_no_schema_each_have_their_key():
    assert _key("school_a") == "ejournal-setup:school_a"
    assert _key("") == _key("public") == "ejournal-setup:public"
    assert _key("school_b") != _key("school_a")
