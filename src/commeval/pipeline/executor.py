"""What the run asks of an executor: the one protocol of the local pool and the Dask pool."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Protocol

from commeval.pipeline.tasks import Result, Task


class Executor(Protocol):
    """Renders :class:`Task` s somewhere and hands back :class:`Result` s.

    ``start`` may boot workers early (while the parent loads the district); ``warm`` sends hidden
    warm-up code to every worker's kernel (and to later replacements); ``stop`` asks workers to
    end without waiting, ``close`` waits for them. An executor that cannot start early or warm
    up (Dask: workers create their renderer on their first task) does nothing there.
    """

    def start(self, n: int | None = None) -> None: ...

    def warm(self, code: str) -> None: ...

    def run(
        self,
        tasks: Iterable[Task],
        on_result: Callable[[Result], None] | None = None,
        retries: int = 1,
    ) -> dict[str, Result]: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


def make_executor(
    kind: str, jobs: int, scheduler: str | None = None, warmups: Iterable[str] = ()
) -> Executor:
    """The executor ``--executor kind`` names (``local`` or ``dask``)."""
    if kind == "dask":
        from commeval.pipeline.dask_executor import DaskPool

        return DaskPool(scheduler, jobs=jobs, cwd=os.getcwd())
    from commeval.pipeline.pool import LocalPool

    return LocalPool(jobs, cwd=os.getcwd(), warmups=list(warmups))
