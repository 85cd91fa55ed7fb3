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
    survey_df: pd.DataFrame,
    items: Iterable[str],
    year: int | None = None,
    yesno: Iterable[str] = (),
) -> pd.DataFrame:
    """Per-township estimates of survey items from the survey table (one design per year):
    columns township, year, indicator, estimate, se, n. ``items`` are Likert items (mean 1–5),
    their ``<item>_top2`` shares, or yes/no items (the share answering 是, 0–1); ``year`` keeps
    one survey year (None: every year); ``yesno``: a project's yes/no items (fields.yaml
    ``kind: yesno``) beside the packaged ones and any bool column."""
    names = sorted({str(i) for i in items})
    base = sorted({i.removesuffix(questionnaire.TOP2_SUFFIX) for i in names})
    missing = [c for c in base + ["township", "weight", "year"] if c not in survey_df.columns]
    if missing:
        raise ValueError(f"survey table lacks columns {missing}")
    df = survey_df if year is None else survey_df[survey_df["year"] == year]
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    # the items asked for are prepared whether built-in or a project's (fields.yaml) Likert items
    yesno = set(questionnaire.yesno_items()) | set(yesno) | {b for b in base if _yesno(df[b])}
    likert = sorted((set(questionnaire.likert_items()) | set(base)) - yesno)
    designs = questionnaire.year_designs(df, items=likert)
    return questionnaire.township_estimates(designs, names)


def _yesno(col: pd.Series) -> bool:
    """A yes/no column (bool dtype): its estimate is the share answering 是."""
    return pd.api.types.is_bool_dtype(col)
