"""An installed (non-editable) wheel runs ``commeval reports``: the report notebooks, templates
and configuration are package data, found through importlib.resources.

Builds the wheel from a copy of the sources (``pip wheel --no-deps``; build isolation fetches
setuptools), installs it into a fresh venv that sees this environment's dependencies through a
``.pth`` path line (the editable install's own ``.pth`` is not processed, so ``commeval`` can
only come from the wheel) and its nbconvert templates, registers the venv's python as the
``python3`` kernel (so the report kernels import the wheel too), then, in a folder outside the repository, generates a two-township
district and renders its reports with that venv's ``commeval``; then scaffolds a research project
there (``commeval init demo --sample``) and, inside it, runs ``commeval validate`` and
``commeval reports``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(cmd, cwd, env, timeout=600):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_installed_wheel_renders_reports(tmp_path):
    src = tmp_path / "src-copy"
    shutil.copytree(
        REPO / "src",
        src / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    for name in ("pyproject.toml", "README.md", "setup.py"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "docs", src / "docs")  # copied into the package at build
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    wheels = tmp_path / "wheels"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)]
    res = _run(cmd, tmp_path, env)
    if res.returncode != 0:
        pytest.skip(
            f"cannot build the wheel here (no network for build isolation?): {res.stderr[-500:]}"
        )
    (wheel,) = wheels.glob("commeval-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     tmp_path, env).stdout.strip())  # fmt: skip
    # this environment's dependencies (pandas, papermill, ipykernel …), not its commeval:
    # a plain path line, so the editable install's .pth/finder in there is never processed
    (site / "_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(py)]
    res = _run([*pip, "install", "--no-deps", "--no-index", "-q", str(wheel)], tmp_path, env)
    if res.returncode != 0 and "--python" in res.stderr:  # pip without --python: the venv's own
        res = _run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], tmp_path, env)
    assert res.returncode == 0, res.stderr

    work = tmp_path / "elsewhere"  # outside the repository: nothing to find by walking up
    work.mkdir()
    env = {**env, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}"}
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    env["IPYTHONDIR"] = str(tmp_path / "ipython")
    where = _run([str(py), "-c", "import commeval, commeval.paths as p; "
                  "print(commeval.__file__); print(p.report_notebook('township_report'))"],
                 work, env)  # fmt: skip
    assert where.returncode == 0, where.stderr
    module, notebook = where.stdout.split()
    assert Path(module).is_relative_to(site), module  # from the wheel, not from src/
    assert Path(notebook).is_file() and Path(notebook).is_relative_to(site)
    # data files of the dependencies (nbconvert's base templates) live in this environment's
    # share/jupyter: give the new venv the same (not the kernel spec: its kernel is its own)
    share = venv / "share" / "jupyter"
    share.mkdir(parents=True)
    (share / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    # the kernels must import the wheel too: register this venv's python as "python3"
    res = _run(
        [str(py), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], work, env
    )
    assert res.returncode == 0, res.stderr

    spec = _run([str(py), "-c", "from jupyter_client.kernelspec import KernelSpecManager as K; "
                 "print(K().get_kernel_spec('python3').argv[0])"], work, env)  # fmt: skip
    assert Path(spec.stdout.strip()) == py, spec.stdout + spec.stderr

    commeval = str(venv / "bin" / "commeval")
    res = _run([commeval, "docs", "framework"], tmp_path, env)  # the docs ship in the wheel
    assert res.returncode == 0, res.stderr
    doc = Path(res.stdout.strip())
    assert doc.is_file() and "site-packages" in str(doc) and "公式" in doc.read_text("utf-8")
    res = _run([commeval, "sample-data", "--out", "data/raw/sample_district", "--townships", "2",
                "--villages-per-township", "4", "--respondents-per-village", "8"], work, env)  # fmt: skip
    assert res.returncode == 0, res.stderr
    res = _run(
        [commeval, "reports", "--out", "outputs", "--jobs", "2", "--run-name", "w"], work, env
    )
    assert res.returncode == 0, res.stdout + res.stderr
    run = work / "outputs" / "w"
    assert (run / "index.html").is_file()
    pages = sorted((run / "townships").glob("*.html"))
    assert len(pages) == 2 and all(p.stat().st_size > 10_000 for p in pages)
    assert (work / "data" / "processed" / "sample_district" / "manifest.json").is_file()

    # a research project, as a new user starts one: init --sample, then validate and reports
    # from inside it (the project is found from the working directory)
    res = _run([commeval, "init", "demo", "--sample"], work, env)
    assert res.returncode == 0, res.stdout + res.stderr
    demo = work / "demo"
    for rel in ("commeval.yaml", "config/framework.yaml", "config/fields.yaml",
                "notebooks/survey_analysis.ipynb", "notebooks/township_report.ipynb"):  # fmt: skip
        assert (demo / rel).is_file(), rel
    res = _run([commeval, "validate"], demo, env)
    assert res.returncode == 0, res.stdout + res.stderr
    # two of its townships (and the summary): the full run is the first one's path again
    towns = pd.read_csv(next((demo / "data" / "raw").glob("*/townships.csv")), encoding="utf-8-sig")
    two = list(dict.fromkeys(towns.iloc[:, 0]))[:2]
    res = _run(
        [commeval, "reports", "--jobs", "2", "--run-name", "d", "--township", *two], demo, env
    )
    assert res.returncode == 0, res.stdout + res.stderr
    run = demo / "outputs" / "d"
    assert (run / "index.html").is_file()
    pages = sorted((run / "townships").glob("*.html"))
    assert len(pages) >= 2 and all(p.stat().st_size > 10_000 for p in pages)
    assert (demo / "data" / "processed" / "demo" / "manifest.json").is_file()
