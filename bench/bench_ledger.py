"""Ledger benchmark: sealing and verifying a million events beside the raw log scan, and the
ledger's cost on grid saves.

On PostgreSQL, in one run (issue 5, «Measure»; DESIGN.md §9):

1. the data set of ``bench/dataset.py`` (shared with the projections benchmark: at least 1,000,000
   events of a school over six years) in a throwaway schema, or reused with ``--keep``;
2. raw limits of the same run: ``select_notifications`` in batches (no decryption — the
   ledger hashes the stored ciphertext), and a plain binary psycopg ``SELECT`` of the same
   columns (what the database and driver give without the library's row objects);
3. sealing (issue 15: the ledger's own processor, ``projections.sealing.Keeper``, which
   authenticates every stored row — AES-GCM with its associated data — before sealing it):
   ``views.rebuild(["ledger"])`` in events/s, and an incremental catch-up over a fresh tail
   (the ledger re-sealed up to head − ``--tail``, then caught up in the keeper's batches);
   as ratios to the raw scan and to the raw scan **with decryption** (``select_notifications``
   and one AES-GCM decryption per row, what authentication costs at least; target ≥ 0.5×);
   and ``verify`` while that tail is unsealed (every unsealed row authenticated), as a ratio
   to the raw scan;
4. verify: ``ledger.verify()`` after a checkpoint, in events/s and as a ratio to the raw
   scan — once with that one checkpoint, once with a checkpoint every
   ``EJOURNAL_CHECKPOINT_EVERY`` events, as a worker following the log would have signed;
5. grid saves (``record_marks`` with 30 marks, ``bench.dataset.BenchSchool``) on a small
   schema of their own, in interleaved rounds: without any processor, with the ledger
   sealed inline after each command, by a worker thread, by a worker process; and with
   every view inline, without and with the ledger (``EJOURNAL_VIEWS=inline``); in every mode
   that seals, the unsealed window: from each command's commit to the moment sealing has
   passed its last event (a thread polls the keeper's position every 10 ms), p50/p95
   (target p95 ≤ 5 s);
6. with ``--profile``: where verify's and sealing's time goes (stages timed without a
   profiler, then cProfile by category and by function).

The ledger is measured alone: a ``Keeper`` and a ``Ledger`` over it. Schemas made here are
dropped at the end; ``--keep`` keeps (and on the next run reuses) the data set's. Benchmarks
are not tests: the exit status is 0 unless the script itself crashed.

``--quick``: the data set of ``bench.dataset``'s quick mode (one year, five classes), a
10,000-event tail, one grid-save round of one second per mode.

    .venv/bin/python -m bench.bench_ledger [--keep] [--profile] [--part all|log|grid]
                                           [--rounds N] [--tail N] [--seconds N]
                                           [--grid-rounds N] [--quick] [--json FILE]
                                           [--pg-url postgresql://USER@HOST:PORT/DB]
"""

from __future__ import annotations

import argparse
import base64
import functools
import gc
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from bench import common, dataset
from bench.common import PUPILS, ROOT, n, verdict
from domain.lesson import MarkEntry
from ejournal.bootstrap import System, build
from ejournal.settings import Settings
from ejournal.viewdb import PostgresViewDatabase
from projections import merkle
from projections.ledger import (
    CHECKPOINTS,
    VERIFICATIONS,
    Checkpoint,
    Ledger,
    LedgerError,
    _walk,
    check_signature,
    key_id,
)
from projections.processor import Processor
from projections.sealing import Keeper
from projections.service import Views
from projections.sqlstore import SQLReader
from projections.views import ledger_leaves as ledger_view

DEFAULT_SCHEMA = "bench_ledger"

#: Targets (issue 5, DESIGN.md §9).
VERIFY_TARGET = 100_000.0  # events/s
COST_TARGET = 0.10  # of grid-save throughput
#: Targets of issue 15: sealing from stored rows against the raw scan with decryption, the
#: unsealed window under grid saves, verify of the sealed part against the raw scan.
SEALING_TARGET = 0.5  # × raw scan with decryption
WINDOW_TARGET = 5.0  # seconds, p95
VERIFY_RATIO_TARGET = 1.5  # × raw scan (sealed part)

SCAN_BATCH = 10_000  # rows per select_notifications, as ``log_leaves`` and rebuilds read
TAIL = 100_000  # events of the fresh tail the incremental catch-up seals
SLICE = 200_000  # events of the profiled sealing slice
VALUES = "5435424354"
#: This benchmark run again in a subprocess, for a worker or a fresh verify (cwd=ROOT).
CHILD = (sys.executable, "-m", "bench.bench_ledger", "--child")


# --- the ledger alone -----------------------------------------------------------------------------
def ledger_only(system: System, recorder: Any = None, db: Any = None) -> tuple[Keeper, Ledger]:
    """The ledger's own processor (a ``Keeper``: authenticates, seals) over ``recorder``
    (the log, or a slice of it), and a ``Ledger`` over it (same tables, same key)."""
    keeper = Keeper(
        recorder or system.journal.recorder,
        db or system.view_db,
        system.journal.mapper,  # type: ignore[arg-type]
        system.views.processor.batch_size,
    )
    ledger = Ledger(
        system.views.processor,
        system.ledger.key,
        keeper=keeper,
        every_events=system.settings.checkpoint_every,
        every_seconds=system.settings.checkpoint_seconds,
    )
    return keeper, ledger


def clear_checkpoints(system: System) -> None:
    """Forget the checkpoints and verifications of an earlier run (signed by another key)."""
    with system.view_db.transaction() as cur:
        cur.execute(f"DELETE FROM {CHECKPOINTS}")
        cur.execute(f"DELETE FROM {VERIFICATIONS}")


def ledger_position(system: System) -> int:
    return system.ledger.keeper.position()


def sign_history(system: System, every: int) -> tuple[int, float]:
    """Sign and store a checkpoint at every ``every`` leaves of the sealed ledger, as a
    worker following the log would have done; (checkpoints stored, seconds)."""
    started = time.perf_counter()
    ledger = system.ledger
    with system.view_db.read() as cur:
        sealed = ledger_view.leaves(SQLReader(system.view_db, cur))
    moment = datetime.now(UTC).isoformat(timespec="seconds")
    kid = key_id(ledger.public)
    rows = []
    frontier: list[bytes] = []
    for size, (position, leaf) in enumerate(sealed):
        frontier = merkle.append(frontier, size, leaf)
        if (size + 1) % every == 0:
            root = merkle.root(frontier).hex()
            message = Checkpoint(size + 1, root, moment, kid, "").message()
            signature = base64.b64encode(ledger.key.sign(message)).decode()
            rows.append((size + 1, root, moment, kid, signature, position))
    with system.view_db.transaction() as cur:
        cur.executemany(
            f"INSERT INTO {CHECKPOINTS} (size, root, time, key_id, signature, last_position) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (size) DO NOTHING",
            rows,
        )
    return len(ledger.checkpoints()), time.perf_counter() - started


# --- raw limits -----------------------------------------------------------------------------------
def scan_notifications(system: System, head: int) -> tuple[int, str]:
    """``select_notifications`` over the whole log, no decryption (the raw scan)."""
    return dataset.fetch_only(system, head, SCAN_BATCH)


def scan_binary(system: System, head: int) -> tuple[int, str]:
    """The same rows and columns through a plain psycopg cursor: binary, tuple rows."""
    recorder: Any = system.journal.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    query = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
        "WHERE notification_id >= %s AND notification_id <= %s "
        "ORDER BY notification_id LIMIT %s"
    ).format(table)
    count, start = 0, 1
    with (
        psycopg.connect(system.settings.database.conninfo()) as conn,
        conn.cursor(binary=True, row_factory=tuple_row) as cur,
    ):
        while True:
            cur.execute(query, (start, head, SCAN_BATCH), prepare=True)
            rows = cur.fetchall()
            if not rows:
                return count, ""
            count += len(rows)
            start = rows[-1][0] + 1


def scan_decrypt(system: System, head: int) -> tuple[int, str]:
    """The raw scan with decryption: ``select_notifications`` and one AES-GCM decryption
    (with the row's associated data) per row — the least that authenticating costs."""
    mapper: Any = system.journal.mapper
    count = 0
    for notes in dataset.batches(system.journal.recorder, head, SCAN_BATCH):
        for note in notes:
            mapper.authenticate(note.originator_id, note.originator_version, bytes(note.state))
        count += len(notes)
    return count, ""


# --- sealing --------------------------------------------------------------------------------------
def rebuild_ledger(system: System) -> tuple[int, str]:
    """``views.rebuild(["ledger"])``: the keeper re-seals from the first stored row,
    authenticating each, in batches (COPY of each batch's leaves)."""
    last = system.views.rebuild(["ledger"])
    rows = system.views.counts(["ledger"])[ledger_view.LEAVES.name]
    batch = 5 * system.views.processor.batch_size
    return last, f"{rows:,} leaves, batches of {batch:,} rows, every row authenticated"


@dataclass
class Sealing:
    rebuild: common.Timed
    catch_up: common.Timed
    tail: int
    same_root: bool
    tail_verify: Verified | None = None  # verify while the tail is unsealed


def measure_sealing(system: System, head: int, tail: int) -> Sealing:
    """The ledger rebuilt from the whole log; then sealed again up to head − ``tail``,
    verified with that tail unsealed (each of its rows authenticated), and caught up over
    the tail in the keeper's batches (one transaction each)."""
    rebuild = common.timed(lambda: rebuild_ledger(system))
    full_root = system.ledger.head().root
    base = head - tail
    sliced, _ = ledger_only(system, dataset.SliceRecorder(system.journal.recorder, base))
    sliced.rebuild()
    tail_verify = measure_verify(system)
    processor, ledger = ledger_only(system)
    batches = -(-tail // processor.batch_size)
    catch_up = common.timed(
        lambda: (
            processor.catch_up(),
            f"events {base + 1:,}–{head:,}, {batches} transactions of "
            f"{processor.batch_size:,} (EJOURNAL_VIEW_BATCH_SIZE)",
        )
    )
    same = ledger.head().root == full_root and ledger.head().size == head
    return Sealing(rebuild, catch_up, tail, same, tail_verify)


# --- verification ---------------------------------------------------------------------------------
@dataclass
class Verified:
    timed: common.Timed
    ok: bool
    checkpoints: int
    problem: str = ""


def verify_fresh(server: str, schema: str, folder: Path) -> Verified:
    """``ledger.verify()`` in a fresh process (``--child verify``), as the CLI runs it."""
    proc = subprocess.run(
        [*CHILD, "verify", server, schema, str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("verified ")]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        failed = tail[-1] if tail else f"exit status {proc.returncode}"
        return Verified(common.Timed(0, 0.0, 0.0), False, 0, f"the child failed: {failed}")
    parts = lines[0].split(" ", 5)
    problem = parts[5].strip() if len(parts) > 5 else ""
    timed = common.Timed(int(parts[1]), float(parts[2]), float(parts[3]))
    return Verified(timed, not problem, int(parts[4]), problem)


def measure_verify(system: System) -> Verified:
    """``system.ledger.verify()`` in this process."""
    found: list[Any] = []

    def work() -> tuple[int, str]:
        verdict = system.ledger.verify()
        found.append(verdict)
        return verdict.events, ""

    result = common.timed(work)
    verdict = found[0]
    problem = "" if verdict.ok else f"first bad {verdict.first_bad}: {verdict.problem}"
    return Verified(result, verdict.ok, verdict.checkpoints, problem)


def prove_seconds(ledger: Ledger, position: int) -> float:
    """Wall time of one inclusion proof against the latest checkpoint."""
    started = time.perf_counter()
    ledger.prove(position)
    return time.perf_counter() - started


def mapper_cache(system: System) -> int:
    """Originators in the encrypting mapper's key-id cache (two UUIDs per entry)."""
    return len(getattr(system.journal.mapper, "_key_ids", ()))


def maybe_checkpoint_ms(ledger: Ledger, calls: int = 20) -> float:
    """Mean duration of ``maybe_checkpoint()`` when nothing is due (one read transaction:
    the head, the newest checkpoint, a trigger after it)."""
    started = time.perf_counter()
    for _ in range(calls):
        ledger.maybe_checkpoint()
    return 1000 * (time.perf_counter() - started) / calls


# --- grid saves -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mode:
    """One way of running grid saves; ``base`` is the mode it is compared with."""

    key: str
    label: str
    base: str | None
    ledger: bool  # whether the ledger is kept up during the round


MODES = (
    Mode("none", "no processor (nothing sealed meanwhile)", None, False),
    Mode("inline", "ledger sealed inline after each command", "none", True),
    Mode("thread", "ledger worker thread, same process", "none", True),
    Mode("process", "ledger worker process", "none", True),
    Mode("wviews", "worker process, every view but the ledger", None, False),
    Mode("wall", "worker process, every view and the ledger (ejournal worker)", "wviews", True),
    Mode("views", "every view inline except the ledger", None, False),
    Mode("all", "every view and the ledger inline (EJOURNAL_VIEWS=inline)", "views", True),
)


@dataclass
class GridRound:
    commands: common.Commands
    lag: int  # events the ledger had not sealed when the round ended
    worker_cpu: float = 0.0  # CPU seconds of a worker process
    #: Seconds from each command's commit until sealing passed its last event.
    window: list[float] = field(default_factory=list)


class Window:
    """The unsealed window: each command's commit (a saved listener, first in line) until
    the keeper's position reaches its last event (polled every 10 ms by a thread)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.pending: list[tuple[int, float]] = []
        self.found: list[float] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def saved(self, position: int) -> None:
        with self.lock:
            self.pending.append((position, time.perf_counter()))

    def _poll(self) -> None:
        keeper = self.system.ledger.keeper
        while True:
            stopping = self.stop.is_set()
            sealed, now = keeper.position(), time.perf_counter()
            with self.lock:
                done = [(p, t) for p, t in self.pending if p <= sealed]
                self.pending = [(p, t) for p, t in self.pending if p > sealed]
            self.found += [now - t for _, t in done]
            if stopping:
                return
            self.stop.wait(0.01)

    def __enter__(self) -> Window:
        self.system.journal.saved_listeners.insert(0, self.saved)
        self.thread.start()
        return self

    def finish(self, grace: float = 10.0) -> list[float]:
        """Stop listening; wait (up to ``grace`` s) for the commands still unsealed."""
        self.system.journal.saved_listeners.remove(self.saved)
        deadline = time.perf_counter() + grace
        while self.pending and time.perf_counter() < deadline:
            time.sleep(0.01)
        self.stop.set()
        self.thread.join()
        return self.found

    def __exit__(self, *exc: object) -> None:
        if not self.stop.is_set():
            self.finish(0.0)


@dataclass
class GridCosts:
    raw: common.Raw
    rounds: dict[str, list[GridRound]] = field(default_factory=dict)
    setup: str = ""
    skipped: str = ""

    def rate(self, key: str) -> float:
        return common.median([r.commands.per_second for r in self.rounds[key]])

    def cost(self, mode: Mode) -> float:
        assert mode.base is not None
        return 1 - self.rate(mode.key) / self.rate(mode.base)


def grid_settings(var_dir: Path, url: str) -> Settings:
    """Settings of the grid-save schema; views not maintained by the commands."""
    return common.settings(var_dir, url, EJOURNAL_VIEWS="worker")


def follow(
    processor: Processor | Keeper | Views,
    ledger: Ledger | None,
    conninfo: str,
    channel: str,
    stop: threading.Event,
    ready: Callable[[], None],
) -> int:
    """What ``ejournal worker`` does, for the ledger alone: catch up and checkpoint when
    due, then sleep until the event store's NOTIFY; until ``stop``. Events sealed."""
    sealed = 0
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        ready()
        while not stop.is_set():
            sealed += processor.catch_up()
            if ledger is not None:
                ledger.maybe_checkpoint()
            for _ in conn.notifies(timeout=0.2, stop_after=1):
                pass
    return sealed


#: Worker processes by mode: which views they keep (``--child worker URL VAR_DIR WHICH``).
WORKERS = {"process": "ledger", "wviews": "views", "wall": "all"}


def child_worker(url: str, var_dir: str, which: str = "ledger") -> int:
    """The worker process of a worker mode (``--child worker URL VAR_DIR WHICH``): the
    ledger alone, every view but the ledger, or every view and the ledger (as ``ejournal
    worker``). Prints "ready", follows the log until SIGTERM, prints the events processed
    and its CPU seconds since it was ready."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    cpu = [0.0]

    def ready() -> None:
        cpu[0] = time.process_time()
        print("ready", flush=True)

    with build(grid_settings(Path(var_dir), url)) as system:
        ledger: Ledger | None
        processor: Processor | Keeper | Views
        if which == "ledger":
            processor, ledger = ledger_only(system)
        elif which == "views":
            main = system.views.processor
            others = list(main.views)  # the ledger is not a view
            processor, ledger = (
                Processor(
                    others,
                    system.journal.recorder,
                    system.journal.mapper,
                    system.view_db,
                    main.sealer,
                    main.batch_size,
                ),
                None,
            )
        else:  # what ``ejournal worker`` keeps: every view, the ledger among them
            processor, ledger = system.views, system.ledger  # views, then sealing
        recorder: Any = system.journal.recorder
        conninfo = system.settings.database.conninfo()
        sealed = follow(processor, ledger, conninfo, recorder.channel_name, stop, ready)
    print(f"done {sealed} {time.process_time() - cpu[0]:.3f}", flush=True)
    return 0


def child_verify(server: str, schema: str, folder: str) -> int:
    """``ledger.verify()`` in a fresh process, as ``ejournal ledger verify`` runs it
    (``--child verify SERVER SCHEMA FOLDER``): prints events, seconds, CPU seconds, verdict."""
    with build(dataset.settings_for(server, schema, Path(folder))) as system:
        cpu, started = time.process_time(), time.perf_counter()
        verdict = system.ledger.verify()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    problem = "" if verdict.ok else f"first bad {verdict.first_bad}: {verdict.problem}"
    print(f"verified {verdict.events} {seconds:.3f} {cpu:.3f} {verdict.checkpoints} {problem}")
    return 0


class Runner:
    """Grid saves on one system, in any mode."""

    def __init__(self, system: System, url: str, var_dir: Path, seconds: float) -> None:
        self.system, self.url, self.var_dir, self.seconds = system, url, var_dir, seconds
        journal = system.journal
        self.school = dataset.BenchSchool.build(journal)
        self.supply = dataset.LessonSupply(self.school)
        self.grid = [
            MarkEntry(pupil, VALUES[i % len(VALUES)], "answer")
            for i, pupil in enumerate(self.school.pupils)
        ]
        self.ledger_processor, self.ledger = ledger_only(system)
        main = system.views.processor
        others = list(main.views)  # the ledger is not a view
        self.views_processor = Processor(
            others, journal.recorder, journal.mapper, system.view_db, main.sealer, main.batch_size
        )

    def save_grid(self, lesson_id: Any, _: int) -> object:
        return self.system.journal.entry.record_marks(lesson_id, self.grid, self.school.teacher)

    def settle(self) -> None:
        """Untimed: every view and the ledger caught up, a checkpoint when due."""
        self.system.views.catch_up()
        self.system.ledger.maybe_checkpoint()

    def run(self, mode: Mode) -> GridRound:
        self.settle()
        journal, system = self.system.journal, self.system
        listener: Callable[[int], None] | None = None
        stop = threading.Event()
        thread: threading.Thread | None = None
        process: subprocess.Popen[str] | None = None
        if mode.key == "inline":

            def listener(_position: int) -> None:
                self.ledger_processor.nudge()
                self.ledger.maybe_checkpoint()

        elif mode.key == "views":

            def listener(_position: int) -> None:
                self.views_processor.nudge()

        elif mode.key == "all":  # what ``build`` wires for EJOURNAL_VIEWS=inline

            def listener(_position: int) -> None:
                system.views.nudge()
                system.ledger.maybe_checkpoint()

        elif mode.key == "thread":
            started = threading.Event()
            recorder: Any = journal.recorder
            thread = threading.Thread(
                target=follow,
                args=(
                    self.ledger_processor,
                    self.ledger,
                    system.settings.database.conninfo(),
                    recorder.channel_name,
                    stop,
                    started.set,
                ),
                daemon=True,
            )
            thread.start()
            started.wait(30)
        elif mode.key in WORKERS:
            process = subprocess.Popen(
                [*CHILD, "worker", self.url, str(self.var_dir), WORKERS[mode.key]],
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("the ledger worker process did not start")
        if listener is not None:
            journal.saved_listeners.append(listener)
        window: list[float] = []
        try:
            with Window(system) as watch:
                if not mode.ledger:
                    watch.finish(0.0)
                commands = dataset.time_commands(self.supply, self.seconds, 1, self.save_grid)
                head = journal.recorder.max_notification_id() or 0
                lag = head - ledger_position(system)
                if mode.ledger:
                    window = watch.finish()
        finally:
            if listener is not None:
                journal.saved_listeners.remove(listener)
            stop.set()
            if thread is not None:
                thread.join()
            worker_cpu = stop_worker(process)
        return GridRound(commands, lag, worker_cpu, window)


def stop_worker(process: subprocess.Popen[str] | None) -> float:
    """Stop a worker process; the CPU seconds it reported (0 without one)."""
    if process is None:
        return 0.0
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=300)
    done = [line.split() for line in out.splitlines() if line.startswith("done")]
    return float(done[0][2]) if done else 0.0


def measure_grid(server: str, seconds: float, rounds: int, folder: Path) -> GridCosts:
    """Grid saves in every mode, interleaved: ``rounds`` rounds of ``seconds`` each."""
    schema = f"bench_ledger_grid_{uuid4().hex[:8]}"
    url = common.with_schema(server, schema)
    var_dir = folder / "grid-var"
    try:
        raw = common.postgres_raw(server, seconds)
        with build(grid_settings(var_dir, url)) as system:
            started = time.perf_counter()
            runner = Runner(system, url, var_dir, seconds)
            costs = GridCosts(raw, {m.key: [] for m in MODES})
            for number in range(1, rounds + 1):
                print(f"   round {number} of {rounds}:", end="", flush=True)
                for mode in MODES:
                    result = runner.run(mode)
                    costs.rounds[mode.key].append(result)
                    print(f" {mode.key} {result.commands.per_second:.0f}/s", end="", flush=True)
                print(flush=True)
            runner.settle()
            events = system.journal.recorder.max_notification_id() or 0
            costs.setup = (
                f"schema {schema}: one class of {PUPILS}, lessons held untimed; "
                f"{events:,} events and {len(system.ledger.checkpoints())} checkpoints at the "
                f"end ({time.perf_counter() - started:.0f} s)"
            )
            return costs
    finally:
        common.drop_schema(server, schema)


# --- where the time goes --------------------------------------------------------------------------
#: cProfile categories: (name, test on "file:function"), first match wins.
CATEGORIES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("AES-GCM decrypt", lambda f: "'decrypt'" in f),
    ("leaf hashing (leaf_hash, sha256, struct, UUID.bytes)", lambda f: "leaf_hash" in f),
    ("tree (merkle.append, node, root)", lambda f: "merkle.py" in f),
    ("COPY (psycopg copy, bulk_load)", lambda f: "copy" in f.lower() or "bulk_load" in f),
    (
        "decoding (mapper, JSON, transcodings, UUID/date parsing)",
        lambda f: any(
            k in f for k in ("mapper.py", "persistence.py", "keyring.py", "json/", "uuid.py", "iso")
        ),
    ),
    ("fetch (select_notifications, psycopg rows)", lambda f: "psycopg" in f or "postgres.py" in f),
    ("sealing (projections/sealing.py)", lambda f: "sealing.py" in f),
    ("MemoryStore / SQL store", lambda f: "store.py" in f or "schema.py" in f),
    ("compare, roots, checkpoints (projections/ledger.py)", lambda f: "projections/ledger" in f),
)
#: Built-ins are attributed to the category of their caller when it is one of these.
BUILTIN_CALLERS = ("leaf_hash", "merkle.py", "sealing.py", "projections/ledger")


def profiled(work: Callable[[], Any], title: str) -> list[str]:
    """``work`` under cProfile: own time by category and the top functions."""
    return common.profiled(work, title, CATEGORIES, BUILTIN_CALLERS)


class GCTimer:
    """Time spent in the garbage collector while active (``gc.callbacks``), by generation."""

    def __init__(self) -> None:
        self.spent = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._started = 0.0
        self._objects = 0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.spent[info["generation"]] += time.perf_counter() - self._started
            self.count[info["generation"]] += 1

    def __enter__(self) -> GCTimer:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def line(self) -> str:
        return (
            f"   garbage collection meanwhile: {sum(self.spent):.2f} s, of it "
            f"{self.count[2]} full collections {self.spent[2]:.2f} s (tracked objects "
            f"before: {self._objects:,})"
        )

    def start(self) -> GCTimer:
        self._objects = len(gc.get_objects())
        return self


class Stages:
    """Stages timed without a profiler; printed per event and as shares."""

    def __init__(self, events: int) -> None:
        self.events = events
        self.found: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.found[name] = self.found.get(name, 0.0) + seconds

    def time(self, name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        self.add(name, time.perf_counter() - started)
        return result

    def lines(self) -> list[str]:
        total = sum(self.found.values())
        lines = [
            f"   {name:<52} {seconds:6.2f} s {1e6 * seconds / self.events:6.1f} µs/event"
            f" {seconds / total:6.1%}"
            for name, seconds in self.found.items()
        ]
        lines.append(
            f"   {'total':<52} {total:6.2f} s {1e6 * total / self.events:6.1f} µs/event"
            f"  = {self.events / total:,.0f} events/s"
        )
        return lines


def verify_stages(system: System, head: int) -> list[str]:
    """``verify``'s steps one by one, over the whole log."""
    with GCTimer().start() as collector:
        lines = _verify_stages(system, head)
    return [*lines, collector.line()]


class TimedBatches:
    """Batches from ``source``, the time spent fetching them added to a stage."""

    def __init__(self, stages: Stages, name: str, source: Iterable[Any]) -> None:
        self.stages, self.name, self.source = stages, name, source

    def __iter__(self) -> Iterator[Any]:
        batches = iter(self.source)
        while True:
            started = time.perf_counter()
            batch = next(batches, None)
            self.stages.add(self.name, time.perf_counter() - started)
            if batch is None:
                return
            yield batch


def _verify_stages(system: System, head: int) -> list[str]:
    ledger = system.ledger
    stages = Stages(head)
    started = time.perf_counter()
    with ledger.snapshot() as (checkpoints, log, sealed):
        stages.add("stored checkpoints (SELECT)", time.perf_counter() - started)
        started = time.perf_counter()
        walk = _walk(
            TimedBatches(stages, "fetch: the log's rows (waiting for the fetching thread)", log),
            TimedBatches(stages, "fetch: the ledger's leaves (same snapshot)", sealed),
            {c.size for c in checkpoints},
        )
        fetched = sum(stages.found.values()) - stages.found.get("stored checkpoints (SELECT)", 0.0)
        stages.add(
            f"leaves hashed, compared, tree grown; {len(checkpoints):,} roots",
            time.perf_counter() - started - fetched,
        )
    public = ledger.public
    stages.time(
        f"{len(checkpoints):,} signatures (Ed25519 verify)",
        lambda: [check_signature(c, public) for c in checkpoints],
    )
    return [
        f"verify, events 1–{head:,} ({walk.events:,} read), {len(checkpoints):,} checkpoints, "
        f"in this process (mapper key cache: {mapper_cache(system):,} originators)",
        *stages.lines(),
    ]


def iter_batches(stages: Stages, recorder: Any, head: int, size: int) -> Iterator[Any]:
    """``dataset.batches`` with each fetch timed as a stage."""
    batches = dataset.batches(recorder, head, size)
    while True:
        notes = stages.time("fetch (select_notifications)", lambda: next(batches, None))
        if notes is None:
            return
        yield notes


def sealing_stages(system: System, last: int, db: PostgresViewDatabase) -> list[str]:
    """A ledger rebuild of events 1..``last``, step by step, written to ``db``; the cyclic
    GC off during the in-memory part, as ``Processor.build_in_memory`` does."""
    with GCTimer().start() as collector:
        collecting = gc.isenabled()
        gc.disable()
        try:
            lines = _sealing_stages(system, last, db)
        finally:
            if collecting:
                gc.enable()
    return [*lines, collector.line()]


def _sealing_stages(system: System, last: int, db: PostgresViewDatabase) -> list[str]:
    recorder, mapper = system.journal.recorder, system.journal.mapper
    stages = Stages(last)
    for notes in iter_batches(stages, recorder, last, SCAN_BATCH):
        stages.time(
            "authentication (AES-GCM with associated data)",
            functools.partial(authenticate_all, mapper, notes),
        )
        stages.time("leaf hashing (merkle.leaf_hash)", functools.partial(hash_all, notes))
    keeper, _ = ledger_only(system, dataset.SliceRecorder(recorder, last), db)
    keeper.setup()
    stages.time("keeper.rebuild() end to end (fetch, authenticate, hash, COPY)", keeper.rebuild)
    return [f"ledger sealing, events 1–{last:,} (into a scratch schema)", *stages.lines()]


def authenticate_all(mapper: Any, notes: Sequence[Any]) -> list[object]:
    """AES-GCM authentication of each stored row, as the keeper does before sealing."""
    return [
        mapper.authenticate(n.originator_id, n.originator_version, bytes(n.state)) for n in notes
    ]


def hash_all(notes: Sequence[Any]) -> list[bytes]:
    """The leaf hash of each stored row."""
    return [
        merkle.leaf_hash(n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
        for n in notes
    ]


def profile(system: System, head: int, server: str, scratch: str, size: int) -> list[str]:
    """Where verify's and sealing's time goes. Sealing is profiled on the first ``size``
    events, written to a scratch schema (dropped afterwards)."""
    lines = [*verify_stages(system, head)]
    lines += profiled(system.ledger.verify, f"ledger.verify() of {head:,} events")
    last = min(head, size)
    with dataset.scratch_views(server, scratch) as db:
        db_any: Any = db
        with db_any.transaction() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS ejournal_view_tracking "
                "(view TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            )
            cur.execute(
                "CREATE TABLE IF NOT EXISTS ejournal_checkpoints (size BIGINT PRIMARY KEY, "
                "root TEXT NOT NULL, time TEXT NOT NULL, key_id TEXT NOT NULL, "
                "signature TEXT NOT NULL, last_position BIGINT NOT NULL)"
            )
        lines += sealing_stages(system, last, db)
        sliced, _ = ledger_only(system, dataset.SliceRecorder(system.journal.recorder, last), db)
        lines += profiled(sliced.rebuild, f"ledger rebuild of events 1–{last:,}")
    return lines


# --- report ---------------------------------------------------------------------------------------
W = 50


def rate_line(label: str, timed: common.Timed, scan: common.Timed) -> None:
    print(
        f"   {label:<{W}} {n(timed.rate):>9} events/s  = {timed.rate / scan.rate:.2f} × raw scan"
        f"   ({timed.seconds:.1f} s, client CPU {timed.cpu:.1f} s)"
    )


def report_grid(costs: GridCosts, figures: common.Figures) -> list[str]:
    """Print the grid-save table and keep its figures; return the target lines."""
    raw = costs.raw
    print(f"   {costs.setup}")
    print(f"   {'raw single-row insert+commit':<{W + 13}} {n(raw.commits):>6} commits/s")
    print(
        f"   {f'raw executemany, {PUPILS} rows/transaction':<{W + 13}} "
        f"{n(raw.grid_rows / PUPILS):>6} transactions/s"
    )
    targets = []
    for mode in MODES:
        rounds = costs.rounds[mode.key]
        rates = [r.commands.per_second for r in rounds]
        rate = costs.rate(mode.key)
        merged = common.Commands()
        for r in rounds:
            merged.merge(r.commands)
        against = f"  = {rate / costs.rate(mode.base):.2f} × {mode.base}" if mode.base else " " * 16
        extra = ""
        if mode.ledger:
            extra += f"; ledger lag at the end {max(r.lag for r in rounds):,} events"
            window = [w for r in rounds for w in r.window]
            p95 = common.percentile(window, 0.95) / 1000
            extra += (
                f"; unsealed window p50 {common.percentile(window, 0.5):.0f} ms, "
                f"p95 {1000 * p95:.0f} ms (n={len(window)})"
            )
            figures.add(
                f"unsealed window under grid saves, {mode.label}, p95",
                "postgres",
                mode.key,
                p95,
                "s",
                target=f"≤ {WINDOW_TARGET:g} s",
                verdict=verdict(bool(window) and p95 <= WINDOW_TARGET),
            )
            targets.append(
                f"unsealed window p95 under grid saves, {mode.key}: {p95:.2f} s ≤ "
                f"{WINDOW_TARGET:g} s — {verdict(bool(window) and p95 <= WINDOW_TARGET)}"
            )
        if mode.key in WORKERS:
            cpu = sum(r.worker_cpu for r in rounds) / max(merged.count, 1)
            extra += f"; worker CPU {1000 * cpu:.1f} ms/command"
        print(
            f"   {f'{mode.key}: {mode.label}':<{W + 13}} {n(rate):>6} grid saves/s{against}"
            f"  ({min(rates):.0f}–{max(rates):.0f}; {rate / raw.commits:.2f} × raw commits/s)"
        )
        print(f"   {'':<{W + 13}} {common.latency(merged)}{extra}")
        figures.add(
            f"grid save, {mode.label}",
            "postgres",
            mode.key,
            rate,
            "commands/s",
            raw=raw.commits,
            raw_label="commits/s, raw single-row insert+commit",
        )
        if mode.base:
            cost = costs.cost(mode)
            figures.add(
                f"ledger cost on grid saves, {mode.key} vs {mode.base}",
                "postgres",
                mode.key,
                100 * cost,
                "%",
                raw=costs.rate(mode.base),
                raw_label=f"grid saves/s in mode {mode.base}",
                ratio=rate / costs.rate(mode.base),
                target=f"≤ {COST_TARGET:.0%}",
                verdict=verdict(cost <= COST_TARGET),
            )
            targets.append(
                f"ledger cost on grid saves, {mode.key} vs {mode.base}: {cost:.1%} ≤ "
                f"{COST_TARGET:.0%} — {verdict(cost <= COST_TARGET)}"
            )
    return targets


def verdict_line(
    label: str, result: Verified, scan: common.Timed, binary: common.Timed, note: str
) -> None:
    rate_line(label, result.timed, scan)
    print(
        f"   {'':<{W}} = {result.timed.rate / binary.rate:.2f} × the raw binary SELECT "
        "(verify reads the same columns that way, plus the ledger's leaves)"
    )
    state = "intact" if result.ok else f"FAILED: {result.problem}"
    print(f"   {'':<{W}} {state}; {note}")


@dataclass
class Rounds:
    """The verify runs of every round: in a fresh process, and in this one."""

    fresh: list[Verified] = field(default_factory=list)
    here: list[Verified] = field(default_factory=list)
    scans: list[float] = field(default_factory=list)  # raw select_notifications, events/s
    decrypting: list[float] = field(default_factory=list)  # raw scan with decryption
    sealing: list[Sealing] = field(default_factory=list)


def one_round(
    system: System, server: str, data: dataset.DataSet, folder: Path, args: Any, rounds: Rounds
) -> None:
    """Raw scans, sealing and verify, printed as they come."""
    head = system.journal.recorder.max_notification_id() or 0
    scan = common.timed(lambda: scan_notifications(system, head))
    rounds.scans.append(scan.rate)
    print(
        f"   {f'raw scan: select_notifications ({SCAN_BATCH:,}/batch)':<{W}} "
        f"{n(scan.rate):>9} events/s  (= 1, the reference; {scan.seconds:.1f} s, "
        f"client CPU {scan.cpu:.1f} s)"
    )
    binary = timed_binary(system, head)
    rate_line("raw binary SELECT, same columns (psycopg)", binary, scan)
    decrypt = common.timed(lambda: scan_decrypt(system, head))
    rounds.decrypting.append(decrypt.rate)
    rate_line("raw scan with decryption (AES-GCM per row)", decrypt, scan)
    sealing = measure_sealing(system, head, min(args.tail, head // 2))
    rounds.sealing.append(sealing)
    rate_line('sealing: views.rebuild(["ledger"])', sealing.rebuild, scan)
    print(
        f"   {'':<{W}} = {sealing.rebuild.rate / decrypt.rate:.2f} × raw scan with decryption; "
        f"{sealing.rebuild.detail}"
    )
    rate_line(f"sealing: catch-up of a fresh {sealing.tail:,}-event tail", sealing.catch_up, scan)
    same = "yes" if sealing.same_root else "NO"
    print(
        f"   {'':<{W}} = {sealing.catch_up.rate / decrypt.rate:.2f} × raw scan with decryption; "
        f"{sealing.catch_up.detail}; root equals the rebuild's: {same}"
    )
    if sealing.tail_verify is not None:
        tail_verify = sealing.tail_verify
        rate_line(
            f"verify with the {sealing.tail:,}-event tail unsealed (authenticated)",
            tail_verify.timed,
            scan,
        )
        state = "intact" if tail_verify.ok else f"FAILED: {tail_verify.problem}"
        print(f"   {'':<{W}} {state}; this process")

    clear_checkpoints(system)
    _, ledger = ledger_only(system)
    started = time.perf_counter()
    ledger.checkpoint()
    signed = time.perf_counter() - started
    fresh = verify_fresh(server, data.schema, folder)
    rounds.fresh.append(fresh)
    verdict_line(
        "verify, 1 checkpoint, fresh process (CLI)",
        fresh,
        scan,
        binary,
        f"the checkpoint took {1000 * signed:.0f} ms",
    )
    here = measure_verify(system)
    rounds.here.append(here)
    verdict_line(
        "verify, 1 checkpoint, this process",
        here,
        scan,
        binary,
        f"after sealing, the mapper's key cache holds {mapper_cache(system):,} originators "
        "(GC-tracked UUIDs), as in a long-running web or worker process",
    )
    every = system.settings.checkpoint_every
    stored, seconds = sign_history(system, every)
    many = verify_fresh(server, data.schema, folder)
    rounds.fresh.append(many)
    verdict_line(
        f"verify, {stored:,} checkpoints (every {every:,}), fresh",
        many,
        scan,
        binary,
        f"signing them took {seconds:.1f} s (untimed)",
    )
    print(
        f"   {'maybe_checkpoint(), nothing due':<{W}} {maybe_checkpoint_ms(ledger):>9.1f} "
        f"ms/call  ({stored:,} checkpoints stored; it reads the newest one)"
    )
    print(f"   {'prove(one event), latest checkpoint':<{W}} {prove_line(ledger, head // 2)}")


def timed_binary(system: System, head: int) -> common.Timed:
    return common.timed(lambda: scan_binary(system, head))


def prove_line(ledger: Ledger, position: int) -> str:
    try:
        seconds = prove_seconds(ledger, position)
    except LedgerError as error:
        return f"not measured: {error}"
    return f"{seconds:>9.2f} s        (event {position:,}; reads every leaf, rehashes subtrees)"


def measure_log(
    args: argparse.Namespace, server: str, folder: Path, figures: common.Figures
) -> list[str]:
    """Scans, sealing and verify on the million-event data set; the target lines."""
    data = dataset.load(args, server, folder)
    rounds = Rounds()
    with build(dataset.settings_for(server, data.schema, folder)) as system:
        clear_checkpoints(system)
        head = system.journal.recorder.max_notification_id() or 0
        print(f"log head {head:,}; views batch {system.views.processor.batch_size:,}")
        for number in range(1, args.rounds + 1):
            print(f"\n== Round {number} of {args.rounds}")
            one_round(system, server, data, folder, args, rounds)
        if args.profile:
            print("\n== Where the time goes (stages timed without a profiler, then cProfile)")
            for line in profile(system, head, server, f"{data.schema}_profile", args.slice):
                print(f"   {line}")
        clear_checkpoints(system)
    targets = []
    scan = common.median(rounds.scans)
    raw = {"raw": scan, "raw_label": "events/s, raw select_notifications"}
    decrypt = common.median(rounds.decrypting)
    tail = rounds.sealing[0].tail
    for label, runs in (
        ("rebuild", [r.rebuild for r in rounds.sealing]),
        (f"catch-up of a {tail:,}-event tail", [r.catch_up for r in rounds.sealing]),
    ):
        rate = common.median([t.rate for t in runs])
        ratio = rate / decrypt
        figures.add(
            f"ledger sealing from stored rows, {label}, vs raw scan with decryption",
            "postgres",
            "worker",
            rate,
            "events/s",
            raw=decrypt,
            raw_label="events/s, raw select_notifications + AES-GCM decryption per row",
            ratio=ratio,
            target=f"≥ {SEALING_TARGET} × raw scan with decryption",
            verdict=verdict(ratio >= SEALING_TARGET),
        )
        targets.append(
            f"sealing, {label}: {n(rate)} events/s = {ratio:.2f} × raw scan with decryption "
            f"≥ {SEALING_TARGET} — {verdict(ratio >= SEALING_TARGET)}"
        )
    tails = [r.tail_verify for r in rounds.sealing if r.tail_verify is not None]
    if tails:
        rate = common.median([v.timed.rate for v in tails])
        ok = all(v.ok for v in tails)
        figures.add(
            f"ledger verify with a {tail:,}-event unsealed tail authenticated, {head:,} events",
            "postgres",
            "worker",
            rate,
            "events/s",
            **raw,
            verdict="" if ok else "FAILED",
        )
        targets.append(
            f"verify with a {tail:,}-event unsealed tail: {n(rate)} events/s = "
            f"{rate / scan:.2f} × raw scan{'' if ok else ' (and verify FAILED)'}"
        )
    for label, runs in (
        ("rebuild", [r.rebuild for r in rounds.sealing]),
        (
            f"catch-up of a {rounds.sealing[0].tail:,}-event tail",
            [r.catch_up for r in rounds.sealing],
        ),
    ):
        figures.add(
            f"ledger sealing, {label}",
            "postgres",
            "worker",
            common.median([t.rate for t in runs]),
            "events/s",
            **raw,
        )
    for label, verified in (("fresh process (CLI)", rounds.fresh), ("this process", rounds.here)):
        rate = common.median([v.timed.rate for v in verified])
        ok = all(v.ok for v in verified)
        ratio = rate / scan
        figures.add(
            f"ledger verify, {label}, {head:,} events",
            "postgres",
            "worker",
            rate,
            "events/s",
            **raw,
            target=f"≥ {n(VERIFY_TARGET)} events/s",
            verdict=verdict(rate >= VERIFY_TARGET and ok),
        )
        targets.append(
            f"verify of the sealed log {ratio:.2f} × raw scan ≥ {VERIFY_RATIO_TARGET}, {label} — "
            f"{verdict(ratio >= VERIFY_RATIO_TARGET)}"
        )
        targets.append(
            f"verify {n(rate)} events/s (= {ratio:.2f} × raw scan) ≥ {n(VERIFY_TARGET)}, "
            f"{label} — "
            f"{verdict(rate >= VERIFY_TARGET)}{'' if ok else ' (and verify FAILED)'}"
        )
    return targets


def measure_grids(
    args: argparse.Namespace, server: str, folder: Path, figures: common.Figures
) -> list[str]:
    """Grid saves in every mode; the target lines."""
    print(
        f"\n== Grid saves ({PUPILS} marks, one command) with and without the ledger: "
        f"{args.grid_rounds} interleaved rounds × {args.seconds:g} s per mode"
    )
    costs = measure_grid(server, args.seconds, args.grid_rounds, folder)
    return report_grid(costs, figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    common.arguments(parser)
    dataset.arguments(parser, DEFAULT_SCHEMA)
    parser.add_argument("--profile", action="store_true", help="where verify and sealing spend")
    parser.add_argument(
        "--part",
        choices=("all", "log", "grid"),
        default="all",
        help="log: the million-event data set only; grid: grid saves only (all)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="scan/seal/verify rounds (1)")
    parser.add_argument("--tail", type=int, default=TAIL, help=f"catch-up tail ({TAIL:,})")
    parser.add_argument("--slice", type=int, default=SLICE, help=f"profiled sealing ({SLICE:,})")
    parser.add_argument("--seconds", type=float, default=4.0, help="per grid-save round (4)")
    parser.add_argument("--grid-rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        return child_worker(*rest) if kind == "worker" else child_verify(*rest)
    common.quick(args, tail=10_000, slice=20_000, seconds=1.0, grid_rounds=1)
    dataset.quick(args)
    figures = common.Figures("bench_ledger", args)
    # A terminated run still drops its schemas (the ``finally`` blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = common.postgres_server("ledger", args)
    if not server:
        return 0
    with dataset.workspace(args, server, "ledger", args.keep or args.part == "grid") as folder:
        targets = []
        if args.part in ("all", "log"):
            targets += measure_log(args, server, folder, figures)
        if args.part in ("all", "grid"):
            targets += measure_grids(args, server, folder, figures)
        print(f"\nload average at the end: {common.load_average()}")
        common.print_targets("issue 5, DESIGN.md §9", targets)
    figures.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
