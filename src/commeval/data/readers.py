"""Readers for raw files (原始数据读取): CSV (UTF-8, UTF-8 BOM, GBK, GB18030), Excel ``.xlsx``,
SPSS ``.sav`` and questionnaire-platform (问卷星) exports.

Every reader opens the file read-only, hashes exactly the bytes it parses and returns a
:class:`RawFrame`: all cells as text (``None`` when empty), the source headers, the row number of
each data row as the user sees it in Excel, and the problems met while reading. Readers never
evaluate formulas: ``.xlsx`` formula cells are reported and left empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commeval.data import problems as P
from commeval.data.biff import percent_cells
from commeval.data.guard import (
    MAX_STREAMED_UNZIPPED_BYTES,
    GuardError,
    check_regular,
    check_zip,
    read_regular,
)
from commeval.errors import InputError
from commeval.files import sha256_bytes, sha256_file

FORMATS = {"csv", "xlsx", "xls", "ods", "sav", "wjx", "tencent"}
EXTENSIONS = {
    ".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".sav": "sav",
    ".xls": "xls", ".et": "xls", ".ods": "ods",
}  # fmt: skip
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
HEADER_SCAN_ROWS = 30
# Free-text cells can be long (a pasted letter): the csv module's 128 K default would crash.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

HeaderScore = Callable[[list[str]], int]


class ReadError(InputError):
    """A file cannot be read at all; carries the problem row."""

    def __init__(self, problem: dict[str, Any]):
        super().__init__(problem["message"])
        self.problem = problem


@dataclass
class RawFrame:
    """One raw table as text, with where each value came from."""

    data: pd.DataFrame  # columns c0..cN (positional), text cells, None when empty
    headers: list[str]  # source header of each column
    rows: np.ndarray  # row number as seen in Excel, per data row
    file: str
    sheet: str = ""
    header_row: int = 1
    encoding: str | None = None
    fmt: str = "csv"
    alt_headers: list[str] = field(default_factory=list)  # .sav variable labels
    formula_cells: set[tuple[int, int]] = field(default_factory=set)  # (data row, column)
    problems: list[dict[str, Any]] = field(default_factory=list)
    #: data rows in the file (blank rows not counted) = rows kept + rows dropped (each reported)
    rows_in: int = 0
    rows_dropped: list[int] = field(default_factory=list)  # Excel row numbers, each reported
    #: Excel rows the reader knows are not data (an Excel table's totals row) → why
    skip_rows: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceInfo:
    file: str
    sha256: str
    bytes: int
    modified: str


def file_info(path: Path, data: bytes | None = None) -> SourceInfo:
    """sha256, size and modification time of a raw file (hashing ``data`` when given)."""
    st = path.stat()
    digest = sha256_file(path) if data is None else sha256_bytes(data)
    modified = dt.datetime.fromtimestamp(st.st_mtime, dt.UTC).isoformat(timespec="seconds")
    return SourceInfo(path.name, digest, st.st_size, modified)


def detect_format(path: Path, declared: str | None = None) -> str:
    if declared:
        return declared
    return EXTENSIONS.get(path.suffix.lower(), "")


def read_source(
    path: Path,
    spec: dict[str, Any],
    score: HeaderScore | None = None,
    data: bytes | None = None,
    name: str | None = None,
) -> RawFrame:
    """Read one raw file described by a ``dataset.yaml`` file entry (``name``: how problems name
    it, default the file name). Raises :class:`ReadError`."""
    name = name or path.name
    fmt = detect_format(path, spec.get("format"))
    if fmt in ("wjx", "tencent"):  # survey platforms export CSV or Excel
        inner = detect_format(path) or "csv"
        frame = read_source(path, {**spec, "format": inner}, score, data, name)
        frame.fmt = fmt
        return frame
    if fmt not in FORMATS:
        raise ReadError(
            P.one(
                P.ERROR,
                "unsupported_format",
                f"不支持的文件格式“{path.suffix or fmt}”：请另存为 "
                ".csv、.xlsx、.xls、.ods 或 .sav，或在 dataset.yaml 中指定 format",
                file=name,
            )
        )
    try:
        if data is None and fmt != "sav":
            data = read_regular(path)  # read-only; regular files within the size limit only
        elif fmt == "sav":
            check_regular(path)
    except GuardError as e:
        raise ReadError(P.one(P.ERROR, e.rule, e.message, file=name)) from None
    if fmt != "sav":
        fmt = sniff(data, fmt, name)
    if fmt in ("xls", "ods"):
        frame = read_calamine(data, name, spec.get("sheet"), spec.get("header_row"), score, fmt)
        return error_cells(frame, EXCEL_ERRORS)
    if fmt == "csv":
        frame = read_csv(data, name, spec.get("encoding"), spec.get("header_row"), score)
        return error_cells(frame, EXCEL_ERRORS - {"#N/A"})  # #N/A: a missing-value token
    if fmt == "xlsx":
        return read_xlsx(data, name, spec.get("sheet"), spec.get("header_row"), score)
    return read_sav(path, name)


#: Excel's error values: a formula's cached result that is no number
EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


def error_cells(frame: RawFrame, errors: frozenset[str] | set[str]) -> RawFrame:
    """Cells holding an Excel error value (a formula's cached ``#DIV/0!`` in ``.xls``/``.ods``,
    or the text Excel writes for it in a CSV export): a ``cell_error`` problem naming the cell,
    the cell left empty (and not reported again as a missing required value)."""
    if frame.data.empty:
        return frame
    for j, c in enumerate(frame.data.columns):
        col = frame.data[c]
        hit = np.flatnonzero(col.isin(list(errors)).to_numpy())
        if not len(hit):
            continue
        header = frame.headers[j] if j < len(frame.headers) and frame.headers[j] else ""
        for i in hit:
            row = int(frame.rows[i])
            frame.problems.append(
                P.one(P.ERROR, "cell_error", f"单元格 {_col_letter(j)}{row} 是错误值 {col.iat[i]}"
                      "（公式无法计算，如除以 0、引用无效），没有可用的数值：请改正公式或填入数值",
                      file=frame.file, sheet=frame.sheet, row=row, column=header or _col_letter(j),
                      value=col.iat[i])
            )  # fmt: skip
            frame.formula_cells.add((int(i), j))
        frame.data[c] = col.where(~col.isin(list(errors)), None)
    return frame


def sniff(data: bytes, fmt: str, name: str) -> str:
    """The format the bytes really have (magic numbers), whatever the file is called: an xlsx or
    ods named .csv is read as what it is; an encrypted Office file or a ZIP archive is an error
    saying so (never "encoding unknown")."""
    if data.startswith(OLE2):
        if ENCRYPTED in data:
            raise ReadError(
                P.one(P.ERROR, "encrypted", "文件设有密码，请取消密码后重新导出", file=name)
            )
        return "xls"  # legacy Excel (.xls) or WPS (.et)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and _text_sample(data[:65536]) is not None:
        return "csv"  # Excel's "Unicode 文本" (UTF-16, tab-separated), whatever its extension
    if data.startswith(b"PK\x03\x04"):
        try:
            check_zip(data, MAX_STREAMED_UNZIPPED_BYTES)  # the central directory only
        except GuardError as e:
            raise ReadError(P.one(P.ERROR, e.rule, e.message, file=name)) from None
        head = data[:4096]
        if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
            return "ods"
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            if fmt == "xlsx":
                return fmt  # a truncated xlsx: the xlsx reader says so
            names = []
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        if fmt == "xlsx":
            return fmt
        raise ReadError(
            P.one(P.ERROR, "unsupported_format", "文件实际是 ZIP 压缩包，不是表格：请先解压，"
                  "在 dataset.yaml 中指向其中的 .csv/.xlsx 文件", file=name)
        )  # fmt: skip
    if data.startswith((b"$FL2", b"$FL3")):
        raise ReadError(
            P.one(P.ERROR, "unsupported_format", "文件实际是 SPSS 数据文件：请把扩展名改为 .sav",
                  file=name)
        )  # fmt: skip
    if fmt == "csv" and b"\x00" in data[:65536]:
        raise ReadError(
            P.one(P.ERROR, "unsupported_format", "文件含有二进制内容（NUL 字节），不是文本表格："
                  "请确认选对了文件，或用 Excel/WPS 另存为 .xlsx 或 UTF-8 CSV", file=name)
        )  # fmt: skip
    return fmt


def read_calamine(
    data: bytes, name: str, sheet: Any = None, header_row: Any = None,
    score: HeaderScore | None = None, fmt: str = "xls",
) -> RawFrame:  # fmt: skip
    """Legacy Excel ``.xls``, WPS ``.et`` (BIFF8, the same bytes as ``.xls``) and OpenDocument
    ``.ods`` (python-calamine; cached values, formulas never evaluated). Merged cells are filled
    with their top-left value, as in ``.xlsx``."""
    import python_calamine as pc

    if not data:
        raise ReadError(P.one(P.ERROR, "file_empty", "文件为空（0 字节）", file=name))
    if data.startswith(b"PK\x03\x04"):
        try:
            check_zip(data)  # before calamine inflates anything
        except GuardError as e:
            raise ReadError(P.one(P.ERROR, e.rule, e.message, file=name)) from None
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # PasswordError, CalamineError, ZipError…
        if type(e).__name__ == "PasswordError":
            raise ReadError(
                P.one(P.ERROR, "encrypted", "文件设有密码，请取消密码后重新导出", file=name)
            ) from None
        raise ReadError(_not_a_workbook(data, name, e)) from None
    names = list(wb.sheet_names)
    try:
        if sheet is None:
            ws = _calamine_sheet(wb, score)
        elif isinstance(sheet, int):
            ws = wb.get_sheet_by_index(sheet)
        else:
            ws = wb.get_sheet_by_name(str(sheet))
    except Exception:
        raise ReadError(
            P.one(P.ERROR, "sheet_missing", f"找不到工作表“{sheet}”（现有：{'、'.join(names)}）",
                  file=name, sheet=str(sheet))
        ) from None  # fmt: skip
    title = ws.name
    grid = ws.to_python(skip_empty_area=False)  # from A1: row i of the grid is Excel row i + 1
    width = max((len(r) for r in grid), default=0)
    text = [[_cell_text(v) for v in list(r) + [None] * (width - len(r))] for r in grid]
    text = [[None if c == "" else c for c in r] for r in text]
    # Merged cells: every cell of the range takes the top-left value (calamine leaves them empty).
    for (r0, c0), (r1, c1) in _calamine_merges(ws, data, fmt, title):
        if r0 >= len(text) or c0 >= width:
            continue
        v = text[r0][c0]
        for i in range(r0, min(r1, len(text) - 1) + 1):
            for j in range(c0, min(c1, width - 1) + 1):
                text[i][j] = v
    if fmt in ("ods", "xls"):  # percent-formatted numbers as the percentage shown, as in .xlsx
        cells = _ods_percent(data, title) if fmt == "ods" else sorted(percent_cells(data, title))
        for r, c in cells:
            if r < len(text) and c < width and text[r][c] is not None:
                try:
                    text[r][c] = percent_text(float(text[r][c]))
                except ValueError:
                    pass
    frame, headers, rows, hi = _sheet_frame(text, name, title, score, header_row)
    return _finish(frame, headers, rows, name, title, hi + 1, None, fmt, [])


_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_percent(data: bytes, title: str) -> list[tuple[int, int]]:
    """Grid positions of the cells of sheet ``title`` of an OpenDocument spreadsheet whose value
    type is ``percentage`` (repeated rows and columns counted)."""
    out: list[tuple[int, int]] = []
    try:
        for r, c, rows, cols, el, _ in _ods_cells(data, title, b'value-type="percentage"'):
            if el.get(_ODS_OFFICE + "value-type") == "percentage" and rows == 1:
                out += [(r, c + k) for k in range(min(cols, 1000))]
    except (ET.ParseError, ValueError):
        return []
    return out


def _calamine_sheet(wb: Any, score: HeaderScore | None) -> Any:
    """Without a declared sheet: among the visible worksheets, the one whose best header row maps
    to the most fields (hidden sheets — drop-down lists, workings — ignored)."""
    meta = list(getattr(wb, "sheets_metadata", []) or [])
    visible = [
        m.name for m in meta
        if "visible" == str(getattr(m, "visible", "visible")).rsplit(".", 1)[-1].lower()
        and "worksheet" in str(getattr(m, "typ", "worksheet")).lower()
    ] or list(wb.sheet_names)  # fmt: skip
    if len(visible) == 1 or score is None:
        return wb.get_sheet_by_name(visible[0])
    best, best_score = None, -1
    for n in visible:
        ws = wb.get_sheet_by_name(n)
        rows = ws.to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
        s = max((score([_cell_text(v) or "" for v in r]) for r in rows), default=0)
        if s > best_score:
            best, best_score = ws, s
    return best


def _not_a_workbook(data: bytes, name: str, e: Exception) -> dict[str, Any]:
    """The problem for a file python-calamine cannot open, saying what the bytes are when that
    is known: a web page, an Excel 2003 XML file or a text file saved as .xls (the "Excel export"
    of many web systems; Excel's "Unicode 文本" is UTF-16), an Office/WPS compound file without a
    workbook inside (a Word file, an old WPS-only format); else a damaged or incomplete file."""
    text = _text_sample(data[:65536])
    if text is not None and text.lstrip("\ufeff \t\r\n").startswith("<"):
        what = "网页（HTML）或 XML 文本"
        if "urn:schemas-microsoft-com:office:spreadsheet" in text:
            what = " Excel 2003 XML 表格（XML 电子表格）"
        return P.one(
            P.ERROR, "unsupported_format", f"文件实际是{what}，不是真正的 Excel 文件（常见于网页系统"
            "导出的“Excel”）：请用 Excel 或 WPS 打开后另存为 .xlsx 再导入", file=name,
        )  # fmt: skip
    if text is not None:
        return P.one(
            P.ERROR, "unsupported_format", "文件实际是纯文本（如制表符或逗号分隔的文本），不是真正的 "
            "Excel 文件：请用 Excel 或 WPS 打开后另存为 .xlsx 再导入（逗号分隔的也可把扩展名改为 "
            ".csv）", file=name,
        )  # fmt: skip
    streams = _ole2_streams(data) if data.startswith(OLE2) else None
    if streams is not None and not streams & {"workbook", "book"}:
        what = "Word 文档" if "worddocument" in streams else "其他文档或 WPS 表格的旧版专有格式"
        return P.one(
            P.ERROR, "unsupported_format", f"文件是 Office/WPS 复合文档，但其中没有 Excel 工作簿"
            f"数据（可能是{what}）：请用 WPS 或 Excel 打开后另存为 .xlsx 再导入", file=name,
        )  # fmt: skip
    return P.one(
        P.ERROR, "corrupt_file", "表格文件已损坏或不完整，无法打开；请重新导出"
        f"（{type(e).__name__}）", file=name,
    )  # fmt: skip


def _text_sample(sample: bytes) -> str | None:
    """The start of a file as text when it is text (UTF-16 with BOM, UTF-8, GB18030; no control
    characters but tab and line ends), else None."""
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        n = len(sample) // 2 * 2
        text = sample[:n].decode("utf-16", errors="replace")
    elif _decodes(sample, "utf-8"):
        text = sample.decode("utf-8", errors="ignore")
    elif _decodes(sample, "gb18030"):
        text = sample.decode("gb18030", errors="ignore")
    else:
        return None
    if not text or any(ch < "\t" or "\r" < ch < " " or ch == "\ufffd" for ch in text):
        return None
    return text


def _ole2_streams(data: bytes) -> set[str] | None:
    """Lower-cased names of the entries of an OLE2 compound file's directory (each a 128-byte
    slot: UTF-16 name, its byte length, entry type); None when the header is invalid or the
    first directory sector lies past the end of the file (a cut-off file)."""
    if len(data) < 512:
        return None
    shift = int.from_bytes(data[30:32], "little")
    if shift not in (9, 12):
        return None
    size = 1 << shift
    if (int.from_bytes(data[48:52], "little") + 2) * size > len(data):
        return None
    names: set[str] = set()
    for p in range(size, len(data) - 127, 128):
        n = int.from_bytes(data[p + 64 : p + 66], "little")
        if 4 <= n <= 64 and n % 2 == 0 and data[p + 66] in (1, 2, 5):
            try:
                names.add(data[p : p + n - 2].decode("utf-16-le").lower())
            except UnicodeDecodeError:
                pass
    return names


def _calamine_merges(ws: Any, data: bytes, fmt: str, title: str) -> list[tuple[Any, Any]]:
    """Merged ranges ``((first row, first col), (last row, last col))``, 0-based from A1:
    python-calamine's (``.xls``; python-calamine >= 0.4), else read from the ``.ods``
    content.xml (python-calamine gives none for OpenDocument)."""
    ranges = getattr(ws, "merged_cell_ranges", None)
    if ranges is None and fmt == "ods":
        return _ods_merges(data, title)
    return [((int(a), int(b)), (int(c), int(d))) for (a, b), (c, d) in ranges or []]


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_merges(data: bytes, title: str) -> list[tuple[Any, Any]]:
    """Spanned cells (``table:number-rows-spanned`` / ``number-columns-spanned``) of the sheet
    ``title`` of an OpenDocument spreadsheet, in grid positions (repeated rows and columns
    counted, tables nested in a cell skipped)."""
    out: list[tuple[Any, Any]] = []
    try:
        for r, c, _, _, el, real in _ods_cells(data, title, b"-spanned"):
            rs = int(el.get(_ODS_TABLE + "number-rows-spanned", "1"))
            cs = int(el.get(_ODS_TABLE + "number-columns-spanned", "1"))
            if real and (rs > 1 or cs > 1):
                out.append(((r, c), (r + rs - 1, c + cs - 1)))
    except (ET.ParseError, ValueError):
        return []  # calamine read the sheet; its merges are then left unfilled
    return out


def _ods_cells(
    data: bytes, title: str, marker: bytes
) -> Iterator[tuple[int, int, int, int, Any, bool]]:
    """Every cell of sheet ``title`` of an OpenDocument spreadsheet as (grid row, grid column,
    rows repeated, columns repeated, element, a real cell — not a covered one), in document order
    (tables nested in a cell skipped); nothing when ``content.xml`` cannot be read or lacks
    ``marker``. Raises ``ET.ParseError`` / ``ValueError`` on broken XML or counts."""
    t = _ODS_TABLE
    table, row, cell, covered = (t + n for n in ("table", "table-row", "table-cell",
                                                 "covered-table-cell"))  # fmt: skip
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            content = z.read("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        return
    if marker not in content:
        return
    depth, inside, r, c, rows = 0, False, 0, 0, 1
    for event, el in ET.iterparse(io.BytesIO(content), events=("start", "end")):
        tag = el.tag
        if tag == table:
            if event == "start":
                depth += 1
                inside = inside or (depth == 1 and el.get(t + "name") == title)
            else:
                if depth == 1 and inside:
                    return
                depth -= 1
            continue
        if not inside or depth != 1:
            continue
        if tag == row:
            if event == "start":
                c, rows = 0, int(el.get(t + "number-rows-repeated", "1"))
            else:
                r += rows
                el.clear()
        elif tag in (cell, covered) and event == "start":
            cols = int(el.get(t + "number-columns-repeated", "1"))
            yield r, c, rows, cols, el, tag == cell
            c += cols


def _sheet_frame(
    text: list[list[str | None]], name: str, title: str, score: HeaderScore | None, header_row: Any
) -> tuple[pd.DataFrame, list[str], np.ndarray, int]:
    """A sheet's cell texts → (body frame, headers, Excel row of each body row, header index):
    the header row picked, trailing unnamed columns dropped. An empty sheet is an error."""
    if not text or all(all(c is None for c in r) for r in text):
        raise ReadError(
            P.one(P.ERROR, "file_empty", "工作表为空（没有表头也没有数据）", file=name, sheet=title)
        )
    hi = _pick_header(text[:HEADER_SCAN_ROWS], score, header_row)
    headers = [(h or "").strip() for h in text[hi]]
    while headers and headers[-1] == "":
        headers.pop()
    ncol = len(headers)
    body = [r[:ncol] for r in text[hi + 1 :]]
    frame = pd.DataFrame(body, columns=[f"c{i}" for i in range(ncol)], dtype=object)
    rows = np.arange(len(frame), dtype=np.int64) + hi + 2
    return frame, headers, rows, hi


# --- CSV --------------------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` or ``gb18030`` (a superset of GBK); ``""`` if none fits."""
    return _detect_and_decode(data)[1]


def _detect_and_decode(data: bytes) -> tuple[str | None, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode 文本"
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None, ""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            return None, ""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data" and not data.isascii():
            return None, "utf-8-truncated"
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    return None, ""


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether ``data`` (maybe cut inside a last character) decodes as ``encoding``."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError as e:
        return e.reason in ("incomplete multibyte sequence", "unexpected end of data") and (
            e.start >= len(data) - 4
        )
    return True


def _decode(data: bytes, name: str, declared: str | None) -> tuple[str, str]:
    """Decode with the declared encoding (errors name the line and the detected encoding), or
    detect it. Each file is decoded once on the happy path."""
    if declared:
        enc = str(declared).lower()
        if enc in ("gbk", "gb2312", "cp936", "gb18030") and not data.isascii() and _is_utf8(data):
            raise ReadError(
                P.one(P.ERROR, "encoding", f"dataset.yaml 声明编码为 {declared}，但文件实际是 UTF-8 "
                      "编码：请改正 encoding（或删去它以自动识别）", file=name, value=declared)
            )  # fmt: skip
        try:
            return data.decode(enc), enc
        except LookupError:
            raise ReadError(
                P.one(P.ERROR, "encoding", f"未知的编码名称“{declared}”（可用 utf-8、utf-8-sig、gbk、"
                      "gb18030）", file=name, value=declared)
            ) from None  # fmt: skip
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            if e.reason == "unexpected end of data" and enc.replace("_", "-").startswith("utf"):
                raise ReadError(_truncated(name, line)) from None
            detected = detect_encoding(data)
            hint = f"文件看起来是 {detected.upper()} 编码" if detected else "无法识别文件编码"
            raise ReadError(
                P.one(P.ERROR, "encoding", f"无法按声明的编码 {declared} 读取文件（第 {line} 行附近有"
                      f"无法解码的字节）；{hint}，请改正 dataset.yaml 中的 encoding", file=name,
                      row=line, value=declared)
            ) from None  # fmt: skip
    text, detected = _detect_and_decode(data)
    if detected == "utf-8-truncated":
        raise ReadError(_truncated(name, data.count(b"\n") + 1))
    if text is None:
        raise ReadError(
            P.one(P.ERROR, "encoding", "无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030）；请另存为 "
                  "UTF-8 或在 dataset.yaml 中指定 encoding", file=name)
        )  # fmt: skip
    return text, detected


def _truncated(name: str, line: int) -> dict[str, Any]:
    return P.one(
        P.ERROR, "truncated", f"文件在第 {line} 行（最后一行）中途被截断：最后一个字符不完整，"
        "文件可能没有下载或复制完整，请重新导出", file=name, row=line,
    )  # fmt: skip


def _pick_header(rows: list[list[str]], score: HeaderScore | None, header_row: Any) -> int:
    """0-based index of the header among the first rows: the declared one, else the row whose
    cells map to the most known fields (title rows above it are skipped)."""
    if header_row:
        return int(header_row) - 1
    best, best_score = None, 0
    for i, r in enumerate(rows):
        cells = [c for c in r if c not in (None, "")]
        if not cells:
            continue
        if best is None:
            best = i
        if score is not None:
            s = score([str(c) for c in r])
            if s > best_score:
                best, best_score = i, s
    return best if best is not None else 0


def read_csv(
    data: bytes, name: str, encoding: str | None = None, header_row: Any = None,
    score: HeaderScore | None = None,
) -> RawFrame:  # fmt: skip
    """CSV at its full width: rows with stray trailing cells (a cell beyond the table touched in
    Excel) are kept, unnamed all-empty columns dropped; a row with fewer cells than the named
    header is reported with its row number (never dropped silently)."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ReadError(P.one(P.ERROR, "file_empty", "文件为空（没有表头也没有数据）", file=name))
    if encoding and str(encoding).lower().replace("_", "-") in ("utf-16", "utf-16le", "utf-16-le",
                                                                 "unicode"):  # fmt: skip
        encoding = None  # a BOM says which UTF-16; detection reads it
    text, enc = _decode(data, name, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    delim = _delimiter(text)
    head = _head_records(text, delim)
    hi = _pick_header(head, score, header_row)
    if hi >= len(head):
        raise ReadError(P.one(P.ERROR, "header_row", f"找不到第 {hi + 1} 行表头", file=name))
    width = len(head[hi])
    headers = [h.strip() for h in head[hi]]
    while headers and headers[-1] == "":  # trailing empty header cells (Excel exports)
        headers.pop()
    named = len(headers)
    utf8 = text.encode("utf-8") if enc not in ("utf-8", "utf-8-sig") else data
    frame = None
    if width:
        try:
            frame, bad = _arrow_csv(utf8, [f"c{i}" for i in range(width)], hi + 1, delim)
        except Exception:  # pyarrow.ArrowInvalid and friends: the careful reader below decides
            frame, bad = None, 1
    problems: list[dict[str, Any]] = []
    if frame is not None and not bad:
        rows = np.arange(len(frame), dtype=np.int64) + hi + 2
        if named < width:
            frame = frame.iloc[:, :named] if _all_empty(frame.iloc[:, named:]) else frame
            headers = headers + [""] * (frame.shape[1] - named)
        rows_in = _count_nonblank(frame)
        dropped: list[int] = []
    else:
        frame, rows, problems, dropped, rows_in = _python_csv(text, hi, named, name, delim)
        headers = headers + [""] * (frame.shape[1] - named)
    del text
    out = _finish(frame, headers, rows, name, "", hi + 1, enc, "csv", problems)
    out.rows_in = rows_in
    out.rows_dropped = dropped
    return out


def _delimiter(text: str) -> str:
    """Tab for tab-separated text (Excel's "Unicode 文本", 文本文件(制表符分隔)), else comma:
    whichever is more frequent in the first lines."""
    head = text[:200_000].split("\n", 30)[:30]
    tabs = sum(line.count("\t") for line in head)
    return "\t" if tabs > sum(line.count(",") for line in head) else ","


def _head_records(text: str, delim: str = ",") -> list[list[str]]:
    """The first rows (header detection); a cut-off last record is harmless here."""
    rows: list[list[str]] = []
    try:
        for rec in csv.reader(io.StringIO(text[:2_000_000]), delimiter=delim):
            rows.append(rec)
            if len(rows) >= HEADER_SCAN_ROWS:
                break
    except csv.Error:  # an unterminated quote in the head: the rows read so far
        pass
    return rows


def _all_empty(df: pd.DataFrame) -> bool:
    return bool(all((df[c].isna() | (df[c] == "")).all() for c in df.columns))


def _count_nonblank(df: pd.DataFrame) -> int:
    if not len(df.columns):
        return 0
    empty = np.ones(len(df), dtype=bool)
    for c in df.columns:
        empty &= (df[c].isna() | (df[c] == "")).to_numpy(dtype=bool)
    return int((~empty).sum())


def _python_csv(
    text: str, hi: int, named: int, name: str, delim: str = ","
) -> tuple[pd.DataFrame, np.ndarray, list[dict[str, Any]], list[int], int]:
    """The careful path (only when the fast parser met rows of another width or failed): every
    record read with the csv module, row numbers as Excel shows them (a quoted cell spanning
    lines counts as one row, as in Excel). Rows with at least the named header's cells are
    kept (padded to the widest row); shorter ones are reported and not read."""
    body: list[list[str]] = []
    rows: list[int] = []
    problems: list[dict[str, Any]] = []
    dropped: list[int] = []
    rows_in = 0
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    i = -1
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a stray carriage return or quote: that record, then go on
            i += 1
            if i > hi:
                rows_in += 1
                dropped.append(i + 1)
                problems.append(
                    P.one(P.ERROR, "ragged_row", "该行无法解析（单元格中有多余的引号或换行符），"
                          "该行未读入", file=name, row=i + 1)
                )  # fmt: skip
            continue
        i += 1
        if i <= hi or not any(c != "" for c in rec):
            continue
        rows_in += 1
        if len(rec) < named:
            dropped.append(i + 1)
            problems.append(
                P.one(
                    P.ERROR,
                    "ragged_row",
                    f"该行只有 {len(rec)} 个单元格，表头有 {named} 列（文件可能被截断或分隔符有误），"
                    "该行未读入",
                    file=name,
                    row=i + 1,
                    value="",  # the row's cells may hold personal data: never echoed
                )
            )
            continue
        body.append(rec)
        rows.append(i + 1)
    width = max([named, *(len(r) for r in body)])
    extra = [j for j in range(named, width) if any(j < len(r) and r[j].strip() for r in body)]
    keep = named + (max(extra) + 1 - named if extra else 0)
    grid = [(r + [""] * (keep - len(r)))[:keep] for r in body]
    frame = pd.DataFrame(grid, columns=[f"c{j}" for j in range(keep)], dtype=object)
    return frame, np.asarray(rows, dtype=np.int64), problems, dropped, rows_in


def _arrow_csv(
    data: bytes, names: list[str], skip: int, delim: str = ","
) -> tuple[pd.DataFrame, int]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad = 0

    def handler(_row: Any) -> str:
        nonlocal bad
        bad += 1
        return "skip"

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.endswith(b"\n"):
        data += b"\n"
    table = pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            delimiter=delim,
            invalid_row_handler=handler,
            newlines_in_values=True,
            ignore_empty_lines=False,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table.to_pandas(), bad


def _finish(
    frame: pd.DataFrame, headers: list[str], rows: np.ndarray, name: str, sheet: str,
    header_row: int, enc: str | None, fmt: str, problems: list[dict[str, Any]],
) -> RawFrame:  # fmt: skip
    """Drop wholly empty rows."""
    if len(frame.columns):
        empty = np.ones(len(frame), dtype=bool)
        for c in frame.columns:
            col = frame[c]
            empty &= (col.isna() | (col == "")).to_numpy(dtype=bool)
        if empty.any():
            frame = frame.loc[~empty].reset_index(drop=True)
            rows = rows[~empty]
    return RawFrame(
        frame, headers, rows, name, sheet, header_row, enc, fmt, problems=problems,
        rows_in=len(frame),
    )  # fmt: skip


# --- Excel ------------------------------------------------------------------------------------


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if np.isnan(v):
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ").removesuffix(" 00:00:00")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    s = str(v)
    return s if s.strip() else None


#: an .xlsx whose entries inflate beyond this is streamed: openpyxl's read-only mode parses the
#: sheet row by row (the whole workbook object model of a large survey export would take GBs),
#: its merged ranges and Excel tables read from the sheet's XML on their own
STREAM_XLSX_BYTES = 48 << 20


def read_xlsx(
    data: bytes, name: str, sheet: Any = None, header_row: Any = None,
    score: HeaderScore | None = None,
) -> RawFrame:  # fmt: skip
    """``.xlsx`` with openpyxl: the **cached values** of formula cells (as Excel shows them; a
    formula without a saved result is a ``formula_cell`` error, a cached error such as
    ``#DIV/0!`` a ``cell_error`` naming the cell), numbers formatted as percent read as the
    percentage shown (``60.5%``), merged cells filled with their top-left value, an Excel
    table's totals row marked as not data. Without ``sheet``, the visible sheet whose header
    maps best is read (hidden sheets — drop-down lists, workings — are ignored). A workbook
    inflating beyond :data:`STREAM_XLSX_BYTES` is streamed (bounded memory, same result)."""
    import openpyxl

    if not data:
        raise ReadError(P.one(P.ERROR, "file_empty", "文件为空（0 字节）", file=name))
    try:
        check_zip(data, MAX_STREAMED_UNZIPPED_BYTES)  # large workbooks are streamed
    except GuardError as e:
        raise ReadError(P.one(P.ERROR, e.rule, e.message, file=name)) from None
    streaming = _inflated(data) > STREAM_XLSX_BYTES
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=streaming)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as e:
        raise ReadError(
            P.one(
                P.ERROR,
                "corrupt_file",
                "Excel 文件已损坏或不完整（可能下载/复制时被截断），无法打开；"
                f"请重新导出（{type(e).__name__}）",
                file=name,
            )
        ) from None
    ws = _xlsx_sheet(wb, sheet, score, name)
    title = ws.title
    if streaming:
        ws.reset_dimensions()  # rows as they are in the file, not as its <dimension> claims
    text: list[list[str | None]] = []
    errors: list[tuple[int, int, str]] = []
    same: dict[Any, str | None] = {}  # one string object per repeated value (codes, names)
    try:
        for i, row in enumerate(ws.iter_rows()):
            out: list[str | None] = []
            for j, cell in enumerate(row):
                v = cell.value
                if v is None:
                    out.append(None)
                    continue
                if cell.data_type == "e":
                    errors.append((i, j, str(v)))
                    out.append(None)
                    continue
                if isinstance(v, int | float) and not isinstance(v, bool):
                    if "%" in str(getattr(cell, "number_format", None) or ""):
                        v = percent_text(v)
                key = (type(v), v)
                t = same.get(key, _MISS)
                if t is _MISS:
                    t = _cell_text(v)
                    if len(same) < 200_000:
                        same[key] = t
                out.append(t)
            text.append(out)
        if streaming:
            merges, tables = _xlsx_xml_extras(data, title)
        else:
            merges = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
            tables = [
                (t.ref, int(getattr(t, "totalsRowCount", 0) or 0), t.displayName)
                for t in ws.tables.values()
            ]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as e:
        raise ReadError(
            P.one(P.ERROR, "corrupt_file", "Excel 文件已损坏或不完整（可能下载/复制时被截断），"
                  f"无法读取；请重新导出（{type(e).__name__}）", file=name, sheet=title)
        ) from None  # fmt: skip
    finally:
        wb.close()
    same.clear()
    width = max((len(r) for r in text), default=0)
    for r in text:
        r.extend([None] * (width - len(r)))
    # Formulas without a saved result (a file written by a program, never opened in Excel).
    erred = {(i, j) for i, j, _ in errors}
    uncached = [
        (i, j, f)
        for i, j, f in _xlsx_formulas(data, title)
        if i < len(text) and j < width and text[i][j] is None and (i, j) not in erred
    ]
    # Merged cells: every cell of the range takes the top-left value.
    for r0, c0, r1, c1 in merges:
        if r0 > len(text) or c0 > width:
            continue
        v = text[r0 - 1][c0 - 1]
        for i in range(r0 - 1, min(r1, len(text))):
            for j in range(c0 - 1, min(c1, width)):
                text[i][j] = v
    totals: dict[int, str] = {}
    for ref, n, display in tables:
        if n > 0 and ref:
            from openpyxl.utils.cell import range_boundaries

            _, _, _, max_row = range_boundaries(ref)
            for r in range(max_row - n + 1, max_row + 1):
                totals[r] = f"Excel 表格“{display}”的汇总行"
    frame, headers, rows, hi = _sheet_frame(text, name, title, score, header_row)
    del text
    ncol = len(headers)

    def col(j: int) -> str:
        return headers[j] if j < ncol and headers[j] else _col_letter(j)

    out = [
        P.one(P.ERROR, "formula_cell", f"单元格 {_col_letter(j)}{i + 1} 是公式，但文件中没有保存"
              "计算结果（文件可能由程序生成、未在 Excel 中保存过）：请用 Excel/WPS 打开后保存，或把"
              "公式转换为数值（复制后“选择性粘贴→数值”）再导出", file=name, sheet=title,
              row=i + 1, column=col(j), value=formula)
        for i, j, formula in uncached if i > hi
    ]  # fmt: skip
    out += [
        P.one(P.ERROR, "cell_error", f"单元格 {_col_letter(j)}{i + 1} 的公式结果是错误值 {err}"
              "（如除以 0、引用无效），没有可用的数值：请改正公式或填入数值", file=name,
              sheet=title, row=i + 1, column=col(j), value=err)
        for i, j, err in errors if i > hi
    ]  # fmt: skip
    result = _finish(frame, headers, rows, name, title, hi + 1, None, "xlsx", out)
    pos = {int(r): k for k, r in enumerate(result.rows)}
    result.formula_cells = {
        (pos[i + 1], j) for i, j, _ in [*uncached, *errors] if i + 1 in pos and j < ncol
    }
    result.skip_rows = totals
    return result


_MISS = object()


def _inflated(data: bytes) -> int:
    """The inflated size of a ZIP container's entries (0 when it is not one)."""
    try:
        return sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return 0


def _scan(z: zipfile.ZipFile, part: str, pattern: Any, chunk: int = 1 << 20) -> list[tuple]:
    """The groups of every match of ``pattern`` (bytes regex, matches shorter than 4 KiB) in a
    ZIP entry, read in chunks (never the whole inflated entry at once)."""
    import re

    found: dict[tuple, None] = {}
    tail = b""
    with z.open(part) as fh:
        while True:
            block = fh.read(chunk)
            buf = tail + block
            for m in re.finditer(pattern, buf):
                found[m.groups() + (m.group(0),)] = None
            if not block:
                break
            tail = buf[-4096:]
    return [k[:-1] for k in found]


def _rels(blob: bytes) -> dict[str, str]:
    """Relationship id → target of a ``.rels`` part (attributes in any order)."""
    import re

    out = {}
    for tag in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", blob):
        attr = dict(re.findall(rb'\b(\w+)="([^"]*)"', tag))
        if b"Id" in attr and b"Target" in attr:
            out[attr[b"Id"].decode()] = _xml_unescape(attr[b"Target"].decode())
    return out


def _target(base: str, target: str) -> str:
    """A relationship's target as a ZIP entry (absolute, or relative to ``base``'s folder)."""
    import posixpath

    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _xlsx_sheet_part(z: zipfile.ZipFile, title: str) -> str | None:
    """The ZIP entry of the worksheet named ``title`` (workbook.xml and its relationships)."""
    import re

    wb = z.read("xl/workbook.xml")
    target = _rels(z.read("xl/_rels/workbook.xml.rels"))
    for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", wb):
        attr = dict(re.findall(rb'\b([\w:]+)="([^"]*)"', tag))
        rid = next((v for k, v in attr.items() if k.endswith(b":id")), None)
        if rid and _xml_unescape(attr.get(b"name", b"").decode()) == title:
            t = target.get(rid.decode())
            return _target("xl/workbook.xml", t) if t else None
    return None


def _xml_unescape(s: str) -> str:
    import html

    return html.unescape(s)


def _xlsx_xml_extras(data: bytes, title: str) -> tuple[list[tuple[int, int, int, int]], list]:
    """Of a streamed sheet: its merged ranges (1-based first row, first column, last row, last
    column) and its Excel tables (ref, totals row count, display name), read from the XML."""
    import posixpath
    import re

    from openpyxl.utils.cell import range_boundaries

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        part = _xlsx_sheet_part(z, title)
        if part is None or part not in z.namelist():
            return [], []
        merges, ids, tables = [], [], []
        for kind, attrs in _scan(z, part, rb"<(?:\w+:)?(mergeCell|tablePart)\b([^>]*)>"):
            attr = dict(re.findall(rb'\b(\w+)="([^"]*)"', attrs))  # r:id as id
            if kind == b"tablePart" and b"id" in attr:
                ids.append(attr[b"id"].decode())
            elif kind == b"mergeCell" and re.fullmatch(
                rb"[A-Z]+\d+:[A-Z]+\d+", attr.get(b"ref", b"")
            ):
                c0, r0, c1, r1 = range_boundaries(attr[b"ref"].decode())
                merges.append((r0, c0, r1, c1))
        rels_part = posixpath.join(
            posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels"
        )
        rels = _rels(z.read(rels_part)) if ids and rels_part in z.namelist() else {}
        for rid in ids:
            tpart = _target(part, rels[rid]) if rid in rels else ""
            if tpart not in z.namelist():
                continue
            head = re.search(rb"<(?:\w+:)?table\b[^>]*>", z.read(tpart))
            if not head:
                continue
            attr = {
                k.decode(): v.decode() for k, v in re.findall(rb'\b(\w+)="([^"]*)"', head.group(0))
            }
            tables.append((attr.get("ref", ""), int(attr.get("totalsRowCount", "0") or 0),
                           _xml_unescape(attr.get("displayName", ""))))  # fmt: skip
    return merges, tables


def percent_text(v: float) -> str:
    """A number formatted as percent in Excel as the percentage shown: 0.605 → ``60.5%``
    (exact decimal arithmetic: no 60.49999999999999)."""
    from decimal import Decimal

    d = (Decimal(repr(float(v))) * 100).normalize()
    return format(d, "f") + "%"


def _xlsx_sheet(wb: Any, sheet: Any, score: HeaderScore | None, name: str) -> Any:
    """The worksheet to read: ``sheet`` by name or 0-based index; else among the visible sheets
    the one whose best header row maps to the most fields (the first on a tie)."""
    if sheet is not None:
        try:
            if isinstance(sheet, int):
                return wb.worksheets[sheet]
            return wb[str(sheet)]
        except (KeyError, IndexError):
            raise ReadError(
                P.one(P.ERROR, "sheet_missing",
                      f"找不到工作表“{sheet}”（现有：{'、'.join(wb.sheetnames)}）", file=name,
                      sheet=str(sheet))
            ) from None  # fmt: skip
    sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"] or list(wb.worksheets)
    if len(sheets) == 1 or score is None:
        return sheets[0]

    def best(ws: Any) -> int:
        rows = ws.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True)
        return max((score([_cell_text(v) or "" for v in r]) for r in rows), default=0)

    return max(sheets, key=best)  # max keeps the first of equal scores


def _xlsx_formulas(data: bytes, title: str) -> list[tuple[int, int, str]]:
    """(row, column, formula), 0-based, of the formula cells of sheet ``title`` — read only when
    the workbook has formulas at all (openpyxl's read-only mode: streamed)."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
            if not any(_scan(z, n, rb"(</f>|<f )") for n in parts):
                return []
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
        return []
    from openpyxl.worksheet.formula import ArrayFormula

    out = []
    try:
        for row in wb[title].iter_rows():
            for cell in row:
                v = getattr(cell, "value", None)
                if isinstance(v, ArrayFormula):
                    out.append((cell.row - 1, cell.column - 1, str(v.text)))
                elif isinstance(v, str) and v.startswith("=") and cell.data_type == "f":
                    out.append((cell.row - 1, cell.column - 1, v))
    finally:
        wb.close()
    return out


def _col_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


# --- SPSS -------------------------------------------------------------------------------------


def read_sav(path: Path, name: str | None = None) -> RawFrame:
    """SPSS ``.sav``: variables as headers (labels as alternative headers); values with value
    labels become their label text, which the codebook maps back to contract codes."""
    import pyreadstat

    name = name or path.name
    if os.path.getsize(path) == 0:
        raise ReadError(P.one(P.ERROR, "file_empty", "文件为空（0 字节）", file=name))
    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as e:  # pyreadstat raises its own ReadstatError/PyreadstatError
        raise ReadError(
            P.one(
                P.ERROR,
                "corrupt_file",
                f"SPSS 文件已损坏或无法读取（{type(e).__name__}: {e}）",
                file=name,
            )
        ) from None
    labels = meta.variable_value_labels or {}
    cols = {}
    for i, col in enumerate(df.columns):
        s = df[col]
        codes, uniq = pd.factorize(s, use_na_sentinel=True)
        vl = labels.get(col, {})
        texts = np.array([_sav_text(u, vl) for u in uniq] + [None], dtype=object)
        cols[f"c{i}"] = texts[codes]
    frame = pd.DataFrame(cols, index=pd.RangeIndex(len(df)), dtype=object)
    col_labels = [meta.column_names_to_labels.get(c) or "" for c in df.columns]
    rows = np.arange(len(frame), dtype=np.int64) + 1  # case number in SPSS Data View
    out = _finish(frame, list(df.columns), rows, name, "", 0, meta.file_encoding, "sav", [])
    out.alt_headers = col_labels
    return out


def _sav_text(v: Any, value_labels: dict[Any, str]) -> str | None:
    if v in value_labels:
        return str(value_labels[v])
    if isinstance(v, float) and v.is_integer() and float(int(v)) in value_labels:
        return str(value_labels[float(int(v))])
    return _cell_text(v.item() if isinstance(v, np.generic) else v)
