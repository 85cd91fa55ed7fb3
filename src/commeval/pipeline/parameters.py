"""Papermill-compatible parameter injection (the same cell the papermill CLI writes)."""

from __future__ import annotations

import ast
import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nbformat imports jsonschema's format checkers (~1.7 s with rfc3987-syntax)
    import nbformat

# papermill is imported where it is used: the parent of a batch run plans with the parameter
# helpers below and never needs papermill (~0.6 s of imports); workers load it while their
# kernel boots (``preload``).


def preload() -> None:
    """Import the papermill functions :func:`read_notebook` and :func:`inject` use."""
    import papermill.execute  # noqa: F401
    import papermill.iorw  # noqa: F401
    import papermill.parameterize  # noqa: F401


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook as papermill does (v4, ``papermill`` metadata, ``tags`` on every cell)."""
    from papermill.iorw import load_notebook_node

    return load_notebook_node(str(path))


def inject(
    nb: nbformat.NotebookNode,
    parameters: dict[str, Any],
    input_path: str | Path | None = None,
    kernel_name: str | None = None,
) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` with ``parameters`` injected after its ``parameters`` cell.

    Uses papermill's own functions, so the injected cell and the notebook metadata are what
    ``papermill in.ipynb out.ipynb -p ...`` would produce.
    """
    from papermill.execute import prepare_notebook_metadata, remove_error_markers
    from papermill.parameterize import parameterize_notebook

    nb = parameterize_notebook(copy.deepcopy(nb), parameters, kernel_name=kernel_name)
    nb = prepare_notebook_metadata(nb, str(input_path or ""), "")
    return remove_error_markers(nb)


def declared_parameters(path: str | Path) -> frozenset[str]:
    """The names a notebook's ``parameters`` cell assigns (papermill warns about, and ignores,
    any other parameter it is given). Read without papermill; remembered per file version."""
    p = Path(path)
    st = p.stat()
    return _declared(str(p.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _declared(path: str, size: int, mtime_ns: int) -> frozenset[str]:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or "parameters" not in cell.get("metadata", {}).get(
            "tags", []
        ):
            continue
        src = cell.get("source", "")
        try:
            tree = ast.parse("".join(src) if isinstance(src, list) else src)
        except SyntaxError:
            continue
        for node in tree.body:
            targets = (
                node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            )
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)


def township_parameters(
    township: str,
    year: int | None,
    data_dir: str | Path,
    processed_dir: str | Path | None,
    project: str | Path | None = None,
) -> dict[str, Any]:
    """Parameters of ``notebooks/township_report.ipynb`` (``project``: the project folder, only
    passed when given)."""
    params = {
        "township": township,
        "year": year,
        "data_dir": str(data_dir),
        "processed_dir": str(processed_dir) if processed_dir is not None else None,
    }
    if project is not None:
        params["project"] = str(project)
    return params


def summary_parameters(
    year: int | None,
    data_dir: str | Path,
    processed_dir: str | Path | None,
    reports: list[dict[str, Any]],
    project: str | Path | None = None,
) -> dict[str, Any]:
    """Parameters of ``notebooks/district_summary.ipynb`` (``reports``: township, status, href,
    error; ``project``: the project folder, only passed when given)."""
    params = {
        "year": year,
        "data_dir": str(data_dir),
        "processed_dir": str(processed_dir) if processed_dir is not None else None,
        "reports": reports,
    }
    if project is not None:
        params["project"] = str(project)
    return params
