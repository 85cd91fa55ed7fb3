"""Survey indicators that average several items (公共服务满意度, 治理满意度) are estimated from the
design as single items are: their standard error is the design's (checked against R's survey
package, fixtures/make_composite.R), so their comparisons are marked significant or not instead
of 未检验."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from commeval.report import township as T
from commeval.survey import SurveyDesign

FIXTURES = Path(__file__).parent / "fixtures"
SETS = {
    "services_satisfaction": ["sat_service_center", "sat_health", "sat_elderly_care",
                              "sat_culture_sports"],
    "governance_satisfaction": ["sat_security", "sat_environment", "sat_village_affairs",
                                "sat_cadres"],
}  # fmt: skip


def test_average_of_item_means_and_its_se_as_r_computes_them():
    df = pd.read_csv(FIXTURES / "composite_design.csv", encoding="utf-8")
    design = SurveyDesign(
        df, weights="weight", strata="stratum", psu="psu", fpc="fpc", lonely_psu="adjust"
    )
    ref = pd.read_csv(FIXTURES / "composite_r.csv", encoding="utf-8")
    for indicator, items in SETS.items():
        z = T.composite_column(design, items)
        got = design.update(_z=z).mean("_z", by="township").set_index("township")
        want = ref[ref["indicator"] == indicator].set_index("township")
        assert len(want) == 4
        for t, r in want.iterrows():
            assert got.loc[t, "estimate"] == pytest.approx(r["estimate"], rel=1e-9)
            assert got.loc[t, "se"] == pytest.approx(r["se"], rel=1e-6)
            # the estimate is the plain average of the items' own design means
            means = [design.mean(i, by="township").set_index("township").loc[t, "estimate"]
                     for i in items]  # fmt: skip
            assert got.loc[t, "estimate"] == pytest.approx(sum(means) / len(means))
