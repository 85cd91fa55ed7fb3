"""Questionnaire summaries: Likert items and multiple-response (0/1) option sets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .columns import as_list, numeric_column
from .questionnaire import DK_SUFFIX, DONT_KNOW, SCALE, TOP2, split_codes
from .results import concat


def _likert_codes(design, item: str, dont_know, scale) -> tuple[np.ndarray, ...]:
    """(score, valid, answered, don't know) of one item, from ``<item>_dk`` on prepared data
    (:func:`commeval.survey.questionnaire.prepare`) or from the code ``dont_know`` on raw."""
    x = numeric_column(design.data, item)
    flag = item + DK_SUFFIX
    if flag in design.data.columns:
        f = numeric_column(design.data, flag)
        dk = f == 1
        valid = (f == 0) & ~np.isnan(x)
        answered = valid | dk
    else:
        answered, dk, _ = split_codes(x, dont_know, scale)
        valid = answered & ~dk
    bad = valid & ~np.isin(x, list(scale))
    if bad.any():
        raise ValueError(
            f"likert item {item!r}: {int(bad.sum())} rows hold values outside {list(scale)}"
            f" and the don't-know code {dont_know}"
        )
    return x, valid, answered, dk


def likert_summary(
    design,
    items: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    dont_know: float | None = DONT_KNOW,
    min_n: int = 30,
    scale: Sequence[int] = SCALE,
    top: Sequence[int] = TOP2,
    level: float = 0.95,
    effects: str | None = None,
) -> pd.DataFrame:
    """Per item x domain: share of each category, mean score and top-2-box share among valid
    answers (don't know treated as missing), plus the don't-know share among all answers.

    On prepared data (``<item>_dk`` columns, as in :func:`~commeval.survey.questionnaire.
    year_design`) the don't-know share comes from the flag; otherwise from the code
    ``dont_know`` in the item (default :data:`~commeval.survey.questionnaire.DONT_KNOW`);
    ``dont_know=None``: no don't-know rows. Shares use logit CIs (R ``svyciprop``), the mean a
    normal CI (``svymean``). The column ``statistic`` is "share" (with ``level`` = category),
    "mean", "top2" or "dont_know".

    ``effects="township"`` adds the proportional-odds model ``item ~ C(township)``
    (:meth:`~commeval.survey.base.DesignBase.olr`, R ``svyolr``) on the valid answers: rows
    ``statistic="olr_effect"`` per township but the first (log odds ratio of answering higher
    than the reference township, with SE, CI and ``p_value``; the township in the ``effects``
    column) and one ``statistic="olr_joint"`` row (do the townships differ at all? Wald F of
    all effects in ``estimate``, its ``p_value``; R ``regTermTest``).
    """
    frames = []
    for item in as_list(items):
        x, valid, answered, dk = _likert_codes(design, item, dont_know, scale)
        d = design.update(
            __cat=np.where(valid, x, np.nan),
            __top=np.where(valid, np.isin(x, list(top)).astype(float), np.nan),
            __dk=np.where(answered, dk.astype(float), np.nan),
        )
        sub = d.subset(valid)
        share = sub.proportion("__cat", by=by, level=level, min_n=min_n)
        # all scale points, also those nobody chose
        share["statistic"] = "share"
        share["level"] = share["level"].astype(int)
        mean = sub.mean("__cat", by=by, level=level, min_n=min_n)
        mean["statistic"] = "mean"
        top2 = sub.proportion("__top", by=by, level=level, min_n=min_n)
        top2 = top2[top2["level"] == 1.0].assign(statistic="top2")
        dkf = d.subset(answered).proportion("__dk", by=by, level=level, min_n=min_n)
        if dont_know is not None:
            dkf = dkf[dkf["level"] == 1.0].assign(statistic="dont_know")
        else:
            dkf = dkf.iloc[:0]
        for f in (mean, top2, dkf):
            f["level"] = pd.NA
        parts = [share, mean, top2, dkf]
        if effects is not None:
            parts.append(_olr_effects(sub, effects, level, min_n))
        out = concat(parts)
        out["variable"] = item
        frames.append(out)
    out = concat(frames)
    extra = [c for c in as_list(by) + as_list(effects) if c in out.columns]
    cols = ["variable"] + list(dict.fromkeys(extra))
    cols += ["statistic", "level"]
    rest = [c for c in out.columns if c not in cols]
    return out[cols + rest].reset_index(drop=True)


def _olr_effects(sub, effects: str, level: float, min_n: int) -> pd.DataFrame:
    """Township effects of ``__cat ~ C(effects)`` and their joint Wald test."""
    from .contrasts import regTermTest

    levels = sorted(pd.unique(sub.data["__cat"][sub.domain & sub.data["__cat"].notna()]))
    term = f"C(Q('{effects}'))"
    fit = sub.olr(f"__cat ~ {term}", levels=levels)
    coefs = fit.coefficients
    ci = fit.conf_int(alpha=1 - level)
    names = [c[len(term) + 3 : -1] for c in coefs.index]  # C(Q('x'))[T.level]
    vals = sub.data[effects]
    lookup = {str(v): v for v in pd.unique(vals.dropna())}
    n = [int((sub.domain & (vals.astype(str) == nm).to_numpy()).sum()) for nm in names]
    rows = pd.DataFrame(
        {
            effects: [lookup.get(nm, nm) for nm in names],
            "statistic": "olr_effect",
            "level": pd.NA,
            "estimate": coefs.to_numpy(),
            "se": fit.bse[coefs.index].to_numpy(),
            "ci_low": ci.loc[coefs.index, "ci_low"].to_numpy(),
            "ci_high": ci.loc[coefs.index, "ci_high"].to_numpy(),
            "n": n,
            "p_value": fit.pvalues[coefs.index].to_numpy(),
        }
    )
    rows["small_cell"] = rows["n"] < min_n
    t = regTermTest(fit, term)
    joint = pd.DataFrame(
        {
            "statistic": ["olr_joint"],
            "level": [pd.NA],
            "estimate": [t.statistic],
            "n": [sub.n],
            "p_value": [t.p_value],
            "small_cell": [False],
        }
    )
    return pd.concat([rows, joint], ignore_index=True)


def multiple_response(
    design,
    option_columns: Sequence[str],
    by: str | Sequence[str] | None = None,
    min_n: int | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of respondents choosing each 0/1 option (among those with a non-missing value),
    with logit CIs as R ``svyciprop``. One row per option x domain."""
    frames = []
    for opt in option_columns:
        x = numeric_column(design.data, opt)
        ok = ~np.isnan(x)
        bad = ok & ~np.isin(x, [0, 1])
        if bad.any():
            raise ValueError(f"option column {opt!r}: {int(bad.sum())} rows are not 0/1")
        p = design.subset(ok).proportion(opt, by=by, level=level, min_n=min_n)
        p = p[p["level"] == 1].drop(columns="level")
        frames.append(p)
    return concat(frames).reset_index(drop=True)
