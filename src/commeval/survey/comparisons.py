"""Domain comparisons for many domains at once (each township against the rest of the district,
each township against itself in another year).

When the strata nest within the domains — every stratum's rows belong to one domain, as when
townships (or township × year) are the strata — two different domains share no stratum, so
their means are independent and the variance of a domain's mean is a sum of per-stratum terms.
Everything then follows from three per-stratum quadratic forms, computed once, instead of one
full design variance per comparison. Otherwise (or for calibrated designs, or
``lonely_psu="average"``) these functions fall back to :func:`compare_domains` per pair.
Results equal :func:`compare_domains` row by row (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .distributions import t_sf
from .estimators import compare_domains
from .results import t_quantiles
from .variance import DomainScores, design_variance

COLUMNS = [
    "variable", "by", "a", "b", "estimate_a", "estimate_b", "difference", "se", "ci_low",
    "ci_high", "t", "df", "p_value", "n_a", "n_b", "small_cell",
]  # fmt: skip


def _valid(design, variable: str, by: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    y = design.variable(variable)
    ok = ~np.isnan(y) & design.domain
    for b in by:
        ok &= design.data[b].notna().to_numpy()
    return y, ok


def _nested(design, codes: np.ndarray, ok: np.ndarray) -> bool:
    """True when every stratum's valid rows fall in a single domain (and the decomposition
    applies: no calibration, no "average" lonely-PSU scaling)."""
    if design._calibration or design.lonely_psu == "average":
        return False
    strata = design._stage1.parent[design._stage1.codes[ok]]
    pairs = np.unique(np.column_stack([strata, codes[ok]]), axis=0)
    return len(np.unique(pairs[:, 0])) == len(pairs)


def _per_stratum(design, y: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, ...]:
    """Q_h(w y), Q_h(w), C_h(w y, w): each stratum's contribution to the variance of totals."""
    w = np.where(ok, design.weights, 0.0)
    yw = w * np.where(ok, y, 0.0)
    h = design._stage1.parent[design._stage1.codes]
    H = design._stage1.n_parent
    qy, qw, qs = (design_variance(design, DomainScores(z, h, H)) for z in (yw, w, yw + w))
    return qy, qw, (qs - qy - qw) / 2


def _domain_sums(design, y: np.ndarray, ok: np.ndarray, codes: np.ndarray, G: int):
    """Per domain (codes of the valid rows): weight total, weighted total, respondents, and the
    three quadratic forms summed over the domain's strata."""
    w = design.weights
    W = np.bincount(codes, weights=w[ok], minlength=G)
    Y = np.bincount(codes, weights=(w * y)[ok], minlength=G)
    n = np.bincount(codes, minlength=G)
    qy, qw, qc = _per_stratum(design, y, ok)
    s1 = design._stage1
    stratum_level = np.full(s1.n_parent, -1)
    stratum_level[s1.parent[s1.codes[ok]]] = codes
    inside = stratum_level >= 0
    Q = [np.bincount(stratum_level[inside], weights=q[inside], minlength=G) for q in (qy, qw, qc)]
    return W, Y, n, *Q


def _frame(rows: dict[str, Any], level: float, min_n: int) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    tq = t_quantiles(level, out["df"].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["t"] = np.where(out["se"] > 0, out["difference"] / out["se"], np.nan)
    df = out["df"].to_numpy(float)
    p = 2 * t_sf(np.abs(out["t"].to_numpy(float)), df)
    out["p_value"] = p
    out["ci_low"] = out["difference"] - tq * out["se"]
    out["ci_high"] = out["difference"] + tq * out["se"]
    out["small_cell"] = np.minimum(out["n_a"], out["n_b"]) < min_n
    return out[COLUMNS]


JOINT_COLUMNS = ["joint_F", "joint_ndf", "joint_ddf", "joint_p_value"]


def with_joint_test(frame: pd.DataFrame, design, variable: str, by: str) -> pd.DataFrame:
    """Add the joint test that the means of ``variable`` are equal across all levels of
    ``by`` (R ``regTermTest(svyglm(y ~ factor(by)), ~factor(by))``; the same on every row)."""
    from .contrasts import joint_test

    t = joint_test(design, variable, by)
    return frame.assign(
        joint_F=t.statistic, joint_ndf=t.ndf, joint_ddf=t.ddf, joint_p_value=t.p_value
    )


def compare_to_rest(
    design, variable: str, by: str, level: float = 0.95, joint: bool = False
) -> pd.DataFrame:
    """Each level ``a`` of ``by`` against all other levels together ("the rest"): difference of
    design-based means with its SE, t on the design df, p-value. One row per level; ``b`` is
    ``"(rest)"``. ``joint=True`` adds the joint test across all levels (:data:`JOINT_COLUMNS`:
    do the means differ at all?), which guards the many pairwise tests."""
    out = _compare_to_rest(design, variable, by, level)
    return with_joint_test(out, design, variable, by) if joint else out


def _compare_to_rest(design, variable: str, by: str, level: float) -> pd.DataFrame:
    y, ok = _valid(design, variable, [by])
    values = design.data[by]
    levels, codes = np.unique(values[ok].astype(str), return_inverse=True)
    if len(levels) < 2:
        raise ValueError(f"compare_to_rest: column {by!r} needs at least two levels")
    full_codes = np.full(len(y), -1)
    full_codes[ok] = codes
    if not _nested(design, full_codes, ok):
        level_str = values.astype(str).to_numpy()
        frames = []
        for lv in levels:
            tmp = design.update(_rest=np.where(level_str == lv, lv, "(rest)"))
            r = compare_domains(tmp, variable, "_rest", lv, "(rest)", level)
            frames.append(r.assign(by=by))
        return pd.concat(frames, ignore_index=True)[COLUMNS]
    W_a, Y_a, n_a, Qy_a, Qw_a, Qc_a = _domain_sums(design, y, ok, codes, len(levels))
    e_a = Y_a / W_a
    W_r, Y_r = W_a.sum() - W_a, Y_a.sum() - Y_a
    e_r = Y_r / W_r
    v_a = (Qy_a - 2 * e_a * Qc_a + e_a**2 * Qw_a) / W_a**2
    Qy_r, Qw_r, Qc_r = Qy_a.sum() - Qy_a, Qw_a.sum() - Qw_a, Qc_a.sum() - Qc_a
    v_r = (Qy_r - 2 * e_r * Qc_r + e_r**2 * Qw_r) / W_r**2
    df = design.degf(ok) - 1
    rows = {
        "variable": variable,
        "by": by,
        "a": levels,
        "b": "(rest)",
        "estimate_a": e_a,
        "estimate_b": e_r,
        "difference": e_a - e_r,
        "se": np.sqrt(np.maximum(v_a + v_r, 0.0)),
        "df": df,
        "n_a": n_a,
        "n_b": n_a.sum() - n_a,
    }
    return _frame(rows, level, design.min_n)


def compare_pairs(
    design,
    variable: str,
    by: Sequence[str],
    pairs: Sequence[tuple[tuple, tuple]],
    level: float = 0.95,
) -> pd.DataFrame:
    """Differences ``a − b`` for pairs of domains given as tuples of ``by`` values (e.g.
    ``(("裴城镇", 2012), ("裴城镇", 2011))``). Pairs of domains made of whole, different strata
    are independent: SE from the two domain means' variances; otherwise ``compare_domains``."""
    by = list(by)
    y, ok = _valid(design, variable, by)
    key = pd.Series(list(zip(*(design.data[b] for b in by), strict=True)), dtype=object)
    key_str = key.map(repr).to_numpy()
    levels, codes = np.unique(key_str[ok], return_inverse=True)
    full_codes = np.full(len(y), -1)
    full_codes[ok] = codes
    if not _nested(design, full_codes, ok):
        tmp = design.update(_key=key_str)
        frames = [
            compare_domains(tmp, variable, "_key", repr(tuple(a)), repr(tuple(b)), level)
            for a, b in pairs
        ]
        out = pd.concat(frames, ignore_index=True)
        out["a"] = [tuple(a) for a, _ in pairs]
        out["b"] = [tuple(b) for _, b in pairs]
        return out.assign(by=",".join(by))[COLUMNS]
    G = len(levels)
    W, Y, n, Qy, Qw, Qc = _domain_sums(design, y, ok, codes, G)
    s1 = design._stage1
    e = Y / np.where(W > 0, W, np.nan)
    v = (Qy - 2 * e * Qc + e**2 * Qw) / W**2
    # design df of the two domains together: PSUs minus strata among their valid rows, minus 1
    psu = s1.codes[ok]
    psu_level = pd.DataFrame({"level": codes, "psu": psu, "stratum": s1.parent[psu]})
    n_psu = psu_level.groupby("level")["psu"].nunique().reindex(range(G), fill_value=0)
    n_str = psu_level.groupby("level")["stratum"].nunique().reindex(range(G), fill_value=0)
    index = {lv: i for i, lv in enumerate(levels)}
    rows: dict[str, list] = {c: [] for c in ("a", "b", "ia", "ib")}
    for a, b in pairs:
        ka, kb = repr(tuple(a)), repr(tuple(b))
        if ka not in index or kb not in index:
            raise ValueError(
                f"compare_pairs: domain {a if ka not in index else b} of {by} has no valid rows"
            )
        rows["a"].append(tuple(a))
        rows["b"].append(tuple(b))
        rows["ia"].append(index[ka])
        rows["ib"].append(index[kb])
    ia, ib = np.array(rows["ia"], int), np.array(rows["ib"], int)
    df = (n_psu.to_numpy()[ia] + n_psu.to_numpy()[ib]) - (
        n_str.to_numpy()[ia] + n_str.to_numpy()[ib]
    )
    out = {
        "variable": variable,
        "by": ",".join(by),
        "a": rows["a"],
        "b": rows["b"],
        "estimate_a": e[ia],
        "estimate_b": e[ib],
        "difference": e[ia] - e[ib],
        "se": np.sqrt(np.maximum(v[ia] + v[ib], 0.0)),
        "df": df - 1,
        "n_a": n[ia],
        "n_b": n[ib],
    }
    return _frame(out, level, design.min_n)


def compare_independent(
    design_a, design_b, variable: str, by: str, level: float = 0.95
) -> pd.DataFrame:
    """Each level of ``by`` in ``design_a`` against the same level in ``design_b``, two
    independent samples (e.g. two survey years, each with its own design): difference of the
    domain means, SE ``sqrt(v_a + v_b)``, t on the two domains' design df together (PSUs minus
    strata among their valid rows, minus 1, as for a design pooling both samples with disjoint
    strata). One row per level present in both; ``a`` and ``b`` are the level."""
    ests, dfs = [], []
    for d in (design_a, design_b):
        est = d.mean(variable, by=[by]).set_index(by)
        est.index = est.index.astype(str)
        y, ok = _valid(d, variable, [by])
        values = d.data[by].astype(str).to_numpy()
        s1 = d._stage1
        psu = pd.DataFrame({"level": values[ok], "psu": s1.codes[ok]})
        psu["stratum"] = s1.parent[psu["psu"].to_numpy()]
        g = psu.groupby("level")
        dfs.append(g["psu"].nunique() - g["stratum"].nunique())
        ests.append(est)
    a, b = ests
    levels = [lv for lv in a.index if lv in b.index and lv in dfs[0].index and lv in dfs[1].index]
    a, b = a.loc[levels], b.loc[levels]
    rows = {
        "variable": variable,
        "by": by,
        "a": levels,
        "b": levels,
        "estimate_a": a["estimate"].to_numpy(float),
        "estimate_b": b["estimate"].to_numpy(float),
        "difference": (a["estimate"] - b["estimate"]).to_numpy(float),
        "se": np.sqrt(a["se"].to_numpy(float) ** 2 + b["se"].to_numpy(float) ** 2),
        "df": (dfs[0].loc[levels].to_numpy() + dfs[1].loc[levels].to_numpy() - 1),
        "n_a": a["n"].to_numpy(int),
        "n_b": b["n"].to_numpy(int),
    }
    return _frame(rows, level, min(design_a.min_n, design_b.min_n))
