"""What the report notebooks call: one object per report whose methods return displayable HTML.

Notebooks stay thin (parameters → these calls → display); everything here is plain library code
that tests call directly.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from IPython.display import HTML, display

from commeval.display import PAGES_ONLY_ENV
from commeval.district import District, load_district
from commeval.project import find_project
from commeval.report import render
from commeval.report import township as T
from commeval.report.summary import summary_html

#: Output metadata that marks the stylesheet's display: the export template leaves that output
#: out of the page, whose ``<head>`` carries the same stylesheet.
STYLESHEET_METADATA = {"commeval": "stylesheet"}


def stylesheet_output() -> HTML:
    """The report stylesheet, displayable once per notebook (JupyterLab shows the sections
    styled as on the exported page)."""
    from commeval.fonts import notebook_template_font

    return HTML(render.stylesheet() + notebook_template_font(), metadata=STYLESHEET_METADATA)


class Section(HTML):
    """A report section for display: its HTML inside ``<div class="commeval-report">`` (the
    stylesheet's scope in JupyterLab; on the exported page the body has that class too).
    ``.data`` is the HTML, with the glyphs of its text outside the report's fixed wording as an
    inline font (:func:`commeval.fonts.notebook_cell_font`; the exported page drops it for its
    own); with ``stylesheet=True`` a notebook shows the stylesheet, with the fixed wording's
    font, first. The section also carries what keeps it the report in a notebook JupyterLab
    does not trust (whose sanitiser drops ``<style>`` and ``<svg>``): the stylesheet's
    declarations inlined and its charts doubled as images
    (:func:`commeval.report.untrusted.untrusted_section`; the exported page drops them)."""

    def __init__(self, html: str, stylesheet: bool = False):
        from commeval.fonts import notebook_cell_font
        from commeval.report.untrusted import untrusted_section

        if os.environ.get(PAGES_ONLY_ENV) == "pages":  # a batch run: only the page is kept
            super().__init__(f'<div class="commeval-report">{html}</div>')
        else:
            super().__init__(
                f'<div class="commeval-report">{notebook_cell_font(html)}'
                f"{untrusted_section(html)}</div>"
            )
        self.stylesheet = stylesheet

    def _ipython_display_(self) -> None:
        if self.stylesheet:
            display(stylesheet_output())
        display(HTML(self.data))


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
    """Sections of one township's report as displayable HTML."""

    def __init__(self, district: District, township: str):
        T.header(district, township)  # fails early, with a clear message, on an unknown name
        self.district = district
        self.township = township
        self._sat: T.Satisfaction | None = None

    @property
    def satisfaction_data(self) -> T.Satisfaction:
        if self._sat is None:
            self._sat = T.satisfaction(self.district, self.township)
        return self._sat

    def header(self) -> Section:
        """The page header; shown in a notebook, the stylesheet first."""
        return Section(render.header_html(self.district, self.township), stylesheet=True)

    def overview(self) -> Section:
        return Section(render.overview_html(self.district, self.township))

    def indicators(self) -> Section:
        return Section(render.indicators_html(self.district, self.township))

    def villages(self) -> Section:
        return Section(render.villages_html(self.district, self.township))

    def communities(self) -> Section:
        return Section(render.communities_html(self.district, self.township))

    def satisfaction(self) -> Section:
        return Section(
            render.satisfaction_html(self.district, self.township, self.satisfaction_data)
        )

    def problems(self) -> Section:
        return Section(render.problems_html(self.district, self.township, self.satisfaction_data))

    def provenance(self) -> Section:
        return Section(render.provenance_html(self.district, self.township))


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
) -> TownshipReport:
    """Load the district (ingesting if needed) and prepare one township's report."""
    return TownshipReport(load(data_dir, year, processed_dir, project), township)


def district_summary(
    data_dir: str | Path | None = None,
    year: int | None = None,
    processed_dir: str | Path | None = None,
    reports: Sequence[dict[str, Any]] | None = None,
    project: str | Path | None = None,
) -> list[Section]:
    """The index page's sections as displayable HTML (the first shows the stylesheet first)."""
    d = load(data_dir, year, processed_dir, project)
    return [Section(h, stylesheet=i == 0) for i, h in enumerate(summary_html(d, reports))]
