"""The ranking workbook: a document table as .xlsx read back with openpyxl — title row, frozen
header, numbers stored as numbers rounded as printed with the number format that prints them the
same way, intervals in their own columns, formula-like text escaped."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from commeval.document import Column, Table, cell
from commeval.renderers.xlsx import escape_text, number_format, table_workbook

from .sample_doc import summary_document


def _open(data: bytes):
    return load_workbook(io.BytesIO(data)).active


@pytest.fixture(scope="module")
def ranking() -> Table:
    return summary_document().tables()[0]


def test_title_row_header_and_frozen_panes(ranking):
    ws = _open(table_workbook(ranking, "清河县 2024年度 乡镇排名（得分：分）", sheet="乡镇排名"))
    assert ws.title == "乡镇排名"
    assert ws["A1"].value == "清河县 2024年度 乡镇排名（得分：分）"
    assert ws["A1"].font.bold
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:E1"]
    assert [c.value for c in ws[2]] == ["排名", "乡镇", "综合得分（分）", "等级", "达标率（%）"]
    assert ws.freeze_panes == "A3"
    assert ws.max_row == 2 + len(ranking.rows)
    assert ws.column_dimensions["B"].width >= 8


def test_numbers_are_numbers_formatted_as_printed(ranking):
    ws = _open(table_workbook(ranking, "t"))
    for r, row in enumerate(ranking.rows, start=3):
        rank, name, score, grade, share = (ws.cell(r, j) for j in range(1, 6))
        assert rank.value == int(row[0].text()) and rank.number_format == "0"
        assert name.value == row[1].text() and name.data_type == "s"
        assert score.value == pytest.approx(float(row[2].text()), abs=1e-9)
        assert score.number_format == "0.0"
        # 达标率: the cell's value is a fraction printed "92.0%"; Excel stores the fraction
        assert share.number_format == "0.0%"
        assert share.value == pytest.approx(float(row[4].text().rstrip("%")) / 100, abs=1e-12)
        assert isinstance(share.value, float)
        assert grade.value == row[3].text()


def test_percent_points_become_fractions_and_rounding_follows_the_text():
    t = Table(
        columns=(Column("覆盖率", "%", "right"), Column("均值", "分", "right"),
                 Column("变化", align="right"), Column("人口", "人", "right")),
        rows=((cell("86.4（80.1–91.2）", 86.4321, low=80.1234, high=91.2111, unit="%",
                    kind="estimate"),
               cell("4.12", 4.1234, kind="number"),
               cell("+2.4", 2.4444, kind="number"),
               cell("12,345", 12345.2, kind="number")),),
    )  # fmt: skip
    ws = _open(table_workbook(t, "t"))
    heads = [c.value for c in ws[2]]
    assert heads == ["覆盖率（%）", "覆盖率下限（%）", "覆盖率上限（%）", "均值（分）", "变化", "人口（人）"]  # fmt: skip
    v, lo, hi, mean, change, people = (c for c in ws[3])
    assert (v.value, lo.value, hi.value) == (0.864, 0.801, 0.912)
    assert v.number_format == lo.number_format == hi.number_format == "0.0%"
    assert (mean.value, mean.number_format) == (4.12, "0.00")
    assert (change.value, change.number_format) == (2.4, "+0.0;-0.0;0.0")
    assert (people.value, people.number_format) == (12345, "#,##0")


def test_formula_like_text_is_escaped():
    t = Table(
        columns=(Column("村名"), Column("备注")),
        rows=((cell('=HYPERLINK("http://x")'), cell("-")), (cell("@SUM(A1)"), cell("+1"))),
    )
    ws = _open(table_workbook(t, "=1+1"))
    assert ws["A1"].value == "'=1+1"
    assert ws["A3"].value == '\'=HYPERLINK("http://x")' and ws["A3"].data_type == "s"
    assert ws["B3"].value == "'-" and ws["A4"].value == "'@SUM(A1)" and ws["B4"].value == "'+1"
    assert escape_text("村") == "村" and escape_text("\tx") == "'\tx"
    assert escape_text("东\x0b村") == "东村"


def test_missing_values_stay_text_and_formats():
    t = Table(columns=(Column("得分", "分", "right"),), rows=((cell("—", None, kind="number"),),))
    ws = _open(table_workbook(t, "t", sheet="a/b:c"))
    assert ws["A3"].value == "—" and ws.title == "a_b_c"
    assert number_format(0) == "0" and number_format(2, True) == "0.00%"
