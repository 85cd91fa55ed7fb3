"""Returns through ``commeval reports`` (one small run, shared by the module): a district sent
as one file per township (a glob in dataset.yaml) whose second township has a 135-character
name full of characters no file name may hold (/ \\ : * ? " < > |). It validates, its reports
are written under safe page names (cut, plus a short hash) and titled with the full name, and
its processed tables equal those of the same district sent as one file per table."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest
from returns_helpers import files, read

from commeval.cli import main
from commeval.data.ingest import ingest
from commeval.data.processed import load_processed
from commeval.pipeline.plan import MAX_STEM_BYTES, safe_filename
from commeval.project import load_project
from commeval.synthetic import generate_district, write_raw

# both tests read one module-scoped run: kept on one xdist worker (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("returns_reports")

LONG = ('城关/镇\\东:区*问?“号”"<甲>|' * 10)[:135]
TOWNS = ["城关镇", LONG]
KEYS = {
    "townships": ["township"],
    "villages": ["year", "township", "village"],
    "communities": ["year", "township", "community"],
    "survey": ["respondent_id"],
    "population": ["township", "gender", "age_group"],
}


def split(raw: Path) -> None:
    """Villages and survey as one CSV per township (files named by number: the names cannot
    be file names), read through a glob."""
    (raw / "returns").mkdir()
    for table, stem in [("villages", "行政村"), ("survey", "问卷")]:
        df = read(raw, table)
        for i, town in enumerate(TOWNS, start=1):
            part = df[df["乡镇"] == town]
            assert len(part), (table, town)
            part.to_csv(raw / "returns" / f"乡镇{i}_{stem}.csv", index=False, encoding="utf-8-sig")
        (raw / f"{table}.csv").unlink()
        files(raw, table, f"returns/*_{stem}.csv")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("returns_reports")
    tables = generate_district(
        townships=TOWNS, villages_per_township=3, respondents_per_village=5, seed=7
    )
    assert len(LONG) == 135 and all(c in LONG for c in '/\\:*?"<>|')
    one = write_raw(tables, root / "one")
    many = write_raw(tables, root / "proj" / "raw")
    split(many)
    (root / "proj" / "commeval.yaml").write_text(
        "name: 测试\ndataset: raw\nyear: 2012\nreport:\n  mc_draws: 20\n", encoding="utf-8"
    )
    proj = root / "proj"
    assert main(["validate", "--project", str(proj), "--report-dir", str(root / "rep")]) == 0
    rc = main(["reports", "--project", str(proj), "--jobs", "1", "--format", "html",
               "--run-name", "r1"])  # fmt: skip
    ingest(one, root / "one_processed")
    return rc, proj, root


def test_reports_of_a_long_name_are_written_under_a_safe_name(run):
    rc, proj, _ = run
    assert rc == 0
    pages = sorted((proj / "outputs" / "r1" / "townships").glob("*.html"))
    assert len(pages) == 2
    safe = safe_filename(LONG)
    assert {p.stem for p in pages} == {"城关镇", safe}
    assert len(safe.encode("utf-8")) <= MAX_STEM_BYTES
    assert not any(c in safe for c in '/\\:*?"<>|') and safe[-9] == "-"  # cut + short hash
    page = (proj / "outputs" / "r1" / "townships" / f"{safe}.html").read_text(encoding="utf-8")
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert html.escape(LONG, quote=False) in title or html.escape(LONG) in title  # in full
    index = (proj / "outputs" / "r1" / "index.html").read_text(encoding="utf-8")
    assert f"townships/{safe}.html" in index


def test_one_file_per_township_processes_to_the_one_file_tables(run):
    _, proj, root = run
    a, _ = load_processed(root / "one_processed")
    b, meta = load_processed(load_project(proj).processed)
    assert set(a) == set(b)
    for t, key in KEYS.items():
        left = a[t].sort_values(key, kind="stable").reset_index(drop=True)
        right = b[t].sort_values(key, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right)
    sources = pd.DataFrame(meta["sources"])
    assert set(sources.loc[sources["table"] == "survey", "file"]) == {
        "returns/乡镇1_问卷.csv", "returns/乡镇2_问卷.csv"
    }  # fmt: skip
