"""The raw dataset description (``dataset.yaml``): name, district, synthetic flag and the file(s) of
each contract table with its format, encoding, sheet and header row.

A table may come as several files (returns: one file per township, per year, or both): its entry
is then a list of paths or entries, or a glob (``returns/*.xlsx``); :func:`table_files` expands it
into one entry per file, sorted, each inside the dataset folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from commeval.data import problems as P
from commeval.data.contract import Contract
from commeval.data.guard import GuardError, load_yaml_file
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
    import yaml

    try:
        return load_yaml_file(path)  # regular file, size and alias-expansion limits
    except GuardError as e:
        raise ValueError(e.message) from None
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
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]], list[dict]]:
    """Parse ``dataset.yaml`` → (metadata, file entries per table — one per file, see
    :func:`table_files` —, problems). Without a
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
    specs: dict[str, list[dict[str, Any]]] = {}
    for table, spec in meta["files"].items():
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
        entries, eprobs = table_files(raw_dir, str(table), spec)
        problems += eprobs
        if entries:
            specs[table] = entries
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


GLOB_CHARS = set("*?[")


def _entries(spec: Any) -> list[Any] | None:
    """A table's entry as a list of single entries (str or mapping); None when malformed."""
    if isinstance(spec, str):
        return [{"path": spec}]
    if isinstance(spec, dict):
        path = spec.get("path")
        if isinstance(path, list):
            return [{**spec, "path": p} for p in path]
        return [spec]
    if isinstance(spec, list) and spec:
        out: list[Any] = []
        for item in spec:
            sub = _entries(item) if isinstance(item, str | dict) else None
            if sub is None:
                return None
            out += sub
        return out
    return None


def table_files(
    raw_dir: Path, table: str, spec: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A table's ``files:`` entry → one entry per file (``path`` relative to ``raw_dir``, in
    sorted order, globs expanded; Excel lock files ``~$…`` and hidden files skipped) and the
    problems: a malformed entry, a path leading out of the folder, a glob matching nothing."""
    items = _entries(spec)
    problems: list[dict[str, Any]] = []
    if items is None or any(
        not isinstance(e.get("path"), str) or not e["path"] or set(e) - FILE_KEYS for e in items
    ):
        problems.append(
            P.one(
                P.ERROR,
                "dataset_yaml",
                f"files.{table} 须为文件路径、路径列表、通配符（如 returns/*.xlsx）或含 path 的映射"
                f"（可选键：{', '.join(sorted(FILE_KEYS - {'path'}))}）",
                file="dataset.yaml",
                field=table,
                value=spec,
            )
        )
        return [], problems
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for e in items:
        rel = e["path"]
        if contained(raw_dir, rel) is None and not (GLOB_CHARS & set(rel) and _safe_glob(rel)):
            problems.append(outside_problem(rel, f"files.{table}.path"))
            continue
        if GLOB_CHARS & set(rel):
            found = []
            for p in sorted(raw_dir.glob(rel)):
                name = p.relative_to(raw_dir).as_posix()
                if p.name.startswith(("~$", ".")) or p.is_dir():
                    continue
                if contained(raw_dir, name) is None:
                    problems.append(outside_problem(name, f"files.{table}.path"))
                    continue
                found.append(name)
            if not found:
                problems.append(
                    P.one(P.ERROR, "file_missing", f"没有文件符合“{rel}”（表 {table}）",
                          file=str(rel)[:80], field=table)
                )  # fmt: skip
            paths = found
        else:
            paths = [rel]
        for name in paths:
            if name not in seen:
                seen.add(name)
                out.append({**e, "path": name})
    return out, problems


def _safe_glob(pattern: str) -> bool:
    p = Path(pattern)
    return not (p.is_absolute() or pattern.startswith(("/", "\\", "~")) or ".." in p.parts)
