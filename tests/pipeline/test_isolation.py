"""Isolation proof: a report rendered in a warm kernel after others is identical to the same
report rendered alone by the plain papermill CLI in a fresh kernel (run time line masked)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from commeval.paths import report_notebook
from commeval.pipeline.export import ReportExporter, notebook_document, render_document
from commeval.pipeline.parameters import inject, read_notebook
from commeval.pipeline.tasks import Task
from commeval.pipeline.worker import Renderer

from .conftest import TOWNSHIP_NB

#: The notebook-visible run time is one line; mask it before comparing.
RUN_TIME = re.compile(r"生成时间[:：][^<\n]*")
REPO = Path(__file__).resolve().parents[2]


def masked(html: str) -> str:
    return RUN_TIME.sub("生成时间：<masked>", html)


def papermill_alone(nb_path: Path, params: dict, tmp_path: Path, title: str) -> str:
    out = tmp_path / f"{params['township']}.ipynb"
    cmd = [sys.executable, "-m", "papermill", str(nb_path), str(out), "--no-progress-bar"]
    for k, v in params.items():
        cmd += ["-p", k, str(v)]
    # a private IPython dir: parallel test kernels must not share one history database
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO, env=env)
    nb = nbformat.read(out, as_version=4)
    doc = notebook_document(nb)  # a report notebook's document renders as the worker renders it
    return ReportExporter().export(nb, title).html if doc is None else render_document(doc)[0]


def warm_renders(
    nb_path: Path, param_list: list[dict], warmups: tuple[str, ...] = ()
) -> dict[str, str]:
    r = Renderer(cwd=str(REPO))
    try:
        if warmups:
            r.start(warmups)
        pages = {}
        for p in param_list:
            res = r.render(Task(p["township"], str(nb_path), p, f"{p['township']} 报告", 120))
            assert res.status == "ok", res.error
            pages[p["township"]] = res.html
        assert r.kernel.stats.started == 1  # one warm kernel for all of them
        return pages
    finally:
        r.close()


def test_warm_report_equals_fresh_papermill_report(tmp_path):
    towns = ["甲镇", "乙镇", "丙乡"]  # different data (seeded by the name)
    params = [{"township": t, "year": 2012} for t in towns]
    warm = warm_renders(TOWNSHIP_NB, params)
    assert len({masked(h) for h in warm.values()}) == 3
    last = params[-1]
    alone = papermill_alone(TOWNSHIP_NB, last, tmp_path, f"{last['township']} 报告")
    # no namespace, figure, rcParams or warning-registry state leaked from the earlier reports
    assert "上一份报告的变量可见：False" in warm[last["township"]]
    assert masked(warm[last["township"]]) == masked(alone)


def test_warmed_kernel_report_equals_fresh_papermill_report(tmp_path):
    """Hidden warm-up code before the first report (imports, a name, a style and a warning
    filter, as a district warm-up could leave) reaches no report."""
    warm = (
        "import warnings, matplotlib.pyplot as plt, pandas\n"
        "leaked = 'warm-up'\n"
        "plt.rcParams['lines.linewidth'] = 9.0\n"
        "warnings.simplefilter('ignore')\n",
    )
    params = [{"township": t, "year": 2012} for t in ("甲镇", "丙乡")]
    pages = warm_renders(TOWNSHIP_NB, params, warm)
    for p in params:
        alone = papermill_alone(TOWNSHIP_NB, p, tmp_path, f"{p['township']} 报告")
        assert "上一份报告的变量可见：False" in pages[p["township"]]
        assert masked(pages[p["township"]]) == masked(alone)


def test_injection_does_not_touch_the_source_notebook():
    nb = read_notebook(TOWNSHIP_NB)
    before = nbformat.writes(nb)
    inject(nb, {"township": "乙镇"})
    assert nbformat.writes(nb) == before


@pytest.mark.slow
def test_real_township_report_isolated(tmp_path):
    """The same proof on the packaged township_report.ipynb with two sample townships."""
    nb_path = report_notebook("township_report")
    data = REPO / "data" / "raw" / "sample_district"
    if not nb_path.exists() or not data.exists():
        pytest.skip("the township report notebook or the sample district is missing")
    base = {"year": None, "data_dir": str(data), "processed_dir": str(tmp_path / "processed")}
    params = [{**base, "township": t} for t in ("城关镇", "裴城镇")]
    warm = warm_renders(nb_path, params)
    alone = papermill_alone(nb_path, params[-1], tmp_path, "裴城镇 报告")
    assert masked(warm["裴城镇"]) == masked(alone)
    assert len(warm["裴城镇"].encode()) < 1_500_000
