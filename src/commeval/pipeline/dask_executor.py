"""Dask executor: the same tasks on a Dask distributed cluster, one warm kernel per Dask worker.

Each Dask worker lazily creates one :class:`~commeval.pipeline.worker.Renderer` (warm kernel +
exporter) on its first task and keeps it on the worker object; a worker plugin shuts the kernel
down when the worker closes. Tasks carry absolute data paths, so the workers must see the same
file system (a shared disk on a real cluster). Pages come back to the parent as strings and are
written there, so workers never write into the output folder.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable

from commeval.pipeline.tasks import Result, Task

_ATTR = "_commeval_renderer"
_LOCK = threading.Lock()


def _renderer():
    from distributed import get_worker

    from commeval.pipeline.worker import Renderer

    worker = get_worker()
    with _LOCK:
        r = getattr(worker, _ATTR, None)
        if r is None:
            r = Renderer(cwd=os.environ.get("COMMEVAL_CWD") or os.getcwd())
            r.name = f"dask {worker.address}"
            r.lock = threading.Lock()  # one report at a time per kernel
            setattr(worker, _ATTR, r)
    return r


def render_on_worker(task: Task) -> Result:
    """Dask task: render ``task`` with this worker's warm kernel."""
    r = _renderer()
    with r.lock:
        return r.render(task)


def _plugin():
    from distributed.diagnostics.plugin import WorkerPlugin

    class RendererPlugin(WorkerPlugin):
        """Shut the worker's warm kernel down with the worker."""

        name = "commeval-renderer"

        def teardown(self, worker) -> None:
            r = getattr(worker, _ATTR, None)
            if r is not None:
                r.close()

    return RendererPlugin()


class DaskPool:
    """Render tasks on a Dask cluster (``scheduler`` address, or a new ``LocalCluster``); an
    :class:`~commeval.pipeline.executor.Executor`."""

    def __init__(
        self,
        scheduler: str | None = None,
        jobs: int | None = None,
        processes: bool = True,
        cwd: str | None = None,
    ) -> None:
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            self.cluster = LocalCluster(
                n_workers=max(1, jobs or os.cpu_count() or 1),
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
                env={"COMMEVAL_CWD": cwd or os.getcwd()} if processes else None,
            )
            self.client = Client(self.cluster)
        self.client.register_plugin(_plugin(), name="commeval-renderer")

    def start(self, n: int | None = None) -> None:
        """Nothing to start early: each Dask worker creates its renderer on its first task."""

    def warm(self, code: str) -> None:
        """No warm-up on Dask workers (the first report on each pays the district load)."""

    def stop(self) -> None:
        """Workers end with :meth:`close`."""

    def run(
        self,
        tasks: Iterable[Task],
        on_result: Callable[[Result], None] | None = None,
        retries: int = 1,
    ) -> dict[str, Result]:
        """Like :meth:`LocalPool.run`: a failed report is resubmitted ``retries`` times (Dask's own
        ``retries`` also re-runs a task whose worker was lost)."""
        from distributed import as_completed

        results: dict[str, Result] = {}
        futures = {}

        def submit(task: Task):
            fut = self.client.submit(
                render_on_worker,
                task,
                key=f"commeval-{task.key}-{task.attempt}-{id(task)}",
                retries=retries,
                pure=False,
            )
            futures[fut] = task
            return fut

        ac = as_completed([submit(t) for t in tasks])
        for fut in ac:
            task = futures.pop(fut)
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - lost worker after retries, etc.
                res = Result(
                    key=task.key,
                    status="failed",
                    error=f"{type(exc).__name__}: {exc}",
                    error_kind="worker",
                    attempt=task.attempt,
                )
            if res.status != "ok" and task.attempt <= retries:
                task.attempt += 1
                ac.add(submit(task))
                continue
            results[task.key] = res
            if on_result:
                on_result(res)
        return results

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
