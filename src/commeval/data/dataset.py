"""The raw dataset description (``dataset.yaml``): name, district, synthetic flag and the file of
each contract table with its format, encoding, sheet and header row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from commeval.data import problems as P
from commeval.data.contract import Contract
from commeval.data.readers import EXTENSIONS

FILE_KEYS = {"path", "format", "encoding", "sheet", "header_row"}


def load_dataset(
    raw_dir: Path, c: Contract
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[dict]]:
    """Parse ``dataset.yaml`` → (metadata, file spec per table, problems). Without a
    ``dataset.yaml``, files named after the tables (``survey.csv``, ``villages.xlsx``…) are used."""
    problems: list[dict[str, Any]] = []
    path = raw_dir / "dataset.yaml"
    if not raw_dir.is_dir():
        problems.append(
            P.one(P.ERROR, "dir_missing", f"找不到数据目录 {raw_dir}", file=str(raw_dir))
        )
        return {}, {}, problems
    if not path.exists():
        files = {}
        for t in c.tables:
            for ext in EXTENSIONS:
                if (raw_dir / f"{t}{ext}").exists():
                    files[t] = {"path": f"{t}{ext}"}
                    break
        problems.append(
            P.one(
                P.WARNING,
                "dataset_yaml_missing",
                "缺少 dataset.yaml，按文件名（如 survey.csv）识别各表",
                file="dataset.yaml",
            )
        )
        meta: dict[str, Any] = {"name": raw_dir.name, "files": files}
    else:
        try:
            with open(path, encoding="utf-8") as fh:
                meta = yaml.safe_load(fh) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            problems.append(
                P.one(
                    P.ERROR,
                    "dataset_yaml",
                    f"dataset.yaml 无法解析：{str(e).splitlines()[0]}",
                    file="dataset.yaml",
                )
            )
            return {}, {}, problems
        if not isinstance(meta, dict) or not isinstance(meta.get("files"), dict):
            problems.append(
                P.one(
                    P.ERROR,
                    "dataset_yaml",
                    "dataset.yaml 须包含 files 映射（每个表一个文件）",
                    file="dataset.yaml",
                    field="files",
                )
            )
            return meta if isinstance(meta, dict) else {}, {}, problems
    specs: dict[str, dict[str, Any]] = {}
    for table, spec in meta["files"].items():
        if isinstance(spec, str):
            spec = {"path": spec}
        if table not in c.tables:
            problems.append(
                P.one(
                    P.WARNING,
                    "unknown_table",
                    f"dataset.yaml 中的表“{table}”不在数据约定中，已忽略",
                    file="dataset.yaml",
                    field=str(table),
                )
            )
            continue
        if not isinstance(spec, dict) or "path" not in spec or set(spec) - FILE_KEYS:
            problems.append(
                P.one(
                    P.ERROR,
                    "dataset_yaml",
                    f"files.{table} 须为含 path 的映射（可选键："
                    f"{', '.join(sorted(FILE_KEYS - {'path'}))}）",
                    file="dataset.yaml",
                    field=str(table),
                    value=spec,
                )
            )
            continue
        specs[table] = spec
    for table in c.tables:
        if table not in specs and not any(p["field"] == table for p in problems):
            problems.append(
                P.one(
                    P.ERROR,
                    "table_missing",
                    f"数据集缺少表“{table}”（{c[table].label}）",
                    file="dataset.yaml",
                    field=table,
                )
            )
    return meta, specs, problems
