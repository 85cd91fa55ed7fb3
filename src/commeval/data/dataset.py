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


def yaml_error_text(e: Exception) -> str:
    """A YAML error as 第 L 行第 C 列：problem (line and column 1-based)."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    if mark is not None:
        return f"第 {mark.line + 1} 行第 {mark.column + 1} 列：{problem}"
    return str(problem)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; :class:`ValueError` (with line and column) when it cannot be."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as e:
        raise ValueError(yaml_error_text(e)) from None
    except UnicodeDecodeError:
        raise ValueError("文件不是 UTF-8 编码") from None


def contained(raw_dir: Path, rel: Any) -> Path | None:
    """``raw_dir / rel`` when it stays inside ``raw_dir`` (relative, no ``..``, no symlink
    leading out); else None. Nothing outside the dataset folder is ever opened."""
    text = str(rel)
    if not text or "\x00" in text:
        return None
    p = Path(text)
    if p.is_absolute() or text.startswith(("/", "\\", "~")) or ".." in p.parts:
        return None
    if len(p.drive) or ":" in p.parts[0]:
        return None
    root = raw_dir.resolve()
    target = (raw_dir / p).resolve()
    if target != root and root not in target.parents:
        return None
    return raw_dir / p


def outside_problem(rel: Any, key: str) -> dict[str, Any]:
    """The problem for a path leading out of the dataset folder (its content never shown)."""
    return P.one(
        P.ERROR,
        "path_outside",
        f"dataset.yaml 中 {key} 的路径须是数据集目录内的相对路径（不能用绝对路径、“..”或指向目录外的"
        "链接），该文件未读取",
        file="dataset.yaml",
        field=key,
        value=str(rel)[:80],
    )


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
                if (raw_dir / f"{t}{ext}").exists() and contained(raw_dir, f"{t}{ext}"):
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
            meta = read_yaml(path) or {}
        except ValueError as e:
            problems.append(
                P.one(P.ERROR, "dataset_yaml", f"dataset.yaml 无法解析（{e}）", file="dataset.yaml")
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
        if table == "design" and "design" not in c.tables:
            continue  # the survey's sampling design: joined at ingestion (data/design_table.py)
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
        if contained(raw_dir, spec["path"]) is None:
            problems.append(outside_problem(spec["path"], f"files.{table}.path"))
            continue
        specs[table] = spec
    if (
        isinstance(meta.get("codebook"), str | Path)
        and contained(raw_dir, meta["codebook"]) is None
    ):
        problems.append(outside_problem(meta["codebook"], "codebook"))
    for table in c.tables:
        if table not in specs and not any(
            p["field"] in (table, f"files.{table}.path") for p in problems
        ):
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
