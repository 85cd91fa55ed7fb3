"""An executed township report notebook, saved and reopened in a JupyterLab whose notary never
signed it (a colleague's machine: the notebook is untrusted there, so JupyterLab's sanitiser
drops the ``<style>`` and ``<svg>`` of its HTML outputs), still shows the report: its charts
visible as images, the report's styles applied inside its outputs only — the same computed
styles as the same notebook trusted — and another notebook's headings unchanged; no page
errors. Headless Chromium, no request leaving the machine."""

from __future__ import annotations

import secrets
import shutil
import subprocess

import nbformat
import pytest
from nbformat.sign import NotebookNotary
from nbformat.v4 import new_markdown_cell, new_notebook
from test_browser import ARGS, CHROMIUM, _require_browser
from test_browser_jupyterlab import (
    ACTIVATE,
    BIN,
    HEADING,
    MS,
    NOTEBOOK,
    OTHER,
    PROBE,
    _free_port,
    _require_jupyterlab,
    _start_lab,
    _stop_lab,
    _wait_for_server,
    wait_in_lab,
)

# one JupyterLab at a time: the two lab tests share an xdist group (make test: --dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("jupyterlab")]
UNTRUSTED, TRUSTED = "report_untrusted.ipynb", "report_trusted.ipynb"

# Report elements whose computed style is compared between the untrusted and trusted notebook.
SELECTORS = [
    "h1", "h2", "h3", ".banner", ".kicker", ".meta", ".kpis", ".kpi", ".kpi-label", ".kpi-value",
    ".table-wrap", "table.data", "table.data th", "table.data td", "tr.shortfall td", ".badge",
    ".badge-bad", ".badge-good", ".muted", ".note", ".progress", ".progress .bar",
    ".progress .fill", ".community", "img.chart-fallback", ".chart-box",
]  # fmt: skip
PROPS = [
    "display", "color", "backgroundColor", "fontSize", "fontWeight", "lineHeight", "textAlign",
    "marginTop", "marginBottom", "paddingTop", "paddingLeft", "borderTopWidth",
    "borderBottomWidth", "borderBottomColor", "borderLeftWidth", "borderLeftColor",
    "borderRadius", "gap", "flexWrap", "gridTemplateColumns",
]  # fmt: skip

# Per selector, the computed style of its first few elements in the current notebook's outputs,
# and whether the outputs have the report stylesheet (<style>) and inline charts (<svg>).
STYLES = """([selectors, props]) => {
  const node = jupyterapp.shell.currentWidget.node;
  const out = {};
  for (const sel of selectors) {
    out[sel] = [...node.querySelectorAll('.jp-OutputArea-output .commeval-report ' + sel)]
      .slice(0, 5).map(e => { const s = getComputedStyle(e); return props.map(p => s[p]); });
  }
  return {
    styles: out,
    trusted: jupyterapp.shell.currentWidget.content.widgets
      .filter(c => c.model.type === 'code').map(c => c.model.trusted),
    styleTags: node.querySelectorAll('.jp-OutputArea-output style').length,
    svgs: node.querySelectorAll('.jp-OutputArea-output svg.chart').length,
    boxes: [...node.querySelectorAll('.jp-OutputArea-output .chart-box')]
      .map(b => b.offsetParent !== null),
  };
}"""

# Whether the current notebook shows all its report sections.
RENDERED = """n => jupyterapp.shell.currentWidget.node
  .querySelectorAll('.jp-OutputArea-output .commeval-report').length >= n"""

# Every chart image of the current notebook, after scrolling it into view: its size, whether
# it decoded and is on top at its centre.
IMAGES = """async () => {
  const node = jupyterapp.shell.currentWidget.node;
  const out = [];
  for (const img of node.querySelectorAll('.jp-OutputArea-output .commeval-report img.chart-fallback')) {
    img.scrollIntoView({block: 'center'});
    let decoded = true;
    try { await img.decode(); } catch (e) { decoded = false; }
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const r = img.getBoundingClientRect(), st = getComputedStyle(img);
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    out.push({w: r.width, h: r.height, natural: img.naturalWidth, decoded, alt: img.alt,
              display: st.display, visibility: st.visibility, onTop: hit === img,
              src: img.src.slice(0, 25)});
  }
  return out;
}"""


def _show(tab, path: str) -> None:
    """Open (or bring forward) a notebook and wait until its saved cells are in the panel: its
    outputs are shown as saved, no kernel needed (none of its cells is run)."""
    tab.evaluate(
        "async p => { await window.jupyterapp.commands.execute('docmanager:open', {path: p}); }",
        path,
    )
    wait_in_lab(
        tab,
        """p => { const w = _activate(p);
                  return w && w.context.isReady && w.content
                         && w.content.widgets.length > 0; }""".replace("_activate(p)", ACTIVATE),
        arg=path,
        timeout=180,  # a large saved notebook on a busy machine: wait on the condition
    )


def test_saved_report_reopened_untrusted_keeps_styles_and_charts(tmp_path):
    _require_browser()
    _require_jupyterlab()
    from playwright.sync_api import sync_playwright

    root, home = tmp_path / "proj", tmp_path / "jupyter"
    subprocess.run(
        [str(BIN / "commeval"), "init", str(root), "--sample"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    subprocess.run(
        [str(BIN / "papermill"), NOTEBOOK.name, UNTRUSTED, "--no-progress-bar"],
        check=True, capture_output=True, cwd=root, timeout=120,
    )  # fmt: skip  # executed and saved; papermill signs nothing
    # a copy (one more metadata key: a signature is of the content) that the lab's own notary
    # (its JUPYTER_DATA_DIR) signs; the other is as a colleague's lab sees a notebook saved
    # on another machine
    copy = nbformat.read(root / UNTRUSTED, as_version=4)
    copy.metadata["commeval_test"] = "trusted copy"
    nbformat.write(copy, root / TRUSTED)
    (home / "data").mkdir(parents=True)
    notary = NotebookNotary(data_dir=str(home / "data"))
    notary.sign(nbformat.read(root / TRUSTED, as_version=4))
    assert notary.check_signature(nbformat.read(root / TRUSTED, as_version=4))
    assert not notary.check_signature(nbformat.read(root / UNTRUSTED, as_version=4))
    sections = sum(
        out.get("data", {}).get("text/html", "").startswith('<div class="commeval-report">')
        for cell in copy.cells
        for out in cell.get("outputs", [])
    )
    assert sections >= 8, sections  # header … provenance
    other = new_notebook(cells=[new_markdown_cell(f"## {HEADING}\n\n报告以外的文字。")])
    other.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)"}
    nbformat.write(other, root / OTHER)

    port, token = _free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    proc = _start_lab(root, home, port, token)
    outside: list[str] = []
    errors: list[str] = []
    try:
        _wait_for_server(base, token, proc, home / "lab.log")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                ctx.set_default_timeout(120 * MS)  # conditions, not sleeps: room for a busy machine

                def only_local(route):  # the network is off: only the lab server answers
                    if route.request.url.startswith(base):
                        route.continue_()
                    else:
                        outside.append(route.request.url)
                        route.abort()

                ctx.route("**/*", only_local)
                tab = ctx.new_page()
                tab.on("pageerror", lambda e: errors.append(str(e)))
                tab.goto(f"{base}/lab/tree/{OTHER}?token={token}", timeout=120 * MS)
                wait_in_lab(tab, "() => window.jupyterapp && window.jupyterapp.shell", timeout=120)
                tab.evaluate("async () => { await jupyterapp.started; await jupyterapp.restored; }")
                _show(tab, OTHER)
                tab.wait_for_selector(f".jp-RenderedMarkdown h2:has-text('{HEADING}')")
                before = tab.evaluate(PROBE, HEADING)

                # untrusted first: once a trusted report is open, its stylesheet is in the page
                _show(tab, UNTRUSTED)
                tab.wait_for_function(RENDERED, arg=sections, timeout=300 * MS)
                untrusted = tab.evaluate(STYLES, [SELECTORS, PROPS])
                images = tab.evaluate(IMAGES)
                _show(tab, OTHER)
                after_untrusted = tab.evaluate(PROBE, HEADING)

                _show(tab, TRUSTED)
                tab.wait_for_function(RENDERED, arg=sections, timeout=300 * MS)
                trusted = tab.evaluate(STYLES, [SELECTORS, PROPS])
                _show(tab, OTHER)
                after_trusted = tab.evaluate(PROBE, HEADING)
            finally:
                browser.close()
    finally:
        _stop_lab(proc)

    assert not outside, outside  # nothing asked for beyond the lab server
    assert untrusted["trusted"] and not any(untrusted["trusted"]), untrusted["trusted"]
    assert trusted["trusted"] and all(trusted["trusted"]), trusted["trusted"]
    # untrusted: the sanitiser dropped the stylesheet and the inline SVG charts
    assert untrusted["styleTags"] == 0 and untrusted["svgs"] == 0, untrusted
    assert len(untrusted["boxes"]) >= 2 and not any(untrusted["boxes"])  # no chart text left
    assert trusted["styleTags"] > 0 and trusted["svgs"] == len(trusted["boxes"]) >= 2, trusted
    assert all(trusted["boxes"])

    # the charts, as images: decoded, at a real size, on top in the cell output
    assert len(images) == len(untrusted["boxes"]), images
    for c in images:
        assert c["src"] == "data:image/svg+xml;base64", c
        assert c["decoded"] and c["natural"] > 200 and c["alt"], c
        assert c["display"] == "block" and c["visibility"] == "visible" and c["onTop"], c
        assert c["w"] > 200 and c["h"] > 100, c

    # the report's styles apply: as in the trusted notebook, element for element (only the
    # chart image and its box differ: shown, hidden)
    u, t = untrusted["styles"], trusted["styles"]
    shown = [s for s in SELECTORS if u[s]]
    assert {"h1", "h2", ".kpi", "table.data th", "tr.shortfall td", ".badge"} <= set(shown)
    for sel in shown:
        if sel in ("img.chart-fallback", ".chart-box"):
            continue
        assert u[sel] == t[sel], (sel, dict(zip(PROPS, u[sel][0])), dict(zip(PROPS, t[sel][0])))
    h2 = dict(zip(PROPS, u["h2"][0]))
    assert (h2["borderLeftWidth"], h2["borderLeftColor"]) == ("5px", "rgb(47, 111, 159)"), h2
    assert dict(zip(PROPS, u[".kpis"][0]))["display"] == "flex"
    assert {dict(zip(PROPS, v))["display"] for v in t["img.chart-fallback"]} == {"none"}

    # ...inside the report's outputs only: the page and another notebook's headings unchanged
    assert before["heading"] is not None and before["panel"], before
    for after in (after_untrusted, after_trusted):
        assert after["panel"] == before["panel"], (before, after)
        assert after["body"] == before["body"], (before, after)
        assert after["shell"] == before["shell"], (before, after)
        assert after["heading"] == before["heading"], (before, after)
    assert not errors, errors
