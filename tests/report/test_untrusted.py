"""What a report section carries for a notebook JupyterLab does not trust (its sanitiser drops
``<style>`` and ``<svg>``): the stylesheet's declarations inlined, its charts doubled as images;
the exported page without either. The browser check: tests/test_browser_untrusted.py."""

from __future__ import annotations

import base64
import re

from commeval.display import INLINE_MARK, strip_untrusted_fallbacks
from commeval.report import render, untrusted
from commeval.report.notebook import township_report


def test_every_scoped_rule_of_the_stylesheet_is_inlined():
    """Every selector of report.css below ``.commeval-report`` (outside @media) is one the
    inliner matches: rules() raises UnsupportedSelector otherwise."""
    selectors = {r.selector for r in untrusted.rules()}
    for sel in (".commeval-report h2", ".commeval-report tr.shortfall td",
                '.commeval-report td[align="right"]', ".commeval-report .two-col > div"):  # fmt: skip
        assert sel in selectors


def test_inlined_declarations_follow_the_cascade():
    html = (
        '<div class="table-wrap"><table class="data"><tbody><tr class="shortfall">'
        '<td align="right">1</td></tr></tbody></table></div>'
        '<div class="progress"><span class="bar"><span class="fill" style="width:40.0%">'
        "</span></span></div>"
    )
    out = untrusted.inline_styles(html)
    td = re.search(r"<td style=\"([^\"]*)\"", out).group(1)
    # table.data td (0,2,2) over td[align=right] (0,2,1); tr.shortfall td's background; the
    # longhand border-bottom after the shorthand border it refines
    assert "text-align:left" in td and "background:#fdecea" in td
    assert td.index("border:1px solid #d9dee3") < td.index("border-bottom:")
    assert "var(" not in out
    assert (
        f'style="{INLINE_MARK}background:#2f6f9f;height:100%;display:block;{INLINE_MARK}width:40.0%"'
        in out
    )
    assert strip_untrusted_fallbacks(out) == html


def test_a_report_section_strips_back_to_the_page_html(small_district, tmp_path):
    report = township_report(small_district, "甲镇", processed_dir=tmp_path / "processed")
    page = render.overview_html(report.district, "甲镇")
    section = report.overview().data
    assert page.count('<svg class="chart"') == 1
    assert section.count('<img class="chart-fallback"') == 0  # the inlined style comes first
    imgs = re.findall(r'<img style="[^"]*" class="chart-fallback" alt="([^"]+)" '
                      r'src="data:image/svg\+xml;base64,([^"]+)">', section)  # fmt: skip
    assert len(imgs) == 1
    svg = base64.b64decode(imgs[0][1]).decode("utf-8")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg[: svg.index(">")]  # a document of its own
    assert "@font-face{font-family:'commeval chart';src:url(data:font/woff;base64," in svg
    assert INLINE_MARK in section
    inner = section[len('<div class="commeval-report">') : -len("</div>")]
    inner = re.sub(r"<style>/\* commeval-cjk-cell-font \*/.*?</style>", "", inner, flags=re.S)
    assert strip_untrusted_fallbacks(inner) == page


def test_a_batch_kernel_builds_only_what_the_page_keeps(small_district, tmp_path, monkeypatch):
    """Kernels of a batch run (PAGES_ONLY_ENV, set by pipeline.kernel) skip the notebook-only
    extras; the exported page is the same, since the exporter drops them."""
    from commeval.display import PAGES_ONLY_ENV
    from commeval.fonts import embed_cjk_font

    report = township_report(small_district, "甲镇", processed_dir=tmp_path / "processed")
    full = report.overview().data
    monkeypatch.setenv(PAGES_ONLY_ENV, "pages")
    lean = report.overview().data
    assert (
        lean
        == f'<div class="commeval-report">{render.overview_html(report.district, "甲镇")}</div>'
    )
    assert INLINE_MARK in full and INLINE_MARK not in lean and len(lean) < len(full) / 2

    def page(section: str) -> str:
        return embed_cjk_font(f"<html><body>{strip_untrusted_fallbacks(section)}</body></html>")

    assert page(full) == page(lean)
