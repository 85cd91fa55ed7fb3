"""Word and PDF renderers per page, on composed-like township documents.

    PYTHONPATH=src:. .venv/bin/python benchmarks/bench_renderers.py [--townships 20] [--villages 20]

The documents are the renderer tests' sample township document (tests/renderers/sample_doc.py:
banner, KPI cards, an indicator table with CIs, a village table of ``--villages`` rows, a
matplotlib chart, callout, progress bars, list), one per township. Timed separately:

* chart rasterising — ``savefig(format="png", dpi=200)`` of the document's chart (what
  ``figure_from_matplotlib`` adds for Word), per chart;
* docx — ``render_docx`` of each document (the PNG already made), per document and per page; the
  page count of a Word file is LibreOffice's (``soffice --convert-to pdf`` of the first file,
  when LibreOffice is installed; otherwise the PDF's);
* PDF — starting the one Chromium (``PdfPrinter.__enter__``), then ``print_html`` of each page
  (its HTML — report.css and the embedded font — made beforehand, not timed), per page of PDF.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from commeval.renderers.docx import render_docx  # noqa: E402
from commeval.renderers.pdf import PdfPrinter, pdf_unavailable  # noqa: E402
from tests.renderers.sample_doc import chart, township_document  # noqa: E402
from tests.renderers.test_pdf import page_html  # noqa: E402

NAMES = "东西南北中"


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def _word_pages(data: bytes) -> int | None:
    if not shutil.which("soffice"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "d.docx"
        src.write_bytes(data)
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(src)],
            check=True, capture_output=True, env={"HOME": tmp, "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        return _pdf_pages((Path(tmp) / "d.pdf").read_bytes())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--townships", type=int, default=20)
    ap.add_argument("--villages", type=int, default=20)
    args = ap.parse_args()
    n = args.townships
    names = [f"{NAMES[i % 5]}{i}镇" for i in range(n)]
    docs = [township_document(t, villages=args.villages) for t in names]

    fig = chart()
    t0 = time.perf_counter()
    for _ in range(n):
        fig.savefig(io.BytesIO(), format="png", dpi=200)
    raster = (time.perf_counter() - t0) / n

    render_docx(docs[0])  # python-docx's template and imports, once per worker
    t0 = time.perf_counter()
    files = [render_docx(d) for d in docs]
    docx_s = time.perf_counter() - t0
    word_pages = _word_pages(files[0])

    print(f"documents: {n} townships, {args.villages} villages each")
    print(f"chart rasterising (200 dpi PNG): {raster:.3f} s a chart")
    problem = pdf_unavailable()
    pdf_pages = None
    if problem:
        print(f"PDF: skipped — {problem}")
    else:
        pages_html = [page_html(d) for d in docs]
        t0 = time.perf_counter()
        printer = PdfPrinter().__enter__()
        start = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            pdfs = [printer.print_html(h, header=f"清河县{t}　2024年度") for h, t in zip(pages_html, names)]  # fmt: skip
            pdf_s = time.perf_counter() - t0
        finally:
            printer.close()
        pdf_pages = sum(_pdf_pages(p) for p in pdfs)
        print(f"PDF: browser start {start:.2f} s once; {pdf_s / n:.3f} s a document, "
              f"{pdf_pages / n:.1f} pages a document, {pdf_s / pdf_pages:.3f} s a page")  # fmt: skip
    per_doc = docx_s / n
    pages = word_pages or (pdf_pages / n if pdf_pages else None)
    per_page = f", {per_doc / pages:.3f} s a page ({pages:.0f} pages)" if pages else ""
    print(f"docx: {per_doc:.3f} s a document{per_page}; {len(files[0]) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
