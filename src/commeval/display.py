"""How commeval's result objects show themselves in JupyterLab: numbers rounded as a
statistician prints them, small HTML tables, short text reprs.

A leaf module (standard library only, no IPython): ``_repr_html_`` methods return strings
built here. Every table carries the class ``commeval-display`` and aligns its own cells (text
left, numbers right), so JupyterLab's table styles neither right-align text nor leak into it.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "esc",
    "fmt",
    "fmt_p",
    "html_table",
    "kv_table",
    "TextSummary",
    "frame_html",
    "coefficient_table_html",
]

CLASS = "commeval-display"
_STYLE = (
    "border-collapse:collapse;font-variant-numeric:tabular-nums;margin:0.2em 0 0.8em 0;"
    "font-size:0.9em"
)
_CELL = "padding:0.15em 0.6em;border-bottom:1px solid #ddd;"


def esc(x: Any) -> str:
    """HTML-escaped text of any value."""
    return html.escape(str(x), quote=True)


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(isinstance(x, float) and math.isnan(x)) or str(x) in {"nan", "<NA>", "NaT"}
    except (TypeError, ValueError):  # pragma: no cover - exotic values
        return False


def fmt(x: Any, digits: int = 4) -> str:
    """A number as a statistician prints it: ``digits`` significant digits, no float noise
    (0.8510000000000001 → 0.851), integers as integers, very large or small magnitudes in
    scientific notation, missing as an em dash. Anything else: its text."""
    if _missing(x):
        return "—"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int) or (hasattr(x, "is_integer") and _is_int_type(x)):
        return f"{int(x):,}" if abs(int(x)) >= 10000 else str(int(x))
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e7 or a < 1e-4:
        return f"{v:.{max(digits - 1, 1)}e}"
    decimals = max(digits - 1 - math.floor(math.log10(a)), 0)
    s = f"{round(v, decimals):.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _is_int_type(x: Any) -> bool:
    return type(x).__name__.startswith(("int", "uint"))  # numpy integer scalars


def fmt_p(p: Any) -> str:
    """A p-value: three decimals, ``<0.001`` below."""
    if _missing(p):
        return "—"
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _td(value: Any, formatter: Callable[[Any], str] | None, header: bool = False) -> str:
    numeric = not isinstance(value, (str, bool)) and not _missing(value)
    try:
        float(value) if numeric else None
    except (TypeError, ValueError):
        numeric = False
    text = formatter(value) if formatter else (fmt(value) if numeric else str(value))
    if _missing(value) and not formatter:
        text = "—"
    align = "right" if numeric else "left"
    tag = "th" if header else "td"
    return f"<{tag} style='{_CELL}text-align:{align}'>{esc(text)}</{tag}>"


def html_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    caption: str | None = None,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    index_columns: int = 0,
    note: str | None = None,
    max_rows: int | None = None,
    header: bool = True,
) -> str:
    """An HTML table: ``columns`` as headers, one ``<tr>`` a row; ``formats`` by column name
    (default :func:`fmt` for numbers); the first ``index_columns`` cells are row headers.
    With ``max_rows``, the rest is counted in a last line."""
    formats = dict(formats or {})
    head = "".join(
        f"<th style='{_CELL}text-align:left;border-bottom:1px solid #888'>{esc(c)}</th>"
        for c in columns
    )
    body, extra = [], 0
    for i, row in enumerate(rows):
        if max_rows is not None and i >= max_rows:
            extra += 1
            continue
        cells = "".join(
            _td(v, formats.get(c), header=j < index_columns)
            for j, (c, v) in enumerate(zip(columns, row))
        )
        body.append(f"<tr>{cells}</tr>")
    if extra:
        body.append(
            f"<tr><td colspan='{len(columns)}' style='{_CELL}text-align:left;color:#666'>"
            f"… {extra} more rows</td></tr>"
        )
    cap = (
        f"<caption style='text-align:left;font-weight:bold;padding:0.2em 0'>{esc(caption)}"
        "</caption>"
        if caption
        else ""
    )
    foot = f"<div style='color:#555;font-size:0.85em'>{esc(note)}</div>" if note else ""
    return (
        f"<div class='{CLASS}'><table class='{CLASS}' style='{_STYLE}'>{cap}"
        f"{f'<thead><tr>{head}</tr></thead>' if header else ''}<tbody>{''.join(body)}</tbody></table>{foot}</div>"
    )


def frame_html(
    df: Any,
    caption: str | None = None,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    index: bool = False,
    note: str | None = None,
    max_rows: int | None = 30,
) -> str:
    """:func:`html_table` of a pandas DataFrame (duck-typed: no pandas import here)."""
    if index:
        df = df.reset_index()
    cols = [str(c) for c in df.columns]
    rows = df.itertuples(index=False, name=None)
    return html_table(
        cols, rows, caption, formats, index_columns=1 if index else 0, note=note,
        max_rows=max_rows,
    )  # fmt: skip


def kv_table(items: Iterable[tuple[str, Any]], caption: str | None = None) -> str:
    """A two-column table of labelled values (a result's settings or summary)."""
    return html_table(["", ""], list(items), caption, index_columns=1, header=False)


def coefficient_table_html(frame: Any, caption: str, note: str | None = None) -> str:
    """A model's coefficient table (columns ``term, estimate, se, t, p_value, ci_low,
    ci_high`` as ``to_frame()`` of a GLM or ordinal result): p-values as ``<0.001``, the
    rest to four significant digits."""
    names = {"term": "term", "estimate": "estimate", "se": "SE", "t": "t", "z": "z",
             "p_value": "p", "ci_low": "95% CI low", "ci_high": "95% CI high"}  # fmt: skip
    cols = [c for c in frame.columns if c in names]
    rows = frame[cols].itertuples(index=False, name=None)
    return html_table(
        [names[c] for c in cols], rows, caption, {"p": fmt_p}, index_columns=1, note=note
    )


class TextSummary(str):
    """A printed summary that is still a ``str`` (``print(x.summary())``, comparisons) but
    shows as a table in JupyterLab and without escaped newlines in a plain console."""

    html: str

    def __new__(cls, text: str, html_text: str) -> TextSummary:
        obj = super().__new__(cls, text)
        obj.html = html_text
        return obj

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return self.html


#: Marks the declarations a report section inlines for JupyterLab's sanitiser (an untrusted
#: notebook's HTML outputs lose their ``<style>`` and ``<svg>``, keep ``style`` attributes and
#: ``<img src="data:…">``): ``style="/*ce*/…/*ce*/…"``, before any
#: declaration of the element's own. :func:`strip_untrusted_fallbacks` removes them.
INLINE_MARK = "/*ce*/"
#: The box an inline chart sits in in a notebook, hidden unless the stylesheet is there (it
#: shows it ``!important``); the ``<img>`` after it is the chart for an untrusted notebook.
CHART_BOX = '<div class="chart-box" style="display:none">'
CHART_FALLBACK_CLASS = "chart-fallback"
_INLINE_ONLY = re.compile(r'\sstyle="/\*ce\*/[^"]*?/\*ce\*/"')
_INLINE = re.compile(r'(\sstyle=")/\*ce\*/[^"]*?/\*ce\*/')
_CHART = re.compile(
    re.escape(CHART_BOX) + r'(<svg\b.*?</svg>)</div><img class="chart-fallback"[^>]*>', re.S
)


#: Set (to "pages") in the environment of the kernels a batch run executes the report notebooks
#: in: sections then leave out what only a notebook needs — the per-cell CJK font and the
#: fallbacks for an untrusted notebook — which the exporter would drop from the page anyway.
PAGES_ONLY_ENV = "COMMEVAL_OUTPUT"


def strip_untrusted_fallbacks(html_text: str) -> str:
    """A report section's HTML as on the exported page: without what it carries for an
    untrusted notebook (the inlined declarations, the chart images) — the page has the
    stylesheet and the inline ``<svg>`` charts."""
    if INLINE_MARK not in html_text and CHART_BOX not in html_text:
        return html_text
    out = _INLINE.sub(r"\1", _INLINE_ONLY.sub("", html_text))
    return _CHART.sub(r"\1", out)
