"""Writes the legacy-spreadsheet fixtures of tests/bad_inputs/test_legacy_formats.py into
tests/bad_inputs/fixtures/: the villages table of the bad-input base dataset
(bad_input_cases.base_dataset: 3 townships × 3 villages, 2 years, 18 rows) laid out as district
offices send it, in each format:

    villages.csv    the base dataset's villages.csv, byte for byte (the reference)
    villages.xls    BIFF8 (Excel 97–2003), written with xlwt
    villages.et     WPS 表格 .et: the same BIFF8 bytes as villages.xls
    villages.ods    OpenDocument, written with odfpy
    villages.xlsx   the same layout with openpyxl (what the legacy formats are compared with)

Layout of every workbook: a first sheet 填表说明 (notes, Chinese text), then the sheet 村级情况:
row 1 a title merged across all columns, row 2 the Chinese headers, data from row 3; numbers as
number cells, texts as text cells, empty cells blank (结对区直部门 of villages without a partner
department), and 乡镇 merged down over the rows of one township and year — the top cell holds the
name, the others are blank in the file, as Excel/WPS/LibreOffice store a merge.

xlwt and odfpy are needed only to run this script, never by the tests:

    .venv/bin/python -m pip install xlwt odfpy
    .venv/bin/python tests/bad_inputs/make_legacy_fixtures.py [OUT_DIR]

The output is deterministic (fixed document dates and ZIP timestamps): re-running it on an
unchanged base dataset rewrites the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bad_input_cases import base_dataset  # noqa: E402

SHEET = "村级情况"
NOTES_SHEET = "填表说明"
TITLE = "郾城区（示例）农村社区建设村级情况统计表（2011—2012年，合成数据）"
NOTES = [
    "填表说明",
    "1. 本表为测试用合成数据，不代表任何真实村庄。",
    "2. 每个行政村每年填写一行；乡镇单元格按乡镇合并。",
    "3. 是/否类指标填“是”或“否”；无结对区直部门的留空。",
]
FIXED = dt.datetime(2012, 12, 31, 12, 0, 0)
ZIP_TIME = (2012, 12, 31, 12, 0, 0)
MERGE_COLUMN = "乡镇"
GROUP = ["年度", "乡镇"]


def value(text: str) -> str | int | float | None:
    """A CSV cell as the spreadsheet cell a district office types: number or text, or blank."""
    if text == "":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def township_runs(df: pd.DataFrame) -> list[tuple[int, int]]:
    """(first, last) 0-based data rows of each run of rows of one township and year."""
    key = df[GROUP].astype(str).agg("|".join, axis=1).tolist()
    runs, start = [], 0
    for i in range(1, len(key) + 1):
        if i == len(key) or key[i] != key[start]:
            runs.append((start, i - 1))
            start = i
    return runs


def write_xls(df: pd.DataFrame, path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    notes = wb.add_sheet(NOTES_SHEET)
    for i, line in enumerate(NOTES):
        notes.write(i, 0, line)
    ws = wb.add_sheet(SHEET)
    ncol = len(df.columns)
    ws.write_merge(0, 0, 0, ncol - 1, TITLE)
    for j, h in enumerate(df.columns):
        ws.write(1, j, h)
    m = df.columns.get_loc(MERGE_COLUMN)
    for first, last in township_runs(df):
        ws.write_merge(first + 2, last + 2, m, m, df.iat[first, m])
    for i, row in enumerate(df.itertuples(index=False)):
        for j, text in enumerate(row):
            v = value(text)
            if j != m and v is not None:
                ws.write(i + 2, j, v)
    wb.save(str(path))


def write_ods(df: pd.DataFrame, path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    def cell(v: str | int | float | None, **span: int) -> TableCell:
        if v is None:
            return TableCell(**span)
        if isinstance(v, int | float):
            c = TableCell(valuetype="float", value=v, **span)
        else:
            c = TableCell(valuetype="string", **span)
        c.addElement(P(text=str(v)))
        return c

    doc = OpenDocumentSpreadsheet()
    notes = Table(name=NOTES_SHEET)
    for line in NOTES:
        r = TableRow()
        r.addElement(cell(line))
        notes.addElement(r)
    doc.spreadsheet.addElement(notes)
    t = Table(name=SHEET)
    ncol = len(df.columns)
    r = TableRow()
    r.addElement(cell(TITLE, numbercolumnsspanned=ncol))
    for _ in range(ncol - 1):
        r.addElement(CoveredTableCell())
    t.addElement(r)
    r = TableRow()
    for h in df.columns:
        r.addElement(cell(h))
    t.addElement(r)
    m = df.columns.get_loc(MERGE_COLUMN)
    starts = {first: last - first + 1 for first, last in township_runs(df)}
    for i, row in enumerate(df.itertuples(index=False)):
        r = TableRow()
        for j, text in enumerate(row):
            if j == m:
                if i in starts:
                    r.addElement(cell(value(text), numberrowsspanned=starts[i]))
                else:
                    r.addElement(CoveredTableCell())
            else:
                r.addElement(cell(value(text)))
        t.addElement(r)
    doc.spreadsheet.addElement(t)
    doc.meta.childNodes[:] = []  # no generator / creation date: deterministic bytes
    buf = io.BytesIO()
    doc.write(buf)
    path.write_bytes(fixed_zip(buf.getvalue()))


def write_xlsx(df: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    notes = wb.active
    notes.title = NOTES_SHEET
    for line in NOTES:
        notes.append([line])
    ws = wb.create_sheet(SHEET)
    ncol = len(df.columns)
    ws.cell(1, 1, TITLE)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.append(list(df.columns))
    m = df.columns.get_loc(MERGE_COLUMN)
    for i, row in enumerate(df.itertuples(index=False)):
        for j, text in enumerate(row):
            v = value(text)
            if j != m and v is not None:
                ws.cell(i + 3, j + 1, v)
    for first, last in township_runs(df):
        ws.cell(first + 3, m + 1, df.iat[first, m])
        ws.merge_cells(start_row=first + 3, start_column=m + 1, end_row=last + 3, end_column=m + 1)
    wb.properties.created = wb.properties.modified = FIXED
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(fixed_zip(buf.getvalue()))


def fixed_zip(data: bytes) -> bytes:
    """The same archive, entries in the same order and compression, with a fixed timestamp (and
    the xlsx modification date, which openpyxl sets to the time of saving, fixed too)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, body)
            fixed = zipfile.ZipInfo(info.filename, ZIP_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, body)
    return out.getvalue()


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else HERE / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = base_dataset(Path(tmp) / "raw")
        csv_bytes = (raw / "villages.csv").read_bytes()
    df = pd.read_csv(io.BytesIO(csv_bytes), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    (out / "villages.csv").write_bytes(csv_bytes)
    write_xls(df, out / "villages.xls")
    (out / "villages.et").write_bytes((out / "villages.xls").read_bytes())
    write_ods(df, out / "villages.ods")
    write_xlsx(df, out / "villages.xlsx")
    for p in sorted(out.glob("villages.*")):
        print(f"{p}  {p.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
