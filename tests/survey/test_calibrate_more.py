"""calibrate()'s trim=, aggregate_stage= (R aggregate.stage=), bounds_const= and variance=
against R survey 4.1.1 (tests/reference/survey/make_fixtures_calibrate.R): the calibrated
weights (sum, min, max, sum of squares), svymean/svytotal (estimate, SE) of api00, enroll and
the proportion ``yes``, and svyby means of api00 by school type. Relative tolerance 1e-6."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign
from commeval.survey.calibration import calibrate

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
RTOL = 1e-6

POP = {"(Intercept)": 6194, "api99": 3914069, "enroll": 3811472}
POPC = {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api99": 3914069}
POPS = {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018}
POP99 = {"(Intercept)": 6194, "api99": 3914069}
V2 = ["api99", "enroll"]
VC = ["stype", "api99"]

# case -> (design, variables, totals, keyword arguments), as in make_fixtures_calibrate.R
CASES = {
    "strat_lin_trim": ("strat", V2, POP, dict(bounds=(0.5, 2), trim=(0.95, 1.15))),
    "strat_rake_trim": ("strat", V2, POP, dict(calfun="raking", trim=(0.95, 1.15))),
    "strat_logit_trim": (
        "strat",
        V2,
        POP,
        dict(calfun="logit", bounds=(0.8, 1.5), trim=(0.95, 1.15)),
    ),
    "strat_rake_maxit1_trim": (
        "strat",
        V2,
        POP,
        dict(calfun="raking", max_iter=1, trim=(0.95, 1.15)),
    ),
    "strat_lin_trim_ignored": ("strat", V2, POP, dict(trim=(0.95, 1.15))),
    "strat_lin_bconst": ("strat", V2, POP, dict(bounds=(17, 50), bounds_const=True)),
    "strat_rake_bconst": (
        "strat",
        V2,
        POP,
        dict(calfun="raking", bounds=(17, 50), bounds_const=True),
    ),
    "strat_logit_bconst": (
        "strat",
        V2,
        POP,
        dict(calfun="logit", bounds=(12, 50), bounds_const=True),
    ),
    "strat_lin_var_rows": ("strat", V2, POP, dict(variance="enroll")),
    "strat_lin_var_coef": ("strat", V2, POP, dict(variance=[0, 1, 0])),
    "strat_rake_var_rows": ("strat", V2, POP, dict(calfun="raking", variance="enroll")),
    "clus1_agg_stype": ("clus1", ["stype"], POPS, dict(aggregate_stage=1)),
    "clus1_agg_api99": ("clus1", ["api99"], POP99, dict(aggregate_stage=1)),
    "clus1_agg_lin_bounded": ("clus1", VC, POPC, dict(bounds=(0.3, 3), aggregate_stage=1)),
    "clus1_agg_rake": ("clus1", VC, POPC, dict(calfun="raking", aggregate_stage=1)),
    "clus1_agg_rake_trim": (
        "clus1",
        VC,
        POPC,
        dict(calfun="raking", aggregate_stage=1, trim=(0.9, 1.1)),
    ),
    "clus1_agg_var_rows": ("clus1", ["api99"], POP99, dict(aggregate_stage=1, variance="enroll")),
    "clus1_agg_rake_var_rows": (
        "clus1",
        ["api99"],
        POP99,
        dict(calfun="raking", aggregate_stage=1, variance="enroll"),
    ),
    "clus1_agg_negative": ("clus1", VC, POPC, dict(aggregate_stage=1)),
    "clus1_ps_agg_rake": (
        "clus1_ps",
        ["api99"],
        POP99,
        dict(calfun="raking", aggregate_stage=1),
    ),
    "clus1_noH_agg": (
        "clus1_noH",
        ["api99"],
        {"(Intercept)": 5439, "api99": 3500000},
        dict(aggregate_stage=1),
    ),
    "clus2_agg_lin": ("clus2", VC, POPC, dict(aggregate_stage=1)),
    "clus2_agg_rake": ("clus2", VC, POPC, dict(calfun="raking", aggregate_stage=1)),
    "clus2_ps_agg_rake": (
        "clus2_ps",
        ["api99"],
        POP99,
        dict(calfun="raking", aggregate_stage=1),
    ),
    "clus2_agg_stage2": ("clus2", ["api99"], POP99, dict(calfun="raking", aggregate_stage=2)),
}
VARIABLES = ("api00", "enroll", "yes")


@pytest.fixture(scope="module")
def fx() -> pd.DataFrame:
    return pd.read_csv(
        REF / "fixtures_calibrate.csv",
        keep_default_na=False,
        na_values=["NA"],
        dtype={"domain": str, "level": str, "variable": str, "case": str, "quantity": str},
    )


@pytest.fixture(scope="module")
def base(api) -> dict[str, SurveyDesign]:
    clus1 = SurveyDesign(api["apiclus1"], weights="pw", psu="dnum", fpc="fpc")
    clus2 = SurveyDesign(
        api["apiclus2"], weights="pw", psu="dnum", ssu="snum", fpc="fpc1", fpc2="fpc2"
    )
    types = {"E": 4421, "H": 755, "M": 1018}
    return {
        "strat": SurveyDesign(api["apistrat"], weights="pw", strata="stype", fpc="fpc"),
        "clus1": clus1,
        "clus1_ps": clus1.poststratify("stype", types),
        "clus1_noH": clus1.subset(clus1.data["stype"] != "H"),
        "clus2": clus2,
        "clus2_ps": clus2.poststratify("stype", types),
    }


def calibrated(base, case: str) -> SurveyDesign:
    name, variables, totals, kw = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # trim= unused, or trimmed after no convergence
        return calibrate(base[name], variables, totals, **kw)


def ours(d: SurveyDesign) -> dict[tuple[str, str, str, str], float]:
    """Our values keyed as the fixture rows (case suffix, quantity, variable, domain)."""
    w = d.weights[d.domain]  # the rows of R's design
    out = {
        ("", "w_sum", "", ""): w.sum(),
        ("", "w_min", "", ""): w.min(),
        ("", "w_max", "", ""): w.max(),
        ("", "w_sumsq", "", ""): (w**2).sum(),
    }
    for v in VARIABLES:
        for suffix, res in (("", d.mean(v)), (":total", d.total(v))):
            r = res.iloc[0]
            out[suffix, "estimate", v, ""] = r.estimate
            out[suffix, "se", v, ""] = r.se
    for _, r in d.mean("api00", by="stype").iterrows():
        out[":by", "estimate", "api00", r.stype] = r.estimate
        out[":by", "se", "api00", r.stype] = r.se
    return out


def compare(base, fx, case: str) -> tuple[int, float, list]:
    """(values within 1e-6 of R, max relative difference, the values that are not)."""
    got = ours(calibrated(base, case))
    rows = fx[fx.case.str.partition(":")[0] == case]
    assert len(rows) == len(got), (case, len(rows), len(got))
    matched, worst, bad = 0, 0.0, []
    for r in rows.itertuples():
        suffix = r.case[len(case) :]
        g = float(got[suffix, r.quantity, r.variable, r.domain])
        atol = 1e-9
        if r.quantity == "se":  # a calibrated total's SE is 0 up to rounding (~1e-14 of it)
            atol = max(atol, 1e-12 * abs(got[suffix, "estimate", r.variable, r.domain]))
        ok = np.isclose(g, r.value, rtol=RTOL, atol=atol)
        matched += ok
        if not ok:
            bad.append((r.case, r.quantity, r.variable, r.domain, g, r.value))
        if abs(r.value) > atol:
            worst = max(worst, abs(g - r.value) / abs(r.value))
    return matched, worst, bad


@pytest.mark.parametrize("case", sorted(CASES))
def test_calibration_matches_r(base, fx, case):
    matched, worst, bad = compare(base, fx, case)
    assert not bad, bad
    # 4 weight summaries, 12 means and totals, 6 domain means (4 without high schools)
    assert matched == (20 if "noH" in case else 22)
    assert worst < RTOL


@pytest.mark.parametrize("case", ["clus1_agg_negative", "clus1_agg_var_rows"])
def test_negative_g_keeps_r_variance(base, case):
    """Some g < 0 here: R's projection keeps those rows (the SEs match R above)."""
    d = calibrated(base, case)
    assert (d.weights < 0).any()


def test_every_fixture_case_is_compared(fx):
    assert set(fx.case.str.partition(":")[0]) == set(CASES)


def test_trim_ranges_bind_and_are_not_iterated(base):
    """As R: g is clipped once and the excess spread, so trimmed fits leave the untrimmed fit,
    and aggregated raking with trim [0.9, 1.1] ends above 1.1 after the spread."""
    s = base["strat"]
    plain = calibrate(s, V2, POP, calfun="raking")
    trimmed = calibrated(base, "strat_rake_trim")
    g0, g1 = plain.weights / s.weights, trimmed.weights / s.weights
    assert g0.min() < 0.95 and g0.max() > 1.15
    assert np.isclose(g1.min(), 0.95) and np.isclose(g1.max(), 1.15)
    assert np.isclose(trimmed.weights.sum(), plain.weights.sum())
    agg = calibrated(base, "clus1_agg_rake_trim")
    g = agg.weights / base["clus1"].weights
    assert g.max() > 1.1 + 1e-3


def test_trim_ignored_without_bounds_warns(base):
    s = base["strat"]
    with pytest.warns(UserWarning, match="trim= has no effect"):
        t = calibrate(s, V2, POP, trim=(0.95, 1.15))
    np.testing.assert_allclose(t.weights, calibrate(s, V2, POP).weights)


@pytest.mark.parametrize("case", ["clus1_agg_rake", "clus2_agg_lin", "clus1_agg_stype"])
def test_aggregate_stage_makes_g_constant_within_psus(base, case):
    d = calibrated(base, case)
    name = CASES[case][0]
    g = pd.Series(d.weights / base[name].weights)
    spread = g.groupby(base[name].data["dnum"].to_numpy()).agg(lambda x: x.max() - x.min())
    assert spread.max() < 1e-12
    assert g.nunique() > 1


def test_bounds_const_bounds_the_weights(base):
    d = calibrated(base, "strat_rake_bconst")
    assert d.weights.min() >= 17 - 1e-9 and d.weights.max() <= 50 + 1e-9
    assert np.isclose(d.weights.min(), 17)  # binds: H schools weigh 15.1 before


def test_trimming_clears_a_failure_to_converge(base):
    s = base["strat"]
    with pytest.raises(ValueError, match="did not converge"):
        calibrate(s, V2, POP, calfun="raking", max_iter=1)
    with pytest.warns(UserWarning, match="did not converge.*trimmed"):
        calibrate(s, V2, POP, calfun="raking", max_iter=1, trim=(0.95, 1.15))


def test_argument_errors(base):
    s = base["strat"]
    with pytest.raises(ValueError, match="aggregate_stage"):
        calibrate(s, V2, POP, aggregate_stage=2)
    with pytest.raises(ValueError, match="variance"):
        calibrate(s, V2, POP, variance=[1, 2])
    with pytest.raises(ValueError, match="variance must be positive"):
        calibrate(s, V2, POP, variance=[0, -1, 0])
    with pytest.raises(ValueError, match="trim"):
        calibrate(s, V2, POP, calfun="raking", trim=(1.2, 0.8))
    with pytest.raises(ValueError, match="logit"):
        calibrate(s, V2, POP, calfun="logit", bounds=(16, 50), bounds_const=True)
