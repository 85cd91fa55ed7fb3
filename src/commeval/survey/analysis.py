"""Research helpers on the survey engine: raking to population margins, satisfaction by
domain, drivers of overall satisfaction, importance–performance analysis and scale reliability.

Every function is pure (the design passed in is never changed) and returns a tidy DataFrame or a
small result object. The design is that of :func:`commeval.survey.questionnaire.year_design`
(prepared data: Likert items 1–5, 说不清 already missing); on raw data the don't-know code
(``dont_know``, default :data:`~commeval.survey.questionnaire.DONT_KNOW`) is treated as missing.
The questionnaire conventions (items, labels, age groups) live in
:mod:`commeval.survey.questionnaire`. Used by ``notebooks/survey_analysis.ipynb``; see
docs/survey.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import as_list, check_columns, numeric_column
from .design import SurveyDesign
from .questionnaire import (
    AGE_BREAKS,
    DONT_KNOW,
    age_group,
    label,
    sat_items,
    service_items,
    split_codes,
)
from .reliability import cronbach_alpha

#: Quadrants of the importance–performance grid (importance high/low × performance high/low).
QUADRANTS = {
    (True, False): "重点改进",  # important, performing below the typical item: concentrate here
    (True, True): "继续保持",  # important and performing well: keep up the good work
    (False, False): "次要改进",  # less important, performing poorly: low priority
    (False, True): "可能过度",  # less important, performing well: possible overkill
}


def _valid(design: SurveyDesign, col: str, dont_know: float | None = DONT_KNOW) -> np.ndarray:
    """A Likert column as float with the don't-know code (and missing) as NaN."""
    x = numeric_column(design.data, col)
    _, dk, _ = split_codes(x, dont_know)
    return np.where(dk, np.nan, x)


# ---------------------------------------------------------------------------- weighting
def _key(frame: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    parts = [frame[c].astype(str) for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    return out.astype(object).where(frame[list(cols)].notna().all(axis=1))


def rake_to_population(
    design: SurveyDesign,
    population: pd.DataFrame,
    by: Sequence[str] = ("township",),
    max_iter: int = 100,
    tol: float = 1e-8,
) -> SurveyDesign:
    """Rake the design's weights to the ``population`` table's margins within ``by``.

    The margins are ``by × gender`` and ``by × age_group`` counts summed from the population
    table (township × gender × age group), so with the default ``by=("township",)`` the raked
    weights reproduce exactly, in every township, the population by gender and by age group, and
    hence the township totals. Raking on the two two-way margins rather than post-stratifying on
    the full three-way cells is deliberate: with ~120 respondents per township a year, the 8
    gender × age cells of a township hold ~15 respondents and some are much smaller, so full
    cells give volatile weights while raking needs only the margins to be well filled.
    ``by=()`` rakes to district-wide gender and age margins instead.

    Age groups are derived from ``age`` (:func:`age_group`) and added to the data as
    ``age_group``. Population cells of ``by`` levels outside the design's domain are ignored,
    so a domain (e.g. one township) can be raked to its own margins. Variance: raking is
    treated as calibration on all margin indicators (the engine's ``rake``).
    """
    by = as_list(by)
    check_columns(population, [*by, "gender", "age_group", "count"], "population")
    check_columns(design.data, [*by, "gender", "age"], "rake_to_population")
    data = design.data.assign(age_group=age_group(design.data["age"]).astype(object))
    added = ["age_group", "gender"]
    inside = design.domain & (design.weights > 0)
    no_age = inside & data["age_group"].isna().to_numpy()
    if no_age.any():
        raise ValueError(
            f"rake_to_population: {int(no_age.sum())} respondents have no age group "
            f"(age missing or under {AGE_BREAKS[0]})"
        )
    pop = population.copy()
    pop["gender"] = pd.to_numeric(pop["gender"]).astype("Int64")
    pop["age_group"] = pop["age_group"].astype(str)
    data["gender"] = pd.to_numeric(data["gender"]).astype("Int64")
    if by:
        present = set(_key(data.loc[inside], by))
        pop = pop[_key(pop, by).isin(present)]
    margins: dict[str, dict[str, float]] = {}
    names = []
    for var in ("gender", "age_group"):
        cols = [*by, var]
        name = "×".join(cols)
        names.append(name)
        totals = pop.groupby(cols, observed=True)["count"].sum().reset_index()
        margins[name] = dict(zip(_key(totals, cols), totals["count"].astype(float)))
        data[name] = _key(data, cols)
        added.append(name)
    if inside.any() and sum(margins[names[0]].values()) <= 0:
        raise ValueError("rake_to_population: the population table has no counts")
    base = design.update(**{c: data[c] for c in added})
    return base.rake(margins, max_iter=max_iter, tol=tol)


def weight_summary(
    designs: SurveyDesign | Mapping[str, SurveyDesign], by: str | None = None
) -> pd.DataFrame:
    """Weights of the respondents in each design's domain: count, sum, min, median, max,
    max/min, coefficient of variation, Kish design effect of weighting ``1 + CV²`` (population
    CV) and the effective sample size ``n / deff``. One row per design (× ``by`` level)."""
    if isinstance(designs, SurveyDesign):
        designs = {"weights": designs}
    rows = []
    for name, d in designs.items():
        w = d.analysis_weights()
        ok = d.domain & (w > 0)
        groups = [(None, ok)]
        if by is not None:
            vals = d.data[by]
            groups = [(v, ok & (vals == v).to_numpy()) for v in pd.unique(vals[ok])]
        for level, m in groups:
            x = w[m]
            cv = x.std() / x.mean()
            deff = 1 + cv**2
            row = {"weighting": name}
            if by is not None:
                row[by] = level
            row.update(
                n=int(m.sum()),
                sum=x.sum(),
                min=x.min(),
                median=float(np.median(x)),
                max=x.max(),
                max_min_ratio=x.max() / x.min(),
                cv=cv,
                deff_weighting=deff,
                n_effective=m.sum() / deff,
            )
            rows.append(row)
    return pd.DataFrame(rows)


def weight_changes(before: SurveyDesign, after: SurveyDesign, by: str = "township") -> pd.DataFrame:
    """Per respondent in the domain: weight before and after (re)weighting and their ratio."""
    if len(before.data) != len(after.data):
        raise ValueError("weight_changes: the designs have different rows")
    m = before.domain & after.domain & (before.weights > 0)
    out = pd.DataFrame(
        {
            by: before.data[by].to_numpy()[m],
            "weight_before": before.weights[m],
            "weight_after": after.weights[m],
        }
    )
    out["ratio"] = out["weight_after"] / out["weight_before"]
    return out


def raking_effect(
    before: SurveyDesign,
    after: SurveyDesign,
    items: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    dont_know: float | None = DONT_KNOW,
) -> pd.DataFrame:
    """Mean satisfaction (don't know as missing) under two weightings, side by side, with the
    change (after − before) and the ratio of standard errors."""
    items = sat_items() if items is None else list(items)
    keys = ["variable", "label", *as_list(by)]
    a = satisfaction_by(before, items, by, dont_know)
    b = satisfaction_by(after, items, by, dont_know)
    out = a[[*keys, "estimate", "se", "n"]].merge(
        b[[*keys, "estimate", "se"]], on=keys, suffixes=("_before", "_after")
    )
    out["change"] = out["estimate_after"] - out["estimate_before"]
    out["se_ratio"] = out["se_after"] / out["se_before"]
    return out


# ---------------------------------------------------------------------------- satisfaction
def satisfaction_by(
    design: SurveyDesign,
    items: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    dont_know: float | None = DONT_KNOW,
    level: float = 0.95,
) -> pd.DataFrame:
    """Design-based mean score (1–5) of each item per domain with CIs (normal quantile, as
    ``SurveyDesign.mean``); 说不清 (``dont_know``) is missing, rows are never dropped."""
    items = sat_items() if items is None else as_list(items)
    d = design.update(**{c: _valid(design, c, dont_know) for c in items})
    out = d.mean(items, by=by, level=level)
    out.insert(1, "label", out["variable"].map(label))
    return out


# ---------------------------------------------------------------------------- drivers
def _model_design(design, outcome, items, dont_know, threshold=None):
    """Design whose data carries ``_y`` (outcome, or its top-box indicator) and ``_x0..``."""
    y = _valid(design, outcome, dont_know)
    if threshold is not None:
        y = np.where(np.isnan(y), np.nan, (y >= threshold).astype(float))
    cols = {"_y": y}
    names = {}
    for i, c in enumerate(items):
        cols[f"_x{i}"] = _valid(design, c, dont_know)
        names[f"_x{i}"] = c
    return design.update(**cols), names


def drivers(
    design: SurveyDesign,
    outcome: str = "sat_overall",
    items: Sequence[str] | None = None,
    threshold: float = 4,
    dont_know: float | None = DONT_KNOW,
    level: float = 0.95,
    intercept: bool = False,
) -> pd.DataFrame:
    """Drivers of overall satisfaction: design-based logistic regression (R ``svyglm``,
    ``family="binomial"``) of the top-box indicator ``outcome >= threshold`` (比较满意/非常满意
    by default) on the item scores (1–5, per point), complete cases after 说不清 → missing.

    One row per item: ``log_odds``, ``se``, ``odds_ratio`` = exp(coefficient), its CI
    (exponentiated t interval on the design's residual df), ``p_value``, ``n`` (respondents in
    the model) and ``df_resid``. ``intercept=True`` keeps the intercept row.
    """
    items = service_items() if items is None else as_list(items)
    d, names = _model_design(design, outcome, items, dont_know, threshold)
    g = d.glm("_y ~ " + " + ".join(names), family="binomial")
    ci = g.conf_int(alpha=1 - level)
    terms = g.params.index
    out = pd.DataFrame(
        {
            "term": [names.get(t, t) for t in terms],
            "label": [label(names[t]) if t in names else "截距" for t in terms],
            "log_odds": g.params.to_numpy(),
            "se": g.bse.to_numpy(),
            "odds_ratio": np.exp(g.params.to_numpy()),
            "ci_low": np.exp(ci["ci_low"].to_numpy()),
            "ci_high": np.exp(ci["ci_high"].to_numpy()),
            "p_value": g.pvalues.to_numpy(),
            "n": g.nobs,
            "df_resid": g.df_resid,
        }
    )
    if not intercept:
        out = out[out["term"] != "Intercept"].reset_index(drop=True)
    return out


# ---------------------------------------------------------------------------- IPA
def _wcorr(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(x) & ~np.isnan(y) & (w > 0)
    x, y, w = x[ok], y[ok], w[ok]
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cxy = np.sum(w * (x - mx) * (y - my))
    return float(cxy / np.sqrt(np.sum(w * (x - mx) ** 2) * np.sum(w * (y - my) ** 2)))


def importance_performance(
    design: SurveyDesign,
    outcome: str = "sat_overall",
    items: Sequence[str] | None = None,
    importance: str = "correlation",
    dont_know: float | None = DONT_KNOW,
    performance_cut: float | None = None,
    importance_cut: float | None = None,
) -> pd.DataFrame:
    """Importance–performance analysis (IPA) of the service items against ``outcome``.

    Performance is the design-weighted mean score of each item (with its CI, as
    :func:`satisfaction_by`). Importance is either the design-weighted Pearson correlation of
    the item with the outcome over respondents answering both (``"correlation"``, default:
    stable when items are collinear) or the standardized coefficient of the item in the
    design-based linear regression of the outcome on all items (``"coefficient"``: coefficient
    × weighted SD of the item / weighted SD of the outcome, on the model's complete cases).

    Quadrants split at the mean performance and mean importance of the items (or the cuts
    given); values at a cut count as high: 重点改进 (important, below-typical performance),
    继续保持 (important, performing well), 次要改进 (less important, performing poorly),
    可能过度 (less important, performing well).
    """
    items = service_items() if items is None else as_list(items)
    if importance not in ("correlation", "coefficient"):
        raise ValueError(f"importance must be 'correlation' or 'coefficient', got {importance!r}")
    perf = satisfaction_by(design, items, dont_know=dont_know)
    w = design.analysis_weights()
    y = _valid(design, outcome, dont_know)
    if importance == "correlation":
        imp = [_wcorr(_valid(design, c, dont_know), y, w) for c in items]
    else:
        d, names = _model_design(design, outcome, items, dont_know)
        g = d.glm("_y ~ " + " + ".join(names), family="gaussian")
        X = np.column_stack([d.data[f"_x{i}"].to_numpy(float) for i in range(len(items))])
        ok = ~np.isnan(X).any(axis=1) & ~np.isnan(y) & (w > 0)
        ww = w[ok]

        def wsd(v):
            return np.sqrt(np.average((v - np.average(v, weights=ww)) ** 2, weights=ww))

        sy = wsd(y[ok])
        imp = [g.params[f"_x{i}"] * wsd(X[ok, i]) / sy for i in range(len(items))]
    out = pd.DataFrame(
        {
            "variable": items,
            "label": [label(c) for c in items],
            "performance": perf["estimate"].to_numpy(),
            "performance_low": perf["ci_low"].to_numpy(),
            "performance_high": perf["ci_high"].to_numpy(),
            "importance": np.asarray(imp, dtype=float),
        }
    )
    pc = float(out["performance"].mean()) if performance_cut is None else float(performance_cut)
    ic = float(out["importance"].mean()) if importance_cut is None else float(importance_cut)
    out["quadrant"] = [
        QUADRANTS[(bool(i >= ic), bool(p >= pc))]
        for p, i in zip(out["performance"], out["importance"])
    ]
    out["performance_cut"] = pc
    out["importance_cut"] = ic
    out["importance_measure"] = importance
    return out


# ---------------------------------------------------------------------------- reliability
@dataclass
class ReliabilityResult:
    """Cronbach's α of a scale: design-weighted (R ``svycralpha``), raw and standardized, and
    per item the corrected item-total correlation and the weighted α if the item is deleted."""

    alpha: float
    raw_alpha: float
    std_alpha: float
    n: int
    k: int
    items: pd.DataFrame

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "items": self.k,
                    "n": self.n,
                    "alpha": self.alpha,
                    "raw_alpha": self.raw_alpha,
                    "std_alpha": self.std_alpha,
                }
            ]
        )

    def __repr__(self) -> str:
        return (
            f"Cronbach alpha = {self.alpha:.4f} (design-weighted, {self.k} items, n = {self.n}), "
            f"raw {self.raw_alpha:.4f}, standardized {self.std_alpha:.4f}\n{self.items}"
        )


def reliability(
    design: SurveyDesign, items: Sequence[str] | None = None, dont_know: float | None = DONT_KNOW
) -> ReliabilityResult:
    """Cronbach's α of ``items`` (default: the nine ``sat_*`` items) on complete cases, 说不清
    excluded (:func:`commeval.survey.cronbach_alpha`); item rows carry Chinese labels."""
    items = sat_items() if items is None else as_list(items)
    a = cronbach_alpha(design, items, dont_know=dont_know)
    tab = a.items.copy()
    tab.insert(1, "label", tab["item"].map(label))
    tab["alpha_change"] = tab["alpha_if_deleted"] - a.alpha
    return ReliabilityResult(a.alpha, a.raw_alpha, a.std_alpha, a.n, len(items), tab)
