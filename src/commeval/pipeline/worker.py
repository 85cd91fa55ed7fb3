"""How a warm worker renders a :class:`~commeval.pipeline.tasks.Task`.

The same :func:`render` runs in the sequential loop, in the local worker processes and on Dask
workers; only where the :class:`Renderer` lives differs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from commeval.pipeline.kernel import ReportFailed, WarmKernel
from commeval.pipeline.tasks import Result, Task

# papermill (parameters) and nbconvert (export) are imported when first needed: a worker
# launches its kernel first and imports them while the kernel boots (~0.8 s off its start).


class Renderer:
    """A warm kernel plus a reusable HTML exporter (one per worker)."""

    def __init__(self, kernel_name: str = "python3", cwd: str | None = None) -> None:
        self.kernel = WarmKernel(kernel_name=kernel_name, cwd=cwd)
        self._exporter: Any = None
        self._notebooks: dict[tuple[str, float], Any] = {}
        self.name = f"pid {os.getpid()}"

    @property
    def exporter(self):
        if self._exporter is None:
            from commeval.pipeline.export import ReportExporter

            self._exporter = ReportExporter()
        return self._exporter

    def notebook(self, path: str):
        """The notebook at ``path`` as papermill reads it (cached by modification time)."""
        from commeval.pipeline.parameters import read_notebook

        key = (path, Path(path).stat().st_mtime)
        if key not in self._notebooks:
            self._notebooks[key] = read_notebook(path)
        return self._notebooks[key]

    def start(self, warmups: list[str] | tuple[str, ...] = ()) -> None:
        """Start the kernel with ``warmups`` (hidden code, see :meth:`WarmKernel.warm`); while it
        boots, warm this process' side (export template, CJK font) with a throwaway page."""
        self.kernel.warmups.extend(warmups)
        self.kernel.start(while_starting=self.warm_exporter)

    def warm_exporter(self) -> None:
        """Export a tiny page once: compiles the template and loads the font (~0.6 s that the
        first report would otherwise pay). Never raises."""
        import nbformat

        from commeval.pipeline.parameters import preload

        preload()  # papermill, for the first inject()

        cell = nbformat.v4.new_code_cell("")
        cell.outputs = [
            nbformat.v4.new_output(
                "display_data", data={"text/html": "<p>乡镇报告预热 warm-up 0123</p>"}
            )
        ]
        try:
            self.exporter.export(nbformat.v4.new_notebook(cells=[cell]), "预热")
        except Exception:  # noqa: BLE001 - only a speed-up
            pass

    def render(self, task: Task) -> Result:
        """Execute and export ``task``; failures become a ``failed`` result, never an exception."""
        t0 = time.perf_counter()
        res = Result(key=task.key, status="failed", attempt=task.attempt, worker=self.name)
        try:
            from commeval.pipeline.parameters import inject

            nb = inject(self.notebook(task.notebook), task.parameters, input_path=task.notebook)
            nb = self.kernel.run(nb, timeout=task.timeout)
            exported = self.exporter.export(nb, task.title)
            res.stderr = exported.stderr
            if exported.errors:  # an error output that did not stop the run still fails it
                res.error, res.error_kind = "; ".join(exported.errors), "error"
            else:
                res.status, res.html = "ok", exported.html
        except ReportFailed as exc:
            res.error, res.error_kind = str(exc), exc.kind
        except Exception as exc:  # noqa: BLE001 - a report failure must not stop the others
            res.error, res.error_kind = f"{type(exc).__name__}: {exc}", "error"
        res.seconds = round(time.perf_counter() - t0, 3)
        return res

    def close(self) -> None:
        self.kernel.shutdown()
