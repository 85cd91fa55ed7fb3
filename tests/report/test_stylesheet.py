"""ONE report stylesheet: in the exported page's <head> exactly once, displayed once by the
report notebooks (and left out of the exported page there), scoped so that in JupyterLab it
styles the report outputs only."""

from __future__ import annotations

import re
from importlib import resources

from IPython.core.formatters import DisplayFormatter
from nbformat.v4 import new_code_cell, new_notebook, new_output

from commeval.report import notebook, render

# a line only the report stylesheet has
MARK = "@page { size: A4; margin: 15mm; }"


def test_one_stylesheet_in_the_package():
    root = resources.files("commeval")
    css = [p for p in (root / "templates").iterdir() if p.name.endswith(".css")]
    assert [p.name for p in css] == ["report.css"]
    assert not (root / "static" / "report.css").is_file()
    assert render.stylesheet_css() == (root / "templates" / "report.css").read_text("utf-8")
    assert render.stylesheet().count(MARK) == 1


def test_every_rule_is_scoped_to_the_report():
    css = re.sub(r"/\*.*?\*/", "", render.stylesheet_css(), flags=re.S)
    rules = re.findall(r"([^{}]+)\{[^{}]*\}", css)
    assert len(rules) > 40
    for selectors in rules:
        if selectors.strip().startswith("@"):  # @page
            continue
        for sel in selectors.split(","):
            assert "commeval-report" in sel, sel.strip()


def _output(obj) -> dict:
    data, md = DisplayFormatter().format(obj)
    return new_output("display_data", data=data, metadata=md)


def _displayed(obj) -> list:
    """What ``display(obj)`` puts in a notebook: one output per display call."""
    shown = []
    orig = notebook.display
    notebook.display = shown.append
    try:
        obj._ipython_display_()
    finally:
        notebook.display = orig
    return [_output(o) for o in shown]


def test_notebook_shows_the_stylesheet_once_and_the_page_has_it_once():
    from commeval.pipeline.export import ReportExporter

    header = notebook.Section("<header><h1>甲镇 2024年度评估</h1></header>", stylesheet=True)
    body = notebook.Section("<section class='report-section'><h2>一、综合评价</h2></section>")
    outs = _displayed(header)
    assert len(outs) == 2
    assert MARK in outs[0]["data"]["text/html"]
    assert outs[0]["metadata"] == {"text/html": notebook.STYLESHEET_METADATA}
    assert MARK not in outs[1]["data"]["text/html"]
    assert _displayed(body)[0]["data"]["text/html"] == body.data
    assert header.data.startswith('<div class="commeval-report">') and MARK not in header.data

    nb = new_notebook(
        cells=[new_code_cell("report.header()", outputs=outs), new_code_cell("x", outputs=[])]
    )
    nb.cells[1].outputs = _displayed(body)
    html = ReportExporter().export(nb, "甲镇").html
    assert html.count(MARK) == 1
    assert html.index(MARK) < html.index("</head>")
    assert html.count("<style") == 2  # the stylesheet and the embedded font
    assert '<body class="commeval-report">' in html
    assert "甲镇 2024年度评估" in html and "一、综合评价" in html


def test_whole_page_without_notebooks_has_the_stylesheet_once(district):
    page = render.render_township_html(district, district.townships[0])
    assert page.count(MARK) == 1
    assert page.index(MARK) < page.index("</head>")
    assert '<body class="commeval-report">' in page
    for part in render.township_sections(district, district.townships[0]):
        assert MARK not in part
