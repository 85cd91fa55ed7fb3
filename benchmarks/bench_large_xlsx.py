"""Benchmark: read a large survey export (.xlsx, 200,000 rows) and report wall time and peak
memory — the streamed read (openpyxl read-only, above ``readers.STREAM_XLSX_BYTES``) against
the whole-workbook read (openpyxl's object model, what every .xlsx got before).

    .venv/bin/python benchmarks/bench_large_xlsx.py [--rows 200000] [--whole] [--keep DIR]

The workbook (the bad-input base dataset's survey rows repeated, each with its own 问卷编号; one
sheet, header in row 1) is written with openpyxl's write-only mode (not timed). Each read runs in
a fresh subprocess: ``read_xlsx`` of the file's bytes, then its peak resident memory
(``ru_maxrss``); the streamed read is forced whatever the size, ``--whole`` also times the
whole-workbook read (``STREAM_XLSX_BYTES`` raised above the file) — it takes several GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import commeval.data.readers as R
R.STREAM_XLSX_BYTES = 1 << 40 if sys.argv[2] == "whole" else -1
data = open(sys.argv[1], "rb").read()
t = time.perf_counter()
r = R.read_xlsx(data, "survey.xlsx")
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(r.data),
                  "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def write_survey(path: Path, rows: int) -> None:
    import openpyxl
    import pandas as pd

    sys.path.insert(0, str(ROOT / "tests" / "bad_inputs"))
    from bad_input_cases import base_dataset
    from returns_helpers import num

    raw = base_dataset(path.parent / "raw")
    s = pd.read_csv(raw / "survey.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("问卷")
    ws.append(list(s.columns))
    base = [[num(v) for v in r] for r in s.itertuples(index=False)]
    idc = list(s.columns).index("问卷编号")
    for i in range(rows):
        r = list(base[i % len(base)])
        r[idc] = f"R{i:07d}"
        ws.append(r)
    wb.save(path)


def read(path: Path, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--whole", action="store_true", help="also the whole-workbook read")
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"survey_{args.rows}.xlsx"
        if not path.exists():
            t = time.perf_counter()
            write_survey(path, args.rows)
            print(f"written {path.name}: {path.stat().st_size / 2**20:.1f} MB "
                  f"in {time.perf_counter() - t:.0f} s (not timed)")  # fmt: skip
        for mode in ("streamed", "whole") if args.whole else ("streamed",):
            r = read(path, mode)
            print(f"{mode:>8}: {r['rows']} rows, {r['seconds']:.1f} s, "
                  f"peak {r['maxrss_bytes'] / 2**30:.2f} GB")  # fmt: skip


if __name__ == "__main__":
    main()
