"""``ejournal serve``: waitress in one process, or in several processes sharing one
listening socket (``--processes N``), supervised by the parent.

One Python process runs one request's Python code at a time (the GIL), so on a machine
with several cores the product runs several server processes. Each child builds its own
system (database pools and threads are not shared across ``fork``); the parent only
accepts nothing, restarts a child that died, and stops them all on SIGTERM or SIGINT.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

import waitress

log = logging.getLogger(__name__)

#: Builds the WSGI app in the calling process; returns it and a function that closes it.
AppFactory = Callable[[], tuple[Any, Callable[[], None]]]

#: A child that dies sooner than this after its start is restarted only after a pause.
FAST_DEATH_SECONDS = 5.0


def serve(factory: AppFactory, host: str, port: int, threads: int, processes: int = 1) -> None:
    """Serve until stopped (SIGTERM/SIGINT)."""
    if processes <= 1:
        app, close = factory()
        try:
            waitress.serve(app, host=host, port=port, threads=threads, ident="ejournal")
        finally:
            close()
        return
    listener = socket.create_server((host, port), backlog=1024)
    listener.set_inheritable(True)
    Supervisor(factory, listener, threads, processes).run()


class Supervisor:
    """The parent of ``processes`` waitress children on one listening socket."""

    def __init__(
        self, factory: AppFactory, listener: socket.socket, threads: int, processes: int
    ) -> None:
        self.factory, self.listener = factory, listener
        self.threads, self.processes = threads, processes
        self.children: dict[int, float] = {}  # pid → start time
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        try:
            for _ in range(self.processes):
                if self.stopping:  # SIGTERM while starting: start no more
                    break
                self._spawn()
            while self.children:
                try:
                    pid, status = os.wait()
                except InterruptedError:  # pragma: no cover - PEP 475 retries os.wait
                    continue
                except ChildProcessError:
                    break
                started = self.children.pop(pid, None)
                if started is None or self.stopping:
                    continue
                log.warning("server process %d ended (status %d); starting another", pid, status)
                if time.monotonic() - started < FAST_DEATH_SECONDS:
                    time.sleep(1.0)  # do not spin when every child dies at start
                if not self.stopping:
                    self._spawn()
        finally:
            self._stop_children()
            self.listener.close()

    def _spawn(self) -> None:
        # SIGTERM is held while forking, so that a child is either known to ``_stop`` or
        # not started at all.
        held = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
            raise
        if pid:
            self.children[pid] = time.monotonic()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
        else:  # the child
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
                self._child()
            except BaseException:  # logged; the parent starts another
                log.exception("server process failed")
                code = 1
            finally:
                os._exit(code)

    def _child(self) -> None:
        app, close = self.factory()
        try:
            waitress.serve(app, sockets=[self.listener], threads=self.threads, ident="ejournal")
        finally:
            close()

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping = True
        for pid in list(self.children):
            _kill(pid, signal.SIGTERM)

    def _stop_children(self) -> None:
        self.stopping = True
        deadline = time.monotonic() + 10
        for pid in list(self.children):
            _kill(pid, signal.SIGTERM)
        while self.children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self.children.pop(pid, None)
            else:
                time.sleep(0.05)
        for pid in list(self.children):
            _kill(pid, signal.SIGKILL)


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
