"""``manifest.json`` of a report run: what it produced, per township, and what it was made from.

Not to be confused with the processed folder's ``manifest.json``
(:mod:`commeval.data.processed`, ``kind: commeval.processed``): a run's has
``kind: commeval.run`` (both are described in docs/pipeline.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from commeval.pipeline.publish import write_atomic

MANIFEST = "manifest.json"
SCHEMA = 2  # 2: "kind", "code_hash"
RUN_KIND = "commeval.run"


def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    """The manifest of a finished run, or None if there is none, it is unreadable or it is not a
    run's manifest."""
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != RUN_KIND:
        return None
    return manifest


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    manifest = {"schema": SCHEMA, **manifest, "kind": RUN_KIND}
    write_atomic(run_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
