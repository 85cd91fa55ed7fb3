"""The committed notebooks: parameters they use, metadata JupyterLab would not rewrite."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import nbformat
import pytest

from commeval.pipeline.parameters import declared_parameters

REPO = Path(__file__).resolve().parents[1]
PACKAGED = sorted((REPO / "src" / "commeval" / "notebooks").rglob("*.ipynb"))
TEST_NOTEBOOKS = sorted((REPO / "tests" / "pipeline" / "notebooks").glob("*.ipynb"))


def names_used(nb: nbformat.NotebookNode) -> set[str]:
    """Names loaded by the code cells other than the ``parameters`` cell."""
    used: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        tree = ast.parse(cell.source)
        used.update(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
    return used


@pytest.mark.parametrize("path", PACKAGED, ids=lambda p: p.name)
def test_every_parameter_is_used(path):
    """The report and research notebooks declare only parameters a cell uses (the test
    notebooks of tests/pipeline stand in for any notebook and take the whole contract)."""
    nb = nbformat.read(path, as_version=4)
    unused = declared_parameters(path) - names_used(nb)
    assert not unused, f"{path.name}: parameters no cell uses: {sorted(unused)}"


def committed_notebooks() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return [REPO / p for p in out]


def saved_by_jupyter_server(text: str) -> str:
    """What JupyterLab's save writes for a notebook opened and not run: jupyter_server's
    FileContentsManager reads with ``nbformat.read(f, as_version=4)`` and saves with
    ``nbformat.write(nb, f, version=NO_CONVERT)`` (indent 1, sorted keys, non-ASCII kept, a
    trailing newline); the ``trusted`` cell metadata it adds on opening is stripped on writing."""
    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:  # nbformat.sign.NotebookNotary.mark_cells
        if cell.cell_type == "code":
            cell.metadata["trusted"] = True
    s = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return s if s.endswith("\n") else s + "\n"


KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_opening_and_saving_does_not_change_a_notebook(path):
    """A committed notebook is byte-identical after a JupyterLab open-and-save without running
    (so it never shows as modified), in nbformat 4.5 with cell ids, the python3 kernel's
    metadata as JupyterLab writes it, and no outputs."""
    text = path.read_text(encoding="utf-8")
    assert saved_by_jupyter_server(text) == text
    nb = nbformat.reads(text, as_version=4)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert all(cell.get("id") for cell in nb.cells)
    assert nb.metadata.kernelspec == KERNELSPEC
    assert nb.metadata.language_info == {"name": "python"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
