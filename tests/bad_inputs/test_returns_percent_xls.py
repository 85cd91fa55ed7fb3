"""Percent formats in legacy workbooks (.xls, WPS .et): python-calamine gives no number formats,
so commeval reads the BIFF8 FORMAT/XF records itself (commeval.data.biff) — a cell formatted
as percent in a ``%`` field is read as the percentage shown, as in .xlsx and .ods. Where a file
cannot tell percent cells, a ``%`` field whose values all lie in [0, 1] is warned about
(疑似以小数形式保存的百分比), never scaled. The fixture is made by make_percent_xls.py
(openpyxl → LibreOffice)."""

from __future__ import annotations

from pathlib import Path

import pytest
from returns_helpers import copy, files, read, write

from commeval.data.biff import is_percent_format, percent_cells
from commeval.data.checks import check_dataset
from commeval.data.contract import contract, extend_contract

FIXTURE = Path(__file__).parent / "fixtures" / "villages_percent.xls"
FIELDS = (
    "villages:\n"
    "  safe_water_share: {label: 安全饮水覆盖率, dtype: float, unit: '%', min: 0, max: 100}\n"
    "  loan_ratio: {label: 负债率, dtype: float, min: 0, max: 1}\n"
    "  note_count: {label: 备注数, dtype: float, min: 0}\n"
)


@pytest.fixture
def project_contract(tmp_path: Path):
    path = tmp_path / "fields.yaml"
    path.write_text(FIELDS, encoding="utf-8")
    return extend_contract(contract(), path)


@pytest.mark.parametrize("suffix", [".xls", ".et"])
def test_percent_cells_of_a_legacy_workbook_read_as_shown(base_raw, tmp_path, project_contract,
                                                          suffix):  # fmt: skip
    raw = copy(base_raw, tmp_path / "raw")
    (raw / f"villages{suffix}").write_bytes(FIXTURE.read_bytes())  # .et: WPS saves BIFF8 too
    (raw / "villages.csv").unlink()
    files(raw, "villages", f"villages{suffix}")
    checked = check_dataset(raw, contract=project_contract)
    errors = checked.problems[checked.problems["severity"] == "error"]
    assert errors.empty, errors.to_string()
    got = checked.tables["villages"]
    n = len(got)
    shown = [90.0 if i == n - 1 else (60.5 if i % 2 else 87.5) for i in range(n)]
    assert list(got["safe_water_share"]) == shown  # 0.605 formatted 0.0% → 60.5
    assert (got["loan_ratio"] == 0.25).all()  # a ratio shown as 25%: the fraction itself
    assert (got["note_count"] == 0.5).all()  # 0.00"%": the % is quoted text, not a format
    assert not (checked.problems["rule"] == "percent_as_fraction").any()
    # the rest of the table as the CSV of the same rows
    ref = read(base_raw, "villages")
    assert list(got["village"]) == list(ref["行政村"])


def test_the_biff_records_name_exactly_the_percent_cells():
    cells = percent_cells(FIXTURE.read_bytes(), "行政村")
    share, ratio = 43, 44  # 0-based columns of 安全饮水覆盖率 and 负债率 (备注数 is 45)
    assert {c for _, c in cells} == {share, ratio}
    assert {r for r, c in cells if c == ratio} == set(range(1, 19))  # every data row
    assert {r for r, c in cells if c == share} == set(range(2, 19, 2))  # 0.605 rows and 0.9
    assert percent_cells(FIXTURE.read_bytes(), "no such sheet") == set()
    assert percent_cells(b"not a workbook" * 100, "行政村") == set()
    assert percent_cells(FIXTURE.read_bytes()[:4096], "行政村") == set()  # cut short: nothing


@pytest.mark.parametrize(
    "code,percent",
    [("0%", True), ("0.0%", True), ("#,##0.00%;[Red]-0.00%", True), ('0.00"%"', False),
     ("0.0\\%", False), ("[$%-804]0.0", False), ("General", False), ("0.00_%", False)],
)  # fmt: skip
def test_percent_format_codes(code: str, percent: bool):
    assert is_percent_format(code) is percent


def test_fractions_in_a_percent_field_are_warned_not_scaled(base_raw, tmp_path, project_contract):
    raw = copy(base_raw, tmp_path / "raw")
    v = read(raw, "villages")
    values = ["0.605", "0.5", "", "1", "0.875"] + ["0.4"] * (len(v) - 5)
    v["安全饮水覆盖率"] = values
    v["负债率"] = "0.25"
    v["备注数"] = "0.5"
    write(raw, "villages", v)
    p = check_dataset(raw, contract=project_contract).problems
    hit = p[p["rule"] == "percent_as_fraction"]
    assert len(hit) == 1  # the % field only: a ratio (max 1) and a plain number are not
    row = hit.iloc[0]
    assert (row["file"], row["row"], row["column"], row["value"]) == (
        "villages.csv", 2, "安全饮水覆盖率", "0.605"
    )  # fmt: skip
    assert row["message"].startswith("疑似以小数形式保存的百分比：“安全饮水覆盖率”的单位是 %")
    assert (
        f"这一列的 {len(v) - 1} 个数全在 0–1 之间（0.605、0.5、1、0.875、0.4、0.4…）"
        in row["message"]
    )
    assert "0.605 应为 60.5" in row["message"] and "不会自动换算" in row["message"]
    got = check_dataset(raw, contract=project_contract).tables["villages"]
    assert got["safe_water_share"].iloc[0] == 0.605  # never scaled
