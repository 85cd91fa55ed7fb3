"""``commeval reports``: process → plan → render every township and the index → publish.

The run is written into ``<out>/<run>.tmp`` and renamed to ``<out>/<run>`` when complete; then
``<out>/latest`` is switched to it. Unchanged pages are hard-linked from the previous run.
Orchestration only: what to reuse and render is decided by :mod:`commeval.pipeline.plan` (pure),
the keys by :mod:`commeval.pipeline.cache`, pages are rendered by an
:class:`~commeval.pipeline.executor.Executor`. Invalid input raises
:class:`~commeval.errors.InputError`; :func:`run` returns a :class:`RunOutcome`, and the command
line (:mod:`commeval.cli`) turns both into messages and exit codes.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from commeval import __version__
from commeval.display import html_table, kv_table
from commeval.errors import EvaluationError, InputError, UsageError
from commeval.files import sha256_file
from commeval.pipeline import cache
from commeval.pipeline import plan as P
from commeval.pipeline.config import RunConfig
from commeval.pipeline.executor import Executor, make_executor
from commeval.pipeline.lock import RunLock
from commeval.pipeline.manifest import RUN_KIND, RunManifest, read_manifest, write_manifest
from commeval.pipeline.parameters import declared_parameters
from commeval.pipeline.plan import INDEX_KEY, safe_filename, township_href
from commeval.pipeline.progress import Progress
from commeval.pipeline.publish import link_or_copy, point_latest, publish_run, write_atomic
from commeval.pipeline.tasks import Result, Task
from commeval.project import Project

__all__ = [
    "INDEX_KEY",
    "RunConfig",
    "RunOutcome",
    "run",
    "safe_filename",
    "township_href",
]

log = logging.getLogger("commeval.pipeline")

#: Hidden code every worker kernel runs as it boots, in parallel with the parent's district load
#: (what the report notebooks import first; ~1.5 s a kernel).
KERNEL_IMPORTS = "import pandas\nimport matplotlib.pyplot\nimport commeval.report.notebook\n"


def district_warmup(
    data_dir: Path, processed_dir: Path, year: int, project: Project | None = None
) -> str | None:
    """Hidden code loading the district in a kernel, sent once the parent has loaded it (so the
    derived results are on disk, never computed twice at once): :func:`commeval.district.warm`
    with the report notebooks' arguments (the project folder too, when the project has a
    ``commeval.yaml``), so their ``load_district`` finds it loaded."""
    args = f"{str(data_dir)!r}, {str(processed_dir)!r}, {year!r}"
    if project is not None and project.file is not None:
        args += f", project={str(project.root)!r}"
    return f"import commeval.district\ncommeval.district.warm({args})\n"


def ensure_processed(
    data_dir: Path, processed_dir: Path | None, project: Project | None = None
) -> Path:
    """Processed tables of ``data_dir``, ingesting only when stale
    (:func:`commeval.project.ensure_processed`, the package's one "ingest if stale"). With a
    project, read with its contract (fields.yaml) and codebook — and stale when either
    changed."""
    from commeval import project as _project

    if project is not None:
        project.check()  # a bad configuration file stops the run before anything is written
    return Path(_project.ensure_processed(data_dir, processed_dir, project))


def load_district(
    data_dir: Path, processed_dir: Path | None, year: int | None, project: Project | None = None
) -> Any:
    """The evaluated district (:func:`commeval.district.load_district`: the index evaluation
    and the survey summaries computed once and kept beside the processed tables, so the
    kernels' warm-ups load them), under the project when it has a ``commeval.yaml`` — as the
    report notebooks receive it."""
    from commeval.district import load_district as load

    if project is not None and project.file is not None:
        return load(data_dir, processed_dir, year, project=project)
    return load(data_dir, processed_dir, year)


class DistrictView(Protocol):
    """What the run needs of an evaluated district (:class:`commeval.district.District`)."""

    townships: list[str]
    year: int
    name: str
    synthetic: bool
    district_key: str

    def input_hashes(self, townships: list[str]) -> dict[str, str]: ...


class Districts(Protocol):
    """Where the run gets its district from (tests pass a stand-in)."""

    def ensure_processed(self, data_dir: Path, processed_dir: Path | None) -> Path: ...

    def load(self, data_dir: Path, processed_dir: Path, year: int | None) -> DistrictView: ...

    def warmup(self, data_dir: Path, processed_dir: Path, year: int) -> str | None: ...


class ReportDistricts:
    """The real districts: processed tables, evaluation and kernel warm-up of the report code,
    under a project's configuration (None: the packaged one)."""

    def __init__(self, project: Project | None = None) -> None:
        self.project = project

    def ensure_processed(self, data_dir: Path, processed_dir: Path | None) -> Path:
        return ensure_processed(data_dir, processed_dir, self.project)

    def load(self, data_dir: Path, processed_dir: Path, year: int | None) -> DistrictView:
        return load_district(data_dir, processed_dir, year, self.project)

    def warmup(self, data_dir: Path, processed_dir: Path, year: int) -> str | None:
        return district_warmup(data_dir, processed_dir, year, self.project)


@dataclass
class RunOutcome:
    """What a finished (published) run did."""

    run_dir: Path
    summary: dict[str, int]
    seconds: float
    index_failed: bool = False
    failed: dict[str, str] = field(default_factory=dict)  # township → last line of its error
    stale_lock: dict | None = None  # the record of a dead run's lock that was taken over

    @property
    def ok(self) -> bool:
        return not self.failed and not self.index_failed

    @property
    def manifest(self) -> RunManifest | None:
        """The published run's ``manifest.json`` (shows as tables in JupyterLab)."""
        return read_manifest(self.run_dir)

    def _repr_html_(self) -> str:
        s = self.summary
        rows = [
            ("运行目录", str(self.run_dir)),
            ("结果", "全部成功" if self.ok else "有失败"),
            ("用时（秒）", self.seconds),
            ("乡镇数", s.get("townships")),
            (
                "已生成 / 沿用 / 失败",
                f"{s.get('rendered')} / {s.get('reused')} / {s.get('failed')}",
            ),
        ]
        if self.index_failed:
            rows.append(("汇总页", "失败"))
        html = kv_table(rows, caption="报告运行结果")
        if self.failed:
            html += html_table(["失败的乡镇", "错误"], sorted(self.failed.items()), index_columns=1)
        return html


def run(
    config: RunConfig,
    districts: Districts | None = None,
    executor: Callable[[RunConfig], Executor] | None = None,
    progress: Callable[[int], Progress] = Progress,
) -> RunOutcome:
    """Render the township reports and the district index into ``config.out_dir/<run_name>``.

    Raises :class:`~commeval.errors.InputError` (invalid configuration, input or usage; the
    output folder locked) and :class:`~commeval.errors.EvaluationError` (the district could
    not be evaluated); failed reports do not raise: they are in the outcome and the manifest.
    """
    config = config.resolved()
    lock = RunLock(config.out_dir)
    lock.acquire()
    try:
        districts = districts or ReportDistricts(config.project)
        outcome = _Run(config, districts, executor, progress).run()
        outcome.stale_lock = lock.stale
        return outcome
    finally:
        lock.release()


def _remove_stale(out_dir: Path) -> None:
    """Remove the ``<run>.tmp`` folders of runs killed mid-way and the ``.<run>.old.<pid>``
    folders of an interrupted publish (only ever called while holding the output lock)."""
    if not out_dir.is_dir():
        return
    for p in out_dir.iterdir():
        stale = p.name.endswith(".tmp") or (p.name.startswith(".") and ".old." in p.name)
        if stale and p.is_dir() and not p.is_symlink():
            log.info("删除上次中断运行留下的 %s (stale)", p.name)
            shutil.rmtree(p, ignore_errors=True)


def _close_pool(pool: Executor, now: bool) -> None:
    """Close the executor; after Ctrl-C at once (workers and kernels killed, no waiting for
    the report being rendered), never raising a second exception over the first."""
    try:
        if now:
            try:
                pool.close(now=True)  # type: ignore[call-arg]
            except TypeError:  # an executor without ``now``
                pool.close()
        else:
            pool.close()
    except KeyboardInterrupt:  # a second Ctrl-C while closing
        if not now:
            raise


def _default_executor(config: RunConfig) -> Executor:
    return make_executor(config.executor, config.jobs, config.scheduler, [KERNEL_IMPORTS])


class _Run:
    """One ``commeval reports`` run: the I/O around the plan (state shared by its steps)."""

    def __init__(
        self,
        config: RunConfig,
        districts: Districts,
        executor: Callable[[RunConfig], Executor] | None,
        progress: Callable[[int], Progress],
    ) -> None:
        self.config = config
        self.districts = districts
        self.make_executor = executor or _default_executor
        self.make_progress = progress
        self.staging = config.out_dir / f"{config.run_name}.tmp"
        self.final = config.out_dir / config.run_name
        self.started = time.time()
        self.entries: dict[str, dict[str, Any]] = {}
        self.index_entry: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self.pool: Executor | None = None
        self.processed_dir = config.processed_dir
        self.config_hash: str | None = None
        self.formats: tuple[str, ...] = tuple(config.formats or ("html",))
        self.options: dict[str, Any] = {}
        self.notes: list[str] = []  # said once, on the terminal and in the log
        # the project folder for the notebooks that declare a ``project`` parameter
        project = config.project
        root = str(project.root) if project is not None and project.file is not None else None
        self.project_param = {
            nb: root if root and "project" in declared_parameters(nb) else None
            for nb in (config.notebooks.township, config.notebooks.summary)
        }
        self.raster_param = {
            nb: "raster" in declared_parameters(nb)
            for nb in (config.notebooks.township, config.notebooks.summary)
        }

    # -- steps --------------------------------------------------------------------------------
    def run(self) -> RunOutcome:
        _remove_stale(self.config.out_dir)  # left by runs killed mid-way (we hold the lock)
        shutil.rmtree(self.staging, ignore_errors=True)
        (self.staging / "townships").mkdir(parents=True)
        handler = self._start_log()
        interrupted = False
        try:
            return self._run()
        except InputError as exc:
            log.error("%s: %s", exc.summary, exc)
            raise
        except KeyboardInterrupt:
            log.warning("已中断 (interrupted by Ctrl-C)")
            interrupted = True
            raise
        except BaseException:
            log.exception("运行中断 (run aborted)")
            raise
        finally:
            log.removeHandler(handler)
            handler.close()
            if self.pool is not None:
                _close_pool(self.pool, now=interrupted)
            shutil.rmtree(self.staging, ignore_errors=True)  # only left if the run was aborted

    def _run(self) -> RunOutcome:
        c = self.config
        log.info("commeval %s reports: 数据 %s → %s", __version__, c.data_dir, self.final)
        try:
            self.processed_dir = Path(self.districts.ensure_processed(c.data_dir, c.processed_dir))
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise InputError(f"数据目录无法读取 (cannot read the data folder): {exc}") from exc
        self.nb_hash = cache.file_hash(c.notebooks.township)
        self.sum_hash = cache.file_hash(c.notebooks.summary)
        self._formats()
        self.config_hash = cache.with_outputs(
            cache.project_hash(c.project), self.formats, self.options
        )
        self.previous_dir, self.previous = self._previous()
        rkey = cache.run_key(
            self.processed_dir,
            c.year,
            c.townships,
            [self.nb_hash, self.sum_hash],
            self.config_hash,
        )
        if P.whole_run_reusable(self.previous, rkey):
            self.entries, self.index_entry, self.meta = P.reuse_whole_run(self.previous)
            for e in [*self.entries.values(), self.index_entry]:
                for f in P.entry_files(e):
                    self._link(f, f)
            log.info("输入均未改变，全部 %d 份报告沿用上次结果 (all reused)", len(self.entries))
            return self._finish(rkey)
        if c.executor == "local":  # boot and warm the workers while the district loads
            self._pool().start(min(c.jobs, len(c.townships) if c.townships else c.jobs))
        self._load_and_render()
        if self.pool is not None:
            self.pool.stop()  # workers shut their kernels down while the run is published
        return self._finish(rkey)

    def _formats(self) -> None:
        """The run's formats and renderer options; PDF left out, with one line saying what to
        install, where it cannot be made (the other formats are still written)."""
        c = self.config
        formats = list(self.formats)
        if "docx" in formats:
            try:
                import commeval.renderers.docx  # noqa: F401
            except ImportError as exc:
                raise UsageError(
                    f"无法生成 Word 文件：{exc} (the Word renderer cannot be imported)"
                ) from exc
            rep = c.project.report if c.project is not None else None
            self.options["docx"] = {
                "fonts": dict(rep.docx_fonts) if rep is not None and rep.docx_fonts else None,
                "cover": rep.docx_cover if rep is not None else True,
                "organisation": rep.organisation if rep is not None else "",
            }
        if "pdf" in formats:
            try:
                from commeval.renderers.pdf import pdf_unavailable

                why = pdf_unavailable()
            except ImportError as exc:
                why = f"PDF 渲染器不可用 (the PDF renderer cannot be imported): {exc}"
            if why:
                formats.remove("pdf")
                self.notes.append(f"未生成 PDF：{why}")
                log.warning("未生成 PDF (no PDF): %s", why)
        self.formats = tuple(formats)

    def _start_log(self) -> logging.Handler:
        handler = logging.FileHandler(self.staging / "run.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
        return handler

    def _previous(self) -> tuple[Path | None, P.Previous | None]:
        """The folder, manifest and pages of the last complete run (``latest``), if any."""
        latest = self.config.out_dir / "latest"
        if self.config.force or not latest.exists():
            return None, None
        prev_dir = latest.resolve()
        manifest = read_manifest(prev_dir)
        if manifest is None:
            return None, None
        files = {p.name for p in prev_dir.iterdir() if p.is_file()}  # index.html, <区县名>汇总.*
        pages = prev_dir / "townships"
        if pages.is_dir():
            files.update(f"townships/{p.name}" for p in pages.iterdir() if p.is_file())
        return prev_dir, P.Previous(manifest, frozenset(files))

    def _link(self, old: str, new: str) -> None:
        assert self.previous_dir is not None
        link_or_copy(self.previous_dir / old, self.staging / new)

    def _load_district(self) -> DistrictView:
        c = self.config
        t0 = time.perf_counter()
        try:
            district = self.districts.load(c.data_dir, self.processed_dir, c.year)
        except InputError:
            raise
        except (ValueError, FileNotFoundError) as exc:
            raise InputError(str(exc)) from exc
        except Exception as exc:
            log.exception("区数据评估失败 (district evaluation failed)")
            raise EvaluationError(f"{type(exc).__name__}: {exc}") from exc
        log.info("区数据已载入评估 (district loaded) in %.1f s", time.perf_counter() - t0)
        return district

    def _load_and_render(self) -> None:
        from commeval.pipeline.parameters import township_parameters

        c = self.config
        district = self._load_district()
        if self.pool is not None:
            code = self.districts.warmup(c.data_dir, self.processed_dir, district.year)
            if code:
                self.pool.warm(code)
        selected = list(c.townships or district.townships)
        known = set(district.townships)
        unknown = [t for t in selected if t not in known]
        if unknown:
            raise UsageError(f"数据中没有这些乡镇 (unknown townships): {', '.join(unknown)}")
        self.meta = {
            "district": self._district_name(district),
            "year": district.year,
            "synthetic": district.synthetic,
        }

        hashes = district.input_hashes(selected)  # one pass over the tables for all
        keys = {
            tw: (hashes[tw], cache.township_key(hashes[tw], self.nb_hash, self.config_hash))
            for tw in selected
        }
        plan = P.plan_townships(selected, keys, self.previous, self.formats)
        self.entries = plan.entries
        for tw, old in plan.reuse.items():
            self._link(old, self.entries[tw]["html"])
            assert self.previous is not None
            for f in (self.previous.townships[tw].get("files") or {}).values():
                self._link(f, f)
        todo = []
        for tw in plan.render:
            params = township_parameters(
                tw,
                district.year,
                c.data_dir,
                self.processed_dir,
                project=self.project_param[c.notebooks.township],
            )
            if "docx" in self.formats and self.raster_param[c.notebooks.township]:
                params["raster"] = True
            title = self._title(district, tw)
            todo.append(self._task(tw, str(c.notebooks.township), params, title))
        n, reused = len(selected), len(plan.reuse)
        log.info("共 %d 个乡镇：%d 份需生成，%d 份沿用上次结果", n, len(todo), reused)
        progress = self.make_progress(len(todo) + 1)
        for note in self.notes:
            progress.note(note)
        progress.note(f"共 {n} 个乡镇：{len(todo)} 份需生成，{reused} 份沿用上次结果")

        def done(res: Result) -> None:
            self._store(res)
            name = "汇总页 index" if res.key == INDEX_KEY else res.key
            progress.update(name, res.status, res.seconds, res.error)
            level = logging.INFO if res.status == "ok" else logging.ERROR
            log.log(
                level,
                "%s: %s in %.1f s (attempt %d, %s)%s",
                name,
                res.status,
                res.seconds,
                res.attempt,
                res.worker,
                f"\n{res.error}" if res.error else "",
            )

        # The index is rendered alongside the townships, expecting every report to succeed (it
        # only shows each report's status and link), instead of alone at the end; it is
        # rendered again after them only if a report failed.
        expected = P.expected_reports(self.entries)
        index_task = self._plan_index(district, expected, progress)
        if todo or index_task:
            self._pool().run(([index_task] if index_task else []) + todo, on_result=done)
        reports = P.final_reports(self.entries)
        if reports != expected:
            log.info("有报告生成失败，重新生成汇总页 (index again, with the failures)")
            progress.total += 1
            index_task = self._plan_index(district, reports, progress)
            if index_task:
                self._pool().run([index_task], on_result=done)
        progress.close()

    def _plan_index(
        self, district: DistrictView, reports: list[dict], progress: Progress
    ) -> Task | None:
        """The index entry for ``reports``: the previous run's page if its key is the same
        (linked, None returned), else the task that renders it."""
        from commeval.pipeline.parameters import summary_parameters

        c = self.config
        ikey = cache.index_key(
            district.district_key, district.year, self.sum_hash, reports, self.config_hash
        )
        self.index_entry = P.new_entry(P.INDEX_HTML, ikey)
        files = P.summary_files(self._district_name(district), self.formats)
        if files:
            self.index_entry["files"] = files
        if P.index_reusable(self.previous, ikey):
            for f in P.entry_files(self.index_entry):
                self._link(f, f)
            self.index_entry["status"] = "reused"
            progress.update("汇总页 index", "reused", 0.0)
            return None
        params = summary_parameters(
            district.year,
            c.data_dir,
            self.processed_dir,
            reports,
            project=self.project_param[c.notebooks.summary],
        )
        if "docx" in self.formats and self.raster_param[c.notebooks.summary]:
            params["raster"] = True
        title = self._title(district)
        return self._task(INDEX_KEY, str(c.notebooks.summary), params, title)

    def _task(self, key: str, notebook: str, params: dict[str, Any], title: str) -> Task:
        return Task(
            key, notebook, params, title, self.config.timeout,
            formats=self.formats, options=self.options,
        )  # fmt: skip

    def _district_name(self, district: DistrictView) -> str:
        """The district's name: the project's ``district`` if it sets one, else the data's."""
        p = self.config.project
        return p.district if p is not None and p.district else district.name

    def _title(self, district: DistrictView, township: str | None = None) -> str:
        """The page title: the project's report title (default "<区县> <年度>
        年农村社区建设评估报告"), with the township of a township page."""
        p = self.config.project
        name, year = self._district_name(district), district.year
        if p is not None and p.report.title:
            return f"{p.report.title} · {township}" if township else p.report.title
        if township:
            return f"{name} {township} {year} 年农村社区建设评估报告"
        return f"{name} {year} 年农村社区建设评估"

    def _pool(self) -> Executor:
        if self.pool is None:
            self.pool = self.make_executor(self.config)
        return self.pool

    def _store(self, res: Result) -> None:
        """Write a finished page atomically and record it."""
        is_index = res.key == INDEX_KEY
        entry = self.index_entry if is_index else self.entries[res.key]
        if res.status == "ok" and res.html is not None:
            files = entry.get("files") or {}
            missing = sorted(set(files) - set(res.files))
            if missing:  # every format of a report, or none of it
                res.status, res.error_kind = "failed", "error"
                res.error = f"未生成 {'、'.join(missing)} (formats missing from the result)"
            else:
                write_atomic(self.staging / entry["html"], res.html)
                for fmt, rel in files.items():
                    write_atomic(self.staging / rel, res.files[fmt])
        P.record_result(entry, res, keep_html=is_index)

    def _file_list(self) -> list[dict[str, Any]]:
        """Every file the run publishes (its log aside) with its size and sha256."""
        out = []
        for p in sorted(self.staging.rglob("*")):
            rel = p.relative_to(self.staging).as_posix()
            if p.is_file() and rel not in ("run.log", "manifest.json"):
                out.append({"path": rel, "bytes": p.stat().st_size, "sha256": sha256_file(p)})
        return out

    def _finish(self, rkey: str | None) -> RunOutcome:
        c = self.config
        failed = P.failures(self.entries)
        index_failed = self.index_entry.get("status") == "failed"
        seconds = round(time.time() - self.started, 3)
        manifest = {
            "kind": RUN_KIND,
            "run": c.run_name,
            "commeval_version": __version__,
            "code_hash": cache.code_hash(),
            **self.meta,
            "project": str(c.project.file) if c.project and c.project.file else None,
            "config_hash": self.config_hash,
            "data_dir": str(c.data_dir),
            "processed_dir": str(self.processed_dir),
            "township_notebook": str(c.notebooks.township),
            "summary_notebook": str(c.notebooks.summary),
            "executor": c.executor,
            "jobs": c.jobs,
            "started": datetime.fromtimestamp(self.started).isoformat(timespec="seconds"),
            "seconds": seconds,
            # a run with failures never lets the next run skip district evaluation wholesale
            "run_key": rkey if not failed and not index_failed else None,
            "summary": P.summarise(self.entries),
            "formats": list(self.formats),
            "notes": self.notes,
            "index": self.index_entry,
            "townships": self.entries,
            "files": self._file_list(),
        }
        write_manifest(self.staging, manifest)
        log.info("用时 %.1f s；%s", seconds, manifest["summary"])
        for h in log.handlers:
            h.flush()
        publish_run(self.staging, self.final)
        point_latest(c.out_dir, c.run_name)
        return RunOutcome(
            run_dir=self.final,
            summary=manifest["summary"],
            seconds=seconds,
            index_failed=index_failed,
            failed=failed,
        )
