"""The township report run in a real JupyterLab (headless Chromium, no request leaving the
machine): after its cells ran, the notebook area is as wide as before and another open
notebook's markdown headings look as before (the report's styles are scoped under
``.commeval-report`` and do not leak into the page), and the report's SVG charts are visible
in its cell outputs."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook
from test_browser import ARGS, CHROMIUM, _require_browser

# one JupyterLab at a time: the two lab tests share an xdist group (make test: --dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("jupyterlab")]
REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = REPO / "src" / "commeval" / "notebooks" / "township_report.ipynb"
OTHER = "other.ipynb"
HEADING = "别的笔记本的标题"
MS = 1000  # playwright timeouts are in milliseconds
#: JS expression: the main-area document widget open on path ``p``, made the current one if it
#: is not (a kernel starting in another notebook, or a busy browser, can leave the focus — and
#: with it ``shell.currentWidget`` — elsewhere after ``docmanager:open``); null until it is
#: open and current. Polled inside ``wait_for_function``, so it retries until the deadline.
ACTIVATE = """(() => { const app = window.jupyterapp;
    const w = Array.from(app.shell.widgets('main'))
                   .find(x => x.context && x.context.path === p);
    if (!w) return null;
    if (app.shell.currentWidget !== w) { app.shell.activateById(w.id); return null; }
    return w; })()"""

# Settings JupyterLab reads from the temporary config folder: no news fetched, every cell
# rendered (no windowing, so the charts are in the DOM), no autosave writing into the folder.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

# The open notebook panel's width and the computed style of the other notebook's heading.
PROBE = """(heading) => {
  const panel = [...document.querySelectorAll('.jp-NotebookPanel')]
    .find(p => !p.classList.contains('lm-mod-hidden') && p.offsetParent !== null);
  const h2 = [...document.querySelectorAll('.jp-RenderedMarkdown h2')]
    .find(h => h.textContent.includes(heading) && h.offsetParent !== null);
  const s = h2 && getComputedStyle(h2), b = getComputedStyle(document.body);
  return {
    panel: panel ? panel.getBoundingClientRect().width : null,
    shell: document.querySelector('.jp-LabShell').getBoundingClientRect().width,
    body: [document.body.getBoundingClientRect().width, b.maxWidth, b.marginLeft, b.fontSize],
    heading: s ? [s.color, s.backgroundColor, s.borderLeftWidth, s.borderLeftStyle,
                  s.fontSize, s.fontWeight, s.paddingLeft, s.marginTop] : null,
  };
}"""

# Every SVG chart the report drew in its cell outputs, after scrolling it into view.
CHARTS = """async () => {
  const svgs = [...document.querySelectorAll('.jp-OutputArea-output .commeval-report svg')];
  const out = [];
  for (const svg of svgs) {
    svg.scrollIntoView({block: 'center'});
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const r = svg.getBoundingClientRect(), st = getComputedStyle(svg);
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    out.push({w: r.width, h: r.height, display: st.display, visibility: st.visibility,
              opacity: st.opacity, onTop: !!hit && svg.contains(hit) || hit === svg,
              texts: svg.querySelectorAll('text').length,
              drawn: svg.querySelectorAll('rect, path, line, circle, polyline').length});
  }
  return out;
}"""


def _require_jupyterlab():
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.skip("jupyterlab is not installed (pip install -e '.[test]')")
    if not (BIN / "jupyter-lab").exists():
        pytest.skip(f"no jupyter-lab next to {sys.executable}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(base: str, token: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            req = urllib.request.Request(
                f"{base}/api/status", headers={"Authorization": f"token {token}"}
            )
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"jupyter lab did not answer within 30 s:\n{log.read_text()[-3000:]}")


def _start_lab(root: Path, home: Path, port: int, token: str) -> subprocess.Popen:
    config, data, runtime = home / "config", home / "data", home / "runtime"
    for folder, settings in USER_SETTINGS.items():
        path = config / "lab" / "user-settings" / folder
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    data.mkdir(parents=True, exist_ok=True)
    runtime.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(data),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTERLAB_SETTINGS_DIR": str(config / "lab" / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    env.pop("JUPYTER_PATH", None)
    log = open(home / "lab.log", "wb")  # noqa: SIM115 - closed with the process
    cmd = [
        str(BIN / "jupyter-lab"),
        "--no-browser",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",  # CI containers run as root
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.workspaces_dir=" + str(home / "workspaces"),
    ]
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc.log = log  # type: ignore[attr-defined]
    return proc


def _stop_lab(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)
    finally:
        proc.log.close()  # type: ignore[attr-defined]


#: What the lab shows when a wait fails: the current document, the open ones, any dialog.
LAB_STATE = """() => { const app = window.jupyterapp; const c = app && app.shell.currentWidget;
    return {current: c && c.context ? c.context.path : (c ? c.id : null),
            open: app ? Array.from(app.shell.widgets('main')).map(
                w => w.context ? w.context.path : w.id) : [],
            dialogs: Array.from(document.querySelectorAll('.jp-Dialog'))
                .map(d => d.innerText.slice(0, 300))}; }"""


def wait_in_lab(tab, predicate: str, arg=None, timeout: float = 180) -> None:
    """``tab.wait_for_function(predicate, arg)`` up to ``timeout`` seconds; on timeout the
    failure says what the lab showed (current and open documents, dialogs)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        tab.wait_for_function(predicate, arg=arg, timeout=timeout * MS)
    except PlaywrightTimeout:
        state = tab.evaluate(LAB_STATE)
        raise AssertionError(
            f"JupyterLab did not reach the condition in {timeout} s: {state}"
        ) from None


def _open(tab, path: str) -> None:
    """Open (or bring forward) a notebook in the lab and wait until its kernel is idle."""
    # The command resolves to the widget, which Playwright cannot serialise: return nothing.
    tab.evaluate(
        "async p => { await window.jupyterapp.commands.execute('docmanager:open', {path: p}); }",
        path,
    )
    wait_in_lab(
        tab,
        """p => { const w = _activate(p);
                  const s = w && w.sessionContext;
                  return w && s && s.session && s.session.kernel
                         && s.kernelDisplayStatus === 'idle'; }""".replace(
            "_activate(p)", ACTIVATE
        ),
        arg=path,
        timeout=180,  # a large saved notebook on a busy machine: wait on the condition
    )


def test_report_run_in_jupyterlab_keeps_page_and_other_notebook_unchanged(tmp_path):
    _require_browser()
    _require_jupyterlab()
    from playwright.sync_api import sync_playwright

    root, home = tmp_path / "proj", tmp_path / "jupyter"
    subprocess.run(
        [str(BIN / "commeval"), "init", str(root), "--sample"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    other = new_notebook(cells=[new_markdown_cell(f"## {HEADING}\n\n报告以外的文字。")])
    other.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)"}
    nbformat.write(other, root / OTHER)

    port, token = _free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    proc = _start_lab(root, home, port, token)
    outside: list[str] = []
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
                errors: list[str] = []
                tab.on("pageerror", lambda e: errors.append(str(e)))
                tab.goto(f"{base}/lab/tree/{OTHER}?token={token}", timeout=120 * MS)
                wait_in_lab(tab, "() => window.jupyterapp && window.jupyterapp.shell", timeout=120)
                tab.evaluate("async () => { await jupyterapp.started; await jupyterapp.restored; }")
                _open(tab, OTHER)
                tab.wait_for_selector(f".jp-RenderedMarkdown h2:has-text('{HEADING}')")
                before = tab.evaluate(PROBE, HEADING)

                _open(tab, NOTEBOOK.name)
                report_before = tab.evaluate(PROBE, HEADING)["panel"]
                tab.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
                tab.wait_for_function(
                    """() => { const w = window.jupyterapp.shell.currentWidget;
                        const cells = w.content.widgets.filter(c => c.model.type === 'code');
                        return cells.every(c => c.model.executionCount)
                            && w.sessionContext.kernelDisplayStatus === 'idle'; }""",
                    timeout=240 * MS,  # the whole report, in a kernel of a busy machine
                )
                tab.wait_for_selector(".jp-OutputArea-output .commeval-report svg")
                failed = tab.evaluate(
                    """() => jupyterapp.shell.currentWidget.content.widgets
                        .flatMap(c => c.model.type === 'code' ? c.model.outputs.toJSON() : [])
                        .filter(o => o.output_type === 'error')
                        .map(o => o.ename + ': ' + o.evalue)"""
                )
                charts = tab.evaluate(CHARTS)
                report_after = tab.evaluate(PROBE, HEADING)["panel"]

                _open(tab, OTHER)
                after = tab.evaluate(PROBE, HEADING)
            finally:
                browser.close()
    finally:
        _stop_lab(proc)

    assert not failed, failed  # every report cell ran without an error output
    assert not outside, outside  # nothing asked for beyond the lab server
    assert before["heading"] is not None and before["panel"], before
    # the report's styles stay in its outputs: same page, same panel width, same headings
    assert after["panel"] == before["panel"], (before, after)
    assert report_after == report_before == before["panel"]
    assert after["body"] == before["body"], (before, after)
    assert after["shell"] == before["shell"] == before["body"][0], (before, after)
    assert after["heading"] == before["heading"], (before, after)
    assert len(charts) >= 2, charts
    for c in charts:  # drawn as SVG at a real size, visible on top in the cell output
        assert c["display"] != "none" and c["visibility"] == "visible", c
        assert float(c["opacity"]) > 0 and c["onTop"], c
        assert c["w"] > 200 and c["h"] > 100 and c["drawn"] > 3 and c["texts"] > 3, c
    assert not errors, errors
