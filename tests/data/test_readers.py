"""Readers: encodings, header-row detection, ragged rows, Excel sheets, formulas."""

from __future__ import annotations

import openpyxl
import pytest

from commeval.data.codebook import default_codebook
from commeval.data.readers import ReadError, detect_encoding, read_csv, read_source, read_xlsx

TEXT = "乡镇,户籍人口,户数,镇文化中心站\n商桥镇,1000,250,是\n裴城镇,2000,500,否\n"


def score(cells):
    cb = default_codebook()
    return sum(cb.match_header("townships", c).kind == "field" for c in cells)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_encodings_are_detected(encoding, expected):
    data = TEXT.encode(encoding)
    assert detect_encoding(data) == expected
    frame = read_csv(data, "t.csv", score=score)
    assert frame.headers == ["乡镇", "户籍人口", "户数", "镇文化中心站"]
    assert frame.data["c0"].tolist() == ["商桥镇", "裴城镇"]
    assert frame.rows.tolist() == [2, 3]


def test_gb18030_only_characters():
    text = TEXT.replace("商桥镇", "䶮桥镇")  # outside GBK, inside GB18030
    frame = read_csv(text.encode("gb18030"), "t.csv", encoding="gb18030")
    assert frame.data["c0"].iloc[0] == "䶮桥镇"


def test_declared_encoding_overrides_detection():
    data = TEXT.encode("gbk")
    frame = read_csv(data, "t.csv", encoding="gbk")
    assert frame.encoding == "gbk"
    with pytest.raises(ReadError, match="GB18030"):
        read_csv(data, "t.csv", encoding="utf-8")
    with pytest.raises(ReadError, match="实际是 UTF-8"):
        read_csv(TEXT.encode("utf-8"), "t.csv", encoding="gbk")


def test_title_rows_above_header_are_skipped():
    text = "郾城区乡镇基本情况表,,,\n（2012年）,,,\n" + TEXT
    frame = read_csv(text.encode("utf-8"), "t.csv", score=score)
    assert frame.header_row == 3
    assert frame.rows.tolist() == [4, 5]
    forced = read_csv(text.encode("utf-8"), "t.csv", header_row=3)
    assert forced.headers == frame.headers


def test_ragged_row_is_reported_and_rows_stay_aligned():
    text = TEXT + "新店镇,3000\n龙城镇,4000,900,是\n"
    frame = read_csv(text.encode("utf-8"), "t.csv", score=score)
    assert frame.data["c0"].tolist() == ["商桥镇", "裴城镇", "龙城镇"]
    assert frame.rows.tolist() == [2, 3, 5]
    assert [p["row"] for p in frame.problems] == [4]


def test_xlsx_sheets_formulas_and_merged_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "说明"
    ws.append(["本工作簿为测试"])
    ws2 = wb.create_sheet("乡镇")
    ws2.append(["乡镇", "户籍人口", "户数", "镇文化中心站"])
    ws2.append(["商桥镇", 1000, "=B2/4", "是"])
    ws2.append([None, 2000, 500, "否"])
    ws2.merge_cells("A2:A3")
    path = tmp_path / "t.xlsx"
    wb.save(path)
    data = path.read_bytes()
    frame = read_xlsx(data, "t.xlsx", sheet="乡镇", score=score)
    assert frame.data["c0"].tolist() == ["商桥镇", "商桥镇"]  # merged cell filled
    assert frame.data["c2"].tolist() == [None, "500"]  # formula never evaluated
    assert frame.problems[0]["rule"] == "formula_cell"
    assert frame.problems[0]["row"] == 2
    assert read_xlsx(data, "t.xlsx", sheet=1, score=score).sheet == "乡镇"
    with pytest.raises(ReadError, match="找不到工作表"):
        read_xlsx(data, "t.xlsx", sheet="村")


def test_unsupported_format(tmp_path):
    path = tmp_path / "t.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(ReadError, match="不支持的文件格式"):
        read_source(path, {})
    bad = tmp_path / "t.xls"  # legacy Excel is read now (python-calamine); a broken one says so
    bad.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ReadError, match="已损坏或不完整"):
        read_source(bad, {})
