"""``commeval reports``: validate → process → render every township → index → manifest → publish.

Exit codes: 0 all reports ok, 1 some failed, 2 invalid input or usage (or the output folder is
locked by another run).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from commeval import __version__
from commeval.pipeline.manifest import write_manifest
from commeval.pipeline.publish import point_latest, publish_run, write_atomic
from commeval.pipeline.worker import Renderer, Result, Task

log = logging.getLogger("commeval.pipeline")

INDEX_KEY = "__index__"
REPO_ROOT = Path(__file__).resolve().parents[3]


def default_notebook(name: str) -> Path:
    """``notebooks/<name>`` of the working directory, else of the source checkout."""
    here = Path("notebooks") / name
    return here if here.exists() else REPO_ROOT / "notebooks" / name


def safe_filename(name: str) -> str:
    """A township name as a file name (keeps Chinese, replaces path separators and controls)."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" .")
    return cleaned or "_"


def township_href(township: str) -> str:
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
    """Render the township reports and the district index into ``out_dir/<run_name>``."""
    from commeval.data.ingest import IngestError
    from commeval.report.context import load_district

    started = time.time()
    out_dir = Path(out_dir)
    data_dir = Path(data_dir).resolve()
    processed_dir = Path(processed_dir).resolve() if processed_dir else None
    tw_nb = Path(township_notebook or default_notebook("township_report.ipynb")).resolve()
    sum_nb = Path(summary_notebook or default_notebook("district_summary.ipynb")).resolve()
    for nb in (tw_nb, sum_nb):
        if not nb.exists():
            print(f"找不到报告模板 notebook (notebook not found): {nb}")
            return 2
    run_name = run_name or datetime.now().strftime("%Y%m%d-%H%M%S")
    if not re.fullmatch(r"[\w.-]+", run_name) or run_name in {"latest", ".", ".."}:
        print(f"运行名称无效 (invalid run name): {run_name!r}")
        return 2

    try:
        district = load_district(data_dir, processed_dir, year)
    except IngestError as exc:
        print(f"数据有错误，未生成报告 (invalid input): {exc}")
        return 2
    except (ValueError, FileNotFoundError) as exc:
        print(f"输入无效 (invalid input): {exc}")
        return 2
    selected = list(townships) if townships else district.townships
    unknown = [t for t in selected if t not in district.townships]
    if unknown:
        print(f"数据中没有这些乡镇 (unknown townships): {', '.join(unknown)}")
        return 2

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f"{run_name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "townships").mkdir(parents=True)
    final = out_dir / run_name

    def params(tw: str) -> dict[str, Any]:
        from commeval.pipeline.parameters import township_parameters

        return township_parameters(tw, district.year, data_dir, processed_dir, staging)

    tasks = [
        Task(
            tw, str(tw_nb), params(tw), f"{district.name} {tw} {district.year} 年评估报告", timeout
        )
        for tw in selected
    ]
    results: dict[str, Result] = {}
    renderer = Renderer(cwd=os.getcwd())
    try:
        for task in tasks:
            res = renderer.render(task)
            if res.status != "ok":
                task.attempt = 2
                res = renderer.render(task)
            results[task.key] = res
            _store(staging, res)
            print(f"{task.key}: {res.status} ({res.seconds:.1f} s)")

        reports = [
            {
                "township": tw,
                "status": results[tw].status,
                "href": township_href(tw) if results[tw].status != "failed" else None,
                "error": results[tw].error,
            }
            for tw in selected
        ]
        from commeval.pipeline.parameters import summary_parameters

        idx = Task(
            INDEX_KEY,
            str(sum_nb),
            summary_parameters(district.year, data_dir, processed_dir, staging, reports),
            f"{district.name} {district.year} 年农村社区建设评估",
            timeout,
        )
        index_res = renderer.render(idx)
        if index_res.status == "ok":
            write_atomic(staging / "index.html", index_res.html or "")
    finally:
        renderer.close()

    manifest = {
        "run": run_name,
        "commeval_version": __version__,
        "district": district.name,
        "year": district.year,
        "started": datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 3),
        "index": {"status": index_res.status, "error": index_res.error},
        "townships": {
            tw: {
                "status": results[tw].status,
                "html": township_href(tw) if results[tw].status != "failed" else None,
                "seconds": results[tw].seconds,
                "input_hash": district.input_hash(tw),
                "error": results[tw].error,
                "stderr": results[tw].stderr,
            }
            for tw in selected
        },
    }
    write_manifest(staging, manifest)
    publish_run(staging, final)
    point_latest(out_dir, run_name)
    failed = [tw for tw in selected if results[tw].status == "failed"]
    ok = index_res.status == "ok" and not failed
    print(f"报告已写入 {final}（{len(selected) - len(failed)} 份成功，{len(failed)} 份失败）")
    return 0 if ok else 1


def _store(staging: Path, res: Result) -> None:
    if res.status == "ok" and res.html is not None:
        write_atomic(staging / township_href(res.key), res.html)
