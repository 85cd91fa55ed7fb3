"""The evaluation pipeline: tables + framework → indicators, dimension scores, scores, grades,
ranks with Monte Carlo intervals, sensitivity and year-on-year change.

Each step is a function of tidy frames; :func:`evaluate` records every step's settings in
``settings`` so the run can be repeated with changed assumptions
(``evaluate(tables, fw, settings={**res.settings, "normalisation": {"method": "minmax"}})``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from commeval.data.conventions import indicator_range
from commeval.index import points, result
from commeval.index.aggregation import AGGREGATIONS, WITHIN
from commeval.index.attainment import attained, attainment_rate, grade, rank_scores
from commeval.index.coherence import corr_flags, cronbach_by_group
from commeval.index.composite import composite, membership, treat_not_applicable
from commeval.index.errors import IndexDataError, SettingsError
from commeval.index.formulas import Scope
from commeval.index.framework import DEFAULT_UNCERTAINTY, IMPUTATIONS, Framework, load_framework
from commeval.index.impute import impute
from commeval.index.indicators import (
    compute_indicators,
    evaluate_indicators,
    make_scope,
    survey_arrays,
    survey_dependent,
    townships_of,
    with_denominators,
)
from commeval.index.normalise import METHODS as NORMALISATIONS
from commeval.index.normalise import normalise_array
from commeval.index.outliers import treat
from commeval.index.result import Scheme, scheme_of
from commeval.index.satisfaction import survey_indicators
from commeval.index.uncertainty import (
    LEVEL,
    MCInputs,
    SurveyDraws,
    draws_frame,
    monte_carlo,
    multimodal_notes,
    rank_summary,
    score_summary,
)
from commeval.index.weights import dimension_weights, indicator_weights

STEP_KEYS = ("imputation", "outliers", "normalisation", "aggregation")
ALL = "(all)"


@dataclass(repr=False)
class Evaluation:
    """Results of :func:`evaluate` (tidy frames), every step's data, the settings that produced
    them, and the inputs needed to regenerate them (:meth:`regen`), as COINr's coin.

    ``data``: townships × indicators frames of each step — ``raw`` (by the formulas; indicators
    not applicable anywhere included), ``imputed``, ``treated`` (outliers) and ``normalised``.
    ``settings``: what was used (step settings, weights, records); ``requested``: the
    ``settings`` argument as given, which :meth:`regen` starts from. ``tables`` and
    ``framework`` stay in memory only (not pickled, not dataclass fields): pass ``tables=`` and
    ``framework=`` to :meth:`regen` on an evaluation that was stored and loaded.
    """

    indicators: pd.DataFrame
    dimensions: pd.DataFrame
    scores: pd.DataFrame
    change: pd.DataFrame
    settings: dict[str, Any]
    sensitivity: pd.DataFrame
    weights: pd.DataFrame
    checks: dict[str, pd.DataFrame] = field(default_factory=dict)
    data: dict[str, pd.DataFrame] = field(default_factory=dict)
    requested: dict[str, Any] = field(default_factory=dict)
    year: int | None = None
    survey: pd.DataFrame | None = None
    sensitivity_run: bool = True
    #: the Monte Carlo draws as a tidy frame (draw, township, score, rank); None without draws
    draws: pd.DataFrame | None = None
    #: notes on the uncertainty analysis (e.g. ranks multimodal under the normalisation switch)
    notes: list[str] = field(default_factory=list)
    # inputs kept in memory only, not dataclass fields (a cache that stores the fields, and a
    # pickle, leave them out; pass them to regen() then): the Framework and the tables
    framework = None
    tables = None

    def regen(
        self,
        settings: Mapping[str, Any] | None = None,
        *,
        tables: Mapping[str, pd.DataFrame] | None = None,
        framework: Framework | None = None,
        **changes: Any,
    ) -> Evaluation:
        """Re-run :func:`evaluate` on the same inputs (tables, framework, year, survey
        estimates, draws, seed) with the requested settings changed by ``settings`` and
        ``changes`` (settings keys, e.g. ``normalisation="minmax"``; also ``mc_draws``,
        ``seed``, ``sensitivity``), as COINr's ``Regen``. With no changes the result is the
        same evaluation."""
        tables = self.tables if tables is None else tables
        framework = self.framework if framework is None else framework
        if tables is None or framework is None:
            raise ValueError(
                "this evaluation does not keep its inputs (it was stored and loaded): "
                "pass tables= and framework="
            )
        unc = self.settings.get("uncertainty", {})
        run = {
            "mc_draws": unc.get("draws"),
            "seed": unc.get("seed"),
            "sensitivity": self.sensitivity_run,
        }
        for k in run:
            if k in changes:
                run[k] = changes.pop(k)
        new = {**self.requested, **dict(settings or {}), **changes}
        return evaluate(tables, framework, self.year, self.survey, settings=new, **run)

    # --- the result protocol (commeval.index.result.EvaluationResult) ------------------------

    @property
    def scheme(self) -> Scheme:
        """The scoring scheme (composite index or points scorecard) and its report wording."""
        return scheme_of(self.settings)

    def totals(self) -> pd.DataFrame:
        """Each township's score, full marks, base and bonus, grade (before and after a
        veto, with the veto's reason), rank with its interval and attainment — the same
        columns for every scheme (:data:`commeval.index.result.TOTALS_COLUMNS`)."""
        return result.totals(self.scores)

    def items(self, township: str | None = None) -> pd.DataFrame:
        """Each item's value, target, attainment, contribution (``earned`` of ``max``) and
        reason, with its change on last year (:data:`commeval.index.result.ITEM_COLUMNS`)."""
        out = result.items(self.indicators, self.change)
        return out if township is None else out[out["township"] == township].reset_index(drop=True)

    def dimension_scores(self, township: str | None = None) -> pd.DataFrame:
        """Each dimension's score, full marks and district mean."""
        out = result.dimension_scores(self.dimensions)
        return out if township is None else out[out["township"] == township].reset_index(drop=True)

    def previous(self, township: str) -> tuple[float | None, int | None]:
        """Last year's score and rank of ``township`` (None where there is none)."""
        return result.previous(self.change, township)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["tables"] = None
        state["framework"] = None
        state.pop("_points_nominal", None)
        return state

    def __repr__(self) -> str:
        s = self.settings
        if self.scheme.itemised:
            sc, unc, fw = self.scores, s.get("uncertainty", {}), s.get("framework", {})
            vetoed = int((sc["veto"] != "").sum()) if "veto" in sc else 0
            return (
                f"<Evaluation {s.get('year')} (scorecard): {len(sc)} townships, "
                f"{self.indicators['indicator'].nunique()} items; framework "
                f"{fw.get('name') or '?'} {fw.get('version', '')}>\n"
                f"  points {sc['points'].min():.1f}–{sc['points'].max():.1f} of "
                f"{sc['max_points'].max():.0f}; bonus cap {s.get('bonus_cap')}; vetoed {vetoed}; "
                f"Monte Carlo {unc.get('draws')} draws (seed {unc.get('seed')})"
            )
        agg = s.get("aggregation", {})
        unc = s.get("uncertainty", {})
        fw = s.get("framework", {})
        sc = self.scores["score"]
        dims = self.dimensions["dimension"].nunique() if len(self.dimensions) else 0
        return "\n".join(
            [
                f"<Evaluation {s.get('year')}: {len(self.scores)} townships, "
                f"{self.indicators['indicator'].nunique()} indicators in {dims} dimensions; "
                f"framework {fw.get('name') or '?'} {fw.get('version', '')}>",
                f"  steps: imputation {s['imputation']['method']}, outliers "
                f"{s['outliers']['method']}, normalisation {s['normalisation']['method']}, "
                f"aggregation {agg['method']} (within {agg.get('within', 'arithmetic')})",
                f"  weighting: dimensions {s.get('dimension_weighting')}, indicators "
                f"{', '.join(sorted(set(s.get('weighting', {}).values())))}; survey "
                f"{s.get('survey')}; Monte Carlo {unc.get('draws')} draws (seed {unc.get('seed')})",
                f"  scores {sc.min():.2f}–{sc.max():.2f} (mean {sc.mean():.2f}); "
                f"data: {', '.join(self.data)}; requested {sorted(self.requested) or 'defaults'}",
                *self._notes_line(),
            ]
        )

    def _notes_line(self) -> list[str]:
        if not self.notes:
            return []
        names = [n.split("：", 1)[0] for n in self.notes]
        more = "等" if len(names) > 4 else ""
        return [
            f"  note: {'、'.join(names[:4])}{more} {len(names)} 个乡镇的排名随标准化方法切换呈"
            "多峰分布 (ranks multimodal; see .notes)"
        ]

    def _repr_html_(self) -> str:
        """The summary of :meth:`__repr__` and the scores table (township, score, grade,
        rank with its Monte Carlo interval), for JupyterLab."""
        from commeval.display import frame_html, kv_table

        head, *lines = repr(self).splitlines()
        summary = kv_table(
            [tuple(part.strip() for part in ln.strip().split(":", 1)) for ln in lines],
            head.strip("<>"),
        )
        cols = [
            c
            for c in (
                "township",
                "score",
                "score_low",
                "score_high",
                "grade",
                "rank",
                "rank_low",
                "rank_high",
                "attainment",
            )  # fmt: skip
            if c in self.scores
        ]
        scores = self.scores[cols].sort_values("rank" if "rank" in cols else cols[0])
        return summary + frame_html(
            scores,
            "scores (综合得分)",
            {
                "score": "{:.1f}".format,
                "score_low": "{:.1f}".format,
                "score_high": "{:.1f}".format,
                "attainment": "{:.1%}".format,
            },
            max_rows=None,
        )


@dataclass
class _Nominal:
    year: int
    towns: pd.Index
    raw: pd.DataFrame
    values: pd.DataFrame  # after imputation
    treated: pd.DataFrame
    N: np.ndarray
    target_t: np.ndarray
    w_ind: np.ndarray
    w_dim: np.ndarray
    G: np.ndarray
    dims: np.ndarray
    score: np.ndarray
    records: dict[str, Any]
    columns: list[str]
    dim_names: list[str]
    #: the not-applicable treatment per dimension the score applies (empty: renormalise)
    not_applicable: tuple[str, ...] = ()


# keys of Evaluation.settings that record a run rather than set it: accepted (so that
# evaluate(..., settings=res.settings) repeats the run) and not used
RECORD_KEYS = (
    "framework",
    "year",
    "weighting",
    "dimension_weighting",
    "survey",
    "not_applicable_dropped",
    "not_applicable",  # the framework's per-dimension treatment (framework.yaml sets it)
    "records",
)
SETTINGS_KEYS = (*STEP_KEYS, "uncertainty", "indicator_weights", "dimension_weights")
STEP_METHODS = {
    "imputation": IMPUTATIONS,
    "outliers": ("none", "winsorise"),
    "normalisation": NORMALISATIONS,
    "aggregation": AGGREGATIONS,
}
UNCERTAINTY_KEYS = (*DEFAULT_UNCERTAINTY, "draws", "seed", "thresholds", "steps", "level")


def _weights_setting(key: str, v: Any, known: list[str]) -> dict[str, float]:
    if not isinstance(v, Mapping):
        raise SettingsError(key, v, "must be a mapping of names to weights")
    out = {}
    for name, w in v.items():
        if name not in known:
            raise SettingsError(f"{key}.{name}", w, f"unknown name; use one of {known}")
        if isinstance(w, bool) or not isinstance(w, int | float) or not np.isfinite(w) or w < 0:
            raise SettingsError(f"{key}.{name}", w, "weights must be finite and non-negative")
        out[name] = float(w)
    return out


def resolve_settings(fw: Framework, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Framework defaults overridden by ``settings`` (step name → method or dict). Unknown keys
    and invalid values raise :class:`SettingsError`."""
    s: dict[str, Any] = {k: dict(v) for k, v in fw.steps.items()}
    s["uncertainty"] = dict(fw.uncertainty)
    s["indicator_weights"] = {}
    s["dimension_weights"] = {}
    if settings is not None and not isinstance(settings, Mapping):
        raise SettingsError("<settings>", settings, "must be a mapping")
    for k, v in (settings or {}).items():
        if k in STEP_KEYS:
            if not isinstance(v, str | Mapping):
                raise SettingsError(k, v, "must be a method name or a mapping")
            s[k] |= {"method": v} if isinstance(v, str) else dict(v)
            if s[k].get("method") not in STEP_METHODS[k]:
                raise SettingsError(
                    f"{k}.method", s[k].get("method"), f"use one of {list(STEP_METHODS[k])}"
                )
        elif k == "uncertainty":
            if not isinstance(v, Mapping):
                raise SettingsError(k, v, "must be a mapping")
            bad = sorted(set(v) - set(UNCERTAINTY_KEYS))
            if bad:
                raise SettingsError(
                    f"uncertainty.{bad[0]}", v[bad[0]], f"unknown key; use {list(UNCERTAINTY_KEYS)}"
                )
            s[k] |= dict(v)
        elif k == "indicator_weights":
            s[k] = _weights_setting(k, v, list(fw.indicators))
        elif k == "dimension_weights":
            s[k] = _weights_setting(k, v, [d.name for d in fw.dimensions])
        elif k not in RECORD_KEYS:
            raise SettingsError(
                k,
                v,
                f"unknown key; use {list(SETTINGS_KEYS)} (or the record keys {list(RECORD_KEYS)})",
            )
    within = s["aggregation"].get("within", "arithmetic")
    if within not in WITHIN:
        raise SettingsError("aggregation.within", within, f"use one of {list(WITHIN)}")
    unc = s["uncertainty"]
    for key, ok in (("normalisations", NORMALISATIONS), ("aggregations", WITHIN)):
        vals = unc.get(key)
        if not isinstance(vals, list | tuple) or not vals or any(m not in ok for m in vals):
            raise SettingsError(f"uncertainty.{key}", vals, f"must be a list from {list(ok)}")
    noise = unc.get("weight_noise")
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < 1:
        raise SettingsError("uncertainty.weight_noise", noise, "must be a number in [0, 1)")
    level = unc.setdefault("level", LEVEL)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise SettingsError("uncertainty.level", level, "must be a number in (0, 1), e.g. 0.9")
    return s


def _nominal(
    tables: Mapping[str, pd.DataFrame],
    fw: Framework,
    year: int,
    survey: pd.DataFrame | None,
    s: Mapping[str, Any],
) -> _Nominal:
    iv = compute_indicators(tables, fw, year, survey)
    raw = iv.values
    inds = fw.indicators
    dropped = [
        c for c in raw.columns if raw[c].isna().all() and inds[c].missing == "not_applicable"
    ]
    cols = [c for c in raw.columns if c not in dropped]
    for c in cols:
        if raw[c].isna().all():
            everywhere = [k for k in cols if raw[k].isna().all()]
            survey_based = bool(inds[c].formula.survey_items)
            hint = (
                " (no survey estimates: pass survey= or tables['survey'])" if survey_based else ""
            )
            zh_hint = (
                "该指标用到问卷题，但没有问卷估计：请提供问卷数据（survey 表）或 survey= 参数"
                if survey_based
                else "请检查公式所用字段在该年是否已填写（空白即缺失），或在框架中给该指标写"
                " missing: not_applicable（无此项的乡镇不计入）"
            )
            err = IndexDataError(
                f"指标 {c!r} 在 {year} 年所有乡镇都没有值——{zh_hint}"
                f" (indicator {c!r} is missing for every township in {year}{hint})"
            )
            err.indicators, err.year = everywhere, year  # every such indicator, for a caller
            raise err  # that explains them (commeval.district.check_evaluation)
    X = raw[cols]
    na_cols = [c for c in cols if inds[c].missing == "not_applicable"]
    groups = None
    if s["imputation"]["method"] == "group_median":
        by = s["imputation"].get("by")
        town_table = tables["townships"].set_index(tables["townships"]["township"].astype(str))
        if by not in town_table.columns:
            raise IndexDataError(
                f"分组中位数插补（imputation: group_median）须用 by 写乡镇表的一个列名，现为 {by!r}；"
                f"乡镇表的列有 {list(town_table.columns)}"
                f" (group_median imputation needs 'by': a townships column, got {by!r})"
            )
        groups = town_table[by].reindex(X.index)
    imp = impute(X, s["imputation"]["method"], groups=groups, skip=na_cols)
    values = imp.data
    o = s["outliers"]
    tr = treat(
        values,
        o["method"],
        float(o.get("skew", 2.0)),
        float(o.get("kurtosis", 3.5)),
        int(o.get("max_points", 5)),
    )
    treated = tr.data
    benefit = np.array([inds[c].benefit for c in cols])
    target = np.array([inds[c].target for c in cols], dtype=float)
    # a log-treated indicator's target goes through the same transform
    target_t = target.copy()
    for k, c in enumerate(cols):
        rec = tr.record.iloc[k]
        if rec["treatment"] == "log":
            v = values[c].to_numpy(dtype=float)
            if rec["skew_before"] > 0:
                target_t[k] = np.log(max(target[k] - np.nanmin(v), 0.0) + 1.0)
            else:
                target_t[k] = -np.log(max(np.nanmax(v) - target[k], 0.0) + 1.0)
    lower = np.array([(inds[c].goalposts or (np.nan, np.nan))[0] for c in cols])
    upper = np.array([(inds[c].goalposts or (np.nan, np.nan))[1] for c in cols])
    method = s["normalisation"]["method"]
    N = normalise_array(treated.to_numpy(dtype=float), method, benefit, target_t, lower, upper)

    wtab = indicator_weights(fw, treated, s["indicator_weights"])
    w_ind = wtab.set_index("indicator")["weight"].reindex(cols).to_numpy()
    dim_names = [d.name for d in fw.dimensions]
    G = membership([fw.dimension_of[c] for c in cols], dim_names)
    w_dim = dimension_weights(fw, s["dimension_weights"]).reindex(dim_names).to_numpy()
    agg = s["aggregation"]
    options = {k: v for k, v in agg.items() if k in ("normalization", "rho")}
    if agg["method"] == "fuzzy":
        options["centres"] = grade_centres(fw)[1]
    dims, comp = composite(
        N,
        w_ind,
        G,
        w_dim,
        agg.get("within", "arithmetic"),
        agg["method"],
        float(agg.get("floor", 1.0)),
        options,
    )
    modes = tuple(d.not_applicable for d in fw.dimensions)
    if agg["method"] not in ("arithmetic", "geometric") or all(m == "renormalise" for m in modes):
        modes = ()  # TOPSIS, grey, fuzzy redistribute the weights of what does not apply
    if modes:
        comp = treat_not_applicable(dims, w_dim, modes, agg["method"], float(agg.get("floor", 1.0)))
    records = {
        "imputation": imp.record.rename(columns={"unit": "township"}),
        "outliers": tr.record,
        "dropped": dropped,
        "weights": wtab,
    }
    return _Nominal(
        year,
        raw.index,
        raw,
        values,
        treated,
        N,
        target_t,
        w_ind,
        w_dim,
        G,
        dims,
        comp,
        records,
        cols,
        dim_names,
        modes,
    )


def grade_centres(fw: Framework) -> tuple[list[str], list[float]]:
    """Grades from worst to best with the centres of their score intervals (for fuzzy)."""
    names = [g for g, _ in fw.grades][::-1]
    mins = [m for _, m in fw.grades][::-1]
    uppers = mins[1:] + [100.0]
    return names, [(lo + hi) / 2 for lo, hi in zip(mins, uppers)]


# --- survey sampling error ---------------------------------------------------------------------


def _survey_draws(
    tables: Mapping[str, pd.DataFrame], fw: Framework, nom: _Nominal, survey: pd.DataFrame | None
) -> SurveyDraws | None:
    if survey is None or survey.empty:
        return None
    dependent = set(survey_dependent(fw))
    dep = [c for c in nom.columns if c in dependent]
    if not dep:
        return None
    items = sorted(fw.survey_items)
    towns, year = nom.towns, nom.year
    sv = survey[survey["year"] == year] if "year" in survey.columns else survey
    sv = sv[sv["indicator"].isin(items)]
    base = survey_arrays(sv, year, towns)
    scope = make_scope(tables, year, towns, base)
    nominal_raw = evaluate_indicators(fw, scope)
    cols = np.array([nom.columns.index(c) for c in dep])
    X_nom = nom.treated[dep].to_numpy(dtype=float)
    # shares (top-2 boxes, yes/no items: the share answering 是) on [0, 1], Likert means on 1–5
    yesno = set(fw.contract["survey"].group("participation")) if fw.contract is not None else set()
    lo, hi = (
        np.array(x)
        for x in zip(*(indicator_range(i, share=i in yesno) for i in items), strict=True)
    )
    T = len(towns)
    est_nom = np.stack([base.get(i, np.full(T, np.nan)) for i in items], axis=-1)
    if "replicate" in sv.columns:
        reps = sorted(sv["replicate"].unique())
        R = np.stack(
            [
                np.stack(
                    [
                        survey_arrays(sv[sv["replicate"] == r], year, towns).get(
                            i, np.full(T, np.nan)
                        )
                        for i in items
                    ],
                    axis=-1,
                )
                for r in reps
            ]
        )  # (replicates, T, items)
        R = np.where(np.isnan(R), est_nom, R)

        def values(u: np.ndarray) -> np.ndarray:
            return R[np.minimum((u[:, 0] * len(reps)).astype(int), len(reps) - 1)]

    else:
        if "se" not in sv.columns:
            return None
        wide = sv.pivot_table(index="township", columns="indicator", values="se")
        wide.index = wide.index.astype(str)
        wide = wide.reindex(index=towns, columns=items)
        se = np.nan_to_num(wide.to_numpy(dtype=float))

        def values(u: np.ndarray) -> np.ndarray:
            # each uniform seeds one draw of the whole vector of survey estimates
            seeds = (u[:, 0] * 2**63).astype(np.uint64)
            z = np.stack(
                [np.random.default_rng(int(sd)).standard_normal((T, len(items))) for sd in seeds]
            )
            return np.clip(est_nom + se * z, lo, hi)

    def draw(u: np.ndarray) -> np.ndarray:
        vals = values(u)  # (c, T, items)
        sdict = {i: vals[..., j] for j, i in enumerate(items)}
        sc = Scope(scope.n_units, scope.rows, scope.codes, nominal_raw, sdict, scope.unit_columns)
        out = evaluate_indicators(fw, sc, names=tuple(dep))
        d = np.stack([out[c] - nominal_raw[c] for c in dep], axis=-1)
        return X_nom + np.nan_to_num(d)

    return SurveyDraws(cols, 1, draw)


# --- evaluate ----------------------------------------------------------------------------------


def _survey_estimates(
    tables: Mapping[str, pd.DataFrame], fw: Framework, survey: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, str]:
    if survey is not None:
        need = {"township", "indicator", "estimate"}
        if not need <= set(survey.columns):
            raise IndexDataError(
                f"问卷估计表须有列 {sorted(need)}，现有 {list(survey.columns)}；"
                "可用 survey.questionnaire.township_estimates 生成"
                f" (survey estimates need columns {sorted(need)})"
            )
        if "replicate" in survey.columns:
            return survey, "provided (replicates)"
        return survey, "provided"
    if not fw.survey_items:
        return None, "not used"
    sdf = tables.get("survey")
    if sdf is None or sdf.empty:
        return None, "none"
    yesno = fw.contract["survey"].group("participation") if fw.contract is not None else ()
    est = survey_indicators(sdf, sorted(fw.survey_items), yesno=yesno)
    return est, "survey engine (design-weighted)"


def _nominal_estimates(survey: pd.DataFrame | None) -> pd.DataFrame | None:
    if survey is None or "replicate" not in survey.columns:
        return survey
    keys = [c for c in ("township", "year", "indicator") if c in survey.columns]
    g = survey.groupby(keys, as_index=False)["estimate"]
    return g.mean()


def evaluate(
    tables: Mapping[str, pd.DataFrame],
    fw: Framework | None = None,
    year: int | None = None,
    survey: pd.DataFrame | None = None,
    mc_draws: int | None = None,
    seed: int | None = None,
    settings: Mapping[str, Any] | None = None,
    sensitivity: bool = True,
    level: float | None = None,
) -> Evaluation:
    """Evaluate every township of ``tables`` for ``year`` (default: the latest).

    ``survey``: per-township survey estimates (township, year, indicator, estimate, se) or
    replicate estimates (plus a ``replicate`` column); None computes them from
    ``tables["survey"]`` with the survey engine. ``mc_draws`` (default 500, or the value in
    ``settings``) Monte Carlo draws give rank and score intervals at ``level`` (default 0.90,
    or ``settings["uncertainty"]["level"]``); 0 skips the uncertainty analysis.
    """
    fw = fw or load_framework()
    if level is not None:
        settings = {**dict(settings or {})}
        settings["uncertainty"] = {**dict(settings.get("uncertainty") or {}), "level": level}
    s = resolve_settings(fw, settings)
    unc = s["uncertainty"]
    if mc_draws is None:
        mc_draws = int(unc.get("draws", 500))
    if seed is None:
        seed = unc.get("seed", 20121)
    unc["draws"], unc["seed"] = int(mc_draws), seed
    vil = tables.get("villages")
    if vil is None:
        raise IndexDataError(
            "数据中没有行政村表（villages）：请检查数据目录中的行政村情况文件"
            " (tables need a 'villages' table)"
        )
    years = sorted(int(y) for y in vil["year"].unique())
    if not years:
        raise IndexDataError(
            "行政村表没有数据行：请先填写行政村情况表 (the villages table is empty)"
        )
    year = years[-1] if year is None else int(year)
    if year not in years:
        raise IndexDataError(
            f"行政村表没有 {year} 年的数据（数据中的年度：{years}）：请换一个评估年度，或补齐该年数据"
            f" (no village rows for year {year}; years present: {years})"
        )
    towns = townships_of(tables)
    est, survey_source = _survey_estimates(tables, fw, survey)
    est_nom = _nominal_estimates(est)
    run = _SCHEMES[fw.scoring]
    return run(tables, fw, year, years, towns, est, est_nom, survey_source, s, settings, survey,
               mc_draws, seed, sensitivity)  # fmt: skip


def _evaluate_scorecard(
    tables, fw, year, years, towns, est, est_nom, survey_source, s, settings, survey, mc_draws,
    seed, sensitivity,
) -> Evaluation:  # fmt: skip
    """A points scorecard: item points, totals, grades, vetoes, ranks with intervals."""
    ev = _evaluate_points(tables, fw, year, years, est_nom, survey_source, s)
    ev.requested = copy.deepcopy(dict(settings or {}))
    ev.survey, ev.sensitivity_run = survey, sensitivity
    if mc_draws > 0:
        _points_uncertainty(ev, tables, fw, est, s, mc_draws, seed, sensitivity)
    ev.scores = by_rank(ev.scores)
    ev.indicators = with_denominators(ev.indicators, tables, fw, year)
    ev.framework, ev.tables = fw, tables
    return ev


def _evaluate_composite(
    tables, fw, year, years, towns, est, est_nom, survey_source, s, settings, survey, mc_draws,
    seed, sensitivity,
) -> Evaluation:  # fmt: skip
    """A composite index: the steps, scores, grades, ranks with Monte Carlo intervals."""
    unc = s["uncertainty"]
    nom = _nominal(tables, fw, year, est_nom, s)

    score = pd.Series(nom.score, index=towns, name="score")
    ranks = rank_scores(score)
    grades = grade(score, fw.grades)
    met = attained(
        nom.values,
        {c: fw.indicators[c].target for c in nom.columns},
        {c: fw.indicators[c].benefit for c in nom.columns},
    )
    rate = attainment_rate(met)

    scores = pd.DataFrame(
        {
            "township": towns.astype(str),
            "year": year,
            "score": score.to_numpy(),
            "grade": grades.to_numpy(),
            "rank": ranks.to_numpy(),
            "attainment": rate.to_numpy(),
        }
    )
    sens = pd.DataFrame(columns=["township", "assumption", "first_order", "total"])
    if mc_draws > 0:
        inp = MCInputs(
            X=nom.treated.to_numpy(dtype=float),
            benefit=np.array([fw.indicators[c].benefit for c in nom.columns]),
            target=nom.target_t,
            lower=np.array(
                [(fw.indicators[c].goalposts or (np.nan, np.nan))[0] for c in nom.columns]
            ),
            upper=np.array(
                [(fw.indicators[c].goalposts or (np.nan, np.nan))[1] for c in nom.columns]
            ),
            w_ind=nom.w_ind,
            G=nom.G,
            w_dim=nom.w_dim,
            within=s["aggregation"].get("within", "arithmetic"),
            floor=float(s["aggregation"].get("floor", 1.0)),
            normalisations=tuple(unc["normalisations"]),
            aggregations=tuple(unc["aggregations"]),
            weight_noise=float(unc["weight_noise"]),
            survey=_survey_draws(tables, fw, nom, est) if unc.get("survey_error", True) else None,
            not_applicable=nom.not_applicable,
        )
        mc = monte_carlo(inp, mc_draws, seed, ranks.to_numpy(), sensitivity)
        level = float(unc["level"])
        rs = rank_summary(mc.ranks, level)
        scores = pd.concat([scores, rs, score_summary(mc.scores, level)], axis=1)
        sens = _sensitivity_frame(mc, towns)
        draws = draws_frame(mc.ranks, mc.scores, towns)
        notes = multimodal_notes(
            mc.ranks, mc.normalisation, inp.normalisations, towns, ranks.to_numpy()
        )
    else:
        _nominal_intervals(scores)
        draws, notes = None, []

    indicators = _indicator_frame(fw, nom, met)
    dimensions = _dimension_frame(fw, nom)
    change = pd.DataFrame(
        columns=[
            "township",
            "year",
            "previous_year",
            "measure",
            "kind",
            "previous",
            "current",
            "change",
        ]
    )
    if year - 1 in years:
        try:
            prev = _nominal(tables, fw, year - 1, est_nom, s)
        except IndexDataError:
            prev = None
        if prev is not None:
            change = _change_frame(fw, nom, prev)

    groups = {d: [c for c in cols if c in nom.columns] for d, cols in fw.groups().items()}
    checks = {
        "corr_flags_low": corr_flags(nom.treated, groups, threshold=-0.4, kind="low"),
        "corr_flags_high": corr_flags(nom.treated, groups, threshold=0.9, kind="high"),
        "cronbach": cronbach_by_group(nom.treated, {g: c for g, c in groups.items() if c}),
    }
    out_settings = {
        "framework": {"name": fw.name, "version": fw.version, "source": fw.source},
        "year": year,
        **{k: copy.deepcopy(s[k]) for k in STEP_KEYS},
        "uncertainty": copy.deepcopy(unc),
        "indicator_weights": nom.records["weights"].set_index("indicator")["weight"].to_dict(),
        "dimension_weights": dict(zip(nom.dim_names, map(float, nom.w_dim))),
        "weighting": {d.name: d.weighting["method"] for d in fw.dimensions},
        "dimension_weighting": fw.dimension_weighting["method"],
        "survey": survey_source,
        "not_applicable_dropped": list(nom.records["dropped"]),
        "not_applicable": {d.name: d.not_applicable for d in fw.dimensions},
        "records": {"imputation": nom.records["imputation"], "outliers": nom.records["outliers"]},
    }
    data = {
        "raw": nom.raw,
        "imputed": nom.values,
        "treated": nom.treated,
        "normalised": pd.DataFrame(nom.N, index=nom.towns, columns=nom.columns),
    }
    ev = Evaluation(
        indicators,
        dimensions,
        by_rank(scores),
        change,
        out_settings,
        sens,
        nom.records["weights"],
        checks,
        data=data,
        requested=copy.deepcopy(dict(settings or {})),
        year=year,
        survey=survey,
        sensitivity_run=sensitivity,
        draws=draws,
        notes=notes,
    )
    ev.indicators = with_denominators(ev.indicators, tables, fw, year)
    ev.framework, ev.tables = fw, tables
    return ev


def _nominal_intervals(scores: pd.DataFrame) -> None:
    """Without Monte Carlo draws every interval is the nominal value."""
    scores["rank_median"] = scores["rank"].astype(float)
    scores["rank_low"] = scores["rank"]
    scores["rank_high"] = scores["rank"]
    scores["score_median"] = scores["score"].astype(float)
    scores["score_low"] = scores["score"].astype(float)
    scores["score_high"] = scores["score"].astype(float)


def by_rank(scores: pd.DataFrame) -> pd.DataFrame:
    """The scores table in rank order (first place first; ties in township order)."""
    return scores.sort_values("rank", kind="stable").reset_index(drop=True)


def _sensitivity_frame(mc, towns: pd.Index) -> pd.DataFrame:
    rows = []
    if mc.sensitivity_summary:
        for g, (s1, st) in mc.sensitivity_summary.items():
            rows.append(
                {"township": ALL, "assumption": g, "first_order": float(s1), "total": float(st)}
            )
    parts = [pd.DataFrame(rows)]
    for g, (s1, st) in (mc.sensitivity or {}).items():
        parts.append(
            pd.DataFrame(
                {"township": towns.astype(str), "assumption": g, "first_order": s1, "total": st}
            )
        )
    out = (
        pd.concat([p for p in parts if not p.empty], ignore_index=True)
        if any(not p.empty for p in parts)
        else pd.DataFrame(columns=["township", "assumption", "first_order", "total"])
    )
    return out


def _indicator_frame(fw: Framework, nom: _Nominal, met: pd.DataFrame) -> pd.DataFrame:
    inds = fw.indicators
    T, K = len(nom.towns), len(nom.columns)
    vals = nom.values.to_numpy(dtype=float)
    district_mean = (
        np.nanmean(np.where(np.isnan(vals), np.nan, vals), axis=0) if T else np.full(K, np.nan)
    )
    imputed = set(
        map(tuple, nom.records["imputation"][["township", "indicator"]].to_numpy().tolist())
    )
    towns = np.repeat(nom.towns.astype(str).to_numpy(), K)
    cols = np.tile(np.array(nom.columns, dtype=object), T)
    return pd.DataFrame(
        {
            "township": towns,
            "year": nom.year,
            "dimension": [inds[c].dimension for c in cols],
            "indicator": cols,
            "label": [inds[c].label for c in cols],
            "unit": [inds[c].unit for c in cols],
            "value": vals.ravel(),
            "target": np.tile([inds[c].target for c in nom.columns], T),
            "attained": met.to_numpy().ravel(),
            "normalised": nom.N.ravel(),
            "district_mean": np.tile(district_mean, T),
            "applicable": ~np.isnan(nom.N.ravel()),
            "imputed": [(t, c) in imputed for t, c in zip(towns, cols)],
        }
    )


def _dimension_frame(fw: Framework, nom: _Nominal) -> pd.DataFrame:
    labels = {d.name: d.label for d in fw.dimensions}
    T, D = nom.dims.shape
    return pd.DataFrame(
        {
            "township": np.repeat(nom.towns.astype(str).to_numpy(), D),
            "year": nom.year,
            "dimension": np.tile(nom.dim_names, T),
            "label": np.tile([labels[d] for d in nom.dim_names], T),
            "score": nom.dims.ravel(),
            "applicable": ~np.isnan(nom.dims.ravel()),
        }
    )


def _change_frame(fw: Framework, cur: _Nominal, prev: _Nominal) -> pd.DataFrame:
    towns = cur.towns.astype(str)
    parts = []
    sc, sp = pd.Series(cur.score, index=towns), pd.Series(prev.score, index=prev.towns.astype(str))
    rc, rp = rank_scores(sc), rank_scores(sp)
    for measure, kind, c, p in (
        ("score", "score", sc, sp),
        ("rank", "rank", rc.astype(float), rp.astype(float)),
    ):
        parts.append(
            pd.DataFrame(
                {
                    "township": towns,
                    "measure": measure,
                    "kind": kind,
                    "previous": p.reindex(towns).to_numpy(dtype=float),
                    "current": c.to_numpy(dtype=float),
                }
            )
        )
    for c in cur.columns:
        pv = prev.values[c] if c in prev.values.columns else pd.Series(np.nan, index=prev.towns)
        parts.append(
            pd.DataFrame(
                {
                    "township": towns,
                    "measure": c,
                    "kind": "indicator",
                    "previous": pv.reindex(cur.towns).to_numpy(dtype=float),
                    "current": cur.values[c].to_numpy(dtype=float),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "year", cur.year)
    out.insert(2, "previous_year", prev.year)
    out["change"] = out["current"] - out["previous"]
    return out


#: how each scoring scheme (``Framework.scoring``) evaluates
_SCHEMES = {"composite": _evaluate_composite, "points": _evaluate_scorecard}


# --- scorecards (scoring: points) ----------------------------------------------------------------


def _evaluate_points(tables, fw, year, years, est_nom, survey_source, s) -> Evaluation:
    """A scorecard: item points, totals, grades, vetoes and ranks (no composite steps)."""
    nom = points.nominal(tables, fw, year, est_nom)
    scores = points.totals(fw, nom)
    _nominal_intervals(scores)
    change = pd.DataFrame(
        columns=["township", "year", "previous_year", "measure", "kind", "previous", "current",
                 "change"]
    )  # fmt: skip
    if year - 1 in years:
        try:
            prev = points.nominal(tables, fw, year - 1, est_nom)
        except IndexDataError:
            prev = None
        if prev is not None:
            change = _points_change(fw, nom, prev)
    unc = s["uncertainty"]
    out_settings = {
        "framework": {"name": fw.name, "version": fw.version, "source": fw.source},
        "year": year,
        "scoring": "points",
        "bonus_cap": fw.bonus_cap,
        "base_score": fw.base_score,
        "veto": [{"when": v.when.text, "label": v.label, "grade": v.grade} for v in fw.veto],
        "uncertainty": {
            "draws": unc["draws"],
            "seed": unc["seed"],
            "survey_error": bool(unc.get("survey_error", True)),
            "thresholds": bool(unc.get("thresholds", True)),
            "level": float(unc.get("level", LEVEL)),
            "steps": {c: fw.indicators[c].scoring.threshold_step() for c in nom.columns},
        },
        "survey": survey_source,
        "not_applicable_dropped": [],
    }
    ev = Evaluation(
        points.indicator_frame(fw, nom),
        points.dimension_frame(fw, nom),
        scores,
        change,
        out_settings,
        pd.DataFrame(columns=["township", "assumption", "first_order", "total"]),
        pd.DataFrame(
            {
                "indicator": nom.columns,
                "weight": [fw.indicators[c].scoring.points for c in nom.columns],
            }
        ),  # fmt: skip
        {},
        data={"raw": nom.raw, "points": nom.points},
        year=year,
    )
    ev._points_nominal = nom
    return ev


def _points_uncertainty(ev, tables, fw, est, s, mc_draws, seed, sensitivity) -> None:
    nom = ev._points_nominal
    unc = s["uncertainty"]
    draws = None
    if unc.get("survey_error", True):
        draws = _survey_draws(tables, fw, points.survey_nominal(nom), est)
    mc = points.monte_carlo_points(
        fw, nom, draws, mc_draws, seed, bool(unc.get("thresholds", True)), sensitivity
    )
    level = float(unc.get("level", LEVEL))
    rs = rank_summary(mc.ranks, level)
    interval_cols = [*rs.columns, "score_median", "score_low", "score_high"]
    sc = ev.scores.drop(columns=interval_cols)
    ev.scores = pd.concat([sc, rs, score_summary(mc.scores, level)], axis=1)
    ev.draws = draws_frame(mc.ranks, mc.scores, nom.towns)
    ev.sensitivity = _sensitivity_frame(
        SimpleNamespace(sensitivity=mc.sensitivity, sensitivity_summary=mc.summary), nom.towns
    )


def _points_change(fw: Framework, cur, prev) -> pd.DataFrame:
    towns = cur.towns.astype(str)
    sc = pd.Series(points.nominal_total(fw, cur), index=towns)
    sp = pd.Series(points.nominal_total(fw, prev), index=prev.towns.astype(str))
    rc, rp = rank_scores(sc), rank_scores(sp)
    parts = [
        pd.DataFrame({"township": towns, "measure": m, "kind": m,
                      "previous": p.reindex(towns).to_numpy(dtype=float),
                      "current": c.to_numpy(dtype=float)})
        for m, c, p in (("score", sc, sp), ("rank", rc.astype(float), rp.astype(float)))
    ]  # fmt: skip
    for c in cur.columns:
        pv = prev.raw[c] if c in prev.raw.columns else pd.Series(np.nan, index=prev.towns)
        parts.append(
            pd.DataFrame({"township": towns, "measure": c, "kind": "indicator",
                          "previous": pv.reindex(cur.towns).to_numpy(dtype=float),
                          "current": cur.raw[c].to_numpy(dtype=float)})
        )  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "year", cur.year)
    out.insert(2, "previous_year", prev.year)
    out["change"] = out["current"] - out["previous"]
    return out
