"""svyquantile's other intervals against R survey 4.1.1
(tests/reference/survey/make_fixtures_quantile.R): interval.type="score" on Taylor designs
(the ends are roots R's uniroot finds on a step function, mapped back through an unweighted
share), interval.type="quantile" on replicate designs (the quantile under each replicate), the
Woodruff interval in domains for every qrule, and uniroot's iterates. Relative tolerance 1e-6;
an interval R stops on with an error is NaN here."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign, svrepdesign
from commeval.survey.quantile import INTERVALS, uniroot, zeroin

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
RTOL = 1e-6
QUANTITIES = ("estimate", "ci_low", "ci_high", "se")


@pytest.fixture(scope="module")
def fx() -> pd.DataFrame:
    return pd.read_csv(
        REF / "fixtures_quantile.csv",
        keep_default_na=False,
        na_values=["NA"],
        dtype={"domain": str, "level": str, "variable": str, "case": str, "quantity": str},
    )


def scd_designs(scd: pd.DataFrame) -> dict:
    def cols(p, k):
        return [f"{p}{i}" for i in range(1, k + 1)]

    common = dict(combined_weights=False)
    return {
        "scd_brr": svrepdesign(scd, cols("brr", 4), "BRR", **common),
        "scd_jkn": svrepdesign(scd, cols("jn", 6), "JKn", rscales=[0.5] * 6, **common),
        "scd_brr_mse": svrepdesign(scd, cols("brr", 4), "BRR", mse=True, **common),
        "scd_other": svrepdesign(
            scd, cols("jk", 6), "other", scale=0.7, rscales=[1, 1, 2, 2, 1, 1], **common
        ),
    }


@pytest.fixture(scope="module")
def qdesigns(designs, api, more_data) -> dict:
    d = designs  # tests/survey/conftest.py
    nh = more_data["nhanes"]
    nh = nh.assign(wt_na=np.where(nh.HI_CHOL.isna(), np.nan, nh.WTMEC2YR / 1000))
    mu = more_data["mu284"]
    mu = mu.assign(w=mu.n1 / 5 * mu.n2 / mu.groupby("id1").id2.transform("size"))
    out = {
        "strat": d["strat"],
        "clus1": d["clus1"],
        "strat_ps": d["strat_ps"],
        "nh": SurveyDesign(nh, weights="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True),
        "mu": SurveyDesign(mu, weights="w", psu="id1", ssu="id2", fpc="n1", fpc2="n2"),
        "strat_jkn": d["strat"].replicate("jkn"),
        "strat_jk1": SurveyDesign(api["apistrat"], weights="pw").replicate("jk1"),
        "clus1_jk1": d["clus1"].replicate("jk1"),
    }
    out.update(scd_designs(more_data["scd"]))
    return out


BY = {"nh": "race"}  # the domains of every other case are school types, or "<case>@<by>"

CASES = [
    "strat:score_math",
    "strat:score_school",
    "strat:score_math_90",
    "clus1:score_math",
    "clus1:score_school",
    "strat_ps:score_math",
    "nh:score_math",
    "mu:score_math",
    "strat_jkn:quantile_math",
    "strat_jkn:quantile_school",
    "strat_jk1:quantile_math",
    "strat_jk1:quantile_school",
    "strat_jkn:mean_math",
    "clus1_jk1:quantile_math",
    "scd_brr:quantile_math",
    "scd_jkn:quantile_math",
    "scd_brr_mse:quantile_math",
    "scd_other:quantile_math",
] + [
    # Woodruff in domains: R compares cumulative weights with extended-precision sums
    f"{d}:mean_{r}@{by}"
    for d in ("strat", "clus1")
    for r in ("math", "school", *(f"hf{i}" for i in range(1, 10)))
    for by in ("stype", "sch.wide")
]


def compare_case(qdesigns, fx, case: str) -> tuple[int, int, float]:
    """Every R value of ``case`` against ours: (matched at 1e-6, NA in R and NaN here, max
    relative difference)."""
    name, kind = case.split(":")
    kind, _, case_by = kind.partition("@")
    parts = kind.split("_")
    interval, qrule = parts[0], parts[1]
    level = 0.9 if parts[-1] == "90" else 0.95
    d = qdesigns[name]
    ref = fx[fx.case == case]
    assert len(ref), case
    matched = nan = 0
    worst = 0.0
    frames = {}
    for (v, dom), r in ref.groupby(["variable", "domain"]):
        probs = tuple(sorted({float(x) for x in r.level}))
        by = None if dom == "" else case_by or BY.get(name, "stype")
        if (v, by) not in frames:  # every domain from one call, as svyby
            frames[v, by] = d.quantile(v, probs, by=by, qrule=qrule, interval=interval, level=level)
        got = frames[v, by]
        if by is not None:
            got = got[got[by].astype(str) == dom]
        got = got.set_index(got.level.map(lambda x: f"{x:g}"))
        for row in r.itertuples():
            ours = float(got.loc[row.level, row.quantity])
            where = (case, v, dom, row.level, row.quantity)
            if np.isnan(row.value):  # R: an error (no interval, or no answered rows)
                assert np.isnan(ours), (where, ours)
                nan += 1
                continue
            assert np.isclose(ours, row.value, rtol=RTOL, atol=1e-12), (where, ours, row.value)
            if row.value != 0:
                worst = max(worst, abs(ours - row.value) / abs(row.value))
            matched += 1
    return matched, nan, worst


@pytest.mark.parametrize("case", CASES)
def test_interval_matches_r(qdesigns, fx, case):
    matched, _, _ = compare_case(qdesigns, fx, case)
    assert matched > 0


def test_every_fixture_case_is_compared(fx):
    cases = {c for c in fx.case.unique() if not c.startswith("uniroot:")}
    assert cases == set(CASES)


def test_score_interval_is_not_the_woodruff_interval(qdesigns):
    """The test can fail: the score ends differ from Woodruff's on apistrat."""
    d = qdesigns["strat"]
    s = d.quantile("enroll", 0.5, interval="score").iloc[0]
    m = d.quantile("enroll", 0.5).iloc[0]
    assert s.estimate == m.estimate
    assert (s.ci_low, s.ci_high) != (m.ci_low, m.ci_high)
    # R's score interval of the median enrolment, [365, 424], excludes the estimate 446
    assert s.ci_high < s.estimate


def test_domain_estimates_compare_cumulative_weights_as_r(qdesigns, fx):
    """High schools have equal weights: 10% of 50 falls exactly on the 5th school, as R's
    extended-precision cumsum finds it (a double cumsum misses the tie and gives the 6th)."""
    q = qdesigns["strat"].quantile("api00", 0.1, by="stype").set_index("stype")
    ref = fx[(fx.case == "strat:score_math") & (fx.variable == "api00") & (fx.domain == "H")]
    exp = ref[(ref.level == "0.1") & (ref.quantity == "estimate")].value.iloc[0]
    assert q.loc["H", "estimate"] == exp == 467


@pytest.mark.parametrize("case", ["uniroot:cos", "uniroot:step"])
def test_zeroin_takes_the_steps_of_r_uniroot(fx, case):
    """Every point R's uniroot evaluates, ends first (R: cos(x) - 0.3 on [0, 3], tol 1e-3, and
    the step function floor(3x)/3 - 1.1 on [0, 2.5], tol 0.01)."""
    f, lower, upper, tol = {
        "uniroot:cos": (lambda x: np.cos(x) - 0.3, 0.0, 3.0, 1e-3),
        "uniroot:step": (lambda x: np.floor(3 * x) / 3 - 1.1, 0.0, 2.5, 0.01),
    }[case]
    ref = fx[fx.case == case]
    at = [lower, upper]

    def traced(x):
        at.append(x)
        return float(f(x))

    root = zeroin(traced, lower, upper, float(f(lower)), float(f(upper)), tol)
    exp = ref[ref.quantity == "x"].sort_values("level", key=lambda s: s.astype(int)).value
    np.testing.assert_allclose(at, exp.to_numpy(), rtol=1e-13)
    np.testing.assert_allclose(root, ref[ref.quantity == "root"].value.iloc[0], rtol=1e-13)
    assert uniroot(lambda x: float(f(x)), lower, upper, tol) == root


def test_uniroot_without_a_change_of_sign_is_nan():
    assert np.isnan(uniroot(lambda x: x * x + 1, -1.0, 1.0, 1e-6))
    assert np.isnan(uniroot(lambda x: x, 1.0, -1.0, 1e-6))
    assert uniroot(lambda x: x - 1.0, 1.0, 2.0, 1e-6) == 1.0


def test_interval_types_by_design_kind(qdesigns):
    assert {"score", "quantile"} <= set(INTERVALS)
    with pytest.raises(ValueError, match="Taylor designs"):
        qdesigns["strat_jkn"].quantile("api00", 0.5, interval="score")
    with pytest.raises(ValueError, match="replicate weights"):
        qdesigns["strat"].quantile("api00", 0.5, interval="quantile")
    with pytest.raises(ValueError, match="'score'.*'quantile'"):
        qdesigns["strat"].quantile("api00", 0.5, interval="likelihood")
