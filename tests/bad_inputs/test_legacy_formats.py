"""Legacy spreadsheets read for real: the villages table of the base dataset as a BIFF8 ``.xls``,
a WPS ``.et`` (the same bytes), an OpenDocument ``.ods`` and, for comparison, an ``.xlsx`` of the
same layout (fixtures/, written by make_legacy_fixtures.py: a 填表说明 sheet first, then 村级情况
with a title merged across row 1, Chinese headers in row 2, 乡镇 merged down each township, blank
cells). ``commeval validate`` and ``commeval process`` exit 0 and the processed villages table is
the one made from the CSV — same rows, values and dtypes — with the raw files untouched. Files
that only look like spreadsheets (a web page, Excel 2003 XML or text saved as .xls, an OLE2 file
without a workbook, a cut-off file) are one Chinese error each, exit 2.
OpenDocument merges are read from content.xml (python-calamine gives none): repeated rows and
columns, as LibreOffice writes them, are counted.

No test needs xlwt or odfpy: the fixtures are committed; to regenerate them see
make_legacy_fixtures.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from commeval.cli import main
from commeval.data.checks import check_dataset
from commeval.data.processed import load_processed

FIXTURES = Path(__file__).parent / "fixtures"
SHEET = "村级情况"
REGENERATE = "fixtures are stale: .venv/bin/python tests/bad_inputs/make_legacy_fixtures.py"


def _hashes(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


def _villages_file(raw: Path, file: str, data: bytes, **entry: object) -> None:
    """The villages table of ``raw`` becomes ``file`` (holding ``data``), declared with ``entry``."""
    (raw / "villages.csv").unlink()
    (raw / file).write_bytes(data)
    meta = yaml.safe_load((raw / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"]["villages"] = {"path": file, **entry}
    (raw / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")


def _validate(raw: Path, report: Path) -> int:
    return main(["validate", "--data", str(raw), "--report-dir", str(report)])


def _process(raw: Path, processed: Path) -> int:
    return main(["process", "--data", str(raw), "--processed", str(processed)])


@pytest.fixture(scope="module")
def csv_villages(base_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The processed villages table made from the base dataset's CSV (the CLI, as below)."""
    assert (FIXTURES / "villages.csv").read_bytes() == (base_raw / "villages.csv").read_bytes(), (
        REGENERATE
    )
    tmp = tmp_path_factory.mktemp("legacy_csv")
    raw = tmp / "raw"
    shutil.copytree(base_raw, raw)
    assert _process(raw, tmp / "processed") == 0
    tables, _ = load_processed(tmp / "processed")
    assert len(tables["villages"]) == 18
    return tables["villages"]


FILES = ["villages.xls", "villages.et", "villages.ods", "villages.xlsx"]
DECLARED = {
    "declared": {"sheet": SHEET, "header_row": 2},  # by name, header row given
    "detected": {"sheet": 1},  # by index, header found below the title row
}


def test_et_is_the_xls_bytes():
    """WPS 表格 saves .et as BIFF8, the .xls format: the fixture is those bytes under .et."""
    assert (FIXTURES / "villages.et").read_bytes() == (FIXTURES / "villages.xls").read_bytes()
    assert (FIXTURES / "villages.xls").read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")


@pytest.mark.parametrize("how", DECLARED)
@pytest.mark.parametrize("file", FILES)
def test_legacy_villages_table_is_the_csv_one(
    base_raw: Path, tmp_path: Path, csv_villages: pd.DataFrame, file: str, how: str, capsys
):
    raw = tmp_path / "raw"
    shutil.copytree(base_raw, raw)
    data = (FIXTURES / file).read_bytes()
    _villages_file(raw, file, data, **DECLARED[how])
    before = _hashes(raw)

    problems = check_dataset(raw).problems
    assert problems[problems["file"] == file].empty, problems.to_string()  # not even a warning
    assert not (problems["severity"] == "error").any(), problems.to_string()
    assert _validate(raw, tmp_path / "report") == 0
    assert _process(raw, tmp_path / "processed") == 0
    out = capsys.readouterr().out
    assert "villages 18" in out, out

    tables, _ = load_processed(tmp_path / "processed")
    got = tables["villages"]
    pd.testing.assert_frame_equal(got, csv_villages)  # rows, order, values and dtypes
    assert got["township"].notna().all()  # the merged 乡镇 cells filled down
    assert got["paired_unit"].isna().any()  # blank 结对区直部门 cells stay missing

    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text("utf-8"))
    assert manifest["rows"]["villages"] == {
        "file": file, "rows_in": 18, "rows_kept": 18, "rows_reported": 0, "rows_written": 18,
    }  # fmt: skip
    (src,) = [s for s in manifest["sources"] if s["table"] == "villages"]
    assert src["sha256"] == hashlib.sha256(data).hexdigest() and src["bytes"] == len(data)
    assert _hashes(raw) == before  # raw files byte-identical afterwards


@pytest.mark.parametrize(
    "file,fixture",
    [("villages.et", "villages.xlsx"), ("villages.xls", "villages.ods")],
    ids=["xlsx_saved_as_et", "ods_named_xls"],
)
def test_a_spreadsheet_under_another_extension_is_read_as_what_it_is(
    base_raw: Path, tmp_path: Path, csv_villages: pd.DataFrame, file: str, fixture: str
):
    """New WPS versions save xlsx bytes; a file renamed by hand: read by content, not by name."""
    raw = tmp_path / "raw"
    shutil.copytree(base_raw, raw)
    _villages_file(raw, file, (FIXTURES / fixture).read_bytes(), sheet=SHEET, header_row=2)
    assert _process(raw, tmp_path / "processed") == 0
    tables, _ = load_processed(tmp_path / "processed")
    pd.testing.assert_frame_equal(tables["villages"], csv_villages)


def _xls() -> bytes:
    return (FIXTURES / "villages.xls").read_bytes()


UNREADABLE = [
    (
        "html_saved_as_xls",
        "villages.xls",
        lambda: (
            "<html><head><meta charset='utf-8'></head><body><table><tr><td>年度</td>"
            "<td>乡镇</td></tr><tr><td>2011</td><td>城关镇</td></tr></table></body></html>".encode()
        ),
        "unsupported_format",
        "文件实际是网页（HTML）或 XML 文本",
    ),
    (
        "excel2003_xml_as_xls",
        "villages.xls",
        lambda: (
            b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>\n'
        ),
        "unsupported_format",
        "Excel 2003 XML 表格",
    ),
    (
        "gbk_tab_text_as_xls",
        "villages.xls",
        lambda: "年度\t乡镇\t行政村\r\n2011\t城关镇\t王堂\r\n".encode("gbk"),
        "unsupported_format",
        "文件实际是纯文本",
    ),
    (
        "ole2_without_workbook_as_et",
        "villages.et",
        lambda: _xls().replace("Workbook".encode("utf-16-le"), "Contents".encode("utf-16-le")),
        "unsupported_format",
        "其中没有 Excel 工作簿数据",
    ),
    (
        "cut_off_xls",
        "villages.xls",
        lambda: _xls()[: len(_xls()) // 2],
        "corrupt_file",
        "表格文件已损坏或不完整",
    ),
    (
        "cut_off_ods",
        "villages.ods",
        lambda: (FIXTURES / "villages.ods").read_bytes()[:2000],
        "corrupt_file",
        "表格文件已损坏或不完整",
    ),
    ("empty_et", "villages.et", lambda: b"", "file_empty", "文件为空"),
]


@pytest.mark.parametrize(
    "file,build,rule,message", [c[1:] for c in UNREADABLE], ids=[c[0] for c in UNREADABLE]
)
def test_a_file_that_is_not_really_a_spreadsheet_says_what_it_is(
    base_raw: Path, tmp_path: Path, file: str, build, rule: str, message: str, capsys
):
    raw = tmp_path / "raw"
    shutil.copytree(base_raw, raw)
    _villages_file(raw, file, build(), sheet=SHEET)
    before = _hashes(raw)
    p = check_dataset(raw).problems
    hit = p[p["file"] == file]
    assert list(hit["rule"]) == [rule], p.to_string()
    assert message in hit.iloc[0]["message"]
    assert _validate(raw, tmp_path / "report") == 2
    assert message in capsys.readouterr().out
    assert _process(raw, tmp_path / "processed") == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "processed" / "manifest.json").exists()
    assert _hashes(raw) == before


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path='
    '"/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry'
    ' manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def test_ods_merges_count_repeated_rows_and_columns():
    """LibreOffice writes runs of blank cells and rows as one repeated element, header rows in
    a group, merges as spans over covered cells: the spans land on the right grid cells."""
    from commeval.data.readers import read_calamine

    def cell(text: str = "", **span: int) -> str:
        attrs = "".join(f' table:number-{k}-spanned="{v}"' for k, v in span.items())
        body = f"<text:p>{text}</text:p>" if text else ""
        return f'<table:table-cell office:value-type="string"{attrs}>{body}</table:table-cell>'

    def row(*cells: str, repeated: int = 1) -> str:
        return f'<table:table-row table:number-rows-repeated="{repeated}">{"".join(cells)}</table:table-row>'

    gap = '<table:table-cell table:number-columns-repeated="1"/>'  # a blank column A
    covered = "<table:covered-table-cell/>"
    sheet = (
        '<table:table table:name="村">'
        "<table:table-header-rows>"
        + row('<table:table-cell table:number-columns-repeated="4"/>', repeated=2)
        + "</table:table-header-rows>"
        + row(
            gap,
            cell("村级情况表", columns=3),
            '<table:covered-table-cell table:number-columns-repeated="2"/>',
        )
        + row(gap, cell("年度"), cell("乡镇"), cell("行政村"))
        + row(gap, cell("2011"), cell("城关镇", rows=2), cell("王堂"))
        + row(gap, cell("2011"), covered, cell("陆庄"))
        + "</table:table>"
    )
    ns = " ".join(
        f'xmlns:{p}="urn:oasis:names:tc:opendocument:xmlns:{p}:1.0"'
        for p in ("office", "table", "text")
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body>'
        '<office:spreadsheet><table:table table:name="说明">'
        + row(cell("说明", columns=2, rows=9), covered)
        + f"</table:table>{sheet}</office:spreadsheet></office:body></office:document-content>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", MANIFEST)
    frame = read_calamine(
        buf.getvalue(), "t.ods", sheet="村", fmt="ods", score=lambda r: 3 * ("乡镇" in r)
    )
    assert frame.header_row == 4 and frame.headers == ["", "年度", "乡镇", "行政村"]
    assert frame.rows.tolist() == [5, 6]
    assert frame.data.values.tolist() == [
        [None, "2011", "城关镇", "王堂"],
        [None, "2011", "城关镇", "陆庄"],
    ]
