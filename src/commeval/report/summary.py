"""The district summary page (the run's ``index.html``): the composed summary
(:func:`commeval.report.compose.compose_summary`: findings, ranking with last year's rank,
dimension scores, score intervals, attainment heat map, satisfaction, method and data notes)
with the page's own download links (the ranking as .xlsx and .csv, inline), through the HTML
renderer. The content functions are re-exported from :mod:`commeval.report.compose`."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from commeval.district import District
from commeval.document import Document, Paragraph, Run, Table
from commeval.renderers import html as H
from commeval.report import compose as C
from commeval.report.compose import (  # noqa: F401 - the summary's content, named here too
    OVERALL,
    RANKING_HEADERS,
    attainment_matrix,
    grade_kind,
    ranking,
    satisfaction_by_township,
)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RANKING_XLSX, RANKING_CSV = "乡镇排名.xlsx", "乡镇排名.csv"


def downloads(rank: pd.DataFrame, table: Table | None = None, title: str = "") -> dict[str, bytes]:
    """The ranking as .xlsx and .csv with Chinese headers (cells formula-escaped). The CSV is
    tidy (one header row, full precision) for machines; the workbook, given the ranking
    ``table`` of the composed summary (:func:`commeval.renderers.xlsx.table_workbook`), carries
    a title row and the numbers as displayed with Excel number formats — else the same frame
    as the CSV."""
    from commeval.data.safe_cells import escape_cells

    out = escape_cells(rank.rename(columns=RANKING_HEADERS))
    if table is not None:
        from commeval.renderers.xlsx import table_workbook

        xlsx = table_workbook(table, title, sheet="乡镇排名")
    else:  # the bare frame (no composed table at hand): Chinese headers, full precision
        buf = io.BytesIO()
        out.to_excel(buf, index=False, sheet_name="乡镇排名")
        xlsx = buf.getvalue()
    csv = out.to_csv(index=False).encode("utf-8-sig")
    return {"ranking.xlsx": xlsx, "ranking.csv": csv}


def _data_link(filename: str, data: bytes, mime: str, text: str) -> Run:
    b64 = base64.b64encode(data).decode("ascii")
    return Run(text, href=f"data:{mime};base64,{b64}", download=filename)


def add_downloads(doc: Document, d: District) -> Document:
    """``doc`` (the composed summary) with the page's download links under the ranking table
    (a block of the renderer's: the Word and PDF files have the table itself)."""
    sec = doc.section("ranking")
    table = next(b for b in sec.blocks if isinstance(b, Table))
    dl = downloads(ranking(d), table, f"{doc.meta.title}（乡镇排名）")
    links = Paragraph(
        [
            "下载表格：",
            _data_link(RANKING_XLSX, dl["ranking.xlsx"], XLSX_MIME, "Excel（.xlsx）"),
            " · ",
            _data_link(RANKING_CSV, dl["ranking.csv"], "text/csv", "CSV（.csv）"),
        ],
        style="downloads",
        origin="renderer",
    )
    sec.blocks.insert(sec.blocks.index(table) + 1, links)
    return doc


def summary_document(
    d: District,
    reports: Sequence[Mapping[str, Any]] | None = None,
    *,
    generated: str = "",
    raster: bool = False,
) -> Document:
    """The composed summary with the page's download links."""
    return add_downloads(C.compose_summary(d, reports, generated=generated, raster=raster), d)


def summary_html(d: District, reports: Sequence[dict[str, Any]] | None = None) -> list[str]:
    """The index page's sections as HTML. ``reports``: township, status, href, error (and
    ``files``) from the run."""
    from commeval.report.render import generated_now

    return H.sections_html(summary_document(d, reports, generated=generated_now(d)))
