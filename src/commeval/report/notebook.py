"""What the report notebooks call: one object per report whose methods return displayable HTML.

Notebooks stay thin (parameters → these calls → display); everything here is plain library code
that tests call directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from IPython.display import HTML

from commeval.report import render
from commeval.report import township as T
from commeval.district import District, load_district
from commeval.report.summary import summary_html


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

    def header(self) -> HTML:
        return HTML(render.header_html(self.district, self.township))

    def overview(self) -> HTML:
        return HTML(render.overview_html(self.district, self.township))

    def indicators(self) -> HTML:
        return HTML(render.indicators_html(self.district, self.township))

    def villages(self) -> HTML:
        return HTML(render.villages_html(self.district, self.township))

    def communities(self) -> HTML:
        return HTML(render.communities_html(self.district, self.township))

    def satisfaction(self) -> HTML:
        return HTML(render.satisfaction_html(self.district, self.township, self.satisfaction_data))

    def problems(self) -> HTML:
        return HTML(render.problems_html(self.district, self.township, self.satisfaction_data))

    def provenance(self) -> HTML:
        return HTML(render.provenance_html(self.district, self.township))


def township_report(
    data_dir: str | Path,
    township: str,
    year: int | None = None,
    processed_dir: str | Path | None = None,
) -> TownshipReport:
    """Load the district (ingesting if needed) and prepare one township's report."""
    d = load_district(resolve_data_dir(data_dir), _resolve_optional(processed_dir), year)
    return TownshipReport(d, township)


def district_summary(
    data_dir: str | Path,
    year: int | None = None,
    processed_dir: str | Path | None = None,
    reports: Sequence[dict[str, Any]] | None = None,
) -> list[HTML]:
    """The index page's sections as displayable HTML."""
    d = load_district(resolve_data_dir(data_dir), _resolve_optional(processed_dir), year)
    return [HTML(h) for h in summary_html(d, reports)]
