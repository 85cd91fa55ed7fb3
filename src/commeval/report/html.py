"""Small HTML building blocks for reports. Every string that comes from data passes through
:func:`esc`, so a village called ``<img src=x onerror=alert(1)>`` shows as text and runs nothing."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

SMALL_CELL = "样本不足"


def esc(value: Any) -> str:
    """HTML-escape any value (quotes too)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def fmt_num(value: Any, digits: int = 1, unit: str = "") -> str:
    """A number for display: thousands separators, fixed digits, '—' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return esc(value)
    text = f"{v:,.{digits}f}" if digits else f"{round(v):,}"
    return f"{text}{esc(unit)}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * float(value):.{digits}f}%"


def tag(name: str, content: str, cls: str | None = None, **attrs: str) -> str:
    """``<name class=...>content</name>``; content must already be safe HTML."""
    a = f' class="{esc(cls)}"' if cls else ""
    a += "".join(f' {k.rstrip("_")}="{esc(v)}"' for k, v in attrs.items())
    return f"<{name}{a}>{content}</{name}>"


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    cls: str = "data",
    row_classes: Sequence[str] | None = None,
    caption: str | None = None,
) -> str:
    """A table from header labels (escaped here) and rows of cells that are already safe HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        rc = f' class="{esc(row_classes[i])}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{rc}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table class="{esc(cls)}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def progress_bar(done: float, target: float, label: str = "", unit: str = "") -> str:
    """A progress bar for done/target with the numbers written beside it."""
    frac = 0.0 if not target else max(0.0, min(float(done) / float(target), 1.0))
    text = f"{fmt_num(done, 0)} / {fmt_num(target, 0)}{esc(unit)}（{frac * 100:.0f}%）"
    return (
        f'<div class="progress" role="progressbar" aria-valuenow="{frac * 100:.0f}" '
        f'aria-valuemin="0" aria-valuemax="100"><span class="label">{esc(label)}</span>'
        f'<span class="bar"><span class="fill" style="width:{frac * 100:.1f}%"></span></span>'
        f'<span class="value">{text}</span></div>'
    )


def badge(text: str, kind: str = "info") -> str:
    return f'<span class="badge badge-{esc(kind)}">{esc(text)}</span>'


def section(title: str, body: str, sid: str | None = None) -> str:
    """A report section with an escaped heading."""
    i = f' id="{esc(sid)}"' if sid else ""
    return f'<section class="report-section"{i}><h2>{esc(title)}</h2>{body}</section>'


def estimate_cell(est: float, low: float, high: float, small: bool, digits: int = 2) -> str:
    """An estimate with its CI, or 样本不足 when the cell rests on too few respondents."""
    if small:
        return f'<span class="small-cell">{SMALL_CELL}</span>'
    return (
        f"{fmt_num(est, digits)}"
        f'<span class="ci">（{fmt_num(low, digits)}–{fmt_num(high, digits)}）</span>'
    )


def pct_cell(est: float, low: float, high: float, small: bool) -> str:
    if small:
        return f'<span class="small-cell">{SMALL_CELL}</span>'
    return f'{fmt_pct(est)}<span class="ci">（{fmt_pct(low)}–{fmt_pct(high)}）</span>'
