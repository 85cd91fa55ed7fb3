"""Framework loading: the default framework, and bad configurations whose errors name the file,
the key and the value."""

from __future__ import annotations

import copy

import pytest
import yaml

from commeval.index import FrameworkError, load_framework
from index.helpers import mini_doc


def write(tmp_path, doc) -> str:
    p = tmp_path / "fw.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(p)


def expect_error(tmp_path, doc, key: str, value: str):
    path = write(tmp_path, doc)
    with pytest.raises(FrameworkError) as ei:
        load_framework(path)
    msg = str(ei.value)
    assert path in msg and key in msg and value in msg, msg
    return ei.value


def test_default_framework():
    fw = load_framework()
    assert fw.version == "2012.1" and fw.source.endswith("framework.yaml")
    dims = [d.name for d in fw.dimensions]
    assert dims == [
        "organisation",
        "facilities",
        "infrastructure",
        "governance",
        "new_community",
        "organisations",
        "funding",
        "satisfaction",
    ]
    assert sum(d.weight for d in fw.dimensions) == pytest.approx(1.0)
    for d in fw.dimensions:
        assert sum(i.weight for i in d.indicators) == pytest.approx(1.0), d.name
        for i in d.indicators:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in i.label), i.name  # Chinese label
    assert [g for g, _ in fw.grades] == ["优秀", "良好", "合格", "不合格"]
    inds = fw.indicators
    assert inds["affairs_demo_share"].target == 70 and inds["rule_of_law_demo_share"].target == 75
    assert inds["council_share"].target == 100
    assert all(i.missing == "not_applicable" for i in fw.dimensions[4].indicators)
    assert "sat_overall" in fw.survey_items and "sat_overall_top2" in fw.survey_items


def test_mini_framework_loads(tmp_path):
    fw = load_framework(write(tmp_path, mini_doc()))
    assert fw.version == "test-1" and list(fw.indicators) == ["police", "center", "reclaimed"]


def test_unknown_column(tmp_path):
    doc = mini_doc()
    doc["dimensions"]["facilities"]["indicators"]["police"]["source"] = "share(has_ufo_room)"
    err = expect_error(
        tmp_path, doc, "dimensions.facilities.indicators.police.source", "share(has_ufo_room)"
    )
    assert "villages.has_ufo_room" in str(err)


def test_unknown_community_column_and_survey_item(tmp_path):
    doc = mini_doc()
    doc["dimensions"]["community"]["indicators"]["reclaimed"]["source"] = "sum(communities.x)"
    expect_error(tmp_path, doc, "indicators.reclaimed.source", "communities.x")
    doc = mini_doc()
    doc["dimensions"]["facilities"]["indicators"]["police"]["source"] = "survey(sat_ufo)"
    expect_error(tmp_path, doc, "indicators.police.source", "sat_ufo")


def test_indicator_weights_must_sum_to_one(tmp_path):
    doc = mini_doc()
    doc["dimensions"]["facilities"]["indicators"]["center"]["weight"] = 0.6
    expect_error(tmp_path, doc, "dimensions.facilities.indicators.*.weight", "1.1")


def test_dimension_weights_must_sum_to_one(tmp_path):
    doc = mini_doc()
    doc["dimensions"]["community"]["weight"] = 0.3
    err = expect_error(tmp_path, doc, "dimensions.*.weight", "0.9")
    assert "sum to 1" in str(err)


def test_non_reciprocal_ahp(tmp_path):
    doc = mini_doc()
    doc["dimensions"]["facilities"]["weighting"] = {
        "method": "ahp",
        "matrix": [[1, 3], [3, 1]],
    }
    expect_error(tmp_path, doc, "dimensions.facilities.weighting.matrix[0][1]", "3")


def test_ahp_matrix_shape_and_values(tmp_path):
    doc = mini_doc()
    doc["dimensions"]["facilities"]["weighting"] = {"method": "ahp", "matrix": [[1, 2, 3]]}
    expect_error(tmp_path, doc, "dimensions.facilities.weighting.matrix", "[[1, 2, 3]]")
    doc["dimensions"]["facilities"]["weighting"] = {"method": "ahp", "matrix": [[1, "x"], [1, 1]]}
    expect_error(tmp_path, doc, "weighting.matrix[0][1]", "'x'")


def test_ahp_reciprocal_fractions_load(tmp_path):
    doc = mini_doc()
    doc["dimensions"]["facilities"]["weighting"] = {"method": "ahp", "matrix": [[1, 3], ["1/3", 1]]}
    fw = load_framework(write(tmp_path, doc))
    assert fw.dimensions[0].weighting["matrix"] == [[1.0, 3.0], [1 / 3, 1.0]]


def test_cycle_in_formulas(tmp_path):
    doc = mini_doc()
    inds = doc["dimensions"]["facilities"]["indicators"]
    inds["police"]["source"] = "center + 1"
    inds["center"]["source"] = "police * 2"
    err = expect_error(tmp_path, doc, "indicators.police.source", "center + 1")
    assert "cycle" in str(err) and "police → center → police" in str(err)


@pytest.mark.parametrize(
    "source, why",
    [
        ("__import__('os').system('rm -rf /')", "not allowed"),
        ("__import__('os')", "unknown function __import__"),
        ("police.__class__", "cannot be used"),
        ("share(has_police_room)[0]", "Subscript"),
        ("(lambda: 1)()", "not allowed"),
        ("mean(share(has_police_room))", "nested aggregation"),
        ("share(has_police_room, 1)", "exactly one argument"),
        ("sum(communities.land_reclaimed_mu / villages.population)", "mixes tables"),
        ("share(x for x in y)", "not allowed"),
        ("open('f')", "unknown function"),
        ("share(has_police_room", "syntax error"),
        ("unknown_indicator + 1", "unknown indicator"),
    ],
)
def test_unsafe_or_invalid_formulas(tmp_path, source, why):
    doc = mini_doc()
    doc["dimensions"]["facilities"]["indicators"]["police"]["source"] = source
    err = expect_error(tmp_path, doc, "indicators.police.source", source)
    assert why in str(err)


@pytest.mark.parametrize(
    "mutate, key, value",
    [
        (lambda d: d.pop("version"), "version", "None"),
        (lambda d: d.__setitem__("colour", "red"), "colour", "red"),
        (lambda d: d.__setitem__("grades", {"a": 50, "b": 50}), "grades", "{'a': 50, 'b': 50}"),
        (
            lambda d: d["dimensions"]["facilities"]["indicators"]["police"].__setitem__(
                "direction", "up"
            ),
            "indicators.police.direction",
            "up",
        ),
        (
            lambda d: d["dimensions"]["facilities"]["indicators"]["police"].__setitem__(
                "target", 0
            ),
            "indicators.police.target",
            "0",
        ),
        (
            lambda d: d["dimensions"]["facilities"]["indicators"]["police"].pop("label"),
            "indicators.police.label",
            "None",
        ),
        (
            lambda d: d["dimensions"]["facilities"]["indicators"]["police"].__setitem__(
                "missing", "skip"
            ),
            "indicators.police.missing",
            "skip",
        ),
        (lambda d: d["steps"].__setitem__("normalisation", "cube"), "steps.normalisation", "cube"),
        (
            lambda d: d["dimensions"]["facilities"].__setitem__("weighting", "magic"),
            "dimensions.facilities.weighting.method",
            "magic",
        ),
        (
            lambda d: d.__setitem__("uncertainty", {"aggregations": ["topsis"]}),
            "uncertainty.aggregations",
            "topsis",
        ),
        (
            lambda d: d["steps"].__setitem__("normalisation", "goalposts"),
            "indicators.police.goalposts",
            "None",
        ),
    ],
)
def test_bad_configurations(tmp_path, mutate, key, value):
    doc = copy.deepcopy(mini_doc())
    mutate(doc)
    expect_error(tmp_path, doc, key, value)


def test_invalid_yaml_names_file(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("version: 1\ndimensions: [unclosed\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="broken.yaml"):
        load_framework(p)


def test_combined_weighting_validated(tmp_path):
    doc = mini_doc()
    doc["dimensions"]["facilities"]["weighting"] = {
        "method": "combined",
        "objective": "entropy",
        "alpha": 1.5,
    }
    expect_error(tmp_path, doc, "dimensions.facilities.weighting.alpha", "1.5")


INCONSISTENT = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]


def _three_indicator_doc():
    doc = mini_doc()
    inds = doc["dimensions"]["facilities"]["indicators"]
    inds["third"] = dict(inds["police"], source="100 * share(service_center_m2 > 0)")
    return doc


def test_inconsistent_ahp_warns_at_load_and_strict_raises(tmp_path):
    from commeval.index import ConsistencyWarning

    doc = _three_indicator_doc()
    doc["dimensions"]["facilities"]["weighting"] = {"method": "ahp", "matrix": INCONSISTENT}
    with pytest.warns(ConsistencyWarning, match=r"dimensions.facilities.weighting.matrix.*CR"):
        load_framework(write(tmp_path, doc))
    doc["dimensions"]["facilities"]["weighting"]["strict"] = True
    err = expect_error(tmp_path, doc, "dimensions.facilities.weighting.matrix", "[[1.0, 9.0")
    assert "CR" in str(err)


def test_ahp_and_combined_weighting_in_the_pipeline(tmp_path, tables):
    from commeval.index import evaluate

    doc = _three_indicator_doc()
    # consistent 3×3 matrix from weights (.5, .3, .2)
    w = [0.5, 0.3, 0.2]
    doc["dimensions"]["facilities"]["weighting"] = {
        "method": "ahp",
        "matrix": [[a / b for b in w] for a in w],
    }
    res = evaluate(tables, load_framework(write(tmp_path, doc)), mc_draws=0)
    got = res.weights.set_index("indicator")["weight"]
    assert got[["police", "center", "third"]].tolist() == pytest.approx(w)
    doc["dimensions"]["facilities"]["weighting"] = {
        "method": "combined",
        "subjective": "fixed",
        "objective": "critic",
        "alpha": 1.0,
    }
    for name, v in zip(["police", "center", "third"], [0.2, 0.3, 0.5]):
        doc["dimensions"]["facilities"]["indicators"][name]["weight"] = v
    res = evaluate(tables, load_framework(write(tmp_path, doc)), mc_draws=0)
    got = res.weights.set_index("indicator")["weight"]
    assert got[["police", "center", "third"]].tolist() == pytest.approx([0.2, 0.3, 0.5])
    assert set(res.weights["method"]) >= {"combined"}
