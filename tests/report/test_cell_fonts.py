"""Report cells carry the CJK font subset the exported pages embed (issue 16)."""

from __future__ import annotations

import re

from IPython.core.formatters import DisplayFormatter
from nbformat.v4 import new_code_cell, new_notebook, new_output

from commeval import fonts
from commeval.report import notebook

FACE = re.compile(r"@font-face\{[^}]*src:url\(data:font/woff;base64,[A-Za-z0-9+/=]+\)[^}]*\}")


def _displayed(obj) -> list:
    """What ``display(obj)`` puts in a notebook: one output per display call."""
    shown = []
    orig = notebook.display
    notebook.display = shown.append
    try:
        obj._ipython_display_()
    finally:
        notebook.display = orig
    out = []
    for o in shown:
        data, md = DisplayFormatter().format(o)
        out.append(new_output("display_data", data=data, metadata=md))
    return out


def test_a_section_carries_a_data_font_for_its_own_glyphs():
    rare = "嵖岈山村"  # a village name: not in the report's fixed wording
    assert set(rare) - set(fonts.template_chars())
    section = notebook.Section(f"<section><h2>一、概况</h2><p>{rare}</p></section>")
    assert section.data.startswith('<div class="commeval-report"><style>')
    faces = FACE.findall(section.data)
    assert len(faces) == 1
    assert "U+5D56" in faces[0]  # 嵖: the range names the section's own characters
    # the font stack is scoped to the report's wrapper: no body rule leaks into JupyterLab
    css = "".join(re.findall(r"<style>(.*?)</style>", section.data, re.S))
    assert "body" not in css
    rules = re.sub(r"/\*.*?\*/", "", FACE.sub("", css))
    assert "font-family" in rules
    for rule in re.findall(r"([^{}]+)\{font-family", rules):
        assert all("commeval-report" in sel for sel in rule.split(",")), rule


def test_the_first_section_shows_the_fixed_wordings_font_with_the_stylesheet():
    header = notebook.Section("<header><h1>综合评价</h1></header>", stylesheet=True)
    sheet = _displayed(header)[0]["data"]["text/html"]
    assert len(FACE.findall(sheet)) == 1
    assert "unicode-range:" in sheet and "body" not in sheet.split("</style>", 1)[1]
    # a section of only fixed wording needs no font of its own
    assert "@font-face" not in notebook.Section("<p>综合评价</p>").data


def test_the_exported_page_keeps_one_font_for_the_whole_page():
    from commeval.pipeline.export import ReportExporter

    header = notebook.Section("<header><h1>嵖岈山镇</h1></header>", stylesheet=True)
    nb = new_notebook(cells=[new_code_cell("report.header()", outputs=_displayed(header))])
    html = ReportExporter().export(nb, "嵖岈山镇").html
    assert "commeval-cjk-cell-font" not in html
    assert html.count("@font-face") == 2  # the shared fixed-wording font and the page's own
    assert "嵖岈山镇" in html
