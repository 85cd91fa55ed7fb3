"""What-if analysis of the index (情景分析): the framework as a table, indicator weights under
each weighting method side by side, an AHP consistency report, scores and ranks re-computed
under alternative normalisations / aggregations / weights, rank intervals and sensitivity
indices. Pure functions returning tidy frames; the research notebook
``notebooks/index_analysis.ipynb`` calls them and ``commeval.report.index_charts`` draws them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from commeval.index.errors import IndexDataError
from commeval.index.evaluation import Evaluation, evaluate
from commeval.index.framework import Framework
from commeval.index.satisfaction import survey_indicators
from commeval.index.weights import (
    ConsistencyWarning,
    ahp,
    dimension_weights,
    subjective_method,
    within_weights,
)

WEIGHT_METHODS = ("fixed", "entropy", "critic", "combined")
METHOD_LABELS = {
    "fixed": "专家赋权（固定权重）",
    "entropy": "熵权法",
    "critic": "CRITIC法",
    "combined": "组合赋权（专家×熵权，α=0.5）",
}
ASSUMPTION_LABELS = {
    "weights": "权重扰动",
    "normalisation": "标准化方法",
    "aggregation": "合成方法",
    "survey": "问卷抽样误差",
}
BASELINE = "基准"

# An example judgement matrix for the eight dimensions of the default framework (Saaty's 1–9
# scale, row vs column), as an expert panel might fill it in. It roughly reproduces the fixed
# dimension weights (facilities first, funding last) and is acceptably consistent (CR < 0.10).
_EXAMPLE_LEVELS = {
    "organisation": 2,
    "facilities": 4,
    "infrastructure": 3,
    "governance": 3,
    "new_community": 3,
    "organisations": 2,
    "funding": 1,
    "satisfaction": 2,
}
_SAATY = {0: 1, 1: 2, 2: 3, 3: 5}


# ---------------------------------------------------------------------------- framework


def framework_table(fw: Framework) -> pd.DataFrame:
    """One row per indicator: dimension, indicator, label, unit, source, direction, target,
    weight (within its dimension), plus the dimension's label and weight and the indicator's
    overall weight (dimension weight × indicator weight, summing to 1 over the framework).

    Weights as the framework states them (:func:`commeval.index.weights.within_weights`,
    :func:`commeval.index.weights.dimension_weights`): fixed, or AHP priorities, for the
    dimensions and the indicators; for a dimension with combined weighting its expert part;
    NaN for entropy / CRITIC weighting, which needs data (see :func:`weights_by_method`)."""
    dim_w = dimension_weights(fw)
    rows = []
    for d in fw.dimensions:
        subj = subjective_method(d.weighting)
        w_in = (
            within_weights(d, None, {**d.weighting, "method": subj})
            if subj is not None
            else pd.Series(np.nan, index=[i.name for i in d.indicators])
        )
        for i in d.indicators:
            rows.append(
                {
                    "dimension": d.name,
                    "dimension_label": d.label,
                    "dimension_weight": float(dim_w[d.name]),
                    "indicator": i.name,
                    "label": i.label,
                    "unit": i.unit,
                    "source": " ".join(str(i.source).split()),
                    "direction": i.direction,
                    "target": float(i.target),
                    "weight": float(w_in[i.name]),
                    "overall_weight": float(dim_w[d.name]) * float(w_in[i.name]),
                    "weighting": d.weighting["method"],
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- weights


def _wide_values(indicator_values: pd.DataFrame) -> pd.DataFrame:
    """Township × indicator values from a wide frame or the tidy ``Evaluation.indicators``."""
    if {"township", "indicator", "value"} <= set(indicator_values.columns):
        return indicator_values.pivot(index="township", columns="indicator", values="value")
    return indicator_values


def weights_by_method(
    indicator_values: pd.DataFrame,
    fw: Framework,
    scope: str = "overall",
    objective: str = "entropy",
    rule: str = "additive",
    alpha: float = 0.5,
) -> pd.DataFrame:
    """Indicator weights under each weighting method, one row per indicator.

    ``indicator_values``: townships × indicators (the values the weights are computed from; the
    engine uses them after imputation and outlier treatment), or the tidy
    ``Evaluation.indicators`` frame (its ``value`` column). Within each dimension, as the engine
    does (:func:`commeval.index.weights.within_weights`): ``fixed`` the framework's expert
    weights (fixed, or the AHP priorities of a dimension weighted by AHP), ``entropy`` /
    ``critic`` the objective weights on the townships with complete data for that dimension,
    ``combined`` the expert weights combined with the ``objective`` weights (``rule``,
    ``alpha``; see :func:`commeval.index.combined_weights`). A dimension weighted by entropy or
    CRITIC alone has no expert weights: NaN in ``fixed`` and ``combined``.

    ``scope="within"`` gives weights within each dimension (summing to 1 per dimension);
    ``"overall"`` multiplies them by the framework's dimension weights, fixed or AHP
    (:func:`commeval.index.weights.dimension_weights`; each method's column sums to 1). Columns: dimension, dimension_label, indicator, label, fixed, entropy, critic,
    combined, note. Where an objective method is undefined for a dimension (e.g. entropy when
    no indicator of the dimension varies across the townships that year) the dimension falls
    back to the expert weights (equal weights without them) and ``note`` says so
    (:func:`weight_notes`).
    """
    if scope not in ("within", "overall"):
        raise ValueError(f"scope must be 'within' or 'overall', got {scope!r}")
    X = _wide_values(indicator_values)
    dim_w = dimension_weights(fw)
    rows = []
    for d in fw.dimensions:
        names = [i.name for i in d.indicators if i.name in X.columns]
        if not names:
            continue
        nan = pd.Series(np.nan, index=names)
        subj = subjective_method(d.weighting)
        spec = {**d.weighting, "method": subj}
        fixed = within_weights(d, X, spec) if subj is not None else nan
        notes: list[str] = []
        # an objective method can be undefined for a dimension (no indicator varies across the
        # townships this year): fall back to the expert weights (equal without them), noted
        fallback = fixed if subj is not None else pd.Series(1.0 / len(names), index=names)
        ent = _objective_or(d, X, {"method": "entropy"}, "熵权法", fallback, subj, notes)
        cri = _objective_or(d, X, {"method": "critic"}, "CRITIC法", fallback, subj, notes)
        comb = (
            _objective_or(
                d,
                X,
                {**spec, "method": "combined", "subjective": subj, "objective": objective}
                | {"rule": rule, "alpha": alpha},
                "组合赋权",
                fallback,
                subj,
                notes,
            )
            if subj is not None
            else nan
        )
        labels = {i.name: i.label for i in d.indicators}
        factor = float(dim_w[d.name]) if scope == "overall" else 1.0
        for n in names:
            rows.append(
                {
                    "dimension": d.name,
                    "dimension_label": d.label,
                    "indicator": n,
                    "label": labels[n],
                    "fixed": factor * float(fixed[n]),
                    "entropy": factor * float(ent[n]),
                    "critic": factor * float(cri[n]),
                    "combined": factor * float(comb[n]),
                    "note": "；".join(notes),
                }
            )
    return pd.DataFrame(rows)


def _objective_or(d, X, spec, label, fallback, subj, notes: list[str]) -> pd.Series:
    """``within_weights(d, X, spec)``, or ``fallback`` with a note when the method is undefined
    for the dimension."""
    try:
        return within_weights(d, X, spec)
    except IndexDataError as exc:
        instead = "专家权重" if subj is not None else "等权"
        why = str(exc).splitlines()[0].replace("；", "，")  # one line: the notes split on "；"
        notes.append(f"{label}在维度“{d.label}”无定义（{why}），改用{instead}")
        return fallback


def weight_notes(weights: pd.DataFrame) -> list[str]:
    """The fallbacks :func:`weights_by_method` had to make (one line per dimension and
    method), for the notebook to print."""
    if "note" not in weights:
        return []
    out: list[str] = []
    for text in weights["note"]:
        for line in str(text).split("；"):
            if line and line not in out:
                out.append(line)
    return out


def method_weights(weights: pd.DataFrame, method: str) -> dict[str, float]:
    """One method's column of :func:`weights_by_method` (``scope="within"``) as the
    ``indicator_weights`` override of :func:`commeval.index.evaluate` (used by dimensions with
    fixed weighting)."""
    if method not in WEIGHT_METHODS:
        raise ValueError(f"unknown weighting method {method!r}; use one of {WEIGHT_METHODS}")
    return {
        str(k): float(v)
        for k, v in zip(weights["indicator"], weights[method])
        if not np.isnan(v)  # no expert weights in an entropy / CRITIC dimension
    }


# ---------------------------------------------------------------------------- AHP


def example_dimension_matrix(fw: Framework) -> pd.DataFrame:
    """An example pairwise comparison matrix over the framework's dimensions (Saaty scale,
    entries as fractions such as ``"1/3"``), from an importance level per dimension: a
    difference of 0 / 1 / 2 / 3 levels is judged 1 / 2 / 3 / 5. Dimensions not in the default
    framework get the middle level."""
    names = [d.name for d in fw.dimensions]
    lv = [_EXAMPLE_LEVELS.get(n, 2) for n in names]
    rows = []
    for a in lv:
        row = []
        for b in lv:
            v = _SAATY[min(abs(a - b), 3)]
            row.append(str(v) if a >= b else f"1/{v}")
        rows.append(row)
    return pd.DataFrame(rows, index=names, columns=names)


def ahp_report(matrix: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Priority weights and consistency of a pairwise comparison matrix as one small frame:
    rows ``kind="weight"`` (one per criterion) then ``kind="consistency"`` (n, λmax, CI, RI,
    CR); columns item, label, kind, value. An inconsistent matrix (CR ≥ 0.10) is reported, not
    warned about: the CR row says so."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConsistencyWarning)
        res = ahp(matrix)
    labels = dict(labels or {})
    n = len(res.weights)
    rows = [
        {"item": str(k), "label": labels.get(str(k), str(k)), "kind": "weight", "value": float(v)}
        for k, v in res.weights.items()
    ]
    for item, label, value in (
        ("n", "判断矩阵阶数 n", float(n)),
        ("lambda_max", "最大特征根 λmax", res.lambda_max),
        ("CI", "一致性指标 CI = (λmax − n)/(n − 1)", res.ci),
        ("RI", "平均随机一致性指标 RI", res.ri),
        ("CR", "一致性比率 CR = CI/RI（< 0.10 可接受）", res.cr),
    ):
        rows.append({"item": item, "label": label, "kind": "consistency", "value": float(value)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- scenarios


def default_scenarios(
    fw: Framework,
    weights: pd.DataFrame | None = None,
    dimension_matrix: pd.DataFrame | None = None,
) -> dict[str, dict[str, Any]]:
    """The usual "what if" set: alternative normalisations and aggregations; with ``weights``
    (:func:`weights_by_method`, ``scope="within"``) entropy / CRITIC / combined indicator
    weights; equal dimension weights; with ``dimension_matrix`` AHP dimension weights."""
    sc: dict[str, dict[str, Any]] = {
        "最小–最大标准化": {"normalisation": "minmax"},
        "百分位秩标准化": {"normalisation": "rank"},
        "几何平均合成": {"aggregation": {"method": "geometric", "within": "geometric"}},
        "TOPSIS": {"aggregation": "topsis"},
        "灰色关联分析": {"aggregation": "grey"},
        "模糊综合评价": {"aggregation": "fuzzy"},
    }
    if weights is not None:
        for m, name in (("entropy", "熵权法"), ("critic", "CRITIC法"), ("combined", "组合赋权")):
            sc[f"{name}指标权重"] = {"indicator_weights": method_weights(weights, m)}
    names = [d.name for d in fw.dimensions]
    sc["维度等权"] = {"dimension_weights": dict.fromkeys(names, 1.0 / len(names))}
    if dimension_matrix is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConsistencyWarning)
            w = ahp(dimension_matrix).weights
        sc["AHP维度权重"] = {"dimension_weights": {str(k): float(v) for k, v in w.items()}}
    return sc


def scenario_ranks(
    tables: Mapping[str, pd.DataFrame],
    fw: Framework,
    year: int | None,
    scenarios: Mapping[str, Mapping[str, Any] | None],
    survey: pd.DataFrame | None = None,
    baseline: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Scores and ranks of every township under each scenario.

    Each scenario is a ``settings`` override of :func:`commeval.index.evaluate` (e.g.
    ``{"normalisation": "minmax"}``, ``{"aggregation": "topsis"}``,
    ``{"indicator_weights": {...}}``, ``{"dimension_weights": {...}}``), applied on top of
    ``baseline`` (default: the framework's own settings) and run without Monte Carlo
    (``mc_draws=0``). The baseline is always included first, as scenario ``"基准"``.

    Returns one row per township × scenario: township, scenario, score, grade, rank,
    baseline_score, baseline_rank, rank_shift = baseline_rank − rank (positive: the township
    moves up the table under the scenario), score_change = score − baseline_score.
    """
    base = dict(baseline or {})
    sdf = tables.get("survey")
    if survey is None and fw.survey_items and sdf is not None and not sdf.empty:
        # the design-weighted survey estimates do not depend on the scenario: compute them once
        survey = survey_indicators(sdf, sorted(fw.survey_items))
    runs: dict[str, Mapping[str, Any]] = {BASELINE: base}
    for name, over in scenarios.items():
        if name == BASELINE:
            raise ValueError(f"scenario name {BASELINE!r} is reserved for the baseline")
        runs[name] = {**base, **dict(over or {})}
    parts = []
    for name, settings in runs.items():
        ev = evaluate(
            tables, fw, year=year, survey=survey, mc_draws=0, settings=settings, sensitivity=False
        )
        s = ev.scores
        parts.append(
            pd.DataFrame(
                {
                    "township": s["township"].astype(str).to_numpy(),
                    "scenario": name,
                    "score": s["score"].to_numpy(dtype=float),
                    "grade": s["grade"].to_numpy(),
                    "rank": s["rank"].to_numpy(dtype=int),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    b = out[out["scenario"] == BASELINE].set_index("township")
    out["baseline_score"] = out["township"].map(b["score"])
    out["baseline_rank"] = out["township"].map(b["rank"]).astype(int)
    out["rank_shift"] = out["baseline_rank"] - out["rank"]
    out["score_change"] = out["score"] - out["baseline_score"]
    out["scenario"] = pd.Categorical(out["scenario"], categories=list(runs), ordered=True)
    return out


def scenario_summary(ranks: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: Spearman rank correlation with the baseline, mean |rank shift|, the largest
    shift and how many townships change rank."""
    rows = []
    for name, g in ranks.groupby("scenario", observed=True, sort=True):
        r, r0 = g["rank"].to_numpy(dtype=float), g["baseline_rank"].to_numpy(dtype=float)
        rho = float(pd.Series(r).corr(pd.Series(r0), method="spearman")) if len(g) > 1 else 1.0
        shift = g["rank_shift"].to_numpy()
        rows.append(
            {
                "scenario": str(name),
                "spearman": rho,
                "mean_abs_shift": float(np.abs(shift).mean()),
                "max_abs_shift": int(np.abs(shift).max()),
                "townships_moved": int((shift != 0).sum()),
            }
        )
    return pd.DataFrame(rows)


def rank_table(ranks: pd.DataFrame, value: str = "rank") -> pd.DataFrame:
    """Township × scenario table of ``value`` (rank, score or rank_shift), townships in
    baseline-rank order."""
    wide = ranks.pivot(index="township", columns="scenario", values=value)
    order = (
        ranks[ranks["scenario"] == BASELINE].sort_values("rank")["township"].astype(str).tolist()
    )
    wide = wide.reindex(order)
    wide.columns = [str(c) for c in wide.columns]
    return wide


# ---------------------------------------------------------------------------- uncertainty


def rank_interval_table(evaluation: Evaluation) -> pd.DataFrame:
    """Nominal rank, median Monte Carlo rank and its interval per township (best median first):
    township, score with its interval (score_low, score_high), grade, rank, rank_median,
    rank_low, rank_high, width = rank_high − rank_low (0: the rank holds under every sampled
    assumption), at the evaluation's level (``settings["uncertainty"]["level"]``). Without
    Monte Carlo draws the intervals are the nominal values."""
    s = evaluation.scores
    cols = ["township", "score", "score_low", "score_high", "grade", "rank", "rank_median"]
    cols = [c for c in cols if c in s] + ["rank_low", "rank_high"]
    out = s[cols].copy()
    out["township"] = out["township"].astype(str)
    out["width"] = (out["rank_high"] - out["rank_low"]).astype(int)
    return out.sort_values(["rank_median", "rank"], kind="stable").reset_index(drop=True)


def draws_of(evaluation: Evaluation) -> pd.DataFrame:
    """The Monte Carlo draws of an evaluation as a tidy frame (draw, township, score, rank);
    a ValueError when it was run without draws."""
    if evaluation.draws is None or evaluation.draws.empty:
        raise ValueError("该评估未做蒙特卡罗模拟 (mc_draws=0): no draws to compare")
    return evaluation.draws


def rank_change_probability(
    a: Evaluation, b: Evaluation, labels: tuple[str, str] = ("a", "b")
) -> pd.DataFrame:
    """How likely each township's rank differs between two settings, from their Monte Carlo
    draws paired by draw number: evaluations with the same seed and draws share their random
    numbers (common random numbers), so draw ``i`` of ``a`` and of ``b`` differ only in what
    the settings change.

    One row per township (in ``a``'s rank order): township, the nominal ranks ``rank_<a>`` and
    ``rank_<b>``, ``p_differs`` = P(rank under a ≠ rank under b), ``p_better`` = P(better
    under b), ``p_worse``, ``mean_shift`` = mean(rank_a − rank_b) (positive: moves up under
    b). The same machinery serves every "does this choice change the ranking?" question (a
    weighting, a normalisation, how not-applicable items are treated)."""
    da, db = draws_of(a), draws_of(b)
    if da["draw"].max() != db["draw"].max():
        raise ValueError(
            f"the two evaluations have {da['draw'].max() + 1} and {db['draw'].max() + 1} draws: "
            "run both with the same mc_draws and seed"
        )
    ra = da.pivot(index="draw", columns="township", values="rank")
    rb = db.pivot(index="draw", columns="township", values="rank").reindex(columns=ra.columns)
    diff = ra.to_numpy(float) - rb.to_numpy(float)
    la, lb = labels
    nom_a = a.scores.set_index("township")["rank"].astype(int)
    nom_b = b.scores.set_index("township")["rank"].astype(int)
    out = pd.DataFrame(
        {
            "township": [str(t) for t in ra.columns],
            f"rank_{la}": nom_a.reindex(ra.columns).to_numpy(),
            f"rank_{lb}": nom_b.reindex(ra.columns).to_numpy(),
            "p_differs": np.mean(diff != 0, axis=0),
            "p_better": np.mean(diff > 0, axis=0),
            "p_worse": np.mean(diff < 0, axis=0),
            "mean_shift": np.mean(diff, axis=0),
        }
    )
    return out.sort_values(f"rank_{la}", kind="stable").reset_index(drop=True)


def settings_rank_change(
    evaluation: Evaluation,
    changes: Mapping[str, Any],
    labels: tuple[str, str] = ("基准", "情景"),
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """:func:`rank_change_probability` of ``evaluation`` against itself re-run with the
    settings ``changes`` (``Evaluation.regen``: same inputs, draws and seed; pass ``tables``
    and ``framework`` for an evaluation read back from the cache, e.g. ``District.evaluation``)."""
    other = evaluation.regen(dict(changes), tables=tables, framework=framework)
    return rank_change_probability(evaluation, other, labels)


# ---------------------------------------------------------------------------- scorecards


def _require_points(evaluation: Evaluation) -> pd.DataFrame:
    ind = evaluation.indicators
    if "points" not in ind:
        raise ValueError("这不是考核评分表（scoring: points）的评估 (not a points scorecard)")
    return ind


def points_table(evaluation: Evaluation) -> pd.DataFrame:
    """Township × item points of a scorecard (columns: item labels, then 总分), townships in
    rank order."""
    ind = _require_points(evaluation)
    wide = ind.pivot_table(
        index="township", columns="label", values="points", sort=False, aggfunc="first"
    )
    wide.columns = [str(c) for c in wide.columns]
    sc = evaluation.scores.set_index("township")
    wide["总分"] = sc["points"].reindex(wide.index)
    order = evaluation.scores.sort_values("rank")["township"]
    return wide.reindex(order)


def points_lost(evaluation: Evaluation) -> pd.DataFrame:
    """Where a scorecard's points are lost, item by item (most lost first): dimension, item,
    label, max_points, mean_points, lost (points lost over all townships), share_full
    (townships at full points), worst (the township losing most)."""
    ind = _require_points(evaluation).copy()
    ind = ind[ind["applicable"].astype("boolean").fillna(False).astype(bool)]
    ind["lost"] = ind["max_points"].astype(float) - ind["points"].astype(float)
    ind.loc[ind["bonus"].astype(bool), "lost"] = 0.0
    rows = []
    for (dim, item), g in ind.groupby(["dimension", "indicator"], sort=False):
        worst = g.sort_values("lost", ascending=False, kind="stable").iloc[0]
        rows.append(
            {
                "dimension": dim,
                "indicator": item,
                "label": g["label"].iloc[0],
                "max_points": float(g["max_points"].iloc[0]),
                "mean_points": float(g["points"].mean()),
                "lost": float(g["lost"].sum()),
                "share_full": float((g["lost"] <= 1e-9).mean()),
                "worst": str(worst["township"]) if worst["lost"] > 0 else "",
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values("lost", ascending=False, kind="stable").reset_index(drop=True)


def threshold_sensitivity(evaluation: Evaluation) -> pd.DataFrame:
    """How much each scorecard item's thresholds (shifted by one step either way in the Monte
    Carlo) and the survey's sampling error move the ranks: district-wide Sobol indices with
    item labels, largest total effect first (empty without draws)."""
    _require_points(evaluation)
    sens = evaluation.sensitivity
    sub = sens[sens["township"].astype(str) == "(all)"]
    labels = dict(zip(evaluation.indicators["indicator"], evaluation.indicators["label"]))
    assumption = sub["assumption"].astype(str)
    out = pd.DataFrame(
        {
            "assumption": assumption.to_numpy(),
            "label": [
                f"评分门槛：{labels.get(a.split(':', 1)[1], a)}"
                if a.startswith("threshold:")
                else ASSUMPTION_LABELS.get(a, a)
                for a in assumption
            ],
            "first_order": sub["first_order"].to_numpy(dtype=float),
            "total": sub["total"].to_numpy(dtype=float),
        }
    )
    return out.sort_values("total", ascending=False, kind="stable").reset_index(drop=True)


def sensitivity_table(evaluation: Evaluation, township: str | None = None) -> pd.DataFrame:
    """Sobol first-order and total sensitivity indices per assumption (district-wide by
    default, or for one township), with Chinese labels and interaction = total − first order."""
    sens = evaluation.sensitivity
    key = "(all)" if township is None else str(township)
    sub = sens[sens["township"].astype(str) == key]
    out = pd.DataFrame(
        {
            "assumption": sub["assumption"].astype(str).to_numpy(),
            "label": [ASSUMPTION_LABELS.get(a, a) for a in sub["assumption"].astype(str)],
            "first_order": sub["first_order"].to_numpy(dtype=float),
            "total": sub["total"].to_numpy(dtype=float),
        }
    )
    out["interaction"] = out["total"] - out["first_order"]
    return out


__all__ = [
    "BASELINE",
    "ahp_report",
    "default_scenarios",
    "draws_of",
    "points_lost",
    "points_table",
    "threshold_sensitivity",
    "weight_notes",
    "rank_change_probability",
    "settings_rank_change",
    "not_applicable_rank_change",
    "example_dimension_matrix",
    "framework_table",
    "method_weights",
    "rank_interval_table",
    "rank_table",
    "scenario_ranks",
    "scenario_summary",
    "sensitivity_table",
    "weights_by_method",
]


#: the not-applicable treatments (framework ``not_applicable``) in the words of a report
NOT_APPLICABLE_LABELS = {
    "renormalise": "权重分摊到其余维度",
    "neutral": "按适用乡镇的平均分计入",
    "separate": "单列、不计入综合得分",
}


def not_applicable_ranks(evaluation: Any) -> pd.DataFrame:
    """Ranks of every township under each not-applicable treatment of the dimensions that do
    not apply everywhere (``renormalise``, ``neutral``, ``separate`` for all of them at once),
    from the evaluation's dimension scores and dimension weights (weighted arithmetic mean
    across dimensions, as a composite index aggregates them; a scorecard's dimension scores
    are taken as their share of the dimension's full marks). Columns: township, treatment,
    score, rank, used (the treatment the evaluation used), rank_used; one row per township
    and treatment. Empty when every dimension applies to every township."""
    from commeval.index.composite import treat_not_applicable

    dims = evaluation.dimension_scores()
    wide = dims.pivot_table(index="township", columns="dimension", values="score", sort=False,
                            dropna=False)  # fmt: skip
    if "max_score" in dims and evaluation.scheme.itemised:
        full = dims.drop_duplicates("dimension").set_index("dimension")["max_score"]
        wide = 100 * wide / full.reindex(wide.columns).replace(0, np.nan).to_numpy()
    towns = list(evaluation.totals().sort_values("rank")["township"])
    wide = wide.reindex(towns)
    partial = [c for c in wide.columns if wide[c].isna().any() and wide[c].notna().any()]
    cols = ["township", "treatment", "score", "rank", "used", "rank_used"]
    if not partial:
        return pd.DataFrame(columns=cols)
    wts = evaluation.settings.get("dimension_weights") or {}
    w = np.array([float(wts.get(c, 1.0)) for c in wide.columns])
    used = dict(evaluation.settings.get("not_applicable") or {})
    rank_used = evaluation.totals().set_index("township")["rank"].reindex(towns).to_numpy()
    rows = []
    for mode in NOT_APPLICABLE_LABELS:
        modes = [mode if c in partial else "renormalise" for c in wide.columns]
        score = treat_not_applicable(wide.to_numpy(dtype=float), w, modes)
        rank = pd.Series(score).rank(ascending=False, method="min").astype(int).to_numpy()
        for t, sc, rk, ru in zip(towns, score, rank, rank_used, strict=True):
            rows.append({
                "township": t, "treatment": mode, "score": float(sc), "rank": int(rk),
                "used": all(used.get(c, "renormalise") == mode for c in partial),
                "rank_used": int(ru),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def not_applicable_rank_change(
    evaluation: Any,
    treatment: str,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """:func:`rank_change_probability` of ``evaluation`` against itself re-run with every
    dimension's not-applicable treatment set to ``treatment`` (``renormalise``, ``neutral``,
    ``separate``; same draws and seed, and every draw treats what does not apply as its
    nominal score does): per township ``rank_used``, ``rank_<treatment>``, ``p_differs``,
    ``p_better`` (better under ``treatment``), ``p_worse``, ``mean_shift``. The draws' view of
    :func:`not_applicable_ranks`; it runs the Monte Carlo once more."""
    import dataclasses

    if treatment not in NOT_APPLICABLE_LABELS:
        raise ValueError(f"treatment {treatment!r}: use one of {list(NOT_APPLICABLE_LABELS)}")
    fw = evaluation.framework if framework is None else framework
    if fw is None:
        raise ValueError("this evaluation does not keep its framework: pass framework=")
    alt = dataclasses.replace(
        fw,
        dimensions=tuple(dataclasses.replace(d, not_applicable=treatment) for d in fw.dimensions),
    )
    other = evaluation.regen(tables=tables, framework=alt)
    return rank_change_probability(evaluation, other, ("used", treatment))
