"""``manifest.json`` of a report run: what it produced, per township, and what it was made from.

Not to be confused with the processed folder's ``manifest.json``
(:mod:`commeval.data.processed`, ``kind: commeval.processed``): a run's has
``kind: commeval.run`` (both are described in docs/pipeline.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from commeval.display import html_table, kv_table
from commeval.pipeline.publish import write_atomic

MANIFEST = "manifest.json"
SCHEMA = 2  # 2: "kind", "code_hash"
RUN_KIND = "commeval.run"


#: Chinese labels of the manifest's fields and statuses (the run's log speaks Chinese too)
_LABELS = {
    "run": "运行",
    "started": "开始时间",
    "seconds": "用时（秒）",
    "commeval_version": "commeval 版本",
    "project": "项目",
    "data_dir": "数据目录",
    "executor": "执行方式",
    "jobs": "并行数",
}
_STATUS = {"ok": "已生成", "reused": "沿用上次", "failed": "失败"}


def _last_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[-1] if lines else ""


class RunManifest(dict):
    """A run's manifest (a plain ``dict``, as in ``manifest.json``) that shows in JupyterLab as
    the run's settings, counts and one row per report, and prints as one line."""

    def __repr__(self) -> str:
        s = self.get("summary") or {}
        counts = ", ".join(f"{k} {v}" for k, v in s.items())
        return f"<RunManifest {self.get('run')!r}: {counts}>"

    def _repr_html_(self) -> str:
        s = self.get("summary") or {}
        settings = [(label, self.get(k)) for k, label in _LABELS.items() if k in self]
        settings += [
            ("乡镇数", s.get("townships")),
            (
                "已生成 / 沿用 / 失败",
                f"{s.get('rendered')} / {s.get('reused')} / {s.get('failed')}",
            ),
        ]
        entries = {**(self.get("townships") or {})}
        if self.get("index"):
            entries["汇总页 index"] = self["index"]
        rows = [
            (
                name,
                _STATUS.get(e.get("status"), e.get("status")),
                e.get("seconds"),
                e.get("html") or "—",
                _last_line(e.get("error")),
            )
            for name, e in entries.items()
        ]
        table = html_table(
            ["报告", "状态", "用时（秒）", "页面", "错误"],
            rows,
            index_columns=1,
            max_rows=60,
        )
        return kv_table(settings, caption=f"报告运行 {self.get('run')}") + table


def read_manifest(run_dir: Path) -> RunManifest | None:
    """The manifest of a finished run, or None if there is none, it is unreadable or it is not a
    run's manifest."""
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != RUN_KIND:
        return None
    return RunManifest(manifest)


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    manifest = {"schema": SCHEMA, **manifest, "kind": RUN_KIND}
    write_atomic(run_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
