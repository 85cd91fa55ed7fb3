"""The committed notebooks: parameters they use, metadata JupyterLab would not rewrite."""

from __future__ import annotations

import ast
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
