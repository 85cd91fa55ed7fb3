"""End to end: a generated district → `commeval reports` → HTML reports with the library's numbers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run(e2e_run):
    return e2e_run


def test_reports_written_for_every_township(run):
    rc, _, _, out = run
    assert rc == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["townships"]) == {"东镇", "西乡", "南镇"}
    for t, entry in manifest["townships"].items():
        assert entry["status"] == "ok", (t, entry)
        assert (out / entry["html"]).is_file()
        # stderr of the executed notebook (kept out of the page, recorded in the manifest):
        # no matplotlib missing-glyph warning, no other warning either
        assert not any("Glyph" in s or "missing from" in s for s in entry["stderr"]), entry
        assert not any("Warning" in s for s in entry["stderr"]), entry
    assert (out / "index.html").is_file()


def test_report_shows_township_and_library_score(run):
    from commeval.district import load_district

    _, raw, processed, out = run
    d = load_district(raw, processed)
    scores = d.evaluation.scores.set_index("township")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for t in d.townships:
        page = (out / manifest["townships"][t]["html"]).read_text(encoding="utf-8")
        assert f"{t} {d.year}年度农村社区建设评估" in page
        score = f'<div class="kpi-value">{scores.loc[t, "score"]:.1f}</div>'
        assert score in page
        assert '<html lang="zh">' in page
        for bad in ("Traceback", "Error", "Warning", "missing from font", "findfont"):
            assert bad not in page, (t, bad)
        assert not re.search(r"<(pre|code)[^>]*>\s*(import|from|report\.)", page)
        assert "示例数据" in page


def test_index_links_every_report(run):
    _, _, _, out = run
    index = (out / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["townships"].values():
        href = entry["html"]
        assert f'href="{href}"' in index or f'href="{Path(href).as_posix()}"' in index


def test_standalone_papermill_cli(run, tmp_path):
    _, raw, processed, _ = run
    out_nb = tmp_path / "out.ipynb"
    cmd = [
        str(Path(sys.executable).with_name("papermill")),
        str(ROOT / "src" / "commeval" / "notebooks" / "township_report.ipynb"), str(out_nb),
        "-p", "township", "西乡", "-p", "data_dir", str(raw), "-p", "processed_dir", str(processed),
    ]  # fmt: skip
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}  # no shared history db
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    import nbformat

    nb = nbformat.read(out_nb, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "西乡" in html and "综合评价" in html
