"""What the report notebooks call: the report composed once as a document
(:mod:`commeval.report.compose`), displayed section by section.

Each displayed section carries its HTML (the HTML renderer's markup, with what a notebook needs)
and the document fragment of that section (:data:`commeval.document.MIME`): JupyterLab shows the
HTML; a batch run's worker assembles the fragments and renders the document into every format
(page, Word, PDF). So JupyterLab, papermill and batch runs show the same content. Notebooks stay
thin (parameters → compose → display); everything here is plain library code tests call.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from IPython.display import HTML, display

from commeval.display import PAGES_ONLY_ENV
from commeval.district import District, load_district
from commeval.document import MIME, Document, fragment
from commeval.document import Section as DocSection
from commeval.project import find_project
from commeval.renderers import html as H
from commeval.report import compose as C
from commeval.report import render
from commeval.report import township as T
from commeval.report.summary import summary_document

#: Output metadata that marks the stylesheet's display: the export template leaves that output
#: out of the page, whose ``<head>`` carries the same stylesheet.
STYLESHEET_METADATA = {"commeval": "stylesheet"}


def stylesheet_output() -> HTML:
    """The report stylesheet, displayable once per notebook (JupyterLab shows the sections
    styled as on the exported page)."""
    from commeval.fonts import notebook_template_font

    return HTML(render.stylesheet() + notebook_template_font(), metadata=STYLESHEET_METADATA)


class _Bundle:
    """A section's display: its HTML and its document fragment."""

    def __init__(self, html: str, document: dict[str, Any]) -> None:
        self.html, self.document = html, document

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.html, MIME: self.document}


class Section(HTML):
    """A report section for display: its HTML inside ``<div class="commeval-report">`` (the
    stylesheet's scope in JupyterLab; on the exported page the body has that class too).
    ``.data`` is the HTML, with the glyphs of its text outside the report's fixed wording as an
    inline font (:func:`commeval.fonts.notebook_cell_font`); with ``stylesheet=True`` a notebook
    shows the stylesheet, with the fixed wording's font, first. The section also carries what
    keeps it the report in a notebook JupyterLab does not trust (whose sanitiser drops
    ``<style>`` and ``<svg>``): the stylesheet's declarations inlined and its charts doubled as
    images (:func:`commeval.renderers.untrusted.untrusted_section`; the page has neither).
    ``document``: the section's document fragment, displayed beside the HTML."""

    def __init__(self, html: str, stylesheet: bool = False, document: dict[str, Any] | None = None):
        # a batch run (PAGES_ONLY_ENV) keeps only the page, rendered from the document
        pages_only = os.environ.get(PAGES_ONLY_ENV) == "pages"
        super().__init__(H.notebook_fragment(html, pages_only=pages_only))
        self.stylesheet = stylesheet
        self.document = document

    @classmethod
    def of(cls, doc: Document, section: DocSection, stylesheet: bool = False) -> Section:
        """The display of one section of a composed document."""
        return cls(H.section_html(section), stylesheet, fragment(doc, [section]))

    def _ipython_display_(self) -> None:
        if self.stylesheet:
            display(stylesheet_output())
        if self.document is None:
            display(HTML(self.data))
        else:
            display(_Bundle(self.data, self.document))


def resolve_data_dir(path: str | Path) -> Path:
    """A relative data path as given, or found from a parent folder (a notebook opened in
    JupyterLab runs in ``notebooks/``, papermill from the repository root)."""
    p = Path(path)
    if p.exists() or p.is_absolute():
        return p
    for parent in Path.cwd().parents:
        if (parent / p).exists():
            return parent / p
    raise FileNotFoundError(f"找不到数据目录 {path}（当前目录 {Path.cwd()}）")


def _resolve_optional(path: str | Path | None) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    if p.is_absolute() or p.parent.exists():
        return p
    for parent in Path.cwd().parents:
        if (parent / p).parent.exists():
            return parent / p
    return p


class TownshipReport:
    """One township's report, composed once (:attr:`document`), displayed section by section
    in :data:`commeval.report.compose.TOWNSHIP_SECTIONS` order. ``generated``: the generation
    time as printed (default: now, in the project's time zone); ``raster``: charts as PNG too
    (a batch run writing Word files)."""

    def __init__(
        self,
        district: District,
        township: str,
        generated: str | None = None,
        raster: bool = False,
    ):
        T.header(district, township)  # fails early, with a clear message, on an unknown name
        self.district = district
        self.township = township
        self.generated = generated or render.generated_now(district)
        self.raster = raster
        self._doc: Document | None = None

    @property
    def document(self) -> Document:
        """The report as a document (composed on first use)."""
        if self._doc is None:
            self._doc = C.compose_township(
                self.district, self.township, generated=self.generated, raster=self.raster
            )
        return self._doc

    @property
    def satisfaction_data(self) -> T.Satisfaction:
        return T.satisfaction(self.district, self.township)

    def section(self, sid: str) -> Section:
        """The display of section ``sid`` (the header shows the stylesheet first)."""
        doc = self.document
        return Section.of(doc, doc.section(sid), stylesheet=sid == C.TOWNSHIP_SECTIONS[0])

    def sections(self) -> list[Section]:
        """Every section's display, in order."""
        return [self.section(s.id) for s in self.document.sections]

    def header(self) -> Section:
        """The page header; shown in a notebook, the stylesheet first."""
        return self.section("header")

    def overview(self) -> Section:
        return self.section("overview")

    def indicators(self) -> Section:
        return self.section("indicators")

    def villages(self) -> Section:
        return self.section("villages")

    def communities(self) -> Section:
        return self.section("communities")

    def satisfaction(self) -> Section:
        return self.section("satisfaction")

    def problems(self) -> Section:
        return self.section("problems")

    def provenance(self) -> Section:
        return self.section("provenance")


def load(
    data_dir: str | Path | None = None,
    year: int | None = None,
    processed_dir: str | Path | None = None,
    project: str | Path | None = None,
) -> District:
    """The evaluated district a report notebook shows: of ``project`` (a folder holding
    commeval.yaml), or of ``data_dir``, or — both None — of the project found from the working
    directory upward, as git finds its repository."""
    if project is None and data_dir is None:
        project = find_project()
    return load_district(
        resolve_data_dir(data_dir) if data_dir is not None else None,
        _resolve_optional(processed_dir),
        year,
        project=project,
    )


def township_report(
    data_dir: str | Path | None,
    township: str,
    year: int | None = None,
    processed_dir: str | Path | None = None,
    project: str | Path | None = None,
    raster: bool = False,
) -> TownshipReport:
    """Load the district (ingesting if needed) and prepare one township's report."""
    return TownshipReport(load(data_dir, year, processed_dir, project), township, raster=raster)


def district_summary(
    data_dir: str | Path | None = None,
    year: int | None = None,
    processed_dir: str | Path | None = None,
    reports: Sequence[dict[str, Any]] | None = None,
    project: str | Path | None = None,
    raster: bool = False,
) -> list[Section]:
    """The index page's sections for display (the first shows the stylesheet first), each with
    its fragment of the composed summary."""
    d = load(data_dir, year, processed_dir, project)
    doc = summary_document(d, reports, generated=render.generated_now(d), raster=raster)
    return [Section.of(doc, s, stylesheet=i == 0) for i, s in enumerate(doc.sections)]
