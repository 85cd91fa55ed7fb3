"""Framework formulas over a project's extra fields (config/fields.yaml)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from commeval.data.contract import contract, extend_contract
from commeval.index import evaluate
from commeval.index.errors import FrameworkError
from commeval.index.framework import load_framework, parse_framework
from commeval.index.indicators import compute_indicators
from commeval.index.satisfaction import survey_indicators

FIELDS = {
    "villages": {
        "has_clinic": {"label": "标准化村卫生室", "dtype": "bool"},
        "safe_water_share": {"label": "安全饮水覆盖率", "dtype": "float", "min": 0, "max": 100},
    },
    "survey": {"sat_clinic": {"label": "对村卫生室的满意度", "kind": "likert"}},
}


@pytest.fixture
def project():
    return extend_contract(contract(), FIELDS, "config/fields.yaml")


def with_clinic(doc: dict, source: str = "100 * share(has_clinic)") -> dict:
    doc["dimensions"]["facilities"]["indicators"]["police"]["weight"] = 0.25
    doc["dimensions"]["facilities"]["indicators"]["center"]["weight"] = 0.25
    doc["dimensions"]["facilities"]["indicators"]["clinic"] = {
        "label": "标准化村卫生室比例",
        "unit": "%",
        "source": source,
        "direction": "benefit",
        "target": 100,
        "weight": 0.5,
    }
    return doc


def test_formula_over_an_extra_field_evaluates(doc, tables, project):
    fw = parse_framework(with_clinic(doc), "framework.yaml", project)
    assert fw.contract is project
    tables["villages"]["has_clinic"] = [True, False, True, True, False]
    vals = compute_indicators(tables, fw, 2012).values
    assert vals.loc["A", "clinic"] == pytest.approx(50.0)
    assert vals.loc["B", "clinic"] == pytest.approx(100.0)
    assert vals.loc["C", "clinic"] == pytest.approx(0.0)
    res = evaluate(tables, fw, mc_draws=0)
    assert res.data["raw"].loc["A", "clinic"] == pytest.approx(50.0)


def test_mean_of_an_extra_float_field(doc, tables, project):
    fw = parse_framework(with_clinic(doc, "mean(safe_water_share)"), "framework.yaml", project)
    tables["villages"]["safe_water_share"] = [90.0, 70.0, np.nan, 60.0, 100.0]
    vals = compute_indicators(tables, fw, 2012).values
    assert vals["clinic"].tolist() == pytest.approx([80.0, 60.0, 100.0])


def test_formula_naming_an_undeclared_field_fails(doc, tmp_path):
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(with_clinic(doc), allow_unicode=True), encoding="utf-8")
    with pytest.raises(FrameworkError) as exc:
        load_framework(path)  # the packaged contract has no has_clinic
    msg = str(exc.value)
    assert str(path) in msg
    assert "dimensions.facilities.indicators.clinic.source" in msg
    assert "has_clinic" in msg and "fields.yaml" in msg
    fields = extend_contract(contract(), {"villages": {"has_water": FIELDS["villages"]["has_clinic"]
                                                       | {"label": "某"}}})  # fmt: skip
    with pytest.raises(FrameworkError, match="has_clinic"):
        load_framework(path, contract=fields)
    assert "clinic" in load_framework(path, contract=extend_contract(contract(), FIELDS)).indicators


def test_survey_formula_over_an_extra_likert_item(doc, project):
    doc = with_clinic(doc, "survey(sat_clinic_top2) * 100")
    with pytest.raises(FrameworkError, match="sat_clinic_top2"):
        parse_framework(doc, "framework.yaml")
    fw = parse_framework(doc, "framework.yaml", project)
    assert fw.survey_items == {"sat_clinic_top2"}
    with pytest.raises(FrameworkError, match="sat_nothing"):
        parse_framework(with_clinic(doc, "survey(sat_nothing)"), "framework.yaml", project)


def test_survey_indicators_prepare_an_extra_likert_item():
    rng = np.random.default_rng(3)
    n = 120
    town = np.repeat(["A", "B"], n // 2)
    df = pd.DataFrame(
        {
            "year": 2012,
            "township": town,
            "stratum": town,
            "psu": [f"{t}{i % 4}" for i, t in enumerate(town)],
            "fpc": 20,
            "weight": rng.uniform(50, 150, n),
            "sat_clinic": rng.choice([1, 2, 3, 4, 5, 9], n),
        }
    )
    out = survey_indicators(df, ["sat_clinic", "sat_clinic_top2"])
    a = df[(df["township"] == "A") & (df["sat_clinic"] <= 5)]
    got = out[(out["township"] == "A") & (out["indicator"] == "sat_clinic_top2")]["estimate"]
    expected = (a["weight"] * (a["sat_clinic"] >= 4)).sum() / a["weight"].sum()
    assert got.iloc[0] == pytest.approx(expected)
