"""Design rules at ingestion (抽样设计), in Chinese, naming file, Excel row, column and value:
a PSU (village) in two strata is an error; zero weights, the same village name under two
townships in one year and weight totals far from the population margins are warnings."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from commeval.data.checks import check_dataset
from commeval.data.validate import run_validate


def _hashes(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


def _edit(root: Path, table: str, fn) -> None:
    path = root / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    fn(df)
    df.to_csv(path, index=False, encoding="utf-8-sig")


def _psu_two_strata(df: pd.DataFrame) -> None:
    df.loc[2, "抽样层"] = "别的层"  # Excel row 4; rows 2-5 are the same village


def _zero_weight(df: pd.DataFrame) -> None:
    df.loc[5, "抽样权数"] = "0"


def _village_two_towns(df: pd.DataFrame) -> None:
    other = df.loc[df["乡镇"] != df.loc[0, "乡镇"]].index[0]
    df.loc[other, "行政村"] = df.loc[0, "行政村"]


def _weights_off(df: pd.DataFrame) -> None:
    town = df.loc[0, "乡镇"]
    w = pd.to_numeric(df["抽样权数"])
    df["抽样权数"] = w.where(df["乡镇"] != town, w * 1.5).map(lambda x: f"{x:g}")


CASES = [
    # (name, table, edit, rule, severity, message, file, row, column, value)
    ("psu_two_strata", "survey", _psu_two_strata, "design:psu_in_two_strata", "error",
     "同时属于两个抽样层", "survey.csv", 4, "抽样层", "别的层"),
    ("zero_weight", "survey", _zero_weight, "design:zero_weight", "warning",
     "抽样权数为 0", "survey.csv", 7, "抽样权数", "0"),
    ("village_two_towns", "villages", _village_two_towns, "design:village_in_two_townships",
     "warning", "出现在两个乡镇", "villages.csv", None, "行政村", None),
    ("weights_off_margins", "survey", _weights_off, "design:weight_margin", "warning",
     "相差 +50%", "survey.csv", 2, "抽样权数", None),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_design_rule(base_raw, tmp_path, case):
    name, table, edit, rule, severity, message, file, row, column, value = case
    raw = tmp_path / "raw"
    shutil.copytree(base_raw, raw)
    _edit(raw, table, edit)
    before = _hashes(raw)
    p = check_dataset(raw).problems
    hit = p[p["rule"] == rule]
    assert len(hit) >= 1, p.to_string()
    h = hit.iloc[0]
    assert h["severity"] == severity and message in h["message"], h.to_dict()
    assert h["file"] == file and h["column"] == column
    if row is not None:
        assert h["row"] == row
    else:
        assert pd.notna(h["row"])
    if value is not None:
        assert h["value"] == value
    out = io.StringIO()
    code = run_validate(raw, tmp_path / "report", out=out)
    errors = p[p["severity"] == "error"]
    assert code == (2 if len(errors) else 0), errors.to_string()
    assert code == (2 if severity == "error" else 0)
    assert message in (tmp_path / "report" / "validation_report.html").read_text(encoding="utf-8")
    assert _hashes(raw) == before
    assert not list(raw.glob("*.tmp"))


def test_valid_dataset_has_no_design_problem(base_raw):
    p = check_dataset(base_raw).problems
    assert not p["rule"].str.startswith("design:").any(), p.to_string()
