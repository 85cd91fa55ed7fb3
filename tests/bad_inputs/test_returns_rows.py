"""Township returns, rows and cells as spreadsheets hold them: totals rows (typed and Excel table
totals rows), sign-off and note rows under the table, percent-formatted cells, name spellings,
hidden sheets, formula cells with cached values (and cached errors), "2011年度", "—" and "无"."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.worksheet.table import Table
from returns_helpers import cache_values, copy, files, read, sheet_rows, workbook, write

from commeval.data.checks import check_dataset
from commeval.data.contract import contract, extend_contract
from commeval.data.validate import run_validate


def _rules(checked, rule: str) -> pd.DataFrame:
    p = checked.problems
    return p[p["rule"] == rule]


def _errors(checked) -> pd.DataFrame:
    p = checked.problems
    return p[p["severity"] == "error"]


def test_typed_totals_and_subtotal_rows_are_skipped_and_listed(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    t = read(raw, "townships")
    pop = sum(int(x) for x in t["户籍人口"])
    hh = sum(int(x) for x in t["户数"])
    extra = pd.DataFrame(
        [["合 计", str(pop), str(hh), ""], ["全区总计（3个乡镇）", str(pop), str(hh), ""]],
        columns=t.columns,
    )
    write(raw, "townships", pd.concat([t, extra], ignore_index=True))
    v = read(raw, "villages")
    sub = v.iloc[[0]].copy()
    sub["行政村"] = "城关镇小计"
    write(raw, "villages", pd.concat([v.iloc[:3], sub, v.iloc[3:]], ignore_index=True))
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    hit = _rules(checked, "total_row")
    assert sorted(zip(hit["file"], hit["row"])) == [
        ("townships.csv", 5), ("townships.csv", 6), ("villages.csv", 5)
    ]  # fmt: skip
    towns = checked.tables["townships"]
    assert len(towns) == 3 and int(towns["population"].sum()) == pop  # not doubled
    assert len(checked.tables["villages"]) == len(v)
    n = checked.counts["townships"]
    assert (n["rows_in"], n["rows_kept"], n["rows_reported"]) == (5, 3, 2)


def test_excel_table_totals_row_and_cached_formulas(base_raw: Path, tmp_path: Path):
    """An Excel table (插入→表格) with 汇总行: its SUBTOTAL cells hold cached values; the row is
    skipped whatever its label, the formula cells elsewhere are read as their cached values."""
    raw = copy(base_raw, tmp_path / "raw")
    t = read(raw, "townships")
    path = raw / "townships.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "乡镇"
    for r in sheet_rows(t):
        ws.append(r)
    ws["C2"] = "=ROUND(B2/4,0)"  # households computed by a formula (cached below)
    ws.append([None, "=SUBTOTAL(109,[户籍人口])", "=SUBTOTAL(109,[户数])", None])
    tab = Table(displayName="乡镇表", ref="A1:D5", totalsRowCount=1)
    ws.add_table(tab)
    wb.save(path)
    pop = sum(int(x) for x in t["户籍人口"])
    cache_values(path, {"C2": 1426, "B5": pop, "C5": 999})
    (raw / "townships.csv").unlink()
    files(raw, "townships", {"path": "townships.xlsx"})
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    hit = _rules(checked, "total_row")
    assert list(hit["row"]) == [5] and "汇总行" in hit.iloc[0]["message"]
    towns = checked.tables["townships"]
    assert len(towns) == 3 and int(towns["population"].sum()) == pop
    assert int(towns["households"].iloc[0]) == 1426  # the cached value, not "formula_cell"


def test_cached_error_and_missing_result_name_the_cell(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    t = read(raw, "townships")
    path = raw / "townships.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in sheet_rows(t):
        ws.append(r)
    ws["C3"] = "=B3/0"
    ws["C4"] = "=B4/4"  # never calculated: no cached value
    wb.save(path)
    cache_values(path, {"C3": "#DIV/0!"})
    (raw / "townships.csv").unlink()
    files(raw, "townships", "townships.xlsx")
    checked = check_dataset(raw)
    err = _errors(checked)
    assert set(err["rule"]) == {"cell_error", "formula_cell"}, err.to_string()
    ce = err[err["rule"] == "cell_error"].iloc[0]
    assert (ce["row"], ce["column"], ce["value"]) == (3, "户数", "#DIV/0!")
    assert "C3" in ce["message"]
    fc = err[err["rule"] == "formula_cell"].iloc[0]
    assert fc["row"] == 4 and "C4" in fc["message"]


def test_signoff_and_note_rows_are_skipped_without_echoing_them(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    v = read(raw, "villages")
    path = raw / "villages.xlsx"
    below = [
        [],
        ["注：1. 人口按户籍统计；", None, None],
        ["2. 投入资金含上级补助。"],
        ["填表人：马静", None, "审核人：", "司马联络", None, "联系电话：", "+8618603951234"],
        ["填报日期：2012年12月20日", None, None, None, "单位盖章"],
    ]
    workbook(path, v, title="行政村", above=[["城关镇等行政村情况统计表（2011—2012年）"]],
             below=below)  # fmt: skip
    (raw / "villages.csv").unlink()
    files(raw, "villages", {"path": "villages.xlsx"})
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    hit = _rules(checked, "signoff_row")
    first = 2 + 1 + len(v) + 1  # title, header, data, blank row
    assert list(hit["row"]) == [first, first + 1, first + 2, first + 3]
    assert "填表人" in hit.iloc[2]["message"] and "审核人" in hit.iloc[2]["message"]
    assert len(checked.tables["villages"]) == len(v)
    n = checked.counts["villages"]
    assert n["rows_in"] == n["rows_kept"] + n["rows_reported"] == len(v) + 4
    report = tmp_path / "report"
    assert run_validate(raw, report) == 0
    text = (report / "validation_report.html").read_text(encoding="utf-8")
    text += (report / "validation_report.csv").read_text(encoding="utf-8-sig")
    quoted = checked.problems.astype(str).to_csv()
    for secret in ("马静", "司马联络", "18603951234"):
        assert secret not in text and secret not in quoted


def test_percent_formatted_cells_in_a_percent_field(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    fields = tmp_path / "fields.yaml"
    fields.write_text(
        "villages:\n  safe_water_share: {label: 安全饮水覆盖率, dtype: float, unit: '%', "
        "min: 0, max: 100}\n  loan_ratio: {label: 负债率, dtype: float, min: 0, max: 1}\n",
        encoding="utf-8",
    )
    c = extend_contract(contract(), fields)
    v = read(raw, "villages")
    v["安全饮水覆盖率"] = ""
    v["负债率"] = ""
    path = raw / "villages.xlsx"
    wb = workbook(path, v, title="行政村")
    ws = wb["行政村"]
    share = [c.column for c in ws[1] if c.value == "安全饮水覆盖率"][0]
    ratio = [c.column for c in ws[1] if c.value == "负债率"][0]
    for i in range(len(v)):
        a = ws.cell(i + 2, share, 0.605 if i % 2 else 87.5)  # typed 60.5% / typed 87.5
        a.number_format = "0.0%" if i % 2 else "General"
        b = ws.cell(i + 2, ratio, 0.25)
        b.number_format = "0%"  # a fraction shown as 25%: still the fraction 0.25
    wb.save(path)
    (raw / "villages.csv").unlink()
    files(raw, "villages", "villages.xlsx")
    checked = check_dataset(raw, contract=c)
    assert _errors(checked).empty, _errors(checked).to_string()
    got = checked.tables["villages"]
    assert list(got["safe_water_share"]) == [60.5 if i % 2 else 87.5 for i in range(len(v))]
    assert (got["loan_ratio"] == 0.25).all()
    assert not (checked.problems["rule"] == "percent_as_fraction").any()
    for i in range(len(v)):  # now typed as fractions without a percent format
        ws.cell(i + 2, share).number_format = "General"
        ws.cell(i + 2, share).value = 0.605
    wb.save(path)
    warn = check_dataset(raw, contract=c).problems
    hit = warn[warn["rule"] == "percent_as_fraction"]
    assert list(hit["row"]) == [2] and "60.5" in hit.iloc[0]["message"]


def test_name_spellings_are_merged_with_a_warning(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    v = read(raw, "villages")
    s = read(raw, "survey")
    old = v.loc[0, "行政村"]
    v.loc[(v["行政村"] == old) & (v["年度"] == "2011"), "行政村"] = f"{old}（东）"
    v.loc[(v["行政村"] == old) & (v["年度"] == "2012"), "行政村"] = f"{old} (东)"
    s.loc[s["行政村"] == old, "行政村"] = f"{old}(东)"
    t = read(raw, "townships")
    town = t.loc[1, "乡镇"]
    t.loc[1, "乡镇"] = " ".join(town)  # "孟 庙 镇": spaces typed into the name
    write(raw, "villages", v)
    write(raw, "survey", s)
    write(raw, "townships", t)
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    warn = _rules(checked, "name_variant")
    assert {f"{old} (东)", f"{old}（东）", " ".join(town)} <= set(warn["value"])
    assert set(warn["file"]) >= {"villages.csv", "townships.csv"}
    kept = f"{old}(东)"  # the spelling most used (the survey's)
    assert kept in set(checked.tables["villages"]["village"])
    for t in ("villages", "survey"):
        assert not {f"{old}（东）", f"{old} (东)"} & set(checked.tables[t]["village"])
    assert town in set(checked.tables["townships"]["township"])  # the spelling without spaces
    assert " ".join(town) not in set(checked.tables["townships"]["township"])


def test_one_village_twice_in_a_year_in_two_spellings_is_an_error(base_raw, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    v = read(raw, "villages")
    dup = v.iloc[[0]].copy()
    dup.loc[:, "行政村"] = "Ｘ" + v.loc[0, "行政村"]
    v.loc[0, "行政村"] = "X" + v.loc[0, "行政村"]
    write(raw, "villages", pd.concat([v, dup], ignore_index=True))
    checked = check_dataset(raw)
    err = _rules(checked, "duplicate_key")
    assert len(err) == 1 and err.iloc[0]["row"] == len(v) + 2
    assert "第 2 行" in err.iloc[0]["message"]


def test_hidden_first_sheet_and_sheet_found_by_headers(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    v = read(raw, "villages")
    path = raw / "villages.xlsx"
    wb = workbook(path, v, title="行政村", hidden_first=True)
    notes = wb.create_sheet("填表说明", 1)  # a visible sheet without the table's headers
    notes.append(["请按模板填写"])
    wb.move_sheet("行政村", offset=1)
    wb.save(path)
    (raw / "villages.csv").unlink()
    files(raw, "villages", "villages.xlsx")  # no sheet: found by its headers
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    assert checked.located["villages"].sheet == "行政村"
    assert len(checked.tables["villages"]) == len(v)


def test_years_with_nian_dashes_and_none(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    v = read(raw, "villages")
    v["年度"] = [f"{y}年度" if i % 2 else f"{y}年" for i, y in enumerate(v["年度"])]
    v.loc[0, "结对单位年内所办实事件数"] = "无"  # a count: 0
    v.loc[1, "老年协会"] = "无"
    c = read(raw, "communities")
    c.loc[0, "规划楼栋数"] = "—"  # optional number: missing
    c.loc[1, "规划楼栋数"] = "/"
    c.loc[2, "规划楼栋数"] = "不适用"
    c.loc[3, "规划占地面积"] = "—"  # required: an error saying so
    write(raw, "villages", v)
    write(raw, "communities", c)
    checked = check_dataset(raw)
    got = checked.tables["villages"]
    assert set(got["year"]) == {2011, 2012}
    assert int(got["paired_projects_done"].iloc[0]) == 0 and int(got["org_elderly_assoc"][1]) == 0
    assert list(_rules(checked, "none_as_zero")["row"]) == [2, 3]
    na = _rules(checked, "not_applicable")
    assert list(na["row"]) == [2, 3, 4] and set(na["value"]) == {"—", "/", "不适用"}
    assert checked.tables["communities"]["buildings_planned"].iloc[:3].isna().all()
    err = _errors(checked)
    assert list(zip(err["rule"], err["row"])) == [("required", 5)], err.to_string()
    assert "不适用" in err.iloc[0]["message"]


def _ods(path: Path, rows: list[list[object]], percent_col: int) -> None:
    """A minimal OpenDocument spreadsheet (sheet 乡镇); numbers in ``percent_col`` stored as
    fractions with value-type percentage, as LibreOffice writes a percent-formatted cell."""
    import zipfile
    from xml.sax.saxutils import escape

    def cell(v: object, j: int) -> str:
        if isinstance(v, int | float):
            kind = "percentage" if j == percent_col else "float"
            return (f'<table:table-cell office:value-type="{kind}" office:value="{v}">'
                    f"<text:p>{v}</text:p></table:table-cell>")  # fmt: skip
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'

    body = "".join(
        "<table:table-row>" + "".join(cell(v, j) for j, v in enumerate(r)) + "</table:table-row>"
        for r in rows
    )
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body>'
        f'<office:spreadsheet><table:table table:name="乡镇">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)  # fmt: skip
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)


def test_percent_cells_in_ods(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    fields = tmp_path / "fields.yaml"
    fields.write_text(
        "townships:\n  coverage: {label: 覆盖率, dtype: float, unit: '%', min: 0, max: 100}\n",
        encoding="utf-8",
    )
    c = extend_contract(contract(), fields)
    t = read(raw, "townships")
    rows = [[*t.columns, "覆盖率"]]
    shares = [0.605, 0.705, 0.805]
    rows += [[r[0], int(r[1]), int(r[2]), r[3], shares[i]] for i, r in enumerate(t.values)]
    _ods(raw / "townships.ods", rows, percent_col=4)
    (raw / "townships.csv").unlink()
    files(raw, "townships", "townships.ods")
    checked = check_dataset(raw, contract=c)
    assert _errors(checked).empty, _errors(checked).to_string()
    assert list(checked.tables["townships"]["coverage"]) == [60.5, 70.5, 80.5]


def test_a_return_with_only_totals_and_signoff_rows_has_no_data(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    t = read(raw, "townships")
    only = pd.DataFrame(
        [["合计", "100", "20", ""], ["填表人：张三", "", "", ""]], columns=t.columns
    )
    write(raw, "townships", only)
    checked = check_dataset(raw)
    err = _errors(checked)
    hit = err[err["rule"] == "no_data_rows"]
    assert len(hit) == 1 and "只有合计/签字" in hit.iloc[0]["message"]
    assert "张三" not in checked.problems.to_csv()


def test_unit_and_column_number_rows_under_the_header(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    t = read(raw, "townships")
    extra = pd.DataFrame(
        [["（单位：人、户）", "", "", ""], ["甲", "1", "2", "3"]], columns=t.columns
    )
    write(raw, "townships", pd.concat([extra, t], ignore_index=True))
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    hit = checked.problems[checked.problems["rule"] == "header_note_row"]
    assert list(hit["row"]) == [2, 3]
    assert len(checked.tables["townships"]) == len(t)


def test_a_percentage_in_a_count_is_an_error_not_a_guess(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    v = read(raw, "villages")
    v.loc[0, "人口"] = "60%"
    write(raw, "villages", v)
    err = _errors(check_dataset(raw))
    assert list(zip(err["rule"], err["row"])) == [("type:int", 2)], err.to_string()


def test_excel_error_values_in_a_csv_export_name_the_cell(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    t = read(raw, "townships")
    t.loc[1, "户数"] = "#DIV/0!"
    write(raw, "townships", t)
    err = _errors(check_dataset(raw))
    assert list(zip(err["rule"], err["row"], err["column"])) == [("cell_error", 3, "户数")]
    assert "C3" in err.iloc[0]["message"]
