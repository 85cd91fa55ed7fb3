"""HTML export of executed report notebooks: one self-contained page, no code, no stderr.

The exporter is nbconvert's ``HTMLExporter`` with the ``commeval_report.html.j2`` template (lab
based, no scripts from other hosts, a small inline stylesheet). A worker builds one
:class:`ReportExporter` and reuses it for every report.

One step of ``HTMLExporter`` is left out: after rendering the template it parses the whole page
with BeautifulSoup to give ``<img>`` tags without ``alt`` a placeholder text and to make input
and output areas focusable, then serialises the page again — 0.045 s of a report's ~0.35 s,
spent on a page whose images all carry ``alt`` text and which shows no cells to navigate.
:class:`PageExporter` does the rest of ``HTMLExporter.from_notebook_node`` as it is (its own
set-up of filters and resources, then the template) and gives any image without ``alt`` an
empty one; ``tests/pipeline/test_export.py`` checks the page against ``HTMLExporter``'s.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

from commeval.document import MIME, Document, assemble
from commeval.files import HTML_CSP
from commeval.paths import templates_dir

TEMPLATE_FILE = "commeval_report.html.j2"
#: Cells whose tags mark them as papermill machinery, never shown in a report.
HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "papermill-error-cell-tag"})


@dataclass
class Exported:
    """An exported page and what was taken out of it on the way."""

    html: str
    stderr: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def notebook_errors(nb: nbformat.NotebookNode) -> list[str]:
    """``ename: evalue`` of every ``error`` output (an error output means the report failed)."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".strip())
    return found


def clean_notebook(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[str]]:
    """A copy of ``nb`` without papermill's parameter cells and stderr streams (returned apart)."""
    nb = copy.deepcopy(nb)
    stderr: list[str] = []
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & HIDDEN_TAGS:
            continue
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    stderr.append(out.get("text", ""))
                else:
                    kept.append(out)
            cell.outputs = kept
        cells.append(cell)
    nb.cells = cells
    return nb, [s for s in stderr if s.strip()]


_IMG_NO_ALT = re.compile(r"<img\b(?![^>]*\balt=)")


def page_exporter(**traits: object):
    """An ``HTMLExporter`` (subclass) that skips the BeautifulSoup pass over the finished page."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):  # type: ignore[override]
            # as HTMLExporter.from_notebook_node (nbconvert 7), up to its BeautifulSoup pass
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _IMG_NO_ALT.sub('<img alt=""', html), resources

    return PageExporter(**traits)


class ReportExporter:
    """Executed notebook → self-contained HTML (code hidden, ``lang="zh"``)."""

    def __init__(self, language_code: str = "zh") -> None:
        self.traits = {
            "template_name": "lab",
            "template_file": TEMPLATE_FILE,
            "extra_template_paths": [str(templates_dir())],
            "exclude_input": True,
            "exclude_input_prompt": True,
            "exclude_output_prompt": True,
            "embed_images": True,
            "language_code": language_code,
        }
        self._exporter = page_exporter(**self.traits)

    def export(self, nb: nbformat.NotebookNode, title: str) -> Exported:
        """Render ``nb`` to HTML; stderr streams are dropped from the page and returned."""
        from commeval.display import strip_untrusted_fallbacks
        from commeval.fonts import embed_cjk_font

        clean, stderr = clean_notebook(nb)
        html, _ = self._exporter.from_notebook_node(
            clean, resources={"metadata": {"name": title}, "csp": HTML_CSP}
        )
        # what the sections carry for an untrusted notebook: the page has the stylesheet
        html = strip_untrusted_fallbacks(html)
        # The page's own glyphs of the bundled CJK font, inline: Chinese renders on any machine.
        return Exported(html=embed_cjk_font(html), stderr=stderr, errors=notebook_errors(nb))


# --- the composed document: from the executed notebook to every format -------------------------


def notebook_document(nb: nbformat.NotebookNode) -> Document | None:
    """The document a report notebook displayed: its fragments (outputs of MIME type
    :data:`commeval.document.MIME`, one per section) assembled in output order; None when the
    notebook displays none (a notebook of the user's own, exported as before)."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if MIME in data:
                parts.append(data[MIME])
    return assemble(parts)


def render_document(
    doc: Document,
    formats: tuple[str, ...] = ("html",),
    options: dict | None = None,
    printer: object | None = None,
) -> tuple[str, dict[str, bytes]]:
    """The page of ``doc`` (:func:`commeval.renderers.html.render_html`: CSP, stylesheet,
    embedded font) and its other ``formats``: "docx" through
    :func:`commeval.renderers.docx.render_docx` with ``options["docx"]``, "pdf" by ``printer``
    (a :class:`commeval.renderers.pdf.PdfPrinter` open for the worker's whole life) printing
    the page with the document's title as running header. Renderers are imported here, when
    a format needs them."""
    from commeval.renderers.html import render_html

    options = options or {}
    html = render_html(doc)
    files: dict[str, bytes] = {}
    if "docx" in formats:
        from commeval.renderers.docx import DocxOptions, render_docx

        # the page's own links (downloads, other files) are not the Word file's
        files["docx"] = render_docx(doc.content(), DocxOptions(**(options.get("docx") or {})))
    if "pdf" in formats:
        if printer is None:
            raise RuntimeError("PDF requested without a printer")
        header = options.get("pdf_header") or doc.meta.title
        files["pdf"] = printer.print_html(html, header=header, footer=True)  # type: ignore[attr-defined]
    return html, files
