"""Local executor: N worker processes, each holding a warm kernel (:class:`Renderer`).

Hand-rolled rather than ``concurrent.futures``: a worker that dies (killed, out of memory) must
cost only the report it was rendering — ``ProcessPoolExecutor`` breaks the whole pool instead.
The parent hands one task at a time to each idle worker over a pipe, watches every worker's
process sentinel, replaces dead workers (ending their orphaned kernel by pid), enforces a
backstop deadline per report, and retries a failed report once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from commeval.pipeline.tasks import Result, Task

#: Seconds a report may overrun its timeout before the parent kills its worker (the worker's own
#: per-notebook deadline normally fires first).
BACKSTOP_GRACE = 30.0
#: Tasks a worker holds: the one it renders and the next, already in its pipe, so it never waits
#: for the parent (storing a page, fsync, logging) between two reports.
PREFETCH = 2


def _worker_main(conn: Connection, cwd: str, kernel_name: str, warmups: list[str]) -> None:
    """Worker process: start a warm kernel, then render tasks until told to stop.

    Messages: a :class:`Task` (answered with a result), ``("warm", code)`` (hidden warm-up code
    for the kernel, no answer) or ``None`` (stop)."""
    from commeval.pipeline.worker import Renderer

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    renderer = Renderer(kernel_name=kernel_name, cwd=cwd)
    try:
        renderer.start(warmups)
        conn.send(("ready", renderer.kernel.pid))
        while True:
            task = conn.recv()
            if task is None:
                break
            if isinstance(task, tuple) and task[0] == "warm":
                renderer.kernel.warm(task[1])
                continue
            res = renderer.render(task)
            conn.send(("result", res, renderer.kernel.pid))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        renderer.close()
    os._exit(0)  # nothing left to flush: skip tearing down the interpreter (~0.3 s)


def _ignore_sigint():
    """Ignore SIGINT (main thread only); the previous handler, or None if it was not changed."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class _Worker:
    proc: mp.Process
    conn: Connection
    kernel_pid: int | None = None
    tasks: deque[Task] = field(default_factory=deque)  # sent, not answered; [0] is rendering
    since: float = 0.0  # when tasks[0] started
    ready: bool = False
    stopping: bool = False
    history: list[str] = field(default_factory=list)


class LocalPool:
    """Render tasks on ``jobs`` local worker processes with warm kernels; an
    :class:`~commeval.pipeline.executor.Executor`."""

    def __init__(
        self,
        jobs: int,
        cwd: str | None = None,
        kernel_name: str = "python3",
        warmups: Iterable[str] = (),
    ) -> None:
        self.jobs = max(1, jobs)
        self.cwd = cwd or os.getcwd()
        self.kernel_name = kernel_name
        self.warmups = list(warmups)  # run by each kernel as it starts
        self._late_warmups: list[str] = []  # sent after start (e.g. once the district is ready)
        self._ctx = mp.get_context("spawn")
        self._workers: list[_Worker] = []
        self.restarts = 0
        self._startup_failures = 0

    # -- workers ------------------------------------------------------------------------------
    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_worker_main,
            args=(child, self.cwd, self.kernel_name, self.warmups + self._late_warmups),
            daemon=True,
        )
        # Started with Ctrl-C ignored (a spawned interpreter keeps an ignored SIGINT ignored):
        # a Ctrl-C while it imports must not print a traceback; the parent handles Ctrl-C.
        old = _ignore_sigint()
        try:
            proc.start()
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
        child.close()
        w = _Worker(proc=proc, conn=parent)
        self._workers.append(w)
        return w

    def start(self, n: int | None = None) -> None:
        """Start ``n`` (default ``jobs``) workers now, so their kernels boot and warm up while
        the parent is still busy (loading the district, planning)."""
        while len(self._workers) < min(self.jobs, n or self.jobs):
            self._spawn()

    def warm(self, code: str) -> None:
        """Hidden warm-up code for every worker's kernel, run before its next report (and by
        replacement workers at start)."""
        self._late_warmups.append(code)
        for w in self._workers:
            try:
                w.conn.send(("warm", code))
            except (OSError, BrokenPipeError):
                pass  # a dead worker is replaced (with the warm-ups) by run()

    def _kill(self, w: _Worker) -> None:
        """End a worker and its kernel (by their pids; the kernel would otherwise be orphaned)."""
        for pid in (w.proc.pid, w.kernel_pid):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        w.proc.join(5)
        w.conn.close()
        self._workers.remove(w)

    def stop(self) -> None:
        """Ask every worker to stop (they shut their kernels down); returns at once."""
        for w in self._workers:
            if not w.stopping:
                w.stopping = True
                try:
                    w.conn.send(None)
                except (OSError, BrokenPipeError):
                    pass

    def close(self, now: bool = False) -> None:
        """Stop every worker, wait for them, kill the ones that do not end; ``now`` (the run
        was interrupted): kill every worker and its kernel at once."""
        if now:
            for w in list(self._workers):
                self._kill(w)
            return
        self.stop()
        deadline = time.monotonic() + 15
        for w in list(self._workers):
            w.proc.join(max(0.1, deadline - time.monotonic()))
            if w.proc.is_alive() or w.kernel_pid:
                if w.proc.is_alive():
                    self._kill(w)
                    continue
                try:  # the worker exited; make sure its kernel did too
                    os.kill(w.kernel_pid, 0)
                    os.kill(w.kernel_pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError, TypeError):
                    pass
            w.conn.close()
            self._workers.remove(w)

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running ------------------------------------------------------------------------------
    def run(
        self,
        tasks: Iterable[Task],
        on_result: Callable[[Result], None] | None = None,
        retries: int = 1,
    ) -> dict[str, Result]:
        """Render ``tasks``; a failed report is retried ``retries`` times; returns final results."""
        pending: deque[Task] = deque(tasks)
        results: dict[str, Result] = {}
        if not pending:
            return results
        while len(self._workers) < min(self.jobs, len(pending)):
            self._spawn()

        def finish(task: Task, res: Result) -> None:
            if res.status != "ok" and task.attempt <= retries:
                task.attempt += 1
                pending.append(task)
                return
            results[task.key] = res
            if on_result:
                on_result(res)

        while pending or any(w.tasks for w in self._workers):
            for depth in range(1, PREFETCH + 1):  # idle workers first, then one more each
                for w in self._workers:
                    if w.ready and len(w.tasks) < depth and pending:
                        if not w.tasks:
                            w.since = time.monotonic()
                        w.tasks.append(pending.popleft())
                        w.conn.send(w.tasks[-1])
            waitables = {}
            for w in self._workers:
                waitables[w.conn] = w
                waitables[w.proc.sentinel] = w
            for obj in wait(list(waitables), timeout=1.0):
                w = waitables[obj]
                if w not in self._workers:
                    continue
                msg = None
                if obj is w.conn or w.conn.poll():
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        msg = None
                if msg and msg[0] == "ready":
                    w.ready, w.kernel_pid = True, msg[1]
                elif msg and msg[0] == "result":
                    task = w.tasks.popleft() if w.tasks else None
                    w.since = time.monotonic()  # the next task in its pipe starts now
                    w.kernel_pid = msg[2]
                    if task is not None:
                        finish(task, msg[1])
                elif not w.proc.is_alive() or msg is None:
                    self._lost(w, "工作进程意外退出 (worker process died)", finish, pending)
            now = time.monotonic()
            for w in list(self._workers):
                t = w.tasks[0] if w.tasks else None
                if t is not None and t.timeout and now - w.since > t.timeout + BACKSTOP_GRACE:
                    self._lost(
                        w, f"超时，工作进程已终止 (timeout after {t.timeout:g} s)", finish, pending
                    )
        return results

    def _lost(self, w: _Worker, why: str, finish: Callable, pending: deque) -> None:
        task = w.tasks.popleft() if w.tasks else None
        pending.extendleft(reversed(w.tasks))  # queued behind it, not started: not a failure
        w.tasks.clear()
        if not w.ready:
            self._startup_failures += 1
        self._kill(w)
        self.restarts += 1
        if self._startup_failures >= 3:  # kernels cannot start at all: fail what is left
            why = "无法启动内核 (kernel does not start)"
            while pending:
                t = pending.popleft()
                t.attempt = 99
                finish(t, Result(key=t.key, status="failed", error=why, error_kind="worker"))
        if task is not None:
            res = Result(
                key=task.key,
                status="failed",
                error=why,
                error_kind="worker",
                seconds=round(time.monotonic() - w.since, 3),
                attempt=task.attempt,
                worker=f"pid {w.proc.pid}",
            )
            finish(task, res)
        if pending and len(self._workers) < self.jobs:
            self._spawn()
