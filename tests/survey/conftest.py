import pandas as pd
import pytest
from references import REF, reference

from commeval.survey import SurveyDesign


@pytest.fixture(scope="session")
def fixtures() -> pd.DataFrame:
    return pd.read_csv(
        REF / "fixtures.csv",
        keep_default_na=False,
        na_values=["NA"],
        dtype={"domain": str, "level": str, "variable": str, "case": str, "quantity": str},
    )


@pytest.fixture(scope="session")
def api() -> dict[str, pd.DataFrame]:
    return {
        k: pd.read_csv(REF / f"{k}.csv") for k in ["apistrat", "apiclus1", "apiclus2", "lonely"]
    }


POP_TYPES = {"E": 4421, "H": 755, "M": 1018}
POP_SCHWIDE = {"No": 1072, "Yes": 5122}


def make_designs(api) -> dict[str, SurveyDesign]:
    d = {
        "strat": SurveyDesign(api["apistrat"], weights="pw", strata="stype", fpc="fpc"),
        "clus1": SurveyDesign(api["apiclus1"], weights="pw", psu="dnum", fpc="fpc"),
        "clus2": SurveyDesign(
            api["apiclus2"], weights="pw", psu="dnum", ssu="snum", fpc="fpc1", fpc2="fpc2"
        ),
        "clus2nofpc": SurveyDesign(api["apiclus2"], weights="pw", psu="dnum", ssu="snum"),
    }
    d["clus1_ps"] = d["clus1"].poststratify("stype", POP_TYPES)
    d["clus2_ps"] = d["clus2nofpc"].poststratify("stype", POP_TYPES)
    d["strat_ps"] = d["strat"].poststratify("sch.wide", POP_SCHWIDE)
    d["clus1_rake"] = d["clus1"].rake({"stype": POP_TYPES, "sch.wide": POP_SCHWIDE})
    d["clus1_greg"] = d["clus1"].calibrate(["api99"], {"(Intercept)": 6194, "api99": 3914069})
    d["strat_greg"] = d["strat"].calibrate(
        ["api99", "enroll"], {"(Intercept)": 6194, "api99": 3914069, "enroll": 3811472}
    )
    return d


@pytest.fixture(scope="session")
def designs(api):
    return make_designs(api)


@pytest.fixture(scope="session")
def ref(fixtures):
    idx = fixtures.set_index(["case", "quantity", "variable", "domain", "level"])["value"]
    idx = idx.sort_index()

    def get(case, quantity, variable="", domain="", level=""):
        return float(idx.loc[(case, quantity, variable, domain, level)])

    return get


@pytest.fixture(scope="session")
def ref_more():
    """Reference values of make_fixtures_more.R (nhanes, mu284, election, scd)."""
    return reference("more")


@pytest.fixture(scope="session")
def more_data() -> dict[str, pd.DataFrame]:
    names = ["nhanes", "mu284", "mu284_single", "election", "scd"]
    return {k: pd.read_csv(REF / f"{k}.csv") for k in names}
