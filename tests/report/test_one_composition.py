"""One composition (issue 19): every paragraph and table cell text of a township's page appears
in its Word file and the other way round, for every township of the sample; text a renderer
adds (cover, contents, header and footer, download links) is marked as such in the document.
Needs the Word renderer (commeval.renderers.docx); skipped where it is not installed."""

from __future__ import annotations

import html as _html
import io
import re
from html.parser import HTMLParser

import pytest

from commeval.document import Paragraph, Table, walk
from commeval.renderers.html import render_html
from commeval.report import compose as C


class _Texts(HTMLParser):
    """The text of each <p>, <li>, <td>, <th>, <h1>–<h3> of a page (SVG and style left out)."""

    BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "div"}

    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []
        self.stack: list[list[str]] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("svg", "style", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.stack.append([])
        elif tag == "br" and self.stack:
            self.stack[-1].append("\n")

    def handle_endtag(self, tag):
        if tag in ("svg", "style", "title"):
            self.skip -= 1
        elif tag in self.BLOCKS and self.stack:
            text = "".join(self.stack.pop()).strip()
            if text:
                self.out.append(text)

    def handle_data(self, data):
        if not self.skip and self.stack:
            self.stack[-1].append(data)


def _norm(t: str) -> str:
    return re.sub(r"\s+", "", _html.unescape(t))


def _docx_texts(data: bytes) -> list[str]:
    import docx

    d = docx.Document(io.BytesIO(data))
    out = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            out += [c.text for c in row.cells]
    return [t for t in out if t.strip()]


def _content(doc) -> list[str]:
    """Texts of the document's content paragraphs and table cells (renderer-added left out)."""
    out = []
    for b in walk(doc.sections):
        if b.origin != "content":
            continue
        if isinstance(b, Paragraph):
            out.append(b.text())
        elif isinstance(b, Table):
            out += [c.text() for r in b.rows for c in r] + b.header()
    return [t for t in out if t.strip()]


def test_the_page_says_every_content_text(district):
    """The HTML half: every content paragraph and cell text is on the page."""
    for town in district.townships:
        doc = C.compose_township(district, town, generated="2030-01-01 00:00")
        parser = _Texts()
        parser.feed(render_html(doc, embed_font=False))
        page = _norm("\n".join(parser.out))
        for text in _content(doc):
            assert _norm(text) in page, (town, text)


@pytest.mark.slow
def test_page_and_word_file_say_the_same(district):
    docx_renderer = pytest.importorskip("commeval.renderers.docx")
    for town in district.townships:
        doc = C.compose_township(district, town, generated="2030-01-01 00:00", raster=True)
        parser = _Texts()
        parser.feed(render_html(doc, embed_font=False))
        page = _norm("\n".join(parser.out))
        words = _docx_texts(docx_renderer.render_docx(doc))
        word = _norm("\n".join(words))
        for text in _content(doc):
            assert _norm(text) in page, (town, "page", text)
            assert _norm(text) in word, (town, "docx", text)
        everything = _norm(doc.text())
        meta = [_norm(v) for v in (doc.meta.title, doc.meta.subtitle, doc.meta.organisation,
                                   doc.meta.date, doc.meta.generated, doc.meta.district) if v]  # fmt: skip
        for text in words:  # the other way round: Word says nothing the document does not
            t = _norm(text)
            assert t in everything or any(m in t or t in m for m in meta) or "目录" in t, (town, t)


@pytest.mark.slow
def test_district_word_file_ranks_as_the_index(district):
    docx_renderer = pytest.importorskip("commeval.renderers.docx")
    import docx

    doc = C.compose_summary(district, generated="2030-01-01 00:00", raster=True)
    d = docx.Document(io.BytesIO(docx_renderer.render_docx(doc)))
    order = list(district.evaluation.totals().sort_values("rank")["township"])
    for t in d.tables:
        head = [c.text for c in t.rows[0].cells]
        if "排名" in head and "乡镇" in head:
            col = head.index("乡镇")
            assert [r.cells[col].text.strip() for r in t.rows[1:]] == order
            break
    else:
        pytest.fail("no ranking table in the district's Word file")
