"""compare_to_rest / compare_pairs equal compare_domains called pair by pair (which the R
fixtures check against svyttest), on nested and on non-nested designs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign, compare_domains
from commeval.survey.comparisons import compare_independent, compare_pairs, compare_to_rest

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
COLS = ["estimate_a", "estimate_b", "difference", "se", "df", "p_value", "n_a", "n_b"]


def _loop_rest(d, var, by):
    rows = []
    for lv in sorted(d.data[by].dropna().astype(str).unique()):
        tmp = d.update(_r=np.where(d.data[by].astype(str) == lv, lv, "(rest)"))
        rows.append(compare_domains(tmp, var, "_r", lv, "(rest)"))
    return pd.concat(rows, ignore_index=True)


def _apistrat(df):  # strata = stype, so the domains nest (fast path)
    return SurveyDesign(df, weights="pw", strata="stype", psu=None, fpc="fpc")


def _apiclus2(df):  # two stages, domains cut across PSUs (fallback path)
    return SurveyDesign(df, weights="pw", psu="dnum", ssu="snum", fpc="fpc1", fpc2="fpc2")


@pytest.mark.parametrize(
    ("name", "design"), [("apistrat.csv", _apistrat), ("apiclus2.csv", _apiclus2)]
)
def test_compare_to_rest_equals_pairwise(name, design):
    df = pd.read_csv(REF / name)
    df.loc[df.index[::7], "api00"] = np.nan  # missing values stay outside the domain
    d = design(df)
    fast = compare_to_rest(d, "api00", "stype")
    ref = _loop_rest(d, "api00", "stype")
    np.testing.assert_allclose(fast[COLS].to_numpy(float), ref[COLS].to_numpy(float), rtol=1e-9)


def test_compare_pairs_on_township_year_strata():
    rng = np.random.default_rng(4)
    rows = []
    for town in ("甲", "乙", "丙"):
        for year in (2011, 2012):
            for v in range(5):
                n = 8
                rows.append(pd.DataFrame({
                    "town": town, "year": year, "psu": f"{town}{v}|{year}",
                    "stratum": f"{town}|{year}", "w": rng.uniform(20, 60, n), "fpc": 12,
                    "y": rng.integers(1, 6, n).astype(float) + (year == 2012),
                }))  # fmt: skip
    df = pd.concat(rows, ignore_index=True)
    d = SurveyDesign(df, weights="w", strata="stratum", psu="psu", fpc="fpc")
    pairs = [((t, 2012), (t, 2011)) for t in ("甲", "乙", "丙")]
    fast = compare_pairs(d, "y", ["town", "year"], pairs)
    for r, (a, b) in zip(fast.itertuples(), pairs, strict=True):
        tmp = d.update(_k=df["town"] + df["year"].astype(str))
        ref = compare_domains(tmp, "y", "_k", a[0] + str(a[1]), b[0] + str(b[1]))
        got = np.array([getattr(r, c) for c in COLS], float)
        np.testing.assert_allclose(got, ref[COLS].to_numpy(float)[0], rtol=1e-9)


def test_compare_independent_two_samples():
    """Two independent samples (e.g. two survey years): difference of the domain means, SE from
    the two domain SEs, df = the two domains' PSUs minus strata, minus 1."""
    strat = pd.read_csv(REF / "apistrat.csv")
    clus1 = pd.read_csv(REF / "apiclus1.csv")
    a = _apistrat(strat)
    b = SurveyDesign(clus1, weights="pw", psu="dnum", fpc="fpc")
    got = compare_independent(a, b, "api00", "stype").set_index("a")
    ma, mb = a.mean("api00", by="stype").set_index("stype"), b.mean("api00", by="stype")
    mb = mb.set_index("stype")
    assert list(got.index) == ["E", "H", "M"]
    for lv in got.index:
        r = got.loc[lv]
        assert np.isclose(r.difference, ma.estimate[lv] - mb.estimate[lv], rtol=1e-12)
        assert np.isclose(r.se, np.hypot(ma.se[lv], mb.se[lv]), rtol=1e-12)
        df_a = int((strat["stype"] == lv).sum()) - 1  # every row a PSU, one stratum
        df_b = clus1.loc[clus1["stype"] == lv, "dnum"].nunique() - 1
        assert r.df == df_a + df_b - 1
        assert r.n_a == ma.n[lv] and r.n_b == mb.n[lv]
