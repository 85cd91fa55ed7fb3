"""The formula language: evaluation on small frames and refusal of anything else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.index.formulas import FormulaError, evaluate_formula, parse_formula, unit_dependencies
from commeval.index.indicators import make_scope
from index.helpers import mini_tables

TOWNS = pd.Index(["A", "B", "C"], name="township")


def ev(text: str, tables=None, survey=None, refs=None) -> np.ndarray:
    tables = tables or mini_tables()
    scope = make_scope(tables, 2012, TOWNS, survey or {})
    scope.refs.update(refs or {})
    return evaluate_formula(parse_formula(text), scope)


def test_aggregations_by_township():
    assert ev("share(has_police_room)").tolist() == [1.0, 0.5, 0.0]
    assert ev("mean(service_center_m2)").tolist() == [210.0, 40.0, 300.0]
    assert ev("sum(population)").tolist() == [3000, 2000, 1000]
    assert ev("count()").tolist() == [2, 2, 1]
    assert ev("count(service_center_m2 >= 300)").tolist() == [1, 0, 1]
    assert ev("min(service_center_m2)").tolist() == [100, 0, 300]
    assert ev("max(service_center_m2)").tolist() == [320, 80, 300]
    assert ev("median(service_center_m2)").tolist() == [210, 40, 300]
    assert ev("100 * share(service_center_m2 >= 300)").tolist() == [50.0, 0.0, 100.0]


def test_per_capita_and_community_not_applicable():
    assert ev("sum(funding_yuan) / sum(population)").tolist() == pytest.approx([40000 / 3000, 5, 0])
    r = ev("sum(communities.land_reclaimed_mu) / sum(communities.land_reclaim_target_mu)")
    assert r[0] == 0.75 and np.isnan(r[1:]).all()  # no community rows → NaN (not applicable)


def test_township_columns_survey_and_refs():
    assert ev("townships.has_culture_station").tolist() == [1, 0, 1]
    sv = {"sat_overall": np.array([4.0, 3.0, np.nan])}
    r = ev("survey(sat_overall) / 5", survey=sv)
    assert r[:2].tolist() == [0.8, 0.6] and np.isnan(r[2])
    assert ev("x * 2 + 1", refs={"x": np.array([1.0, 2.0, 3.0])}).tolist() == [3, 5, 7]
    # draws broadcast: (draws, units)
    r2 = ev("survey(sat_overall) - 1", survey={"sat_overall": np.ones((4, 3))})
    assert r2.shape == (4, 3) and (r2 == 0).all()


def test_missing_values_division_by_zero_and_logic():
    t = mini_tables()
    t["villages"].loc[0, "service_center_m2"] = np.nan
    # the missing village drops out of the share's denominator
    assert ev("share(service_center_m2 >= 300)", t).tolist() == [0.0, 0.0, 1.0]
    assert np.isnan(ev("sum(funding_yuan) / 0")).all()
    assert ev("share(has_police_room and service_center_m2 >= 300)").tolist() == [0.5, 0, 0]
    assert ev("share(has_police_room or service_center_m2 >= 300)").tolist() == [1, 0.5, 1]
    assert ev("share(not has_police_room)").tolist() == [0, 0.5, 1]
    assert ev("clip(mean(service_center_m2), 50, 250)").tolist() == [210, 50, 250]
    assert ev("minimum(1, share(has_police_room) * 2)").tolist() == [1, 1, 0]


def test_strings_and_present():
    t = mini_tables()
    t["villages"]["affairs_demo_level"] = pd.Series(
        ["none", "district", "city", None, "none"], dtype="str"
    )
    t["villages"]["paired_unit"] = pd.Series(["区财政局", None, "", "区教育局", None], dtype="str")
    assert ev("share(affairs_demo_level != 'none')", t).tolist() == [0.5, 1.0, 0.0]
    assert ev("share(present(paired_unit))", t).tolist() == [0.5, 0.5, 0.0]


def test_unknown_column_in_data_is_a_clear_error():
    from commeval.index.errors import IndexDataError

    with pytest.raises(IndexDataError, match="'villages' has no column 'has_library'"):
        ev("share(has_library)")


@pytest.mark.parametrize(
    "text",
    [
        "eval('1')",
        "x.y",
        "x[0]",
        "[1, 2]",
        "{'a': 1}",
        "f'{x}'",
        "x if y else z",
        "share(x=1)",
        "1 @ 2",
        "a := 1",
        "None",
        "",
    ],
)
def test_refuses(text):
    with pytest.raises(FormulaError):
        parse_formula(text)


def test_dependencies_and_cycles():
    f = {
        "a": parse_formula("b + c"),
        "b": parse_formula("c * 2"),
        "c": parse_formula("share(has_library)"),
    }
    assert unit_dependencies(f) == ["c", "b", "a"]
    f["c"] = parse_formula("a + 1")
    with pytest.raises(FormulaError, match="cycle"):
        unit_dependencies(f)
