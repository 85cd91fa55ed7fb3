"""The canonical tables in one line: :func:`load_tables`.

A researcher in a notebook wants the processed tables (contract dtypes, pseudonymised ids)
without knowing where they live or whether they are current::

    import commeval
    tables = commeval.load_tables()             # the project of the working directory
    tables = commeval.load_tables("path/to/project")
    survey = tables["survey"]

The layer sits beside :mod:`commeval.district` (it does not evaluate anything and neither
imports the other): it reads data through :mod:`commeval.data` with the project's contract and
codebook (:mod:`commeval.project`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from commeval import project as _project
from commeval.data.processed import MANIFEST, MANIFEST_KIND, load_processed
from commeval.errors import InputError
from commeval.paths import default_processed_dir
from commeval.project import PROJECT_FILE, Project, find_project, load_project

__all__ = ["load_tables", "TablesPathError"]


class TablesPathError(InputError, ValueError):
    """The path given to :func:`load_tables` is neither a project, a raw dataset folder nor a
    processed folder."""


def _is_processed(folder: Path) -> bool:
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return False
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return True  # load_processed names the broken manifest
    # older processed folders have no kind; a report run's manifest is another kind
    return isinstance(doc, dict) and doc.get("kind", MANIFEST_KIND) == MANIFEST_KIND


def _read(raw: Path, processed: Path, project: Project | None) -> dict[str, pd.DataFrame]:
    _project.ensure_processed(raw, processed, project)  # the one "ingest if stale"
    tables, _ = load_processed(processed, contract=project.contract() if project else None)
    return tables


def load_tables(
    path: str | Path | Project | None = None, *, processed_dir: str | Path | None = None
) -> dict[str, pd.DataFrame]:
    """The canonical (processed) tables, by table name: ``villages``, ``survey``, …

    ``path`` is any of

    * a project — a :class:`~commeval.project.Project`, its folder or its ``commeval.yaml``
      (its dataset, processed folder, contract and codebook are used);
    * a raw dataset folder (``dataset.yaml`` + the table files): processed into
      ``processed_dir`` (default :func:`commeval.paths.default_processed_dir`), with the
      configuration of the project holding it when it is that project's dataset;
    * a processed folder (``manifest.json`` of kind ``commeval.processed``): read as it is,
      under the contract recorded in its manifest;
    * ``None``: the project of the working directory (found upward, as ``commeval`` does).

    Raw data are (re-)ingested only when the processed tables are missing or stale (changed
    raw files, fields.yaml or codebook). Errors in the raw data raise
    :class:`commeval.data.ingest.IngestError` listing every problem.
    """
    if isinstance(path, Project):
        proj: Project | None = path
    elif path is None:
        proj = find_project()
    else:
        p = Path(path).expanduser().resolve()
        if (p.is_file() and p.name == PROJECT_FILE) or (p / PROJECT_FILE).is_file():
            proj = load_project(p)
        elif p.is_dir() and _is_processed(p):
            tables, _ = load_processed(p)
            return tables
        elif p.is_dir() and (p / "dataset.yaml").is_file():
            owner = find_project(p)
            same = owner.dataset.resolve() == p
            if same and processed_dir is None:
                processed_dir = owner.processed
            processed = Path(processed_dir) if processed_dir else default_processed_dir(p)
            return _read(p, processed, owner if same else None)
        else:
            raise TablesPathError(
                f"{p}: 不是项目（{PROJECT_FILE}）、原始数据目录（dataset.yaml）或处理后数据目录"
                f"（{MANIFEST}） (not a project, a raw dataset folder or a processed folder)"
            )
    processed = Path(processed_dir) if processed_dir else proj.processed
    return _read(proj.dataset, processed, proj)
