"""Defence in depth: every exported page carries a Content-Security-Policy that forbids
scripts and network loads; inline styles, data: fonts and data: images stay allowed."""

from __future__ import annotations

import re

from commeval.pipeline.export import ReportExporter
from tests.pipeline.test_export import executed_notebook


def _csp(html: str) -> dict[str, str]:
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert m, "no Content-Security-Policy meta"
    assert html.index(m.group(0)) < html.index("<style")  # before anything it governs
    return {d.split()[0]: " ".join(d.split()[1:]) for d in m.group(1).split(";") if d.strip()}


def test_every_page_forbids_scripts_and_network_loads():
    html = ReportExporter().export(executed_notebook(), "甲镇 报告").html
    csp = _csp(html)
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'none'" and csp["connect-src"] == "'none'"
    assert csp["style-src"] == "'unsafe-inline'"
    assert csp["font-src"] == "data:" and csp["img-src"] == "data:"
    assert "data:image/png;base64," in html and "/* commeval-cjk-font */" in html


def test_the_validation_report_carries_the_same_policy(tmp_path):
    from commeval.data import problems
    from commeval.data.validate import write_report_html
    from commeval.files import HTML_CSP

    page = ReportExporter().export(executed_notebook(), "甲镇 报告").html
    assert f'content="{HTML_CSP}"' in page
    path = tmp_path / "validation_report.html"
    found = problems.frame([problems.one("error", "r", "<script>坏</script>", file="a.csv", row=3)])
    write_report_html(found, path, "数据校验报告")
    report = path.read_text(encoding="utf-8")
    assert _csp(report) == _csp(page) and "<script>坏" not in report
