"""Township report sections as HTML fragments — the composed document
(:func:`commeval.report.compose.compose_township`) through the HTML renderer
(:mod:`commeval.renderers.html`). Kept for callers of the section functions; the words, order
and numbers are the composition's, the markup the renderer's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from commeval.district import District
from commeval.renderers import html as H
from commeval.report import compose as C
from commeval.report import township as T

SYNTHETIC_BANNER = C.SYNTHETIC_BANNER
stylesheet_css = H.stylesheet_css


def stylesheet() -> str:
    """The report stylesheet as an inline ``<style>`` block."""
    return f"<style>{stylesheet_css()}</style>"


def grade_rule(grades: Sequence[tuple[str, float]], grade: str) -> str:
    """The framework's score range of a grade (see :func:`commeval.report.compose.grade_rule`)."""
    return C.grade_rule(grades, grade)


def generated_now(d: District) -> str:
    """The generation time as the report prints it: now, in the project's time zone."""
    tz = d.options.timezone
    return f"{datetime.now(ZoneInfo(tz)):%Y-%m-%d %H:%M}（{C.timezone_name(tz)}）"


def _one(d: District, township: str, sid: str, sat: T.Satisfaction | None = None) -> str:
    generated = generated_now(d) if sid == "provenance" else ""
    doc = C.compose_township(d, township, sections=[sid], sat=sat, generated=generated)
    return H.section_html(doc.sections[0])


def header_html(d: District, township: str) -> str:
    return _one(d, township, "header")


def overview_html(d: District, township: str) -> str:
    return _one(d, township, "overview")


def points_overview_html(d: District, township: str) -> str:
    return _one(d, township, "overview")


def indicators_html(d: District, township: str) -> str:
    return _one(d, township, "indicators")


def points_items_html(d: District, township: str) -> str:
    return _one(d, township, "indicators")


def villages_html(d: District, township: str) -> str:
    return _one(d, township, "villages")


def communities_html(d: District, township: str) -> str:
    return _one(d, township, "communities")


def satisfaction_html(d: District, township: str, sat: T.Satisfaction | None = None) -> str:
    return _one(d, township, "satisfaction", sat)


def problems_html(d: District, township: str, sat: T.Satisfaction | None = None) -> str:
    return _one(d, township, "problems", sat)


def provenance_html(d: District, township: str) -> str:
    return _one(d, township, "provenance")


def township_sections(d: District, township: str) -> list[str]:
    """All sections of a township report, in order, as HTML."""
    doc = C.compose_township(d, township, generated=generated_now(d))
    return H.sections_html(doc)


def render_township_html(d: District, township: str) -> str:
    """A whole township report as one HTML page without notebooks (the benchmark floor)."""
    doc = C.compose_township(d, township, generated=generated_now(d))
    return H.render_html(doc, embed_font=False)
