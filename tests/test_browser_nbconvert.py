"""An executed township report notebook exported with plain ``jupyter nbconvert --to html``
(JupyterLab's own template, not commeval's exporter) — what a colleague sees when a saved
notebook is shared — still shows its SVG charts in Chromium, and the report's styles stay in
the report's outputs: the page body and a heading outside the report look as on a page
without the report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook
from test_browser import ARGS, CHROMIUM, _require_browser

pytestmark = [pytest.mark.slow, pytest.mark.browser]
REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = REPO / "src" / "commeval" / "notebooks" / "township_report.ipynb"
OUTSIDE = "## 别的笔记本的标题\n\n报告以外的文字。"

PROBE = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  const h2 = [...document.querySelectorAll('h2')].find(h => h.textContent.includes('别的笔记本'));
  const s = h2 ? getComputedStyle(h2) : null;
  return {
    body: box(document.body),
    bodyStyle: ['maxWidth', 'marginLeft', 'fontSize', 'color']
      .map(k => getComputedStyle(document.body)[k]),
    heading: s && [s.color, s.backgroundColor, s.borderLeftWidth, s.fontSize, s.paddingLeft],
    charts: [...document.querySelectorAll('svg.chart')].map(svg => {
      const [w, h] = box(svg), st = getComputedStyle(svg);
      return {w, h, display: st.display, visibility: st.visibility,
              texts: svg.querySelectorAll('text').length,
              drawn: svg.querySelectorAll('rect, path, line, circle, polyline').length};
    }),
  };
}"""


def export(nb: nbformat.NotebookNode, path: Path) -> Path:
    nbformat.write(nb, path)
    subprocess.run(
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", str(path)],
        check=True, capture_output=True, cwd=path.parent,
    )  # fmt: skip
    return path.with_suffix(".html")


def probe(page: Path) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
        tab = ctx.new_page()
        tab.goto(page.resolve().as_uri())
        tab.wait_for_load_state("load")
        seen = tab.evaluate(PROBE)
        browser.close()
    return seen


def test_saved_executed_report_shows_charts_and_keeps_styles_in_place(tmp_path):
    _require_browser()
    executed = tmp_path / "report.ipynb"
    subprocess.run(
        [str(BIN / "papermill"), str(NOTEBOOK), str(executed), "--no-progress-bar",
         "-p", "processed_dir", str(tmp_path / "processed")],
        check=True, capture_output=True, cwd=REPO,
    )  # fmt: skip
    nb = nbformat.read(executed, as_version=4)
    nb.cells.append(new_markdown_cell(OUTSIDE))  # text of the page outside the report
    report = probe(export(nb, tmp_path / "report_page.ipynb"))
    empty = probe(export(new_notebook(cells=[new_markdown_cell(OUTSIDE)]), tmp_path / "e.ipynb"))

    assert report["body"][0] == empty["body"][0]  # no body{max-width} leaking
    assert report["bodyStyle"] == empty["bodyStyle"]
    assert report["heading"] is not None and report["heading"] == empty["heading"]
    charts = report["charts"]
    assert len(charts) >= 2
    for c in charts:  # drawn as SVG at a real size, not collapsed into a run of text
        assert c["display"] != "none" and c["visibility"] == "visible", c
        assert c["w"] > 200 and c["h"] > 100 and c["drawn"] > 3 and c["texts"] > 3, c
