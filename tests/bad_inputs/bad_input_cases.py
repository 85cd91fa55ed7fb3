"""The bad-input corpus (错误输入样例): each case turns a small valid raw dataset into a broken
one and states the Chinese message, rule, row and exit code validation must give.

Generated, not committed (the 10 MB case in particular). To look at the files:

    .venv/bin/python tests/bad_inputs/bad_input_cases.py OUT_DIR
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import yaml

from commeval.synthetic import generate_district, write_raw


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], None]  # mutates a copy of the valid base dataset
    rule: str
    message: str  # expected substring of the Chinese message
    file: str
    row: int | None = None  # Excel row of the problem, when it has one
    severity: str = "error"

    @property
    def exit_code(self) -> int:
        return 2 if self.severity == "error" else 0


def base_dataset(root: Path) -> Path:
    """A small valid raw dataset (3 townships × 3 villages, 72 respondents)."""
    tables = generate_district(
        townships=3, villages_per_township=3, respondents_per_village=4, seed=3
    )
    return write_raw(tables, root)


def _read(root: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(
        root / f"{table}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )


def _write(root: Path, table: str, df: pd.DataFrame, encoding: str = "utf-8-sig") -> None:
    df.to_csv(root / f"{table}.csv", index=False, encoding=encoding)


def _set(root: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` is the 0-based data row (Excel row = row + 2)."""
    df = _read(root, table)
    df.loc[row, column] = value
    _write(root, table, df)


def _files(root: Path, table: str, **entry: object) -> None:
    meta = yaml.safe_load((root / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"][table] = entry
    (root / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")


def empty_file(root: Path) -> None:
    (root / "survey.csv").write_bytes(b"")


def header_only(root: Path) -> None:
    _write(root, "survey", _read(root, "survey").head(0))


def wrong_encoding(root: Path) -> None:
    _write(root, "survey", _read(root, "survey"), encoding="gbk")
    _files(root, "survey", path="survey.csv", format="csv", encoding="utf-8")


def truncated_xlsx(root: Path) -> None:
    df = _read(root, "villages")
    df.to_excel(root / "villages.xlsx", index=False)
    data = (root / "villages.xlsx").read_bytes()
    (root / "villages.xlsx").write_bytes(data[: len(data) // 2])
    (root / "villages.csv").unlink()
    _files(root, "villages", path="villages.xlsx")


def duplicate_ids(root: Path) -> None:
    df = _read(root, "survey")
    _set(root, "survey", 5, "问卷编号", df.loc[3, "问卷编号"])


def unknown_township(root: Path) -> None:
    _set(root, "survey", 10, "乡镇", "不存在镇")


def likert_7(root: Path) -> None:
    _set(root, "survey", 7, "对农村社区建设的总体满意度", "7")


def negative_area(root: Path) -> None:
    _set(root, "villages", 2, "社区服务中心建筑面积", "-120")


def text_in_number(root: Path) -> None:
    _set(root, "villages", 1, "人口", "约两千")


def date_in_number(root: Path) -> None:
    """Excel turned a number into a date: a real date cell in .xlsx."""
    df = _read(root, "communities")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(df.columns))
    for rec in df.itertuples(index=False):
        ws.append([_num(v) for v in rec])
    ws.cell(
        row=3, column=list(df.columns).index("规划住房套数") + 1, value=dt.datetime(1902, 3, 10)
    )
    wb.save(root / "communities.xlsx")
    (root / "communities.csv").unlink()
    _files(root, "communities", path="communities.xlsx")


def formula_cell(root: Path) -> None:
    df = _read(root, "townships")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "乡镇"
    ws.append(["乡镇基本情况（2012年）"])  # a title row above the header
    ws.append(list(df.columns))
    for rec in df.itertuples(index=False):
        ws.append([_num(v) for v in rec])
    ws["C3"] = "=B3/4"  # households computed by a formula
    wb.save(root / "townships.xlsx")
    (root / "townships.csv").unlink()
    _files(root, "townships", path="townships.xlsx", sheet="乡镇")


def id_in_free_text(root: Path) -> None:
    _set(root, "survey", 4, "意见建议", "我的身份证号是411199198001011234，有事找我")


def big_file_bad_last_row(root: Path) -> None:
    """≈10 MB survey (valid rows repeated with fresh IDs) with one bad age in the last row."""
    df = _read(root, "survey")
    reps = int(np.ceil(11 * 1024 * 1024 / (root / "survey.csv").stat().st_size)) + 1
    big = pd.concat([df] * reps, ignore_index=True)
    big["问卷编号"] = [f"B{i:08d}" for i in range(len(big))]
    big.loc[len(big) - 1, "年龄"] = "160"
    _write(root, "survey", big)


def _num(v: str) -> object:
    try:
        f = float(v)
    except ValueError:
        return v if v != "" else None
    return int(f) if f.is_integer() else f


def _big_last_row(root: Path) -> int:  # pragma: no cover - informative
    return len(_read(root, "survey")) + 1


CASES = [
    Case("empty_file", empty_file, "file_empty", "文件为空", "survey.csv"),
    Case("header_only", header_only, "no_data_rows", "只有表头，没有数据行", "survey.csv", 1),
    Case("wrong_encoding", wrong_encoding, "encoding", "无法按声明的编码 utf-8 读取文件", "survey.csv"),
    Case("truncated_xlsx", truncated_xlsx, "corrupt_file", "已损坏或不完整", "villages.xlsx"),
    Case("duplicate_ids", duplicate_ids, "duplicate_key", "与第 5 行相同", "survey.csv", 7),
    Case("unknown_township", unknown_township, "reference:townships", "乡镇“不存在镇”不在乡镇表中",
         "survey.csv", 12),
    Case("likert_7", likert_7, "allowed", "取值不在允许范围内", "survey.csv", 9),
    Case("negative_area", negative_area, "range:min", "“社区服务中心建筑面积”不能为负数",
         "villages.csv", 4),
    Case("text_in_number", text_in_number, "type:int", "“人口”应为整数，不能是文本", "villages.csv", 3),
    Case("date_in_number", date_in_number, "date_in_number", "却是日期", "communities.xlsx", 3),
    Case("formula_cell", formula_cell, "formula_cell", "公式", "townships.xlsx", 3),
    Case("id_in_free_text", id_in_free_text, "personal_in_text", "含有身份证号或手机号等个人信息，已隐去",
         "survey.csv", 6, severity="warning"),
    Case("big_file_bad_last_row", big_file_bad_last_row, "range:max", "“年龄”超过最大值 100",
         "survey.csv", None),
]  # fmt: skip


def build(case: Case, base: Path, out: Path) -> Path:
    shutil.copytree(base, out)
    case.build(out)
    return out


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "bad_inputs_corpus")
    base = base_dataset(out / "_valid")
    for case in CASES:
        build(case, base, out / case.name)
        print(f"{case.name}: {case.rule} — {case.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
