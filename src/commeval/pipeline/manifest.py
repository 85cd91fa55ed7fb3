"""``manifest.json``: what a run produced, per township, and what it was made from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from commeval.pipeline.publish import write_atomic

MANIFEST = "manifest.json"
SCHEMA = 1


def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    """The manifest of a finished run, or None if there is none (or it is unreadable)."""
    try:
        return json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    manifest = {"schema": SCHEMA, **manifest}
    write_atomic(run_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
