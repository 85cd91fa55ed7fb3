"""The PDF printer: one headless Chromium prints report pages with the print CSS of report.css,
checked with poppler — A4 pages, Chinese text extractable, every font embedded, no blank page,
"— N —" page numbers and the running header on every page, rows of a long table not cut.

The page printed is the sample document (tests/renderers/sample_doc.py) as plain report HTML —
the stylesheet, the embedded CJK font, tables with a header row, the chart's SVG — made here
so the printer is tested on its own; the pipeline prints the HTML renderer's pages.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from commeval.document import Banner, Figure, Heading, Paragraph, Progress, Section, Table
from commeval.renderers.pdf import PdfPrinter, chromium_path, pdf_unavailable

from .sample_doc import township_document

pytestmark = pytest.mark.browser
HEADER = "清河县城关镇　2024年度"  # running_header(township_document().meta)


def _require() -> None:
    problem = pdf_unavailable()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    for tool in ("pdfinfo", "pdftotext", "pdffonts"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")


def page_html(doc, villages_rows: int = 0) -> str:
    """The document as a minimal report page (report.css, embedded CJK font)."""
    from commeval.fonts import embed_cjk_font

    css = (resources.files("commeval") / "templates" / "report.css").read_text(encoding="utf-8")
    out = []
    for b in doc.blocks():
        if isinstance(b, Heading):
            out.append(f"<h{b.level + 1}>{html.escape(b.text())}</h{b.level + 1}>")
        elif isinstance(b, Banner):
            out.append(f'<div class="banner callout">{html.escape(b.message)}</div>')
        elif isinstance(b, Paragraph):
            out.append(f"<p>{html.escape(b.text())}</p>")
        elif isinstance(b, Progress):
            out.append(f'<div class="progress">{html.escape(b.label)}</div>')
        elif isinstance(b, Figure):
            out.append(f'<div class="chart-box">{b.svg}</div><p>{html.escape(b.caption)}</p>')
        elif isinstance(b, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.header())
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c.text())}</td>" for c in r) + "</tr>"
                for r in b.rows
            )
            out.append(
                f'<div class="table-wrap"><table class="data"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>"
            )
        elif b.type == "pagebreak":
            out.append('<div class="page-break"></div>')
    page = (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>{html.escape(doc.meta.title)}</title><style>{css}</style>"
        f'</head><body class="commeval-report"><main><h1>{html.escape(doc.meta.title)}</h1>'
        f"{''.join(out)}</main></body></html>"
    )
    return embed_cjk_font(page)


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    _require()
    tmp = tmp_path_factory.mktemp("pdf")
    doc = township_document(villages=60)
    with PdfPrinter() as printer:
        first = printer.print_html(page_html(doc), header=HEADER)
        second = printer.print_html(page_html(township_document("东镇", villages=3)), footer=False)
    paths = []
    for i, data in enumerate((first, second)):
        p = tmp / f"page{i}.pdf"
        p.write_bytes(data)
        paths.append(p)
    return doc, paths


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def _pages(path: Path) -> list[str]:
    return _run("pdftotext", "-layout", str(path), "-").split("\f")[:-1]


def test_a4_pages(printed):
    _, (path, _) = printed
    info = _run("pdfinfo", str(path))
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(w - 595.28) < 1 and abs(h - 841.89) < 1, info  # 210 × 297 mm
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3


def test_chinese_text_extractable_and_no_blank_page(printed):
    doc, (path, _) = printed
    pages = _pages(path)
    text = "".join(pages)
    for s in ("一、综合评价", "社区综合服务站覆盖率", "86.4（80.1–91.2）", "堃犇村", "示例数据"):
        assert s in text, s
    # every page holds more than its running header and page number
    for i, page in enumerate(pages, start=1):
        body = re.sub(rf"—\s*{i}\s*—", "", _squeeze(page)).replace(_squeeze(HEADER), "")
        assert len(body) > 20, f"page {i} is blank"


def test_page_numbers_and_running_header_on_every_page(printed):
    _, (path, plain) = printed
    pages = _pages(path)
    for i, page in enumerate(pages, start=1):
        assert re.search(rf"\n\s*—\s*{i}\s*—\s*$", page), page[-80:]  # the last line
        assert _squeeze(HEADER) in _squeeze(page.split("\n", 1)[0])  # the first line
    # without header and footer: no page numbers
    assert not re.search(r"—\s*1\s*—", "".join(_pages(plain)))


def _squeeze(s: str) -> str:
    return re.sub(r"\s", "", s)


def test_fonts_embedded(printed):
    for path in printed[1]:
        rows = _run("pdffonts", str(path)).splitlines()[2:]
        assert rows
        for row in rows:
            # name type [encoding] emb sub uni object ID: "emb" is the 5th field from the end
            assert row.split()[-5] == "yes", row


def test_rows_of_a_long_table_are_not_cut(printed):
    """Every village row is whole on one page: its name and its last cell on the same page."""
    doc, (path, _) = printed
    villages = doc.tables()[1]
    pages = _pages(path)
    header_pages = 0
    for row in villages.rows:
        name, last = row[0].text(), row[-1].text()
        lines = [ln for p in pages for ln in p.splitlines() if re.search(rf"(^|\s){name}\s", ln)]
        assert any(last in ln for ln in lines), (name, lines)
    for p in pages:
        header_pages += "服务中心面积（m²）" in p
    assert header_pages >= 2  # the table runs over a page and repeats its header row


def test_one_browser_survives_its_crash():
    """A browser that died is started again for the next page, in the same printer."""
    _require()
    with PdfPrinter() as printer:
        assert printer.print_html("<p>甲</p>").startswith(b"%PDF")
        printer._browser.close()  # as if chromium died
        assert not printer._browser.is_connected()
        assert printer.print_html("<p>乙</p>", header="x").startswith(b"%PDF")


def test_unavailable_message(monkeypatch):
    monkeypatch.setenv("COMMEVAL_CHROMIUM", "/nonexistent/chromium")
    assert chromium_path() is None
    msg = pdf_unavailable()
    assert msg is not None and "Chromium" in msg and "apt-get install chromium" in msg
    assert "\n" not in msg
    with pytest.raises(RuntimeError, match="未找到 Chromium"):
        PdfPrinter().__enter__()


def test_running_header():
    from commeval.document import Meta
    from commeval.renderers.pdf import running_header

    assert running_header(Meta(title="t", district="清河县", township="城关镇", year=2024)) == (
        "清河县城关镇　2024年度"
    )
    assert running_header(Meta(title="t", district="清河县", year=2024)) == "清河县汇总　2024年度"
    assert running_header(Meta(title="报告")) == "报告"


def test_print_outside_with_is_a_clear_error():
    with pytest.raises(RuntimeError, match="PdfPrinter"):
        PdfPrinter(executable="/bin/true").print_html("<p>x</p>")


def test_docx_sections_of_sample_are_sections():
    assert all(isinstance(s, Section) for s in township_document().sections)


def test_libreoffice_fallback_converts_word_files_in_one_process(tmp_path):
    from commeval.renderers.docx import render_docx
    from commeval.renderers.pdf import docx_to_pdf, office_path

    if office_path() is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer)")
    if not all(shutil.which(t) for t in ("pdfinfo", "pdftotext", "pdffonts")):
        pytest.skip("poppler-utils is not installed")
    files = {"城关镇.docx": render_docx(township_document()), "东镇.docx": render_docx(township_document("东镇", villages=2))}  # fmt: skip
    pdfs = docx_to_pdf(files)
    assert list(pdfs) == list(files)
    for name, data in pdfs.items():
        path = tmp_path / (name + ".pdf")
        path.write_bytes(data)
        text = _run("pdftotext", str(path), "-")
        assert "综合评价" in text and name.removesuffix(".docx") in text
        info = _run("pdfinfo", str(path))
        w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
        assert abs(w - 595.28) < 1 and abs(h - 841.89) < 1
        assert all(row.split()[-5] == "yes" for row in _run("pdffonts", str(path)).splitlines()[2:])
