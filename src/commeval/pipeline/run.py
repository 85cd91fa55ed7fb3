"""``commeval reports``: validate → process → render every township → index → manifest → publish.

The run is written into ``<out>/<run>.tmp`` and renamed to ``<out>/<run>`` when complete; then
``<out>/latest`` is switched to it. Unchanged reports are hard-linked from the previous run.
Exit codes: 0 all reports ok, 1 some failed, 2 invalid input or usage (or the output folder is
locked by another run).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from commeval import __version__
from commeval.paths import report_notebook
from commeval.pipeline import cache
from commeval.pipeline.lock import LockedError, RunLock
from commeval.pipeline.manifest import read_manifest, write_manifest
from commeval.pipeline.progress import Progress
from commeval.pipeline.publish import link_or_copy, point_latest, publish_run, write_atomic
from commeval.pipeline.tasks import Result, Task

log = logging.getLogger("commeval.pipeline")

INDEX_KEY = "__index__"

#: Hidden code every worker kernel runs as it boots, in parallel with the parent's district load
#: (what the report notebooks import first; ~1.5 s a kernel).
KERNEL_IMPORTS = "import pandas\nimport matplotlib.pyplot\nimport commeval.report.notebook\n"


def district_warmup(data_dir: Path, processed_dir: Path, year: int) -> str | None:
    """Hidden code loading the district in a kernel, sent once the parent has loaded it (so the
    derived results are on disk, never computed twice at once): :func:`commeval.district.warm`
    with the report notebooks' arguments, so their ``load_district`` finds it loaded."""
    args = f"{str(data_dir)!r}, {str(processed_dir)!r}, {year!r}"
    return f"import commeval.district\ncommeval.district.warm({args})\n"


def default_notebook(name: str) -> Path:
    """A report notebook shipped with the package (``commeval/notebooks/<name>``)."""
    return report_notebook(name)


def safe_filename(name: str) -> str:
    """A township name as a file name (keeps Chinese, replaces path separators and controls)."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" .")
    return cleaned or "_"


def township_href(township: str) -> str:
    """Where a township's page lives, relative to the run folder (and to ``index.html``)."""
    return f"townships/{safe_filename(township)}.html"


def run_reports(
    data_dir: str | Path,
    processed_dir: str | Path | None = None,
    out_dir: str | Path = "outputs",
    year: int | None = None,
    townships: list[str] | None = None,
    jobs: int | None = None,
    force: bool = False,
    timeout: float = 300.0,
    executor: str = "local",
    scheduler: str | None = None,
    run_name: str | None = None,
    *,
    township_notebook: str | Path | None = None,
    summary_notebook: str | Path | None = None,
) -> int:
    """Render the township reports and the district index into ``out_dir/<run_name>``.

    ``township_notebook``/``summary_notebook`` default to the packaged
    ``commeval/notebooks/township_report.ipynb`` and ``district_summary.ipynb``. Returns the exit code (0, 1 or 2).
    """
    out_dir = Path(out_dir)
    run_name = run_name or datetime.now().strftime("%Y%m%d-%H%M%S")
    if not re.fullmatch(r"[\w.-]+", run_name) or run_name in {"latest", ".", ".."}:
        print(f"运行名称无效 (invalid run name): {run_name!r}", file=sys.stderr)
        return 2
    if executor not in {"local", "dask"}:
        print(f"未知的执行器 (unknown executor): {executor!r}", file=sys.stderr)
        return 2
    if jobs is not None and jobs < 1:
        print(f"--jobs 须为正整数 (must be ≥ 1): {jobs}", file=sys.stderr)
        return 2
    lock = RunLock(out_dir)
    try:
        lock.acquire()
    except LockedError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        if lock.stale:
            print(f"已清除失效的锁 (stale lock of pid {lock.stale.get('pid')})", file=sys.stderr)
        return _Run(
            data_dir=Path(data_dir).resolve(),
            processed_dir=Path(processed_dir).resolve() if processed_dir else None,
            out_dir=out_dir,
            year=year,
            townships=list(townships) if townships else None,
            jobs=jobs or os.cpu_count() or 1,
            force=force,
            timeout=timeout,
            executor=executor,
            scheduler=scheduler,
            run_name=run_name,
            township_notebook=Path(
                township_notebook or default_notebook("township_report.ipynb")
            ).resolve(),
            summary_notebook=Path(
                summary_notebook or default_notebook("district_summary.ipynb")
            ).resolve(),
        ).run()
    finally:
        lock.release()


def ensure_processed(data_dir: Path, processed_dir: Path | None) -> Path:
    """Processed tables of ``data_dir``, ingesting only when stale (cheap check first: importing
    the ingestion code costs more than the check)."""
    from commeval.data.freshness import is_current

    if processed_dir is not None and is_current(data_dir, processed_dir):
        return Path(processed_dir)
    from commeval.district import ensure_processed as ensure

    return Path(ensure(data_dir, processed_dir))


def load_district(data_dir: Path, processed_dir: Path | None, year: int | None) -> Any:
    """The evaluated district (:func:`commeval.district.load_district`: the index evaluation
    and the survey summaries computed once and kept beside the processed tables, so the
    kernels' warm-ups load them)."""
    from commeval.district import load_district as load

    return load(data_dir, processed_dir, year)


class _Run:
    """One ``commeval reports`` run (state shared by its steps)."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)
        self.staging = self.out_dir / f"{self.run_name}.tmp"
        self.final = self.out_dir / self.run_name
        self.started = time.time()
        self.results: dict[str, Result] = {}
        self.entries: dict[str, dict[str, Any]] = {}
        self.pool: Any = None

    # -- steps --------------------------------------------------------------------------------
    def run(self) -> int:
        for nb in (self.township_notebook, self.summary_notebook):
            if not nb.exists():
                print(f"找不到报告模板 notebook (notebook not found): {nb}", file=sys.stderr)
                return 2
        shutil.rmtree(self.staging, ignore_errors=True)
        (self.staging / "townships").mkdir(parents=True)
        handler = self._start_log()
        try:
            code = self._run()
        except BaseException:
            log.exception("运行中断 (run aborted)")
            raise
        finally:
            log.removeHandler(handler)
            handler.close()
            if self.pool is not None:
                self.pool.close()
            shutil.rmtree(self.staging, ignore_errors=True)  # only left if the run was aborted
        return code

    def _run(self) -> int:
        log.info("commeval %s reports: 数据 %s → %s", __version__, self.data_dir, self.final)
        try:
            processed = ensure_processed(self.data_dir, self.processed_dir)
        except Exception as exc:  # IngestError (imported lazily: it pulls in pandas) or bad paths
            if type(exc).__name__ == "IngestError":
                return self._invalid(f"数据有错误，未生成报告 (invalid input): {exc}")
            if isinstance(exc, (ValueError, FileNotFoundError, NotADirectoryError)):
                return self._invalid(f"输入无效 (invalid input): {exc}")
            raise
        self.processed_dir = Path(processed)
        self.nb_hash = cache.file_hash(self.township_notebook)
        self.sum_hash = cache.file_hash(self.summary_notebook)
        self.previous_dir, self.previous = self._previous()
        rkey = cache.run_key(processed, self.year, self.townships, [self.nb_hash, self.sum_hash])
        if self._reuse_whole_run(rkey):
            return self._finish(rkey)
        if self.executor == "local":  # boot and warm the workers while the district loads
            wanted = len(self.townships) if self.townships else self.jobs
            self._pool().start(min(self.jobs, wanted))
        code = self._load_and_render()
        if self.pool is not None and hasattr(self.pool, "stop"):
            self.pool.stop()  # workers shut their kernels down while the run is published
        if code is not None:
            return code
        return self._finish(rkey)

    def _invalid(self, message: str) -> int:
        log.error(message)
        print(message, file=sys.stderr)
        return 2

    def _start_log(self) -> logging.Handler:
        handler = logging.FileHandler(self.staging / "run.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
        return handler

    def _previous(self) -> tuple[Path | None, dict | None]:
        """The folder and manifest of the last complete run (``latest``), if any."""
        latest = self.out_dir / "latest"
        if self.force or not latest.exists():
            return None, None
        prev_dir = latest.resolve()
        return prev_dir, read_manifest(prev_dir)

    def _reuse_whole_run(self, rkey: str | None) -> bool:
        """Nothing changed since a fully successful previous run: link everything, no district
        evaluation, no kernels."""
        prev = self.previous
        if rkey is None or not prev or prev.get("run_key") != rkey:
            return False
        entries = prev.get("townships") or {}
        if prev.get("index", {}).get("status") == "failed" or any(
            e.get("status") == "failed" for e in entries.values()
        ):
            return False
        files = [self.previous_dir / e["html"] for e in entries.values()]
        files.append(self.previous_dir / "index.html")
        if not all(f.is_file() for f in files):
            return False
        for name, e in entries.items():
            link_or_copy(self.previous_dir / e["html"], self.staging / e["html"])
            self.entries[name] = {**e, "status": "reused", "seconds": 0.0, "stderr": []}
        link_or_copy(self.previous_dir / "index.html", self.staging / "index.html")
        self.index_entry = {**prev["index"], "status": "reused"}
        self.meta = {k: prev.get(k) for k in ("district", "year", "synthetic")}
        log.info("输入均未改变，全部 %d 份报告沿用上次结果 (all reused)", len(entries))
        return True

    def _load_and_render(self) -> int | None:
        from commeval.pipeline.parameters import township_parameters

        t0 = time.perf_counter()
        try:
            district = load_district(self.data_dir, self.processed_dir, self.year)
        except Exception as exc:
            if type(exc).__name__ == "IngestError":
                return self._invalid(f"数据有错误，未生成报告 (invalid input): {exc}")
            if isinstance(exc, (ValueError, FileNotFoundError)):
                return self._invalid(f"输入无效 (invalid input): {exc}")
            log.exception("区数据评估失败 (district evaluation failed)")
            print(
                f"区数据评估失败，未生成报告 (district evaluation failed): {exc!r}", file=sys.stderr
            )
            return 1
        log.info("区数据已载入评估 (district loaded) in %.1f s", time.perf_counter() - t0)
        if self.pool is not None and hasattr(self.pool, "warm"):
            code = district_warmup(self.data_dir, self.processed_dir, district.year)
            if code:
                self.pool.warm(code)
        selected = self.townships or district.townships
        known = set(district.townships)  # a property: built from the table on every access
        unknown = [t for t in selected if t not in known]
        if unknown:
            return self._invalid(f"数据中没有这些乡镇 (unknown townships): {', '.join(unknown)}")
        self.meta = {
            "district": district.name,
            "year": district.year,
            "synthetic": district.synthetic,
        }

        todo: list[Task] = []
        batch = getattr(district, "input_hashes", None)  # one pass over the tables for all
        hashes = (
            batch(list(selected)) if batch else {tw: district.input_hash(tw) for tw in selected}
        )
        for tw in selected:
            ihash = hashes[tw]
            key = cache.township_key(ihash, self.nb_hash)
            entry = {
                "status": None,
                "html": township_href(tw),
                "seconds": 0.0,
                "input_hash": ihash,
                "key": key,
                "error": None,
                "stderr": [],
            }
            self.entries[tw] = entry
            old = cache.reusable(self.previous, tw, key, self.previous_dir)
            if old is not None:
                link_or_copy(old, self.staging / entry["html"])
                entry["status"] = "reused"
                continue
            params = township_parameters(
                tw, district.year, self.data_dir, self.processed_dir, self.staging
            )
            title = f"{district.name} {tw} {district.year} 年农村社区建设评估报告"
            todo.append(Task(tw, str(self.township_notebook), params, title, self.timeout))
        reused = len(selected) - len(todo)
        log.info("共 %d 个乡镇：%d 份需生成，%d 份沿用上次结果", len(selected), len(todo), reused)
        print(
            f"共 {len(selected)} 个乡镇：{len(todo)} 份需生成，{reused} 份沿用上次结果",
            file=sys.stderr,
        )

        progress = Progress(len(todo) + 1)

        def done(res: Result) -> None:
            self._store(res)
            name = "区汇总 index" if res.key == INDEX_KEY else res.key
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
        expected = [
            {"township": tw, "status": e["status"] or "ok", "href": e["html"], "error": None}
            for tw, e in self.entries.items()
        ]
        index_task = self._plan_index(district, expected, progress)
        if todo or index_task:
            self._pool().run(([index_task] if index_task else []) + todo, on_result=done)

        reports = [
            {
                "township": tw,
                "status": e["status"],
                "href": e["html"] if e["status"] != "failed" else None,
                "error": e["error"],
            }
            for tw, e in self.entries.items()
        ]
        if reports != expected:
            log.info("有报告生成失败，重新生成区汇总 (index again, with the failures)")
            progress.total += 1
            index_task = self._plan_index(district, reports, progress)
            if index_task:
                self._pool().run([index_task], on_result=done)
        progress.close()
        return None

    def _plan_index(self, district: Any, reports: list[dict], progress: Progress) -> Task | None:
        """Index entry for ``reports``: the previous run's page if its key is the same (linked,
        None returned), else the task that renders it."""
        from commeval.pipeline.parameters import summary_parameters

        ikey = cache.index_key(district.district_key, district.year, self.sum_hash, reports)
        self.index_entry = {
            "status": None,
            "html": "index.html",
            "key": ikey,
            "error": None,
            "seconds": 0.0,
            "stderr": [],
        }
        prev_index = (self.previous or {}).get("index") or {}
        old_index = self.previous_dir / "index.html" if self.previous_dir else None
        if prev_index.get("key") == ikey and old_index is not None and old_index.is_file():
            link_or_copy(old_index, self.staging / "index.html")
            self.index_entry["status"] = "reused"
            progress.update("区汇总 index", "reused", 0.0)
            return None
        params = summary_parameters(
            district.year, self.data_dir, self.processed_dir, self.staging, reports
        )
        title = f"{district.name} {district.year} 年农村社区建设评估"
        return Task(INDEX_KEY, str(self.summary_notebook), params, title, self.timeout)

    def _pool(self):
        if self.pool is None:
            if self.executor == "dask":
                from commeval.pipeline.dask_executor import DaskPool

                self.pool = DaskPool(self.scheduler, jobs=self.jobs, cwd=os.getcwd())
            else:
                from commeval.pipeline.pool import LocalPool

                self.pool = LocalPool(self.jobs, cwd=os.getcwd(), warmups=[KERNEL_IMPORTS])
        return self.pool

    def _store(self, res: Result) -> None:
        """Write a finished page atomically and record it."""
        entry = self.index_entry if res.key == INDEX_KEY else self.entries[res.key]
        if res.status == "ok" and res.html is not None:
            write_atomic(self.staging / entry["html"], res.html)
        entry.update(
            status=res.status,
            seconds=res.seconds,
            error=res.error,
            stderr=res.stderr,
            attempts=res.attempt,
            error_kind=res.error_kind,
        )
        if res.status != "ok":
            entry["html"] = None if res.key != INDEX_KEY else entry["html"]

    def _finish(self, rkey: str | None) -> int:
        failed = [tw for tw, e in self.entries.items() if e["status"] == "failed"]
        index_failed = self.index_entry["status"] == "failed"
        manifest = {
            "run": self.run_name,
            "commeval_version": __version__,
            **self.meta,
            "data_dir": str(self.data_dir),
            "processed_dir": str(self.processed_dir),
            "township_notebook": str(self.township_notebook),
            "summary_notebook": str(self.summary_notebook),
            "executor": self.executor,
            "jobs": self.jobs,
            "started": datetime.fromtimestamp(self.started).isoformat(timespec="seconds"),
            "seconds": round(time.time() - self.started, 3),
            # a run with failures never lets the next run skip district evaluation wholesale
            "run_key": rkey if not failed and not index_failed else None,
            "summary": {
                "townships": len(self.entries),
                "rendered": sum(e["status"] == "ok" for e in self.entries.values()),
                "reused": sum(e["status"] == "reused" for e in self.entries.values()),
                "failed": len(failed),
            },
            "index": self.index_entry,
            "townships": self.entries,
        }
        write_manifest(self.staging, manifest)
        log.info("用时 %.1f s；%s", manifest["seconds"], manifest["summary"])
        for h in log.handlers:
            h.flush()
        publish_run(self.staging, self.final)
        point_latest(self.out_dir, self.run_name)
        s = manifest["summary"]
        print(
            f"报告已写入 {self.final}：生成 {s['rendered']}，沿用 {s['reused']}，失败 {s['failed']}"
            f"{'，区汇总失败' if index_failed else ''}（{manifest['seconds']:.1f} s）",
            file=sys.stderr,
        )
        for tw in failed:
            err = (self.entries[tw]["error"] or "").strip().splitlines()
            print(f"  失败 {tw}: {err[-1] if err else ''}", file=sys.stderr)
        return 1 if failed or index_failed else 0
