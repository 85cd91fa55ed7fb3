"""Every default location in one place.

Relative defaults are relative to the working directory (the repository root for ``make
reports``); the report notebooks are package data, found with :mod:`importlib.resources`, so an
installed wheel finds them as well as an editable checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The bundled synthetic district (``commeval sample-data`` writes it, every command reads it).
DEFAULT_DATA_DIR = Path("data/raw/sample_district")
#: Where ``commeval reports`` writes its runs (``<out>/<run>/``, ``<out>/latest``).
DEFAULT_OUT_DIR = Path("outputs")
#: Where processed tables of ``data/raw/<folder>`` go: ``data/processed/<folder>``.
PROCESSED_ROOT = Path("data/processed")
#: Where ``commeval validate`` writes its problem report.
DEFAULT_VALIDATION_DIR = DEFAULT_OUT_DIR / "validation"

#: The report notebooks shipped inside the package (``commeval/notebooks/``).
REPORT_NOTEBOOKS = ("township_report", "district_summary")
#: The research notebooks shipped inside the package (``commeval/notebooks/research/``; the
#: repository's ``notebooks/`` is a link to that folder, ``commeval init`` copies them).
RESEARCH_NOTEBOOKS = ("survey_analysis", "index_analysis", "survey_design")


def default_processed_dir(data_dir: str | Path) -> Path:
    """Where a raw dataset's processed tables go: ``data/processed/<folder>`` beside
    ``data/raw/<folder>`` (or ``processed/<folder>`` beside any other raw folder)."""
    data_dir = Path(data_dir).resolve()
    root = data_dir.parent.parent if data_dir.parent.name == "raw" else data_dir.parent
    return root / PROCESSED_ROOT.name / data_dir.name


def package_dir() -> Path:
    """The installed ``commeval`` package folder."""
    return Path(str(resources.files("commeval")))


def templates_dir() -> Path:
    """The export templates (``commeval_report.html.j2``) and their stylesheet."""
    return package_dir() / "templates"


def report_notebook(name: str) -> Path:
    """Path of a report notebook shipped with the package (``township_report``,
    ``district_summary``; with or without ``.ipynb``)."""
    stem = name.removesuffix(".ipynb")
    return package_dir() / "notebooks" / f"{stem}.ipynb"


def research_notebook(name: str) -> Path:
    """Path of a research notebook shipped with the package (``survey_analysis``,
    ``index_analysis``; with or without ``.ipynb``)."""
    stem = name.removesuffix(".ipynb")
    return package_dir() / "notebooks" / "research" / f"{stem}.ipynb"


#: The docs, one Markdown file each (``commeval docs`` lists them): what each covers.
DOCS = {
    "projects": "项目目录、commeval.yaml、commeval init / templates",
    "data": "数据约定、代码本、fields.yaml（新增字段和问卷题）、数据校验",
    "framework": "指标体系与公式语言、考核评分表（scoring: points）、commeval framework import/export",
    "survey": "问卷统计（与 R survey 一致）",
    "reports": "报告内容",
    "pipeline": "批量生成报告",
    "ingestion": "导入流程",
    "architecture": "代码分层",
}


def docs_dir() -> Path | None:
    """Where the docs are: ``commeval/docs/`` of an installed wheel (copied there at build),
    else the ``docs/`` of a source checkout; None when neither is there."""
    packaged = package_dir() / "docs"
    if (packaged / "framework.md").is_file():
        return packaged
    checkout = package_dir().parents[1] / "docs"
    if (checkout / "framework.md").is_file():
        return checkout
    return None
