"""Interrupted runs: Ctrl-C during ``commeval reports`` prints one line (已中断), exits 130 and
shows no traceback from workers or kernels; ``latest`` keeps pointing at the last complete run;
a run killed mid-way leaves ``<out>/<run>.tmp``, which the next run removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent

#: ``commeval reports`` (cli.main) on the fake district of conftest.py and the test notebooks
DRIVER = """
import sys
sys.path.insert(0, {here!r})
from pathlib import Path
import conftest as C
from commeval import cli
import commeval.pipeline.config as config
import commeval.pipeline.run as run

root = Path({root!r})
d = C.FakeDistrict(list(C.TOWNSHIPS))
source = C.FakeDistricts(d, root / "processed", root / "warm.log")
run.ReportDistricts = lambda project=None: source
nbs = {{"township_report": C.TOWNSHIP_NB, "district_summary": C.SUMMARY_NB}}
config.report_notebook = lambda name: nbs[name]
if __name__ == "__main__":  # workers are spawned: they import this file again
    sys.exit(cli.main(sys.argv[1:]))
"""


def _start(root: Path, run_name: str, fault: str = "") -> subprocess.Popen:
    script = root / "driver.py"
    script.write_text(DRIVER.format(here=str(HERE), root=str(root)), encoding="utf-8")
    env = {**os.environ, "COMMEVAL_TEST_FAULT": fault}
    cmd = [sys.executable, str(script), "reports", "--data", str(root / "raw"), "--processed",
           str(root / "processed"), "--out", str(root / "out"), "--jobs", "1", "--timeout", "120",
           "--run-name", run_name, "--force"]  # fmt: skip
    # its own process group: SIGINT to the group is what Ctrl-C in a terminal does
    return subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip


def _wait_for_page(root: Path, run_name: str, proc: subprocess.Popen, limit: float = 120) -> None:
    pages = root / "out" / f"{run_name}.tmp" / "townships"
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pages.is_dir() and any(pages.glob("*.html")):
            return
        if proc.poll() is not None:
            pytest.fail(f"run ended early: {proc.returncode}\n{proc.stderr.read()}")
        time.sleep(0.1)
    pytest.fail("no page rendered in time")


@pytest.fixture
def root(tmp_path):
    import json

    (tmp_path / "raw").mkdir()
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "manifest.json").write_text(json.dumps({"tables": {}}))
    return tmp_path


def test_ctrl_c_exits_130_without_traceback_and_keeps_latest(root):
    first = _start(root, "r1")
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    latest = root / "out" / "latest"
    assert os.readlink(latest) == "r1"
    # the third township sleeps: the run is surely still going after the first page
    proc = _start(root, "r2", fault="sleep:丙乡")
    _wait_for_page(root, "r2", proc)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 10  # the report being rendered is not waited for
    assert "Traceback" not in err and "Error" not in err, err
    lines = [x for x in err.splitlines() if x.strip()]
    assert lines[-1] == "已中断 (interrupted)" and lines.count(lines[-1]) == 1, err
    # nothing but the progress lines before it
    assert all(x.startswith(("共 ", "[")) for x in lines[:-1]), err
    assert os.readlink(latest) == "r1" and (latest / "index.html").is_file()
    assert not (root / "out" / "r2").exists() and not (root / "out" / "r2.tmp").exists()


def test_killed_run_leaves_tmp_which_the_next_run_removes(root):
    proc = _start(root, "k1", fault="sleep:丙乡")
    _wait_for_page(root, "k1", proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    staging = root / "out" / "k1.tmp"
    assert staging.is_dir()  # killed mid-way: the half run stays in its .tmp folder
    assert not (root / "out" / "latest").exists()  # never points at an incomplete run
    nxt = _start(root, "k2")
    out, err = nxt.communicate(timeout=300)
    assert nxt.returncode == 0, err
    assert not staging.exists()
    assert os.readlink(root / "out" / "latest") == "k2"
    assert not list((root / "out").glob("*.tmp"))
