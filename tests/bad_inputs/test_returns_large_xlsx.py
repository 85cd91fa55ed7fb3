"""A large .xlsx is streamed (openpyxl read-only: rows parsed one by one, merged ranges and
Excel tables read from the sheet XML) and reads exactly as the same workbook read whole: every
spreadsheet habit of the returns — a hidden first sheet, a merged title row and township cells
merged down, percent formats, formulas with cached values, a cached error, a formula without a
result, an Excel table's totals row. Peak memory of a 200,000-row survey is measured in
docs/benchmarks.md (benchmarks/bench_large_xlsx.py), not asserted here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl.worksheet.table import Table
from returns_helpers import cache_values, read, workbook

import commeval.data.readers as R


@pytest.fixture(scope="module")
def book(base_raw: Path, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("large") / "villages.xlsx"
    v = read(base_raw, "villages").head(8)
    width = len(v.columns)
    wb = workbook(path, v, title="行政村", above=[["行政村情况（标题行）"]], hidden_first=True)
    ws = wb["行政村"]
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)  # title
    town = ws.cell(3, 2).value
    for r in range(4, 6):
        ws.cell(r, 2).value = None
    ws.merge_cells(start_row=3, start_column=2, end_row=5, end_column=2)  # 乡镇 merged down
    ws.cell(4, 5).number_format = "0.0%"
    ws.cell(4, 5).value = 0.5
    ws.cell(6, 5).value = "=E3+E5"  # cached below
    ws.cell(7, 5).value = "=1/0"  # cached #DIV/0!
    ws.cell(8, 6).value = "=E8*2"  # no cached value
    last = ws.max_row + 1
    ws.append(["合计"] + [None] * (width - 1))
    ref = f"A2:{ws.cell(last, width).column_letter}{last}"
    ws.add_table(Table(displayName="村表", ref=ref, totalsRowCount=1))
    wb.save(path)
    cache_values(path, {"E6": 4321, "E7": "#DIV/0!"}, sheet=2)
    assert town
    return path.read_bytes()


def _read(data: bytes, monkeypatch, streaming: bool) -> R.RawFrame:
    monkeypatch.setattr(R, "STREAM_XLSX_BYTES", -1 if streaming else 1 << 40)
    calls = []
    real = R._xlsx_xml_extras
    monkeypatch.setattr(R, "_xlsx_xml_extras", lambda *a: calls.append(a) or real(*a))
    got = R.read_xlsx(data, "villages.xlsx", header_row=2)
    assert bool(calls) is streaming  # the merges and tables came from the XML when streamed
    return got


def test_a_streamed_workbook_reads_as_the_whole_workbook(book: bytes, monkeypatch):
    whole = _read(book, monkeypatch, streaming=False)
    streamed = _read(book, monkeypatch, streaming=True)
    assert streamed.sheet == whole.sheet == "行政村"  # the hidden first sheet passed over
    pd.testing.assert_frame_equal(streamed.data, whole.data)
    assert np.array_equal(streamed.rows, whole.rows)
    assert streamed.headers == whole.headers
    assert streamed.skip_rows == whole.skip_rows and len(whole.skip_rows) == 1  # totals row
    assert streamed.formula_cells == whole.formula_cells and len(whole.formula_cells) == 2
    assert streamed.problems == whole.problems
    assert {p["rule"] for p in whole.problems} == {"formula_cell", "cell_error"}
    town = whole.data.iloc[0, 1]
    assert list(whole.data.iloc[:3, 1]) == [town] * 3  # merged down, filled
    assert whole.data.iloc[1, 4] == R.percent_text(0.5)  # shown as formatted
    assert whole.data.iloc[3, 4] == "4321"  # the cached formula value


def test_a_sheet_xml_is_scanned_in_chunks_across_their_boundaries(book: bytes):
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(book)) as z:
        part = R._xlsx_sheet_part(z, "行政村")
        assert part == "xl/worksheets/sheet2.xml"
        whole = R._scan(z, part, rb'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"')
        tiny = R._scan(z, part, rb'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"', chunk=7)
        assert R._xlsx_xml_extras(book, "行政村")[1] == [
            (R._xlsx_xml_extras(book, "行政村")[1][0][0], 1, "村表")
        ]
    assert sorted(whole) == sorted(tiny) and len(whole) == 2
