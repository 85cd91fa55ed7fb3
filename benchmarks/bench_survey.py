"""Benchmark: means with SEs of 10 variables over 200 domains, 1,000,000 respondents.

Design: 20 strata, 2,000 PSUs, unequal weights. Times only the estimation in Python and only
the ``svyby(..., svymean)`` call in R (run via Rscript on the same data when available).

    .venv/bin/python benchmarks/bench_survey.py [--n 1000000] [--no-r]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from commeval.survey import SurveyDesign


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, 2000, n)
    df = pd.DataFrame(
        {
            "stratum": psu % 20,
            "psu": psu,
            "w": rng.uniform(50, 150, n),
            "domain": rng.integers(0, 200, n),
        }
    )
    effect = rng.normal(size=2000)[psu]
    for k in range(10):
        df[f"v{k}"] = np.round(3 + effect + rng.normal(size=n), 3)
    return df


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--no-r", action="store_true")
    args = ap.parse_args()
    df = make_data(args.n)
    variables = [f"v{k}" for k in range(10)]
    frame_mb = df.memory_usage(deep=True).sum() / 2**20
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    design.mean(variables[:1], by="domain")  # warm-up (imports, caches)
    tracemalloc.start()
    t0 = time.perf_counter()
    res = design.mean(variables, by="domain")
    py_s = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"rows={len(df):,} strata=20 psus=2000 domains=200 variables=10")
    print(f"python_seconds={py_s:.3f} result_rows={len(res)}")
    print(
        f"input_frame_MB={frame_mb:.1f} peak_alloc_MB={peak / 2**20:.1f} "
        f"ratio={peak / 2**20 / frame_mb:.2f}"
    )
    if args.no_r or shutil.which("Rscript") is None:
        print("R: skipped (Rscript not found)" if not args.no_r else "R: skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.csv")
        df.to_csv(path, index=False)
        script = Path(__file__).with_name("bench_survey.R")
        out = subprocess.run(
            ["Rscript", str(script), path], capture_output=True, text=True, check=False
        )
    m = re.search(r"seconds=([0-9.]+)", out.stdout)
    if not m:
        print("R failed:", out.stderr[-500:])
        return
    r_s = float(m.group(1))
    se_r = float(re.search(r"check_se=([0-9.eE+-]+)", out.stdout).group(1))
    se_py = res[(res.variable == "v0") & (res.domain == 0)].se.iloc[0]
    print(
        f"R_svyby_seconds={r_s:.3f} speedup={r_s / py_s:.1f}x "
        f"se_check(v0, domain 0): R={se_r:.10g} python={se_py:.10g}"
    )


if __name__ == "__main__":
    main()
