"""Report runs: naive papermill + nbconvert CLI loop vs ``commeval reports`` vs the in-process floor.

    .venv/bin/python benchmarks/bench_reports.py [--townships 20] [--jobs 2] [--skip-baseline]

All three start from the same freshly processed Parquet of a generated sample district, with no
cached index evaluation (each pays the Monte Carlo evaluation once), and produce the same content:

* baseline — per township, as subprocesses: ``papermill`` (fresh kernel: imports, district load
  and evaluation, report) then ``jupyter nbconvert --to html --no-input`` (plain lab template,
  no embedded font); then the summary notebook the same way;
* contender — ``commeval reports --jobs N`` (Python start, lock, plan, warm kernels, nbconvert
  export with the embedded CJK font subset, atomic writes, index, manifest, publish), timed
  from process start to exit; then an unchanged re-run;
* floor — one Python process, serial: imports, ``load_district`` (evaluation included, on its
  own copy of the processed tables), then per township the calls the notebook makes
  (``township_report(...)`` and its eight sections) + ``embed_cjk_font`` of the page, then the
  index sections (with the run's report links) + ``embed_cjk_font``. No notebooks, kernels,
  nbconvert or file writes. The benchmark checks that every fragment the floor computes for the
  first three townships and the index is verbatim on the contender's pages
  (``floor_same_content``).

Peak memory is the largest RSS sum of the run's process tree (parent, workers, kernels), sampled.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from commeval.paths import report_notebook
from commeval.pipeline.run import township_href

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOWNSHIP_NB = report_notebook("township_report")
SUMMARY_NB = report_notebook("district_summary")


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
    from commeval.district import load_district

    return load_district(raw).townships


def baseline(raw: Path, processed: Path, out: Path, townships: list[str]) -> float:
    t0 = time.perf_counter()
    out.mkdir(parents=True)
    for tw in townships:
        nb = out / f"{tw}.ipynb"
        subprocess.run(
            [str(BIN / "papermill"), str(TOWNSHIP_NB), str(nb), "--no-progress-bar",
             "-p", "township", tw, "-p", "data_dir", str(raw),
             "-p", "processed_dir", str(processed)],
            cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
            cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
    nb = out / "index.ipynb"
    subprocess.run(
        [str(BIN / "papermill"), str(SUMMARY_NB), str(nb), "--no-progress-bar",
         "-p", "data_dir", str(raw), "-p", "processed_dir", str(processed)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - t0


FLOOR = """
import json, sys, time
t0 = time.perf_counter()
import matplotlib.pyplot as plt
from commeval.pipeline.run import township_href
from commeval.district import load_district
from commeval.fonts import embed_cjk_font
from commeval.report.notebook import district_summary, township_report
try:  # what the exporter does to every section before embedding the font
    from commeval.display import strip_untrusted_fallbacks as page_html
except ImportError:  # commits before the untrusted-notebook fallbacks (A/B runs)
    page_html = str
raw, processed, dump = sys.argv[1:4]
d = load_district(raw, processed)  # cold: its own processed copy, no cached evaluation
kept, size = {}, 0
for tw in d.townships:  # what each township page shows: the notebook's calls, then the font
    r = township_report(raw, tw, year=d.year, processed_dir=processed)
    parts = [r.header(), r.overview(), r.indicators(), r.villages(), r.communities(),
             r.satisfaction(), r.problems(), r.provenance()]
    frags = [page_html(p.data) for p in parts]
    page = embed_cjk_font("<html><head></head><body>" + "".join(frags) + "</body></html>")
    size += len(page)
    plt.close("all")
    if len(kept) < 3:
        kept[tw] = frags
reports = [{"township": tw, "status": "ok", "href": township_href(tw), "error": None}
           for tw in d.townships]
frags = [page_html(h.data) for h in district_summary(raw, d.year, processed, reports)]
size += len(embed_cjk_font("<html><head></head><body>" + "".join(frags) + "</body></html>"))
kept["__index__"] = frags
plt.close("all")
with open(dump, "w", encoding="utf-8") as fh:
    json.dump(kept, fh, ensure_ascii=False)
print(time.perf_counter() - t0, size)
"""


RUN_TIME = re.compile(r"生成时间[:：][^<\n]*")
#: The index's Excel download is a zip with its write time inside: masked like the run time.
XLSX = re.compile(r"(data:application/vnd\.openxmlformats[^;]*;base64,)[A-Za-z0-9+/=]+")


#: A notebook output's own glyphs for JupyterLab; the exported page embeds one font instead.
CELL_FONT = re.compile(r"<style>/\* commeval-cjk-cell-font \*/.*?</style>", re.S)


WRAPPER = re.compile(r'^<div class="commeval-report">(.*)</div>$', re.S)


def masked(html: str) -> str:
    return XLSX.sub(r"\1…", RUN_TIME.sub("", CELL_FONT.sub("", html)))


def same_content(kept: dict[str, list[str]], run: Path) -> bool:
    """Every HTML fragment the floor computed (first townships and the index) is on the
    contender's exported page, verbatim (run time and Excel zip masked): the same work."""
    for tw, frags in kept.items():
        page = run / ("index.html" if tw == "__index__" else township_href(tw))
        html = masked(page.read_text(encoding="utf-8"))
        # a fragment's notebook wrapper is not on the page rendered from the document
        inner = [WRAPPER.sub(r"\1", masked(f).strip()) for f in frags]
        missing = [f[:80] for f in inner if f not in html]
        if missing:
            print(f"floor differs from {page.name}: {missing}", file=sys.stderr)
            return False
    return True


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
        # the floor gets its own copy of the processed tables without the cached evaluation,
        # so it pays the index evaluation as the contender's first run did
        floor_processed = work / "processed-floor"
        shutil.rmtree(floor_processed, ignore_errors=True)
        shutil.copytree(processed, floor_processed, ignore=shutil.ignore_patterns("evaluation"))
        dump = work / "floor-fragments.json"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", FLOOR, str(raw), str(floor_processed), str(dump)],
            cwd=REPO, check=True, capture_output=True, text=True,
            env={**os.environ, "COMMEVAL_OUTPUT": "pages"},  # as a batch run's kernels
        )  # fmt: skip
        results["floor_s"] = round(time.perf_counter() - t0, 2)  # wall, including imports
        results["floor_same_content"] = same_content(json.loads(dump.read_text()), out / "first")
        print(
            f"floor (one process, no notebooks): {results['floor_s']} s; "
            f"same content as the pages: {results['floor_same_content']}",
            flush=True,
        )
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
