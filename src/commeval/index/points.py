"""The points evaluation of a scorecard (``scoring: points``): indicator values → item points,
totals with the bonus cap, grades, vetoes, ranks, and the Monte Carlo rank intervals under
survey sampling error and thresholds perturbed by ± one step of the standard's own units
(:meth:`~commeval.index.scorecard.Rule.threshold_step`), with each item's sensitivity index.
The composite steps (imputation, normalisation, weights, aggregation) are not used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from commeval.index.attainment import grade, rank_array, rank_scores
from commeval.index.formulas import Formula, Scope, evaluate_formula
from commeval.index.framework import Framework
from commeval.index.indicators import (
    _column,
    compute_indicators,
    make_scope,
    survey_arrays,
)
from commeval.index.scorecard import TOL, lost_reason, rule_points, total_points, village_points
from commeval.index.uncertainty import SurveyDraws, rank_summary, sobol_indices


@dataclass
class VillageValues:
    codes: np.ndarray  # township position of each village row
    names: np.ndarray
    values: np.ndarray


@dataclass
class PointsNominal:
    year: int
    towns: pd.Index
    columns: list[str]
    raw: pd.DataFrame  # townships × items (values; for per-village items the village mean)
    points: pd.DataFrame  # townships × items, NaN = not applicable
    villages: dict[str, VillageValues]
    scope: Scope


def village_values(
    tables: Mapping[str, pd.DataFrame], fw: Framework, year: int, towns: pd.Index, name: str,
    township_refs: Mapping[str, np.ndarray], survey: Mapping[str, np.ndarray],
) -> VillageValues:  # fmt: skip
    """Evaluate indicator ``name``'s formula with every village of ``year`` as its own unit
    (``mean(x)`` is the village's x; ``townships.x``, survey estimates and other indicators are
    its township's)."""
    vil = tables["villages"]
    vil = vil[vil["year"] == year] if "year" in vil.columns else vil
    tcode = towns.get_indexer(vil["township"].astype(str))
    keep = tcode >= 0
    vil, tcode = vil[keep], tcode[keep]
    V = len(vil)
    rows = {"villages": _column(vil, "villages", {})}
    codes = {"villages": np.arange(V)}
    com = tables.get("communities")
    if com is not None and "village" in com.columns and len(com):
        com = com[com["year"] == year] if "year" in com.columns else com
        key = pd.Index(list(zip(vil["township"].astype(str), vil["village"].astype(str))))
        codes["communities"] = key.get_indexer(
            list(zip(com["township"].astype(str), com["village"].astype(str)))
        )
        rows["communities"] = _column(com, "communities", {})
    else:
        codes["communities"] = np.array([], dtype=int)
        rows["communities"] = _column(pd.DataFrame(), "communities", {})
    tframe = tables["townships"].set_index(tables["townships"]["township"].astype(str))

    def unit_col(col: str) -> np.ndarray:
        return tframe[col].reindex(towns).to_numpy(dtype=float, na_value=np.nan)[tcode]

    refs = {k: np.asarray(v)[tcode] for k, v in township_refs.items()}
    sv = {k: np.asarray(v)[tcode] for k, v in survey.items()}
    scope = Scope(V, rows, codes, refs, sv, unit_col)
    vals = evaluate_formula(fw.indicators[name].formula, scope)
    names = vil["village"].astype(str).to_numpy() if "village" in vil.columns else np.arange(V)
    return VillageValues(tcode, names, vals)


def _when(f: Formula, scope: Scope, refs: Mapping[str, np.ndarray]) -> np.ndarray:
    sc = Scope(scope.n_units, scope.rows, scope.codes, refs, scope.survey, scope.unit_columns)
    return evaluate_formula(f, sc)


def item_points(
    fw: Framework,
    columns: list[str],
    X: np.ndarray,
    scope: Scope,
    villages: Mapping[str, VillageValues],
    shifts: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Points (…, T, K) of the items ``columns`` from values ``X`` (…, T, K): NaN where the
    value is missing and the item is ``missing: not_applicable``."""
    inds = fw.indicators
    refs = {c: X[..., k] for k, c in enumerate(columns)}
    out = np.empty(X.shape)
    for k, c in enumerate(columns):
        ind = inds[c]
        rule, cost = ind.scoring, not ind.benefit
        shift = np.asarray(0.0) if shifts is None or c not in shifts else shifts[c]
        if rule.village:
            vv = villages[c]
            p = village_points(rule, vv.values, vv.codes, X.shape[-2], cost, shift)
            p = np.broadcast_to(p, X.shape[:-1])
        else:
            sh = shift[..., None] if shift.ndim else shift
            when = _when(rule.when, scope, refs) if rule.when is not None else None
            p = rule_points(rule, X[..., k], cost, when, sh)
        na = np.isnan(X[..., k]) if not rule.village else np.isnan(p)
        out[..., k] = np.where(na, np.nan if ind.missing == "not_applicable" else 0.0, p)
    return out


def nominal(
    tables: Mapping[str, pd.DataFrame], fw: Framework, year: int, survey: pd.DataFrame | None
) -> PointsNominal:
    iv = compute_indicators(tables, fw, year, survey)
    towns = iv.values.index
    cols = list(iv.values.columns)
    sv = survey_arrays(survey, year, towns)
    scope = make_scope(tables, year, towns, sv)
    refs = {c: iv.values[c].to_numpy(dtype=float) for c in cols}
    raw = iv.values.copy()
    villages = {}
    for c in cols:
        if fw.indicators[c].scoring.village:
            vv = village_values(tables, fw, year, towns, c, refs, sv)
            villages[c] = vv
            s = pd.Series(vv.values).groupby(vv.codes).mean()
            raw[c] = s.reindex(range(len(towns))).to_numpy(dtype=float)
    X = raw.to_numpy(dtype=float)
    P = item_points(fw, cols, X, scope, villages)
    return PointsNominal(year, towns, cols, raw, pd.DataFrame(P, index=towns, columns=cols),
                         villages, scope)  # fmt: skip


def totals(fw: Framework, nom: PointsNominal) -> pd.DataFrame:
    inds = fw.indicators
    mx = np.array([inds[c].scoring.points for c in nom.columns])
    bonus = np.array([inds[c].bonus for c in nom.columns])
    t = total_points(nom.points.to_numpy(), mx, bonus, fw.bonus_cap, fw.base_score)
    towns = nom.towns.astype(str)
    score = pd.Series(t["total"], index=towns)
    g = grade(score, fw.grades)
    refs = {c: nom.raw[c].to_numpy(dtype=float) for c in nom.columns}
    order = [n for n, _ in fw.grades]
    vetoes = [[] for _ in towns]
    items: list[list[str]] = [[] for _ in towns]
    values: list[list[str]] = [[] for _ in towns]
    final = g.to_numpy(dtype=object).copy()
    for v in fw.veto:
        hit = _when(v.when, nom.scope, refs)
        for i in np.flatnonzero(np.nan_to_num(hit) != 0):
            vals = "，".join(
                f"{inds[r].label} = {refs[r][i]:.4g}{inds[r].unit if inds[r].unit != '是=1' else ''}"
                for r in sorted(v.when.refs)
            )
            vetoes[i].append(f"{v.label}（{v.when.text}；{vals}）" if vals else v.label)
            items[i] += [r for r in sorted(v.when.refs) if r not in items[i]]
            values[i].append(f"{v.label}：{vals or v.when.text}")
            if order.index(v.grade) > order.index(final[i]):
                final[i] = v.grade
    P = nom.points.to_numpy()
    full = np.where(np.isnan(P), np.nan, (P >= mx - TOL).astype(float))
    with np.errstate(invalid="ignore"):
        att = np.nanmean(np.where(bonus, np.nan, full), axis=1)
    return pd.DataFrame(
        {
            "township": towns,
            "year": nom.year,
            "score": t["total"],
            "grade": final,
            "rank": rank_scores(score).to_numpy(),
            "attainment": att,
            "points": t["total"],
            "max_points": t["max"],
            "base_points": t["base"],
            "bonus_points": t["bonus"],
            "grade_before_veto": g.to_numpy(dtype=object),
            "veto": ["；".join(v) for v in vetoes],
            # which items and values triggered the veto (for the page: 一票否决：…)
            "veto_items": ["、".join(v) for v in items],
            "veto_values": ["；".join(v) for v in values],
        }
    )


def indicator_frame(fw: Framework, nom: PointsNominal) -> pd.DataFrame:
    inds = fw.indicators
    rows = []
    P = nom.points
    means = nom.raw.mean(axis=0, skipna=True)
    for t in nom.towns:
        for c in nom.columns:
            ind, rule = inds[c], inds[c].scoring
            v, p = float(nom.raw.at[t, c]), float(P.at[t, c])
            applicable = not np.isnan(p)
            reason = ""
            if applicable and rule.village:
                vv = nom.villages[c]
                sel = vv.codes == nom.towns.get_loc(t)
                vp = rule_points(rule, vv.values[sel], not ind.benefit)
                short = [str(n) for n, x in zip(vv.names[sel], vp) if x < rule.points - TOL]
                if short:
                    reason = f"{len(short)}/{int(sel.sum())} 个村未得满分：{'、'.join(short)}"
            elif applicable:
                reason = lost_reason(rule, v, p, ind.unit, not ind.benefit)
            rows.append(
                {
                    "township": str(t),
                    "year": nom.year,
                    "dimension": ind.dimension,
                    "indicator": c,
                    "label": ind.label,
                    "unit": ind.unit,
                    "value": v,
                    "target": ind.target,
                    "attained": (p >= rule.points - TOL) if applicable else pd.NA,
                    "normalised": 100 * p / rule.points if applicable else np.nan,
                    "district_mean": float(means[c]),
                    "applicable": applicable,
                    "imputed": False,
                    "points": p,
                    "max_points": rule.points,
                    "bonus": ind.bonus,
                    "reason": reason,
                }
            )
    out = pd.DataFrame(rows)
    out["attained"] = out["attained"].astype("boolean")
    return out


def dimension_frame(fw: Framework, nom: PointsNominal) -> pd.DataFrame:
    inds = fw.indicators
    rows = []
    for t in nom.towns:
        for d in fw.dimensions:
            cols = [i.name for i in d.indicators if i.name in nom.columns]
            p = nom.points.loc[t, cols].to_numpy(dtype=float)
            mx = np.array([inds[c].scoring.points for c in cols])
            ok = ~np.isnan(p)
            base = ok & ~np.array([inds[c].bonus for c in cols])
            rows.append(
                {
                    "township": str(t),
                    "year": nom.year,
                    "dimension": d.name,
                    "label": d.label,
                    "score": float(np.nansum(p)) if ok.any() else np.nan,
                    "max_points": float(mx[base].sum()),
                    "applicable": bool(ok.any()),
                }
            )
    return pd.DataFrame(rows)


# --- uncertainty -------------------------------------------------------------------------------


@dataclass
class PointsMC:
    ranks: np.ndarray
    scores: np.ndarray
    sensitivity: dict[str, tuple[np.ndarray, np.ndarray]] | None
    summary: dict[str, tuple[np.ndarray, np.ndarray]] | None


def monte_carlo_points(
    fw: Framework,
    nom: PointsNominal,
    survey_draws: SurveyDraws | None,
    n: int,
    seed: int | None,
    thresholds: bool = True,
    sensitivity: bool = True,
) -> PointsMC:
    """Ranks under ``n`` draws of: survey sampling error (``survey``) and each item's
    thresholds shifted by −1, 0 or +1 of its step (``threshold:<item>``, one factor per item,
    equally likely); Sobol indices of the ranks per assumption when ``sensitivity``."""
    inds = fw.indicators
    cols = nom.columns
    X0 = nom.raw.to_numpy(dtype=float)
    T = len(nom.towns)
    steps = {c: inds[c].scoring.threshold_step() for c in cols}
    groups = {}
    if survey_draws is not None:
        groups["survey"] = survey_draws.dim
    if thresholds:
        for c in cols:
            if steps[c] > 0:
                groups[f"threshold:{c}"] = 1
    rng = np.random.default_rng(seed)
    run_sens = sensitivity and bool(groups) and n >= 2
    A = {g: rng.random((n, d)) for g, d in groups.items()}
    B = {g: rng.random((n, d)) for g, d in groups.items()} if run_sens else {}
    xs = None
    if "survey" in groups:
        u = np.concatenate([A["survey"], B["survey"]]) if run_sens else A["survey"]
        xs = survey_draws.draw(u)
        A["survey"] = np.arange(n, dtype=float)[:, None]
        if run_sens:
            B["survey"] = np.arange(n, 2 * n, dtype=float)[:, None]

    def run(f: Mapping[str, np.ndarray]) -> np.ndarray:
        c = next(iter(f.values())).shape[0] if f else n
        X = np.broadcast_to(X0, (c, T, len(cols))).copy()
        if xs is not None and "survey" in f:
            X[:, :, survey_draws.cols] = xs[f["survey"][:, 0].astype(int)]
        shifts = {}
        for col in cols:
            g = f.get(f"threshold:{col}")
            if g is not None:
                shifts[col] = (np.minimum((g[:, 0] * 3).astype(int), 2) - 1) * steps[col]
        P = item_points(fw, cols, X, nom.scope, nom.villages, shifts)
        mx = np.array([inds[k].scoring.points for k in cols])
        bonus = np.array([inds[k].bonus for k in cols])
        return total_points(P, mx, bonus, fw.bonus_cap, fw.base_score)["total"]

    def chunked(f: Mapping[str, np.ndarray]) -> np.ndarray:
        if not f:
            return np.broadcast_to(nominal_total(fw, nom), (n, T)).copy()
        size = max(1, 200_000 // max(T * len(cols), 1))
        return np.concatenate(
            [run({k: v[i : i + size] for k, v in f.items()}) for i in range(0, n, size)]
        )

    sA = chunked(A)
    rA = rank_array(sA).astype(np.float32)
    sens = summary = None
    if run_sens:
        rB = rank_array(chunked(B)).astype(np.float32)
        rAB = {}
        for g in groups:
            AB = dict(A)
            AB[g] = B[g]
            rAB[g] = rank_array(chunked(AB)).astype(np.float32)
        sens = sobol_indices(rA, rB, rAB)
        nominal_r = rank_array(nominal_total(fw, nom)).astype(np.float32)

        def mars(r: np.ndarray) -> np.ndarray:
            return np.abs(r - nominal_r).mean(axis=1)

        summary = sobol_indices(mars(rA), mars(rB), {g: mars(v) for g, v in rAB.items()})
    return PointsMC(rA, sA, sens, summary)


def nominal_total(fw: Framework, nom: PointsNominal) -> np.ndarray:
    inds = fw.indicators
    mx = np.array([inds[c].scoring.points for c in nom.columns])
    bonus = np.array([inds[c].bonus for c in nom.columns])
    return total_points(nom.points.to_numpy(), mx, bonus, fw.bonus_cap, fw.base_score)["total"]


def survey_nominal(nom: PointsNominal) -> Any:
    """What :func:`commeval.index.evaluation._survey_draws` reads of a nominal run."""
    return SimpleNamespace(towns=nom.towns, year=nom.year, columns=nom.columns, treated=nom.raw)


def summarise(mc: PointsMC) -> pd.DataFrame:
    return rank_summary(mc.ranks)
