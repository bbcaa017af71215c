"""Crash safety: the view worker killed with SIGKILL in the middle of its batches and
restarted leaves every view equal to a rebuild — nothing counted twice, nothing missing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ejournal.bootstrap import System, build
from ejournal.demo import seed_demo
from tests.conftest import ROOT, settings_for
from tests.views import snapshot

KILLS = 4


def views_at(system: System) -> int:
    """Where the slowest view stands. The views only: the ledger is sealed after the views
    have caught up (``Views.catch_up``), so it stands still while they work."""
    return min(s.position for s in system.views.processor.status())


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ejournal.cli", "worker", "--poll", "0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_sigkilled_worker_leaves_views_equal_to_a_rebuild(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    _, url = pg_schema
    settings = settings_for(tmp_path, url)
    assert settings.views_mode == "worker"
    with build(settings) as system:
        seed_demo(system.journal, classes=3, pupils_per_class=12, weeks=4)
        head = system.journal.recorder.max_notification_id()
    env = dict(
        os.environ,
        EJOURNAL_VAR_DIR=str(tmp_path / "var"),
        EJOURNAL_DATABASE_URL=url,
        EJOURNAL_POLICIES_DIR=str(ROOT / "policies"),
        EJOURNAL_VIEW_BATCH_SIZE="150",
    )

    rng = random.Random(7)
    positions = []
    with build(settings) as system:
        last = 0
        for _ in range(KILLS):
            proc = _worker(env)
            started = time.monotonic()
            while views_at(system) <= last:  # it is working
                assert proc.poll() is None
                assert time.monotonic() - started < 60, "the worker made no progress"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.05))  # then kill it somewhere inside a batch
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            last = views_at(system)
            positions.append(last)
        assert positions[-1] < head, "the backlog should outlast the kills (raise it)"
        final = _worker(env)
        try:
            deadline = time.monotonic() + 120
            while min(s.position for s in system.views.status()) < head:  # the ledger too
                assert time.monotonic() < deadline, "the restarted worker did not catch up"
                time.sleep(0.2)
        finally:
            final.terminate()
            final.wait(timeout=10)
        assert positions == sorted(positions) and positions[0] > 0

        with system.views.reader() as reader:
            kept = snapshot(reader, system.views.sealer)
        memory, _ = system.views.processor.build_in_memory(system.views.processor.views)
        assert kept == snapshot(memory, system.views.sealer)
        assert len(kept["v_marks"]) > 500
