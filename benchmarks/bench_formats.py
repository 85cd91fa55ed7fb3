"""What Word and PDF add to a batch run, per page: ``commeval reports`` with ``--format html``,
``html,docx`` and ``html,docx,pdf`` on the same generated district.

    .venv/bin/python benchmarks/bench_formats.py [--townships 20] [--jobs 2] [--repeat 1]

One generated district (``--townships``, the sample's shape otherwise) is processed and its
evaluation cached by a first warm-up run (not timed). Then each format set runs from process start
to exit into an output folder of its own (so no page is reused from an earlier run), ``--repeat``
times, in turn; the best time of each counts. The extra time per page of a format is the
difference to the HTML-only run divided by the pages (townships + the summary). Word's share
includes rasterising the charts at 200 dpi (the kernels compose with ``raster=True`` when Word is
asked for); ``benchmarks/bench_renderers.py`` times rasterising and the renderers apart.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SETS = ("html", "html,docx", "html,docx,pdf")


def _run(raw: Path, processed: Path, out: Path, fmt: str, jobs: int) -> float:
    cmd = [str(BIN / "commeval"), "reports", "--data", str(raw), "--processed", str(processed),
           "--out", str(out), "--run-name", "r", "--jobs", str(jobs), "--format", fmt]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--townships", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)

    from commeval.renderers.pdf import pdf_unavailable
    from commeval.synthetic import generate_district, write_raw

    sets = [s for s in SETS if "pdf" not in s or pdf_unavailable() is None]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = [f"第{i + 1:02d}镇" for i in range(args.townships)]
        raw = write_raw(generate_district(townships=names, seed=7), root / "raw" / "bench")
        processed = root / "processed"
        _run(raw, processed, root / "warm", "html", args.jobs)  # ingest + evaluation, cached
        best: dict[str, float] = {}
        for i in range(args.repeat):
            for fmt in sets:
                t = _run(raw, processed, root / f"{fmt.replace(',', '-')}-{i}", fmt, args.jobs)
                best[fmt] = min(best.get(fmt, float("inf")), t)
        pages = args.townships + 1
        html = best["html"]
        result = {
            "townships": args.townships,
            "jobs": args.jobs,
            "pages": pages,
            "seconds": {k: round(v, 2) for k, v in best.items()},
            "extra_per_page": {
                k: round((v - html) / pages, 3) for k, v in best.items() if k != "html"
            },
        }
        if "html,docx,pdf" in best:
            result["pdf_over_docx_per_page"] = round(
                (best["html,docx,pdf"] - best["html,docx"]) / pages, 3
            )
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
