"""Small things a researcher trips over: years as 2012 or "2012", a zero-count share's interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign
from commeval.survey import questionnaire as q
from commeval.survey.distributions import t_ppf


def survey_table() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for year in (2011, 2012):
        for s in ("甲", "乙"):
            for v in range(4):
                for _ in range(10):
                    rows.append(
                        {"year": year, "township": s, "stratum": s, "psu": f"{s}{v}",
                         "fpc": 10, "weight": 50.0, "sat_overall": int(rng.integers(1, 6))}
                    )  # fmt: skip
    return pd.DataFrame(rows)


def test_year_as_int_or_text():
    s = survey_table()
    a = q.year_design(s, 2012).mean("sat_overall")
    b = q.year_design(s, "2012").mean("sat_overall")
    assert a.equals(b)
    with pytest.raises(ValueError, match="2010"):
        q.year_design(s, "2010")


def test_zero_count_share_gets_a_korn_graubard_interval():
    s = survey_table()
    s.loc[s["township"] == "甲", "sat_overall"] = 3  # no 甲 respondent answers 5
    d = SurveyDesign(s[s["year"] == 2012], weights="weight", strata="stratum", psu="psu", fpc="fpc")
    share = d.proportion("sat_overall", by="township")
    zero = share[(share["township"] == "甲") & (share["level"] == 5)].iloc[0]
    one = share[(share["township"] == "甲") & (share["level"] == 3)].iloc[0]
    assert zero["estimate"] == 0 and zero["ci_low"] == 0
    # Clopper–Pearson for 0 of n on n_eff = n (t_{n-1}/t_df)², upper = 1 − (α/2)^(1/n_eff)
    n, df = 40, 3  # 40 answers; the domain's df: 4 PSUs − 1 stratum
    n_eff = n * (t_ppf(0.025, n - 1) / t_ppf(0.025, df)) ** 2
    assert zero["ci_high"] == pytest.approx(1 - 0.025 ** (1 / n_eff), rel=1e-10)
    assert one["estimate"] == 1 and one["ci_high"] == 1
    assert one["ci_low"] == pytest.approx(0.025 ** (1 / n_eff), rel=1e-10)
    # shares strictly inside (0, 1) keep R's logit interval
    other = share[share["township"] == "乙"]
    assert (other["ci_low"] < other["estimate"]).all() & (
        other["estimate"] < other["ci_high"]
    ).all()
