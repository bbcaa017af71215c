"""Sign-in benchmark: what a sign-in costs at the production scrypt cost (n=2^17, r=8, p=1,
128 MiB per hash), beside the scrypt call alone and the raw single-row commit of the same run.

1. raw limits — ``hashlib.scrypt`` alone at the production cost (and at the former 2^14);
   a raw single-row insert+commit on a SQLite WAL file like the product's;
2. ``journal.queries.authenticate`` at the production cost: load the account, verify;
   its ratio to the scrypt call alone says what the product adds to the hash;
3. the first sign-in of an account hashed at the former cost (2^14): verify at 2^14, hash
   at 2^17 and commit ``Account.PasswordRehashed`` — paid once per account;
4. ``POST /login`` through the web app (Flask test client, no server): CSRF, form, sign-in,
   session cookie;
5. the strength check of a new password (zxcvbn, offline), paid when a password is set.

SQLite only: the sign-in's database work is one small read (and one commit for a rehash);
the hash dominates on any backend. Benchmarks are not tests: the exit status is 0 unless the
script itself crashed.

    .venv/bin/python -m bench.bench_passwords [--rounds N] [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import common
from bench.common import Raw, median, percentile
from domain import passwords
from domain.base import SYSTEM_ACTOR
from ejournal import password_strength
from ejournal.bootstrap import build
from ejournal.webapp import web_app

FORMER_N = 2**14  # the cost before issue 14
PASSWORD = "zelenaya-reka-4"


def durations(rounds: int, work: Callable[[int], object]) -> list[float]:
    """Seconds of each of ``rounds`` runs of ``work(k)``."""
    found = []
    for k in range(rounds):
        started = time.perf_counter()
        work(k)
        found.append(time.perf_counter() - started)
    return found


def scrypt_alone(n: int) -> None:
    hashlib.scrypt(
        PASSWORD.encode(),
        salt=b"0123456789abcdef",
        n=n,
        r=8,
        p=1,
        dklen=32,
        maxmem=128 * 8 * (n + 3) + 2**20,
    )


def ms(seconds: list[float]) -> str:
    return f"p50 {1000 * median(seconds):.0f} ms, p95 {percentile(seconds, 0.95):.0f} ms"


@dataclass
class Measured:
    """Every measurement of one run, in seconds per operation."""

    raw: Raw
    alone: list[float]
    former: list[float]
    sign_in: list[float]
    rehash: list[float]
    web: list[float]
    strength: list[float]


def measure(folder: Path, rounds: int, quick: bool) -> Measured:
    """The raw limits, then sign-ins on a SQLite system in ``folder``."""
    raw = common.sqlite_raw(folder, 1.0 if quick else 3.0)
    alone = durations(rounds, lambda _: scrypt_alone(passwords.SCRYPT_N))
    former = durations(rounds, lambda _: scrypt_alone(FORMER_N))
    with build(common.settings(folder / "var")) as system:
        accounts = system.journal.accounts
        logins = [f"bench{k:03d}" for k in range(rounds)]
        for login in logins:  # hashed at the production cost
            accounts.create_account(login, "Ф", "И", "", ["teacher"], PASSWORD, SYSTEM_ACTOR)
        passwords.SCRYPT_N = FORMER_N  # accounts made before the new cost …
        old = [f"old{k:03d}" for k in range(rounds)]
        for login in old:
            accounts.create_account(login, "Ф", "И", "", ["teacher"], PASSWORD, SYSTEM_ACTOR)
        passwords.SCRYPT_N = passwords.PRODUCTION_N  # … signing in after it
        authenticate = system.journal.queries.authenticate
        sign_in = durations(rounds, lambda k: authenticate(logins[k], PASSWORD))
        rehash = durations(rounds, lambda k: authenticate(old[k], PASSWORD))
        client = web_app(system, testing=True).test_client()

        def web_sign_in(k: int) -> None:
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert token
            answer = client.post(
                "/login", data={"login": logins[k], "password": PASSWORD, "csrf_token": token[1]}
            )
            assert answer.status_code == 302, answer.status_code
            client.post("/logout", data={"csrf_token": token[1]})

        web = durations(rounds, web_sign_in)
    candidates = [f"{PASSWORD}-{k}" for k in range(rounds * 10)]
    strength = durations(
        len(candidates), lambda k: password_strength.check(candidates[k], ["login"])
    )
    return Measured(raw, alone, former, sign_in, rehash, web, strength)


def report(m: Measured, figures: common.Figures) -> None:
    """Print the table and keep the figures, each beside its raw limit of the same run."""
    scrypt_ms = 1000 * median(m.alone)
    commit_ms = 1000 / m.raw.commits
    w = 52
    print(f"\n== SQLite — {m.raw.durability}; scrypt n=2^17, r=8, p=1 (128 MiB per hash)")
    print(f"   {'raw single-row insert+commit':<{w}} {common.n(m.raw.commits):>7} commits/s")
    print(f"   {'scrypt alone, n=2^17':<{w}} {ms(m.alone)}")
    print(f"   {'scrypt alone, n=2^14 (the former cost)':<{w}} {ms(m.former)}")
    rows = [
        ("sign-in (authenticate), n=2^17", m.sign_in),
        ("first sign-in of a 2^14 hash (+ rehash, commit)", m.rehash),
        ("POST /login through the web app, n=2^17", m.web),
    ]
    for title, values in rows:
        value = 1000 * median(values)
        print(
            f"   {title:<{w}} {ms(values)}  = {value / scrypt_ms:.2f} × scrypt alone"
            f" = {value / commit_ms:,.0f} × one raw commit"
        )
        figures.add(
            f"{title} (p50)",
            "sqlite",
            "inline",
            value,
            "ms",
            raw=scrypt_ms,
            raw_label="ms, scrypt n=2^17 alone",
        )
    print(f"   {'strength check (zxcvbn) of a new password':<{w}} {ms(m.strength)}")
    figures.add(
        "scrypt n=2^17 alone (p50)",
        "—",
        "—",
        scrypt_ms,
        "ms",
        raw=1000 * median(m.former),
        raw_label="ms, scrypt n=2^14 (the former cost)",
    )
    figures.add(
        "password strength check, zxcvbn (p50)",
        "—",
        "—",
        1000 * median(m.strength),
        "ms",
        raw=scrypt_ms,
        raw_label="ms, scrypt n=2^17 alone",
    )
    figures.add(
        "sign-ins per second per core, n=2^17",
        "sqlite",
        "inline",
        1 / median(m.sign_in),
        "sign-ins/s",
        raw=m.raw.commits,
        raw_label="commits/s, raw single-row insert+commit",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    common.arguments(parser, postgres=False)
    parser.add_argument("--rounds", type=int, default=12, help="sign-ins per measurement (12)")
    args = parser.parse_args(argv)
    common.quick(args, rounds=3)
    figures = common.Figures("bench_passwords", args)
    common.describe_machine("sign-in", packages=("eventsourcing", "zxcvbn"))
    assert passwords.SCRYPT_N == passwords.PRODUCTION_N == 2**17
    folder = Path(tempfile.mkdtemp(prefix="ejournal-bench-"))
    try:
        report(measure(folder, args.rounds, args.quick), figures)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    figures.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
