"""HTML export: self-contained, no code, no stderr, no parameters, phone and A4 friendly."""

from __future__ import annotations

import re

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from commeval.pipeline.export import ReportExporter, clean_notebook, notebook_errors

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def executed_notebook():
    params = new_code_cell('township = "默认镇"', metadata={"tags": ["parameters"]})
    injected = new_code_cell('township = "甲镇"', metadata={"tags": ["injected-parameters"]})
    code = new_code_cell(
        "import secret_code_marker\nshow()",
        outputs=[
            new_output("display_data", data={"text/html": "<h2>甲镇评估</h2>"}),
            new_output("stream", name="stderr", text="UserWarning: noisy\n"),
            new_output("stream", name="stdout", text="标准输出\n"),
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        ],
        execution_count=3,
    )
    return new_notebook(cells=[params, injected, new_markdown_cell("# 标题"), code])


def test_page_is_self_contained_and_clean():
    nb = executed_notebook()
    out = ReportExporter().export(nb, "甲镇 报告")
    html = out.html
    assert '<html lang="zh">' in html
    assert re.search(r'<meta [^>]*name="viewport"', html)
    assert "甲镇 报告</title>" in html
    assert "<script" not in html  # no require.js, MathJax, mermaid, widgets
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from another host
    assert "@page { size: A4; margin: 15mm; }" in html
    assert "break-inside: avoid" in html
    assert "data:image/png;base64," in html  # images inline
    assert "secret_code_marker" not in html  # no code
    assert "默认镇" not in html and 'township = "甲镇"' not in html  # no parameter cells
    assert "In&nbsp;[" not in html and "Out[" not in html  # no prompts
    assert "noisy" not in html  # stderr stripped from the page ...
    assert out.stderr == ["UserWarning: noisy\n"]  # ... and returned for the manifest
    assert "标准输出" in html and "甲镇评估" in html
    assert out.errors == []
    # the embedded CJK font subset (the page's glyphs) aside, a small stylesheet, not
    # JupyterLab's 300 KB
    assert "/* commeval-cjk-font */" in html
    without_font = re.sub(r"<style>/\* commeval-cjk-font \*/.*?</style>", "", html, flags=re.S)
    assert len(without_font) < 40_000


def test_error_outputs_are_reported():
    nb = executed_notebook()
    nb.cells[-1].outputs.append(new_output("error", ename="KeyError", evalue="'x'", traceback=[]))
    assert notebook_errors(nb) == ["KeyError: 'x'"]
    clean, _ = clean_notebook(nb)
    assert len(clean.cells) == 2 and len(nb.cells) == 4  # the input is not modified


def test_page_exporter_matches_nbconvert_html_exporter():
    """Skipping HTMLExporter's BeautifulSoup pass changes no text and no element: only the
    focusability attributes it adds and the alt text of images that had none differ."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from commeval.pipeline.export import page_exporter

    nb, _ = clean_notebook(executed_notebook())
    nb.cells[-1].outputs.append(
        new_output("display_data", data={"text/html": '<svg class="chart"><text>图</text></svg>'})
    )
    nb.cells[-1].outputs.append(
        new_output("display_data", data={"text/html": '<p>无说明<img src="x.png"></p>'})
    )
    traits = ReportExporter().traits
    ours, _ = page_exporter(**traits).from_notebook_node(nb, {"metadata": {"name": "页"}})
    theirs, _ = HTMLExporter(**traits).from_notebook_node(nb, {"metadata": {"name": "页"}})
    a, b = BeautifulSoup(ours, "html.parser"), BeautifulSoup(theirs, "html.parser")
    assert a.get_text() == b.get_text()
    tags_a, tags_b = a.find_all(True), b.find_all(True)
    assert [t.name for t in tags_a] == [t.name for t in tags_b]
    for x, y in zip(tags_a, tags_b, strict=True):
        extra = {"tabindex"} | ({"alt"} if x.name == "img" else set())
        assert {k: v for k, v in x.attrs.items() if k not in extra} == {
            k: v for k, v in y.attrs.items() if k not in extra
        }
    assert all(img.has_attr("alt") for img in a.find_all("img"))
