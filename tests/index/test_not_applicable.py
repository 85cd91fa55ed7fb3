"""How a dimension that does not apply to a township is treated (framework ``not_applicable``,
issue 22): each treatment against hand computation, the framework key and its error, and the
evaluation using it."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from commeval.index import FrameworkError, load_framework
from commeval.index.composite import treat_not_applicable
from commeval.project import district_level, parse_project
from index.helpers import mini_doc

# two townships, two dimensions of equal weight; the second applies to the second only
DIMS = np.array([[80.0, np.nan], [60.0, 40.0]])


def test_each_treatment_by_hand():
    w = np.array([1.0, 1.0])
    assert treat_not_applicable(DIMS, w, ["renormalise"] * 2) == pytest.approx([80, 50])
    # neutral: 甲 counts at the mean of the townships it applies to (40)
    assert treat_not_applicable(DIMS, w, ["renormalise", "neutral"]) == pytest.approx([60, 50])
    # separate: nobody's composite has the second dimension
    assert treat_not_applicable(DIMS, w, ["renormalise", "separate"]) == pytest.approx([80, 60])
    # a dimension that applies everywhere is the same under every treatment
    full = np.array([[80.0, 20.0], [60.0, 40.0]])
    for mode in ("renormalise", "neutral", "separate"):
        assert treat_not_applicable(full, w, [mode] * 2) == pytest.approx([50, 50])


def _write(tmp_path, doc) -> str:
    p = tmp_path / "fw.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(p)


def test_framework_key(tmp_path):
    doc = copy.deepcopy(mini_doc())
    first = next(iter(doc["dimensions"]))
    assert load_framework(_write(tmp_path, doc)).dimensions[0].not_applicable == "renormalise"
    doc["dimensions"][first]["not_applicable"] = "separate"
    assert load_framework(_write(tmp_path, doc)).dimensions[0].not_applicable == "separate"
    doc["dimensions"][first]["not_applicable"] = "ignore"
    with pytest.raises(FrameworkError) as e:
        load_framework(_write(tmp_path, doc))
    assert f"dimensions.{first}.not_applicable" in str(e.value) and "ignore" in str(e.value)


def test_packaged_default_is_renormalise():
    fw = load_framework()
    assert {d.not_applicable for d in fw.dimensions} == {"renormalise"}


def test_level_and_max_moe(tmp_path):
    assert district_level("某县") == "县" and district_level("郾城区") == "区"
    assert district_level("漯河市") == "市" and district_level("示例") == "区"
    assert district_level("郾城区", "县") == "县"
    p = parse_project({"level": "县", "report": {"max_moe": 8}}, tmp_path / "commeval.yaml")
    assert p.report.level_of("某某") == "县" and p.report.max_moe == 8.0
    from commeval.project import ProjectError

    with pytest.raises(ProjectError, match="level"):
        parse_project({"level": "乡"}, tmp_path / "commeval.yaml")
    with pytest.raises(ProjectError, match="report.max_moe"):
        parse_project({"report": {"max_moe": -1}}, tmp_path / "commeval.yaml")
