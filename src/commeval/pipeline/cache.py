"""Incremental runs: which reports of the previous run can be reused unchanged.

A township report's key hashes ``District.input_hash(township)`` (its data slice, the district
evaluation key, the framework, commeval's version), the township notebook and the export
template. The index key hashes the district key, the summary notebook, the template and the list
of reports it links (``reused`` counts as ``ok``).

``run_key`` is a cheaper key for the whole run, computed *before* loading the district: processed
tables' checksums, the framework file, the year, the township selection, notebooks, template and
version. When it equals the previous run's and that run had no failure, every report is reused
without evaluating the district or starting a kernel.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from commeval import __version__
from commeval.files import sha256_file

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


def _sha(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


file_hash = sha256_file


@cache
def template_hash() -> str:
    """Hash of the export template and stylesheet (a change re-renders every page)."""
    return _sha(*[(p.name, file_hash(p)) for p in sorted(TEMPLATES_DIR.iterdir()) if p.is_file()])


def township_key(input_hash: str, notebook_hash: str) -> str:
    return _sha("township", input_hash, notebook_hash, template_hash(), __version__)


def index_key(district_key: str, year: int, notebook_hash: str, reports: list[dict]) -> str:
    norm = [{**r, "status": "ok" if r["status"] == "reused" else r["status"]} for r in reports]
    return _sha("index", district_key, year, notebook_hash, template_hash(), __version__, norm)


def run_key(
    processed_dir: Path,
    year: int | None,
    townships: list[str] | None,
    notebook_hashes: list[str],
) -> str | None:
    """Whole-run key from cheap inputs, or None if the processed data has no manifest."""
    try:
        manifest = json.loads((processed_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    tables = {k: v.get("sha256") for k, v in (manifest.get("tables") or {}).items()}
    fw_files = sorted(CONFIG_DIR.glob("*.yaml"))
    return _sha(
        "run",
        tables,
        [file_hash(p) for p in fw_files],
        year,
        townships,
        notebook_hashes,
        template_hash(),
        __version__,
    )


def reusable(previous: dict | None, name: str, key: str, previous_dir: Path | None) -> Path | None:
    """The previous run's HTML of ``name`` if it was rendered from the same ``key``."""
    if not previous or previous_dir is None:
        return None
    entry = (previous.get("townships") or {}).get(name)
    if not entry or entry.get("status") == "failed" or entry.get("key") != key:
        return None
    html = previous_dir / entry["html"]
    return html if html.is_file() else None
