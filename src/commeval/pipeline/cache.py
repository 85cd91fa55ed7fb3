"""Cache keys: a page is reused only when nothing that shapes it changed.

What shapes a page: its data (``District.input_hash(township)``: the township's slice of the
processed tables and the district evaluation key), the notebook it is rendered from, and the
code and configuration of the package — every ``commeval/**/*.py``, ``config/*.yaml`` (data
contract, codebook, framework, diagnosis rules), ``templates/*`` (export template, stylesheet),
``static/*`` and the report notebooks, hashed once per process
(:func:`commeval.keys.package_hash`). The version string is not enough: an edited stylesheet or
diagnosis rule keeps it.

And the project's configuration (:func:`project_hash`: ``commeval.yaml`` and the framework,
fields, codebook and diagnosis files it uses — :meth:`commeval.project.Project.config_files`),
which a project outside the package edits without changing the package.

A township page's key hashes its input hash, its notebook, the package and the project's
configuration. The index key hashes the district key, the summary notebook, the package, the
project's configuration and the list of reports it links (``reused`` counts as ``ok``).
``run_key`` is a cheaper key for the whole run, computed *before* loading the district: the
processed tables' and raw sources' checksums (``dataset.yaml`` included), the year, the township
selection, the notebooks, the package and the project's configuration. When it equals the
previous run's and that run had no failure, every page is reused without evaluating the district
or starting a kernel.

Every key here is a :func:`commeval.keys.key` (tags ``project``, ``outputs``, ``page``,
``index``, ``run``); docs/architecture.md, "Caching by content", lists them all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from commeval.keys import file_hash, key, package_hash
from commeval.project import Project

__all__ = [
    "code_hash", "file_hash", "index_key", "project_hash", "run_key", "township_key",
    "with_outputs",
]  # fmt: skip


def code_hash() -> str:
    """What the package contributes to every key (code, configuration, templates, styles)."""
    return package_hash()


def project_hash(project: Project | None) -> str | None:
    """Hash of a project's configuration: the name and content of every file of
    :meth:`~commeval.project.Project.config_files` (``commeval.yaml``, framework, fields,
    codebook, diagnosis rules; packaged defaults included). Contents, not paths: the same
    project moved elsewhere keeps its keys. None without a project."""
    if project is None:
        return None
    return key("project", files=[[p.name, file_hash(p)] for p in project.config_files()])


def with_outputs(
    config_hash: str | None, formats: tuple[str, ...], options: dict[str, Any]
) -> str | None:
    """``config_hash`` covering the run's formats and renderer options too (unchanged for a
    run that writes only the page; the renderers' code is in :func:`code_hash`)."""
    if tuple(formats) == ("html",) and not options:
        return config_hash
    return key("outputs", config=config_hash, formats=list(formats), options=options)


def township_key(input_hash: str, notebook_hash: str, config_hash: str | None = None) -> str:
    """A township page: its input hash (``District.input_hash``), its notebook, the package
    and the project's configuration."""
    return key(
        "page", input=input_hash, notebook=notebook_hash, code=code_hash(), config=config_hash
    )


def index_key(
    district_key: str,
    year: int,
    notebook_hash: str,
    reports: list[dict],
    config_hash: str | None = None,
) -> str:
    """The district index: the district key, the year, the summary notebook, the package, the
    project's configuration and the reports it links (``reused`` counts as ``ok``)."""
    norm = [{**r, "status": "ok" if r["status"] == "reused" else r["status"]} for r in reports]
    return key(
        "index",
        district=district_key,
        year=year,
        notebook=notebook_hash,
        code=code_hash(),
        reports=norm,
        config=config_hash,
    )


def run_key(
    processed_dir: Path,
    year: int | None,
    townships: list[str] | tuple[str, ...] | None,
    notebook_hashes: list[str],
    config_hash: str | None = None,
) -> str | None:
    """Whole-run key from cheap inputs — the processed tables' checksums, the manifest's
    ``input_key`` and raw sources, the year, the township selection, the notebooks, the
    package and the configuration — or None if the processed data has no readable manifest."""
    try:
        manifest = json.loads((Path(processed_dir) / "manifest.json").read_text(encoding="utf-8"))
        tables = {k: v.get("sha256") for k, v in (manifest.get("tables") or {}).items()}
        sources = sorted(
            (str(s.get("file")), str(s.get("sha256"))) for s in manifest.get("sources") or []
        )
        inputs = manifest.get("input_key")
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return key(
        "run",
        tables=tables,
        inputs=inputs,
        sources=sources,
        year=year,
        townships=list(townships) if townships else None,
        notebooks=notebook_hashes,
        code=code_hash(),
        config=config_hash,
    )
