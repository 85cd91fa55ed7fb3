"""A document's :class:`~commeval.document.Table` as an Excel workbook for people (乡镇排名.xlsx).

One sheet: a title row (district, year, units — the caller's ``title``), the header row (frozen),
then the rows. Numbers are numbers, rounded as the page shows them and formatted so Excel shows
the same text: a ``%`` column holds the fraction with ``0.0%``, points ``0.0``, ranks ``0`` —
the decimals read off the cell's printed text. An estimate with an interval gets two more
columns (下限, 上限) in the same format. Text that Excel or WPS would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with ``'`` and written as
text. The machine-readable CSV (one header row, full precision) is not made here.
"""

from __future__ import annotations

import io
import re
from typing import Any

from commeval.document import Cell, Column, Table

__all__ = ["escape_text", "number_format", "table_workbook"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+−]?\d[\d,]*(?:\.(\d+))?")
_NUMERIC_KINDS = {"number", "estimate", "progress"}


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_text(text: str) -> str:
    """``text`` prefixed with ``'`` when a spreadsheet would read it as a formula (control
    characters that a workbook cannot hold are dropped first)."""
    text = _ILLEGAL.sub("", text)
    return "'" + text if text.startswith(FORMULA_START) else text


def _decimals(text: str) -> tuple[int, bool] | None:
    """Decimals and thousands separator of the first number printed in ``text``."""
    m = _NUMBER.search(text)
    if not m:
        return None
    return (len(m.group(1)) if m.group(1) else 0), "," in m.group(0)


def number_format(
    decimals: int, percent: bool = False, thousands: bool = False, signed: bool = False
) -> str:
    """The Excel number format showing ``decimals`` places (``0.0%``, ``#,##0``, ``0.00``;
    ``+0.0;-0.0;0.0`` for a change printed with its sign)."""
    base = "#,##0" if thousands else "0"
    if decimals > 0:
        base += "." + "0" * decimals
    base += "%" if percent else ""
    return f"+{base};-{base};{base}" if signed else base


def _percent_scale(c: Cell, printed: float | None) -> float:
    """How to turn a ``%`` cell's value into the fraction Excel stores: the value is either in
    percent points (86.4 printed "86.4%") or already a fraction (0.864 printed "86.4%")."""
    if c.value is None:
        return 1.0
    if printed is not None and abs(c.value - printed) > abs(c.value * 100 - printed):
        return 1.0  # already a fraction
    if printed is None and abs(c.value) <= 1.0:
        return 1.0
    return 0.01


def _printed_number(text: str) -> float | None:
    m = _NUMBER.search(text)
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", "").replace("−", "-"))
    except ValueError:
        return None


def _numeric(c: Cell) -> bool:
    return c.value is not None and (c.kind in _NUMERIC_KINDS or c.kind == "text" and bool(c.unit))


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def table_workbook(table: Table, title: str, sheet: str = "Sheet1") -> bytes:
    """``table`` as .xlsx bytes: ``title`` in row 1, the header (frozen) in row 2, numbers with
    the number formats the page shows (module docstring)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(sheet)
    columns: list[Column] = list(table.columns)
    rows = [list(r) for r in table.rows]
    # output columns: (source index, part) with part "value", "low" or "high"
    layout: list[tuple[int, str, str]] = []
    for i, col in enumerate(columns):
        layout.append((i, "value", col.header))
        if any(r[i].low is not None or r[i].high is not None for r in rows):
            unit = f"（{col.unit}）" if col.unit else ""
            layout.append((i, "low", f"{col.label}下限{unit}"))
            layout.append((i, "high", f"{col.label}上限{unit}"))
    ncol = max(len(layout), 1)

    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    ws.cell(row=1, column=1, value=escape_text(title)).font = Font(bold=True, size=14)
    ws.cell(row=1, column=1).data_type = "s"
    if ncol > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.row_dimensions[1].height = 24
    widths = [_width(h) for _, _, h in layout] or [10]
    for j, (_, _, head) in enumerate(layout, start=1):
        c = ws.cell(row=2, column=j, value=escape_text(head))
        c.data_type = "s"
        c.font = bold
        c.fill = PatternFill("solid", fgColor="E7E6E6")
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = Border(bottom=thin, top=thin)

    for ri, row in enumerate(rows, start=3):
        for j, (i, part, _) in enumerate(layout, start=1):
            src = row[i]
            col = columns[i]
            target = ws.cell(row=ri, column=j)
            value, fmt = _cell_value(src, col, part)
            if value is None and part == "value":
                text = escape_text(src.text())
                target.value = text
                target.data_type = "s"
                widths[j - 1] = max(widths[j - 1], _width(text))
            elif value is not None:
                target.value = value
                target.number_format = fmt
                target.alignment = Alignment(horizontal="right")
                widths[j - 1] = max(widths[j - 1], len(fmt) + 2)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 8), 60)
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell_value(c: Cell, col: Column, part: str) -> tuple[Any, str]:
    """The number Excel stores for a cell part and its format; ``(None, "")`` for text."""
    if not _numeric(c):
        return None, ""
    raw = {"value": c.value, "low": c.low, "high": c.high}[part]
    if raw is None:
        return None, ""
    text = c.text()
    unit = c.unit or col.unit
    percent = unit == "%" or "%" in text and unit in ("", "%")
    places, thousands = _decimals(text) or (0, False)
    signed = part == "value" and text.lstrip().startswith("+")
    if percent:
        scale = _percent_scale(c, _printed_number(text))
        return round(raw * scale, places + 2), number_format(places, True, thousands, signed)
    return round(raw, places), number_format(places, False, thousands, signed)


def _sheet_name(name: str) -> str:
    """A valid sheet name: at most 31 characters, none of []:*?/\\."""
    clean = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "Sheet1"
    return clean[:31]
