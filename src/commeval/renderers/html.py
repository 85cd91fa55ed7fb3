"""The HTML renderer: a composed :class:`~commeval.document.Document` as the report page.

:func:`render_html` gives the whole page — the page protocol lives here: the
Content-Security-Policy (:data:`commeval.files.HTML_CSP`), THE stylesheet
(``templates/report.css``) in ``<head>``, the bundled CJK font's glyphs of the page embedded
(:func:`commeval.fonts.embed_cjk_font`). :func:`section_html` gives one section's markup (what
the notebooks display section by section, :func:`notebook_section` adding what a notebook needs:
the glyph font of the cell and the fallbacks for an untrusted notebook).

The markup is the report's as readers know it (the classes ``report.css`` styles): every text
of the document is escaped here, so a village called ``<img src=x onerror=alert(1)>`` shows as
text. Blocks whose ``origin`` is ``"renderer"`` (download links, links to a township's other
files) are this renderer's own and shown like the rest.
"""

from __future__ import annotations

import html as _html
import math
from collections.abc import Iterable
from importlib import resources

from commeval.document import (
    Banner,
    Block,
    Callout,
    Document,
    Figure,
    Group,
    Heading,
    KPIs,
    ListBlock,
    PageBreak,
    Paragraph,
    Progress,
    Run,
    Section,
    Table,
)
from commeval.files import csp_meta

__all__ = [
    "render_html",
    "section_html",
    "sections_html",
    "notebook_section",
    "notebook_fragment",
    "stylesheet_css",
    "figure_html",
    "esc",
]

#: CSS classes of run roles (see :class:`commeval.document.Run`)
ROLE_CLASS = {
    "tick-yes": "yes",
    "tick-no": "no",
    "ci": "ci",
    "small-cell": "small-cell",
    "sig-up": "sig up",
    "sig-down": "sig down",
    "ns": "ns",
    "category": "cat",
    "advice": "advice",
    "trace": "trace",
    "failed": "failed",
    "muted": "muted",
}
#: CSS class of a callout's tone
CALLOUT_CLASS = {"bad": "callout failed", "warn": "callout", "info": "callout", "": "callout"}


def esc(value: object) -> str:
    """HTML-escape any value (quotes too); None and NaN as empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _html.escape(str(value), quote=True)


def stylesheet_css() -> str:
    """THE report stylesheet (``commeval/templates/report.css``): in every page's ``<head>``,
    displayed once by the report notebooks for JupyterLab."""
    return (resources.files("commeval") / "templates" / "report.css").read_text(encoding="utf-8")


# --- inline ---------------------------------------------------------------------------------------


def run_html(r: Run) -> str:
    if r.role == "break":
        return "<br/>"
    t = esc(r.text)
    if r.emphasis == "strong":
        t = f"<strong>{t}</strong>"
    elif r.emphasis == "em":
        t = f"<em>{t}</em>"
    if r.role == "code":
        t = f"<code>{t}</code>"
    elif r.role == "badge":
        t = f'<span class="badge badge-{esc(r.tone or "info")}">{t}</span>'
    elif r.role in ROLE_CLASS:
        t = f'<span class="{ROLE_CLASS[r.role]}">{t}</span>'
    if r.href:
        dl = f' download="{esc(r.download)}"' if r.download else ""
        t = f'<a{dl} href="{esc(r.href)}">{t}</a>'
    return t


def runs_html(runs: Iterable[Run]) -> str:
    return "".join(run_html(r) for r in runs)


def _num(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    return f"{v:,.{digits}f}" if digits else f"{round(v):,}"


# --- blocks ---------------------------------------------------------------------------------------


def _heading(h: Heading) -> str:
    tag = {0: "h1", 1: "h2", 2: "h3"}.get(h.level, "h4")
    return f"<{tag}>{esc(h.text())}</{tag}>"


def _paragraph(p: Paragraph) -> str:
    cls = "" if p.style in ("body", "") else f' class="{esc(p.style)}"'
    return f"<p{cls}>{runs_html(p.runs)}</p>"


def _table(t: Table) -> str:
    cls = "data" if t.style in ("data", "") else f"data {t.style}"
    head = "".join(f"<th>{esc(h)}</th>" for h in t.header())
    body = []
    for i, row in enumerate(t.rows):
        tone = t.row_tones[i] if i < len(t.row_tones) else ""
        rc = ' class="shortfall"' if tone == "bad" else (f' class="{esc(tone)}"' if tone else "")
        body.append(f"<tr{rc}>" + "".join(f"<td>{runs_html(c.runs)}</td>" for c in row) + "</tr>")
    cap = f"<caption>{esc(t.caption)}</caption>" if t.caption else ""
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in t.notes)
    return (
        f'<div class="table-wrap"><table class="{cls}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{notes}"
    )


def figure_html(f: Figure) -> str:
    """A figure as the page shows it: its SVG scaling to the column, with the alt text as its
    accessible name and title (escaped), and its caption under it."""
    alt = esc(f.alt or f.caption)
    svg = f.svg.replace("<svg ", f'<svg class="chart" role="img" aria-label="{alt}" ', 1)
    svg = svg.replace(">", f"><title>{alt}</title>", 1)
    cap = f'<p class="note">{esc(f.caption)}</p>' if f.caption else ""
    return svg + cap


def _kpis(k: KPIs) -> str:
    cards = "".join(
        f'<div class="kpi"><div class="kpi-label">{esc(c.label)}</div>'
        f'<div class="kpi-value">{esc(c.value)}</div><div class="kpi-note">{esc(c.note)}</div></div>'
        for c in k.cards
    )
    return f'<div class="kpis">{cards}</div>'


def _list(b: ListBlock) -> str:
    tag = "ol" if b.ordered else "ul"
    cls = f' class="{esc(b.style)}"' if b.style else ""
    return f"<{tag}{cls}>" + "".join(f"<li>{runs_html(i)}</li>" for i in b.items) + f"</{tag}>"


def _callout(c: Callout) -> str:
    cls = CALLOUT_CLASS.get(c.tone, "callout")
    if c.items:
        items = "".join(f"<li>{runs_html(i)}</li>" for i in c.items)
        return f'<div class="{cls}"><p>{runs_html(c.runs)}</p><ul>{items}</ul></div>'
    return f'<div class="{cls}">{runs_html(c.runs)}</div>'


def _progress(p: Progress) -> str:
    frac = p.fraction
    text = esc(p.figures())
    return (
        f'<div class="progress" role="progressbar" aria-valuenow="{frac * 100:.0f}" '
        f'aria-valuemin="0" aria-valuemax="100"><span class="label">{esc(p.label)}</span>'
        f'<span class="bar"><span class="fill" style="width:{frac * 100:.1f}%"></span></span>'
        f'<span class="value">{text}</span></div>'
    )


def _group(g: Group) -> str:
    title = f"<h3>{esc(g.title)}</h3>" if g.title else ""
    cls = f' class="{esc(g.style)}"' if g.style else ""
    return f"<div{cls}>{title}{blocks_html(g.blocks)}</div>"


def block_html(b: Block) -> str:
    """One block's markup."""
    if isinstance(b, Section):
        return section_html(b)
    if isinstance(b, Heading):
        return _heading(b)
    if isinstance(b, Paragraph):
        return _paragraph(b)
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Figure):
        return figure_html(b)
    if isinstance(b, KPIs):
        return _kpis(b)
    if isinstance(b, ListBlock):
        return _list(b)
    if isinstance(b, Callout):
        return _callout(b)
    if isinstance(b, Progress):
        return _progress(b)
    if isinstance(b, Banner):
        return f'<div class="banner">{esc(b.message)}</div>'
    if isinstance(b, PageBreak):
        return '<div class="page-break"></div>'
    if isinstance(b, Group):
        return _group(b)
    raise TypeError(f"no HTML for block {type(b).__name__}")


def blocks_html(blocks: Iterable[Block]) -> str:
    return "".join(block_html(b) for b in blocks)


def section_html(s: Section) -> str:
    """A section's markup: ``<section class="report-section">`` with its ``<h2>``; the page
    header (a section without heading) as the synthetic-data banner and
    ``<header class="report-header">``."""
    if s.heading is None:
        banners = [b for b in s.blocks if isinstance(b, Banner)]
        rest = [b for b in s.blocks if not isinstance(b, Banner)]
        return f'{blocks_html(banners)}<header class="report-header">{blocks_html(rest)}</header>'
    i = f' id="{esc(s.id)}"' if s.id else ""
    return (
        f'<section class="report-section"{i}>{_heading(s.heading)}{blocks_html(s.blocks)}</section>'
    )


def sections_html(doc: Document) -> list[str]:
    """Each section's markup, in order."""
    return [section_html(s) for s in doc.sections]


def page_html(title: str, body: str) -> str:
    """A page around ``body``: CSP first in ``<head>``, the title, the stylesheet."""
    return (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"/>{csp_meta()}'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{esc(title)}</title><style>{stylesheet_css()}</style></head>"
        f'<body class="commeval-report"><main>{body}</main></body></html>'
    )


def render_html(doc: Document, *, embed_font: bool = True) -> str:
    """The report page of ``doc``: self-contained (no request leaves the file), titled with
    ``doc.meta.title``, the CJK glyphs it uses embedded (``embed_font=False`` leaves them out,
    for tests that only read the markup)."""
    page = page_html(doc.meta.title, "".join(sections_html(doc)))
    if not embed_font:
        return page
    from commeval.fonts import embed_cjk_font

    return embed_cjk_font(page)


def notebook_fragment(markup: str, *, pages_only: bool = False) -> str:
    """Section markup as a notebook displays it: inside ``<div class="commeval-report">`` (the
    stylesheet's scope), with the glyphs of its text outside the report's fixed wording as an
    inline font and the fallbacks for a notebook JupyterLab does not trust
    (:mod:`commeval.renderers.untrusted`); ``pages_only`` (a batch run, whose pages are
    rendered from the document) leaves both out."""
    if pages_only:
        return f'<div class="commeval-report">{markup}</div>'
    from commeval.fonts import notebook_cell_font
    from commeval.renderers.untrusted import untrusted_section

    return (
        f'<div class="commeval-report">{notebook_cell_font(markup)}'
        f"{untrusted_section(markup)}</div>"
    )


def notebook_section(s: Section, *, pages_only: bool = False) -> str:
    """A document section as a notebook displays it (:func:`notebook_fragment`)."""
    return notebook_fragment(section_html(s), pages_only=pages_only)
