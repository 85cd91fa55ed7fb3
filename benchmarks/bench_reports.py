"""Report runs: naive papermill + nbconvert CLI loop vs ``commeval reports`` vs the in-process floor.

    .venv/bin/python benchmarks/bench_reports.py [--townships 20] [--jobs 2] [--skip-baseline]

All three start from the same processed data of a generated sample district:

* baseline — per township, as subprocesses: ``papermill`` (fresh kernel) then
  ``jupyter nbconvert --to html --no-input``; then the summary notebook the same way;
* contender — ``commeval reports --jobs N`` (warm kernels), then an unchanged re-run;
* floor — one warm Python process calling the same ``commeval.report`` functions the notebooks
  call (district loaded once), no notebooks, no kernels, no export.

Peak memory is the largest RSS sum of the run's process tree (parent, workers, kernels), sampled.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOWNSHIP_NB = REPO / "notebooks" / "township_report.ipynb"
SUMMARY_NB = REPO / "notebooks" / "district_summary.ipynb"


class PeakRSS:
    """Sample the RSS sum of a process tree every 0.2 s."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs if p.is_running())
                self.peak = max(self.peak, rss)
            except psutil.Error:
                pass
            self._stop.wait(0.2)

    def stop(self) -> int:
        self._stop.set()
        self._t.join()
        return self.peak


def timed(cmd: list[str], **kw) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS bytes) of a command."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    mem = PeakRSS(p.pid)
    _, err = p.communicate()
    peak = mem.stop()
    if p.returncode not in (0, 1):
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
    return time.perf_counter() - t0, p.returncode, peak


def townships_of(raw: Path) -> list[str]:
    import pandas as pd

    for name in ("townships.csv", "townships.xlsx"):
        f = raw / name
        if f.exists():
            df = pd.read_csv(f) if f.suffix == ".csv" else pd.read_excel(f)
            return [str(t) for t in df.iloc[:, 0]]
    from commeval.report.context import load_district

    return load_district(raw).townships


def baseline(raw: Path, processed: Path, out: Path, townships: list[str]) -> float:
    t0 = time.perf_counter()
    out.mkdir(parents=True)
    for tw in townships:
        nb = out / f"{tw}.ipynb"
        subprocess.run(
            [str(BIN / "papermill"), str(TOWNSHIP_NB), str(nb), "--no-progress-bar",
             "-p", "township", tw, "-p", "data_dir", str(raw),
             "-p", "processed_dir", str(processed), "-p", "output_dir", str(out)],
            cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
            cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
    nb = out / "index.ipynb"
    subprocess.run(
        [str(BIN / "papermill"), str(SUMMARY_NB), str(nb), "--no-progress-bar",
         "-p", "data_dir", str(raw), "-p", "processed_dir", str(processed),
         "-p", "output_dir", str(out)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - t0


FLOOR = """
import sys, time
t0 = time.perf_counter()
from commeval.report import render
from commeval.report.context import load_district
from commeval.report.district import district_html
from commeval.report import township as T
import matplotlib.pyplot as plt
d = load_district(sys.argv[1], sys.argv[2])
n = 0
for tw in d.townships:
    sat = T.satisfaction(d, tw)
    parts = [render.header_html(d, tw), render.overview_html(d, tw), render.indicators_html(d, tw),
             render.villages_html(d, tw), render.communities_html(d, tw),
             render.satisfaction_html(d, tw, sat), render.problems_html(d, tw, sat),
             render.provenance_html(d, tw)]
    n += sum(map(len, parts))
    plt.close("all")
n += sum(map(len, district_html(d, None)))
print(time.perf_counter() - t0, n)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--townships", type=int, default=20)
    ap.add_argument("--villages-per-township", type=int, default=None)
    ap.add_argument("--respondents-per-village", type=int, default=None)
    ap.add_argument("--sampled-villages", type=int, default=None)
    ap.add_argument("--years", default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--skip-floor", action="store_true")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    raw, processed, out = work / "raw", work / "processed", work / "out"
    commeval = str(BIN / "commeval")
    gen = [commeval, "sample-data", "--townships", str(args.townships), "--out", str(raw)]
    for opt in ("villages_per_township", "respondents_per_village", "sampled_villages", "years"):
        if getattr(args, opt) is not None:
            gen += [f"--{opt.replace('_', '-')}", str(getattr(args, opt))]
    t0 = time.perf_counter()
    subprocess.run(gen, cwd=REPO, check=True, capture_output=True)
    subprocess.run(
        [commeval, "process", "--data", str(raw), "--processed", str(processed)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    results: dict[str, object] = {"townships": args.townships, "jobs": args.jobs,
                                  "prepare_s": round(time.perf_counter() - t0, 2)}  # fmt: skip
    print(f"data in {work} ({results['prepare_s']} s)", flush=True)

    run = [commeval, "reports", "--data", str(raw), "--processed", str(processed),
           "--out", str(out), "--jobs", str(args.jobs)]  # fmt: skip
    s, code, peak = timed([*run, "--run-name", "first"])
    results.update(contender_s=round(s, 2), contender_exit=code, contender_peak_mb=peak >> 20)
    print(f"commeval reports --jobs {args.jobs}: {s:.1f} s (exit {code}, peak {peak >> 20} MB)")
    s, code, _ = timed([*run, "--run-name", "second"])
    results.update(rerun_s=round(s, 2), rerun_exit=code)
    print(f"unchanged re-run: {s:.2f} s (exit {code})", flush=True)
    pages = sorted((out / "first" / "townships").glob("*.html"))
    if pages:
        sizes = [p.stat().st_size for p in pages]
        results.update(max_page_kb=max(sizes) >> 10, mean_page_kb=(sum(sizes) // len(sizes)) >> 10)

    if not args.skip_floor:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", FLOOR, str(raw), str(processed)],
            cwd=REPO, check=True, capture_output=True, text=True,
        )  # fmt: skip
        results["floor_s"] = round(time.perf_counter() - t0, 2)  # wall, including imports
        print(f"floor (one process, no notebooks): {results['floor_s']} s", flush=True)
    if not args.skip_baseline:
        townships = json.loads((out / "first" / "manifest.json").read_text())["townships"]
        s = baseline(raw, processed, work / "baseline", list(townships))
        results["baseline_s"] = round(s, 2)
        print(f"naive papermill + nbconvert CLI loop: {s:.1f} s", flush=True)
    if "baseline_s" in results:
        results["speedup_vs_baseline"] = round(results["baseline_s"] / results["contender_s"], 1)
    if "floor_s" in results:
        results["ratio_to_floor"] = round(results["contender_s"] / results["floor_s"], 2)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
