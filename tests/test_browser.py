"""Headless Chromium opens the reports from disk with the network off: no request leaves the
file, no console error, every Chinese character is covered by the embedded font, and a
screenshot is saved. Needs Debian's chromium (installed by .ci/run) and the playwright package.

Set COMMEVAL_SCREENSHOTS=DIR to keep the screenshots it takes.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed")
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")


def open_offline(path: Path, screenshot: Path) -> dict:
    """Open a page from disk with the network disabled and report what happened."""
    from playwright.sync_api import sync_playwright

    seen: dict = {"requests": [], "failed": [], "console": [], "page_errors": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(offline=True, viewport={"width": 1000, "height": 1400})
        page = ctx.new_page()
        page.on("request", lambda r: seen["requests"].append(r.url))
        page.on("requestfailed", lambda r: seen["failed"].append(r.url))
        page.on("console", lambda m: seen["console"].append((m.type, m.text)))
        page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready")
        seen["text"] = page.inner_text("body")
        seen["charts"] = page.evaluate(CHART_PROBE)
        page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    return seen


# Every inline SVG chart: how many texts, the font the browser chose for them, and the texts
# whose rendered box (browser layout, embedded font) leaves the chart's viewBox.
CHART_PROBE = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const vb = svg.viewBox.baseVal, texts = [...svg.querySelectorAll('text')];
  const outside = texts.filter(t => { const b = t.getBBox(); let x = b.x, w = b.width;
    const m = t.getAttribute('transform'); if (m && !/rotate\\(-?0 /.test(m)) return false;
    return x < vb.x - 1 || b.y < vb.y - 1 || x + w > vb.x + vb.width + 1
           || b.y + b.height > vb.y + vb.height + 1; }).map(t => t.textContent);
  return {texts: texts.length, outside,
          family: texts.length ? getComputedStyle(texts[0]).fontFamily : ''};
})"""


def embedded_font_cmap(html: str) -> set[int]:
    """Code points covered by the page's inline @font-face fonts (empty when none)."""
    from fontTools.ttLib import TTFont

    covered: set[int] = set()
    for data in re.findall(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", html):
        covered |= set(TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap())
    return covered


@pytest.fixture(scope="module")
def pages(e2e_run):
    rc, _, _, out = e2e_run
    assert rc == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    first = next(iter(manifest["townships"].values()))["html"]
    return [out / first, out / "index.html"]


def test_pages_open_offline_without_errors(pages, tmp_path):
    _require_browser()
    target = os.environ.get("COMMEVAL_SCREENSHOTS")
    for i, page in enumerate(pages):
        shot = tmp_path / f"page{i}.png"
        seen = open_offline(page, shot)
        others = [u for u in seen["requests"] if not u.startswith(("file:", "data:"))]
        assert others == [], f"{page.name} requested {others[:3]}"
        assert seen["failed"] == [], seen["failed"][:3]
        assert [c for c in seen["console"] if c[0] in ("error", "warning")] == []
        assert seen["page_errors"] == []
        assert "□" not in seen["text"]
        assert shot.stat().st_size > 20_000  # a real rendering, not a blank page
        charts = seen["charts"]
        assert len(charts) >= 2, f"{page.name}: charts missing"
        for chart in charts:  # chart text is page text in the embedded font, and fits
            assert chart["texts"] > 5 and chart["family"].replace('"', "'").startswith(
                "'commeval CJK'"
            ), chart
            assert chart["outside"] == [], chart["outside"]
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            shutil.copy(
                shot,
                Path(target)
                / ("index.png" if page.name == "index.html" else "township_report.png"),
            )


def test_every_chinese_character_has_an_embedded_glyph(pages):
    from commeval.fonts import page_text

    for page in pages:
        html = page.read_text(encoding="utf-8")
        cmap = embedded_font_cmap(html)
        assert cmap, f"{page.name}: no embedded CJK font"
        needed = {ord(c) for c in page_text(html) if ord(c) > 0x7F and not c.isspace()}
        missing = sorted(chr(c) for c in needed - cmap)
        assert missing == [], f"{page.name}: glyphs missing for {''.join(missing[:20])}"


def test_size_under_budget(pages):
    for page in pages:
        assert page.stat().st_size < 1_500_000, page
