"""Benchmark: validate and process 1,000,000 survey rows from a GBK CSV.

    .venv/bin/python benchmarks/bench_ingest.py [--rows 1000000] [--keep DIR]

Generates a synthetic district (100 townships × 50 villages × 100 respondents × 2 years =
1,000,000 survey rows) with ``commeval.synthetic``, writes the survey as a GBK CSV (the other
tables as UTF-8 with BOM), then runs ``ingest`` in a fresh subprocess and reports wall time and
the subprocess' peak resident memory (ru_maxrss). Targets: < 30 s, < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

TARGET_SECONDS = 30.0
TARGET_BYTES = 4 * 1024**3

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from commeval.data.ingest import ingest
t1 = time.perf_counter()
r = ingest(sys.argv[1], sys.argv[2], salt_path=sys.argv[3])
t2 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0, "ingest_s": t2 - t1, "rows": len(r.tables["survey"]),
    "errors": int((r.problems["severity"] == "error").sum()),
    "warnings": int((r.problems["severity"] == "warning").sum()),
    "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
"""


def make_dataset(root: Path, rows: int) -> Path:
    from commeval.synthetic import generate_district, to_raw_frame, write_raw

    per_village = 100
    villages = 50
    towns = max(1, rows // (2 * villages * per_village))
    tables = generate_district(
        townships=towns,
        villages_per_township=villages,
        respondents_per_village=per_village,
        years=(2011, 2012),
        sampled_villages=None,
        seed=1,
    )
    raw = write_raw(tables, root / "raw")
    survey = to_raw_frame("survey", tables["survey"])
    survey.to_csv(raw / "survey.csv", index=False, encoding="gbk", lineterminator="\n")
    meta = yaml.safe_load((raw / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"]["survey"]["encoding"] = "gbk"
    (raw / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated data here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        t0 = time.perf_counter()
        raw = make_dataset(root, args.rows)
        gen_s = time.perf_counter() - t0
        size = (raw / "survey.csv").stat().st_size
        env = {**os.environ}
        cmd = [sys.executable, "-c", CHILD, str(raw), str(root / "processed"), str(root / "salt")]
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if res.returncode != 0:
            print(res.stderr, file=sys.stderr)
            return 1
        m = json.loads(res.stdout.strip().splitlines()[-1])
        ok = m["ingest_s"] < TARGET_SECONDS and m["maxrss_bytes"] < TARGET_BYTES
        print(
            f"survey rows: {m['rows']:,}  GBK CSV: {size / 1e6:.0f} MB  (generated in {gen_s:.1f} s)\n"
            f"ingest (validate + process + write): {m['ingest_s']:.1f} s  "
            f"(+ import {m['import_s']:.1f} s)\n"
            f"peak memory (ru_maxrss): {m['maxrss_bytes'] / 1024**3:.2f} GB\n"
            f"errors: {m['errors']}  warnings: {m['warnings']}\n"
            f"{'PASS' if ok else 'FAIL'} (targets: < {TARGET_SECONDS:.0f} s, < 4 GB)"
        )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
