"""Many-domain estimates use sparse PSU totals; they must equal the dense computation (which
the R fixtures check) — a second implementation of the same variance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign, likert_summary
from commeval.survey import variance as V

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"


def _both(monkeypatch, fn):
    dense = fn()
    monkeypatch.setattr(V, "SPARSE_CELLS", 0)
    sparse = fn()
    return dense, sparse


@pytest.mark.parametrize("lonely", ["fail", "adjust"])
def test_domain_means_and_proportions_sparse_equal_dense(monkeypatch, lonely):
    df = pd.read_csv(REF / "apiclus2.csv")
    if lonely == "adjust":
        df = df[~df["dnum"].isin(df["dnum"].unique()[1:3])]  # leave lonely PSUs in domains

    def run():
        d = SurveyDesign(df, weights="pw", psu="dnum", ssu="snum", fpc="fpc1", fpc2="fpc2",
                         lonely_psu=lonely)  # fmt: skip
        return (
            d.mean(["api00", "enroll"], by="cnum"),
            d.proportion("stype", by="cnum"),
        )

    dense, sparse = _both(monkeypatch, run)
    for a, b in zip(dense, sparse, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)


def test_stratified_many_domains_sparse_equal_dense(monkeypatch):
    rng = np.random.default_rng(3)
    n = 6000
    df = pd.DataFrame(
        {
            "stratum": rng.integers(0, 60, n),
            "x": rng.integers(1, 6, n).astype(float),
        }
    )
    df["psu"] = df["stratum"] * 100 + rng.integers(0, 5, n)
    df["w"] = rng.uniform(10, 50, n)
    df["fpc"] = 40
    df.loc[rng.random(n) < 0.05, "x"] = 9

    def run():
        d = SurveyDesign(df, weights="w", strata="stratum", psu="psu", fpc="fpc")
        return likert_summary(d, ["x"], by="stratum", min_n=5)

    dense, sparse = _both(monkeypatch, run)
    pd.testing.assert_frame_equal(dense, sparse, check_exact=False, rtol=1e-9, atol=1e-12)
