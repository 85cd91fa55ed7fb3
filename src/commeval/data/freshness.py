"""Is a processed folder current for its raw folder? (hashes of the raw files vs the manifest)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import yaml

from commeval.files import sha256_file


def raw_file_hashes(raw_dir: str | Path) -> dict[str, str]:
    """sha256 of every file ``dataset.yaml`` names (and of dataset.yaml itself), by file name."""
    raw = Path(raw_dir)
    out: dict[str, str] = {}
    meta_path = raw / "dataset.yaml"
    names: list[str] = []
    if meta_path.is_file():
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
        for spec in (meta.get("files") or {}).values():
            names.append(spec if isinstance(spec, str) else str(spec.get("path")))
        names.append("dataset.yaml")
    else:
        names = sorted(p.name for p in raw.iterdir() if p.is_file())
    for name in names:
        path = raw / name
        if path.is_file():
            st = path.stat()
            out[name] = _file_sha256(str(path.resolve()), st.st_size, st.st_mtime_ns)
    return out


@lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a file, remembered per process for an unchanged size and modification time
    (a warm worker checks the same raw files before every report)."""
    return sha256_file(path)


def is_current(raw_dir: str | Path, processed_dir: str | Path) -> bool:
    """True when the processed manifest records exactly the raw files' current hashes."""
    manifest = Path(processed_dir) / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    sources = {s["file"]: s["sha256"] for s in recorded.get("sources", [])}
    current = raw_file_hashes(raw_dir)
    data_files = {k: v for k, v in current.items() if k != "dataset.yaml"}
    return bool(sources) and all(sources.get(k) == v for k, v in data_files.items())
