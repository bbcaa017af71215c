"""The views' pools (issue 19): a connection is checked when taken without a round trip
while it is quiet and replaced when the server closed it; each school gets back the
connection it used last (PostgreSQL re-plans prepared statements when the search_path
changes), takes one idle with another school rather than wait for a full pool, and never
waits for one kept idle."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from ejournal import pools
from tests.conftest import postgres_url

pytestmark = pytest.mark.postgres


def test_a_quiet_connection_is_taken_without_asking_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[Any] = []
    real = ConnectionPool.check_connection
    monkeypatch.setattr(
        pools.ConnectionPool, "check_connection", staticmethod(lambda c: asked.append(c) or real(c))
    )
    with ConnectionPool(postgres_url(), min_size=1, max_size=1, check=pools.check_alive) as pool:
        for _ in range(5):
            with pool.connection() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        assert asked == []
        with pool.connection() as conn:
            pid = conn.info.backend_pid
        with psycopg.connect(postgres_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        with pool.connection() as conn:  # the closed one was asked about, then replaced
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.info.backend_pid != pid
        assert len(asked) == 1


@pytest.fixture
def shared() -> Iterator[pools.Pools]:
    """This test's pools (one views pool of at most two connections)."""
    yield pools.Pools()


def _hold(registry: pools.Pools, size: int = 2) -> pools.SharedPool:
    return registry.take(
        "views",
        postgres_url(),
        lambda: ConnectionPool(
            postgres_url(),
            min_size=1,
            max_size=size,
            check=pools.check_alive,
            timeout=5,
            open=True,
        ),
        affinity=True,
    )


def _pid(school: pools.SharedPool, timeout: float | None = None) -> int:
    with school.connection(timeout) as conn:
        conn.execute("SELECT 1")
        return int(conn.info.backend_pid)


def test_each_school_gets_back_the_connection_it_used_last(shared: pools.Pools) -> None:
    alpha, beta = _hold(shared), _hold(shared)
    try:
        with alpha.connection() as a, beta.connection() as b:  # two at once: two connections
            first = {a.info.backend_pid: "alpha", b.info.backend_pid: "beta"}
        assert len(first) == 2
        for _ in range(4):  # the schools take turns: each keeps its own connection
            assert first[_pid(alpha)] == "alpha"
            assert first[_pid(beta)] == "beta"
    finally:
        alpha.close()
        beta.close()


def test_a_school_takes_a_connection_another_keeps_rather_than_wait(shared: pools.Pools) -> None:
    alpha, beta = _hold(shared, size=1), _hold(shared, size=1)
    try:
        kept = _pid(alpha)  # the pool's only connection, kept by alpha
        assert _pid(beta, timeout=0.5) == kept  # no PoolTimeout: beta takes it
        assert _pid(beta, timeout=0.5) == kept
        assert _pid(alpha, timeout=0.5) == kept
    finally:
        alpha.close()
        beta.close()


def test_a_school_waiting_for_a_full_pool_gets_the_connection_given_back(
    shared: pools.Pools,
) -> None:
    alpha, beta = _hold(shared, size=1), _hold(shared, size=1)
    got: list[int] = []
    try:
        with alpha.connection() as busy:
            waiting = threading.Thread(target=lambda: got.append(_pid(beta, timeout=10)))
            waiting.start()
            busy.execute("SELECT pg_sleep(0.3)")
        waiting.join(30)
        assert len(got) == 1
    finally:
        alpha.close()
        beta.close()


def test_a_kept_connection_the_server_closed_is_replaced(shared: pools.Pools) -> None:
    alpha = _hold(shared)
    try:
        kept = _pid(alpha)
        with psycopg.connect(postgres_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (kept,))
        assert _pid(alpha) != kept
    finally:
        alpha.close()
    assert shared.count() == 0
