"""Sessions and rate limits benchmark: what the server-side session check (and the rate-limit
counters) add to a grid page, on SQLite and PostgreSQL (issue 14: target ≤ 2 ms per request).

In one process, on the test school (``tests.web``), a signed-in teacher's grid page is
requested through the Flask test client (no HTTP: the figure is the server's own work), in
interleaved rounds:

1. as the product runs it — the session's row read (and its ``last_seen`` written once a
   minute) on every request;
2. with the session check replaced by reading the account from the cookie alone (what the
   product did before ADR 0012): the baseline of the same run.

The difference of the medians is printed, but on a shared machine it is mostly noise; the
figure is the check itself, timed alone inside a read transaction as a request runs it
(``SessionStore.check``: one indexed read; ``last_seen`` is written at most once a minute
per session), in ms and as a ratio to the baseline page. Besides, one ``RateCounters.hit``
of two counters: what an API request adds (a sign-in adds two or three such calls; a grid
page none).

    .venv/bin/python -m bench.bench_sessions [--requests 300] [--rounds 5] [--backend both]
                                             [--quick] [--json FILE] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import common
from ejournal.bootstrap import build
from ejournal.webapp import web_app
from projections.sessions import Limit
from tests.web import build_web_school, sign_in
from web import sessions as web_sessions

TARGET_MS = 2.0


def _measure(backend: str, settings: Any, args: argparse.Namespace, figures: Any) -> None:
    with build(replace(settings, views_mode="inline")) as system:
        web = build_web_school(system.journal)
        app = web_app(system, testing=True)
        client = app.test_client()
        sign_in(client, *web.logins["teacher"])
        path = f"/journal/{web.school.course_id}/1"
        assert client.get(path).status_code == 200

        real = web_sessions.account

        def cookie_only() -> str | None:
            from flask import session

            found = session.get("_user_id")
            return str(found) if found else None

        def page() -> None:
            assert client.get(path).status_code == 200

        checked: list[float] = []
        plain: list[float] = []

        def without_check() -> None:
            web_sessions.account = cookie_only
            try:
                plain.append(common.per_call(page, args.requests))
            finally:
                web_sessions.account = real

        for n in range(args.rounds):  # alternate which goes first
            if n % 2:
                without_check()
            checked.append(common.per_call(page, args.requests))
            if not n % 2:
                without_check()
        print(f"  rounds (ms): with {[round(x * 1000, 2) for x in checked]}")
        print(f"  rounds (ms): without {[round(x * 1000, 2) for x in plain]}")
        with_checks, baseline = statistics.median(checked), statistics.median(plain)
        added_ms = (with_checks - baseline) * 1000

        store = app.extensions["ejournal.sessions"]
        counters = app.extensions["ejournal.counters"]
        with client.session_transaction() as cookie:
            sid = cookie[web_sessions.SID]
        with system.views.pinned():  # as in a request: inside its read transaction
            check = common.per_call(lambda: store.check(sid), args.requests)
        limit = Limit(10**9, 60)
        keys = [("api-address", "127.0.0.1", limit), ("api-account", "x", limit)]
        hit = common.per_call(lambda: counters.hit(keys), args.requests)

    verdict = common.verdict(check * 1000 <= TARGET_MS, "MISS")
    print(f"\n{backend}: grid page median over {args.rounds} rounds × {args.requests} requests")
    print(f"  with the session check     {with_checks * 1000:8.3f} ms")
    print(f"  cookie only (baseline)     {baseline * 1000:8.3f} ms")
    print(f"  difference (noisy)         {added_ms:8.3f} ms")
    print(
        f"  SessionStore.check alone   {check * 1000:8.3f} ms = {check / baseline:.4f} × the "
        f"page: what each page adds (target ≤ {TARGET_MS} ms: {verdict})"
    )
    print(f"  RateCounters.hit (2 keys)  {hit * 1000:8.3f} ms  (one API request's limits)")
    figures.add(
        "session check per grid page",
        backend,
        "inline",
        check * 1000,
        "ms",
        raw=baseline * 1000,
        raw_label="grid page without the check, ms",
        target=f"≤ {TARGET_MS} ms",
        verdict=verdict,
    )
    figures.add(
        "grid page with − without the check",
        backend,
        "inline",
        added_ms,
        "ms",
        raw=baseline * 1000,
        raw_label="grid page without the check, ms",
    )
    figures.add(
        "RateCounters.hit, 2 counters (an API request)", backend, "inline", hit * 1000, "ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per stretch")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    common.arguments(parser)
    args = parser.parse_args()
    common.quick(args, requests=40, rounds=2)
    figures = common.Figures("bench_sessions", args)
    common.describe_machine("Sessions and rate limits")
    with tempfile.TemporaryDirectory() as folder:
        if args.backend in ("sqlite", "both"):
            _measure("sqlite", common.settings(Path(folder) / "sqlite"), args, figures)
        if args.backend in ("postgres", "both"):
            problem = common.postgres_reachable(args.pg_url)
            if problem:
                print(f"\npostgres: skipped, {problem}")
            else:
                schema = f"bench_sessions_{uuid.uuid4().hex[:8]}"
                url = common.with_schema(args.pg_url, schema)
                common.create_schema(args.pg_url, schema)
                try:
                    settings = common.settings(Path(folder) / "pg", url)
                    _measure("postgres", settings, args, figures)
                finally:
                    common.drop_schema(args.pg_url, schema)
    figures.write()


if __name__ == "__main__":
    main()
