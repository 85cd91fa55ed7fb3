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
        self._printer: Any = None
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
            self._pages(nb, task, res)
        except ReportFailed as exc:
            res.error, res.error_kind = str(exc), exc.kind
        except Exception as exc:  # noqa: BLE001 - a report failure must not stop the others
            res.error, res.error_kind = f"{type(exc).__name__}: {exc}", "error"
        res.seconds = round(time.perf_counter() - t0, 3)
        return res

    def _pages(self, nb: Any, task: Task, res: Result) -> None:
        """The executed notebook's page and other formats into ``res``: rendered from the
        document it displayed (every format), else — a notebook that displays no document —
        its outputs exported as the page (HTML only)."""
        from commeval.pipeline.export import (
            clean_notebook,
            notebook_document,
            notebook_errors,
            render_document,
        )

        doc = notebook_document(nb)
        if doc is None:
            exported = self.exporter.export(nb, task.title)
            res.stderr, errors = exported.stderr, exported.errors
            others = [f for f in task.formats if f != "html"]
            if not errors and others:
                errors = [
                    f"报告 notebook 没有输出文档，无法生成 {'、'.join(others)} "
                    "(the notebook displays no commeval document)"
                ]
            if errors:  # an error output that did not stop the run still fails it
                res.error, res.error_kind = "; ".join(errors), "error"
            else:
                res.status, res.html = "ok", exported.html
            return
        _, res.stderr = clean_notebook(nb)
        errors = notebook_errors(nb)
        if errors:
            res.error, res.error_kind = "; ".join(errors), "error"
            return
        printer = self.printer() if "pdf" in task.formats else None
        html, files = render_document(doc, task.formats, task.options, printer)
        res.status, res.html, res.files = "ok", html, files

    def printer(self) -> Any:
        """The worker's PDF printer (one browser for all its pages), started on first use."""
        if self._printer is None:
            from commeval.renderers.pdf import PdfPrinter

            printer = PdfPrinter()
            self._printer = printer.__enter__()
        return self._printer

    def close(self) -> None:
        if self._printer is not None:
            try:
                self._printer.__exit__(None, None, None)
            finally:
                self._printer = None
        self.kernel.shutdown()
