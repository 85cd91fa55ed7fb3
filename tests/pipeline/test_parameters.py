"""Parameter injection is papermill's: the same cell the papermill CLI writes."""

from __future__ import annotations

import subprocess
import sys

import nbformat

from commeval.pipeline.parameters import inject, read_notebook, township_parameters

from .conftest import TOWNSHIP_NB


def injected_source(nb) -> str:
    cells = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0].source


def test_injected_cell_matches_papermill_cli(tmp_path):
    params = township_parameters("乙镇", 2012, "/data/raw", None)
    ours = inject(read_notebook(TOWNSHIP_NB), params, input_path=TOWNSHIP_NB)
    out = tmp_path / "pm.ipynb"
    cmd = [sys.executable, "-m", "papermill", str(TOWNSHIP_NB), str(out), "--prepare-only"]
    cmd += ["-p", "township", "乙镇", "-p", "year", "2012", "-p", "data_dir", "/data/raw"]
    cmd += ["-p", "processed_dir", "None"]
    subprocess.run(cmd, check=True, capture_output=True)
    theirs = nbformat.read(out, as_version=4)
    assert injected_source(ours) == injected_source(theirs)
    tags = [c.metadata.get("tags") for c in ours.cells]
    assert tags.index(["injected-parameters"]) == tags.index(["parameters"]) + 1
    assert ours.metadata.papermill["parameters"] == theirs.metadata.papermill["parameters"]
