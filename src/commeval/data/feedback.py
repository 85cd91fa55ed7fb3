"""Feedback workbooks (回执): one ``.xlsx`` per submitted file, its problems in Chinese row by row,
ready to send back to the township that sent the file (``commeval validate --feedback DIR``).

Values are quoted only as the problems table holds them — already redacted (ID and phone
numbers, every value of a personal column or sign-off row) — and formula-like cells are escaped.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

from commeval.data import problems as P
from commeval.data.safe_cells import escape_cells
from commeval.files import atomic_path

COLUMNS = ["序号", "级别", "工作表", "行", "列（原表头）", "值", "问题说明", "规则"]
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def feedback_name(file: str) -> str:
    """The workbook's file name for a submitted file: ``回执_<file without extension>.xlsx``
    (folders joined with ``_``, characters unusable in file names replaced, at most 100)."""
    stem = file.rsplit(".", 1)[0] if "." in Path(file).name else file
    stem = _UNSAFE.sub("_", stem.replace("/", "_")).strip(" ._") or "文件"
    return f"回执_{stem[:100]}.xlsx"


def submitted_files(checked: Any) -> list[str]:
    """The data files of a checked dataset: those read and those that could not be."""
    names = list(dict.fromkeys(checked.sources["file"].astype(str)))
    p = checked.problems
    exists = ~p["rule"].isin(["file_missing", "path_outside", "table_missing", "dataset_yaml"])
    for f in p.loc[exists, "file"].astype(str):
        if f and f != "dataset.yaml" and not f.endswith((".yaml", ".yml")) and f not in names:
            names.append(f)
    return names


def write_feedback(checked: Any, out_dir: str | Path) -> list[Path]:
    """One 回执 workbook per submitted file of ``checked`` (a :class:`~commeval.data.checks.
    Checked`) in ``out_dir``; returns their paths."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    problems = checked.problems
    tables = {}
    for r in checked.sources.itertuples(index=False):
        tables.setdefault(str(r.file), str(r.table))
    counts = {}
    for t, n in (checked.counts or {}).items():
        for f in n.get("files") or [n]:
            counts[str(f["file"])] = (t, f)
    written: list[Path] = []
    used: set[str] = set()
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    for file in submitted_files(checked):
        mine = problems[problems["file"].astype(str) == file]
        mine = mine.sort_values(["row", "column"], na_position="first", kind="stable")
        n_err = int((mine["severity"] == P.ERROR).sum())
        n_warn = int((mine["severity"] == P.WARNING).sum())
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "回执"
        ws.append([f"数据校验回执：{file}"])
        ws["A1"].font = Font(bold=True, size=14)
        table = tables.get(file) or counts.get(file, ("", None))[0]
        label = ""
        if table and checked.contract is not None and table in checked.contract.tables:
            label = f"（{checked.contract[table].label}）"
        ws.append([f"表：{table}{label}　校验时间：{stamp}"])
        verdict = (
            "有错误，须改正后重新报送"
            if n_err
            else "无错误，可以使用" + ("（请看警告）" if n_warn else "")
        )
        ws.append([f"共 {n_err} 个错误、{n_warn} 个警告：{verdict}"])
        if file in counts:
            n = counts[file][1]
            ws.append(
                [f"行数核对：读入 {n['rows_in']} 行，保留 {n['rows_kept']} 行，"
                 f"未作为数据读入并已列出 {n['rows_reported']} 行（合计行、签字行、无法解析的行）"]
            )  # fmt: skip
        ws.append([])
        ws.append(COLUMNS)
        head = ws.max_row
        for c in ws[head]:
            c.font = Font(bold=True)
            c.fill = PatternFill("solid", fgColor="DDDDDD")
        rows = pd.DataFrame(
            {
                "序号": range(1, len(mine) + 1),
                "级别": mine["severity"].map(P.SEVERITY_LABELS).fillna(mine["severity"]).to_numpy(),
                "工作表": mine["sheet"].to_numpy(),
                "行": [int(r) if pd.notna(r) else "" for r in mine["row"]],
                "列（原表头）": mine["column"].to_numpy(),
                "值": mine["value"].to_numpy(),
                "问题说明": mine["message"].to_numpy(),
                "规则": mine["rule"].to_numpy(),
            }
        )
        for rec in escape_cells(rows).itertuples(index=False):
            ws.append([v if not isinstance(v, float) else int(v) for v in rec])
        if mine.empty:
            ws.append(["", "", "", "", "", "", "未发现问题 ✓"])
        for col, width in zip("ABCDEFGH", (6, 6, 12, 6, 18, 24, 70, 18), strict=True):
            ws.column_dimensions[col].width = width
        for row in ws.iter_rows(min_row=head + 1):
            row[6].alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = ws.cell(head + 1, 1)
        name = feedback_name(file)
        if name in used:  # a.csv and a.xlsx: the second named with its extension
            name = feedback_name(file.replace(".", "_"))
        used.add(name)
        path = out / name
        with atomic_path(path) as tmp:
            wb.save(tmp)
        written.append(path)
    return written
