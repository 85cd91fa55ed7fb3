"""What a ``commeval reports`` run is asked to do: one frozen :class:`RunConfig`."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from commeval.errors import InputError, UsageError
from commeval.paths import (
    DEFAULT_DATA_DIR,
    DEFAULT_OUT_DIR,
    default_processed_dir,
    report_notebook,
)
from commeval.project import Project

EXECUTORS = ("local", "dask")
#: What a run can write of each report (docs/reports.md): the page, Word, PDF.
FORMATS = ("html", "docx", "pdf")


@dataclass(frozen=True)
class Notebooks:
    """The two notebooks of a run (default: the ones shipped with the package)."""

    township: Path = field(default_factory=lambda: report_notebook("township_report"))
    summary: Path = field(default_factory=lambda: report_notebook("district_summary"))


@dataclass(frozen=True)
class RunConfig:
    """Everything a run depends on besides the files it reads. ``resolved()`` checks it and fills
    the defaults (absolute paths, the processed folder beside the raw one, a run name from the
    clock, ``jobs`` = CPU count)."""

    data_dir: Path = DEFAULT_DATA_DIR
    processed_dir: Path | None = None  # None: paths.default_processed_dir(data_dir)
    out_dir: Path = DEFAULT_OUT_DIR
    year: int | None = None  # None: the latest year in the data
    townships: tuple[str, ...] | None = None  # None: all
    jobs: int | None = None  # None: CPU count
    force: bool = False
    timeout: float = 300.0  # seconds a report may take
    executor: str = "local"  # "local" | "dask"
    scheduler: str | None = None  # Dask scheduler address (None: a local cluster)
    run_name: str | None = None  # None: YYYYmmdd-HHMMSS
    notebooks: Notebooks = field(default_factory=Notebooks)
    # the research project (commeval.yaml): its configuration files shape every page (cache
    # keys), its report options and configuration reach the district and the notebooks. None:
    # the packaged configuration (a run configured field by field, as the tests do)
    project: Project | None = None
    # formats of every report (``--format``); None: the project's ``report.formats``, else
    # html. The page is always written (it is the run's index and links the other files)
    formats: tuple[str, ...] | None = None

    def __post_init__(self) -> None:  # accept str paths and lists, store Paths and tuples
        for name in ("data_dir", "out_dir", "processed_dir"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        if self.townships is not None and not isinstance(self.townships, tuple):
            object.__setattr__(self, "townships", tuple(self.townships))
        if self.formats is not None and not isinstance(self.formats, tuple):
            object.__setattr__(self, "formats", tuple(self.formats))

    def resolved(self) -> RunConfig:
        """This configuration checked (:class:`UsageError`, :class:`InputError` for a missing
        notebook) with every default filled in."""
        run_name = self.run_name or datetime.now().strftime("%Y%m%d-%H%M%S")
        if not re.fullmatch(r"[\w.-]+", run_name) or run_name in {"latest", ".", ".."}:
            raise UsageError(f"运行名称无效 (invalid run name): {run_name!r}")
        if self.executor not in EXECUTORS:
            raise UsageError(f"未知的执行器 (unknown executor): {self.executor!r}")
        if self.jobs is not None and self.jobs < 1:
            raise UsageError(f"--jobs 须为正整数 (must be ≥ 1): {self.jobs}")
        if self.timeout is not None and self.timeout <= 0:
            raise UsageError(f"--timeout 须为正数 (must be > 0): {self.timeout}")
        formats = self.formats
        if formats is None:
            formats = self.project.report.formats if self.project is not None else ("html",)
        bad = [f for f in formats if f not in FORMATS]
        if bad or not formats:
            raise UsageError(
                f"--format 的值 {bad[0] if bad else ''!r} 无效，可选 {','.join(FORMATS)} "
                f"(unknown format; use some of {', '.join(FORMATS)})"
            )
        formats = tuple(f for f in FORMATS if f == "html" or f in formats)
        nbs = Notebooks(self.notebooks.township.resolve(), self.notebooks.summary.resolve())
        for nb in (nbs.township, nbs.summary):
            if not nb.is_file():
                raise InputError(f"找不到报告模板 notebook (notebook not found): {nb}")
        return replace(
            self,
            data_dir=self.data_dir.resolve(),
            processed_dir=(self.processed_dir or default_processed_dir(self.data_dir)).resolve(),
            jobs=self.jobs or os.cpu_count() or 1,
            run_name=run_name,
            townships=self.townships or None,
            notebooks=nbs,
            formats=formats,
        )
