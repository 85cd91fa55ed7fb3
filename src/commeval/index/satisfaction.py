"""Township survey indicators for the satisfaction dimension (群众满意度).

The index takes per-township survey estimates (township, year, indicator, estimate, se, n): for
each Likert item its mean on the 1–5 scale (indicator ``item``) and its top-2-box share,
比较满意 + 非常满意 (indicator ``item_top2``), 说不清 counted as no opinion. They come from THE
design of each survey year (:func:`commeval.survey.questionnaire.year_design`), the same design
every report section uses; :mod:`commeval.district` passes them to ``evaluate(survey=...)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from commeval.survey import questionnaire

COLUMNS = ["township", "year", "indicator", "estimate", "se", "n"]


def survey_indicators(
    survey_df: pd.DataFrame, items: Iterable[str], year: int | None = None
) -> pd.DataFrame:
    """Per-township estimates of Likert items from the survey table (one design per year):
    columns township, year, indicator, estimate, se, n. ``items`` are Likert items or their
    ``<item>_top2`` shares; ``year`` keeps one survey year (None: every year)."""
    names = sorted({str(i) for i in items})
    base = sorted({i.removesuffix(questionnaire.TOP2_SUFFIX) for i in names})
    missing = [c for c in base + ["township", "weight", "year"] if c not in survey_df.columns]
    if missing:
        raise ValueError(f"survey table lacks columns {missing}")
    df = survey_df if year is None else survey_df[survey_df["year"] == year]
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    # the items asked for are prepared whether built-in or a project's (fields.yaml) Likert items
    designs = questionnaire.year_designs(
        df, items=sorted(set(questionnaire.likert_items()) | set(base))
    )
    return questionnaire.township_estimates(designs, names)
