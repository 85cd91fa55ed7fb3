"""Township survey indicators for the satisfaction dimension (群众满意度).

``survey_indicators`` turns the respondent table into per-township design-weighted estimates
with standard errors: for each Likert item its mean on the 1–5 scale (indicator ``item``) and
its top-2-box share, 比较满意 + 非常满意 (indicator ``item_top2``). Code 9 (说不清) is treated as
item non-response. Uses :mod:`commeval.survey` when importable (weights, strata, PSUs, FPC);
otherwise a with-replacement linearisation fallback.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

DONT_KNOW = 9
COLUMNS = ["township", "year", "indicator", "estimate", "se", "n"]


def _recode(df: pd.DataFrame, items: list[str]) -> tuple[pd.DataFrame, list[str]]:
    out = {}
    names = []
    for item in items:
        x = pd.to_numeric(df[item], errors="coerce").to_numpy(dtype=float)
        x = np.where((x >= 1) & (x <= 5), x, np.nan)
        out[item] = x
        out[f"{item}_top2"] = np.where(np.isnan(x), np.nan, (x >= 4).astype(float))
        names += [item, f"{item}_top2"]
    keep = ["township", "year", "weight", "stratum", "psu", "fpc"]
    frame = df[[c for c in keep if c in df.columns]].copy()
    for k, v in out.items():
        frame[k] = v
    return frame, names


def _fallback(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Ratio-mean with a with-replacement PSU linearisation SE (no FPC) per township."""
    rows = []
    for town, g in frame.groupby("township", sort=True):
        w = g["weight"].to_numpy(dtype=float)
        for v in names:
            y = g[v].to_numpy(dtype=float)
            ok = ~np.isnan(y)
            if not ok.any():
                continue
            wt = np.where(ok, w, 0.0)
            est = float((wt * np.nan_to_num(y)).sum() / wt.sum())
            z = wt * (np.nan_to_num(y) - est) / wt.sum()
            t = pd.DataFrame({"s": g["stratum"].to_numpy(), "p": g["psu"].to_numpy(), "z": z})
            tot = t.groupby(["s", "p"])["z"].sum()
            var = 0.0
            for _, zs in tot.groupby(level=0):
                n = len(zs)
                if n > 1:
                    var += n / (n - 1) * float(((zs - zs.mean()) ** 2).sum())
            rows.append((town, v, est, var**0.5, int(ok.sum())))
    return pd.DataFrame(rows, columns=["township", "variable", "estimate", "se", "n"])


def survey_indicators(
    survey_df: pd.DataFrame, items: Iterable[str], year: int | None = None
) -> pd.DataFrame:
    """Per-township estimates of Likert items: columns township, year, indicator, estimate, se,
    n. ``items`` are survey columns (a trailing ``_top2`` is accepted and maps to its item);
    ``year`` filters the survey year (None: every year)."""
    base = sorted({str(i).removesuffix("_top2") for i in items})
    missing = [c for c in base + ["township", "weight"] if c not in survey_df.columns]
    if missing:
        raise ValueError(f"survey table lacks columns {missing}")
    df = survey_df
    if year is not None and "year" in df.columns:
        df = df[df["year"] == year]
    years = sorted(df["year"].unique()) if "year" in df.columns else [year]
    parts = []
    for y in years:
        sub = df if y is None else df[df["year"] == y]
        if sub.empty:
            continue
        frame, names = _recode(sub, base)
        try:
            from commeval.survey import SurveyDesign
        except ImportError:  # pragma: no cover - the survey engine ships with commeval
            est = _fallback(frame, names)
        else:
            design = SurveyDesign(
                frame,
                weights="weight",
                strata="stratum" if "stratum" in frame else None,
                psu="psu" if "psu" in frame else None,
                fpc="fpc" if "fpc" in frame else None,
                lonely_psu="adjust",
            )
            est = design.mean(names, by=["township"])
        est = est.rename(columns={"variable": "indicator"})
        est["year"] = y
        parts.append(est[["township", "year", "indicator", "estimate", "se", "n"]])
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["township"] = out["township"].astype(str)
    return out[COLUMNS]
