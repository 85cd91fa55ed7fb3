"""Framework and formula errors speak Chinese, with a hint, the English reason after it
(issue 21, item 7): a per-village field used without an aggregate, an unknown function, a
syntax error, a misspelt indicator, and the usual configuration mistakes."""

from __future__ import annotations

import copy
import re

import pytest

from commeval.index import FrameworkError, parse_framework
from commeval.index.formulas import FormulaError, parse_formula
from index.helpers import mini_doc
from index.scorecard_helpers import points_doc


def error(doc) -> str:
    with pytest.raises(FrameworkError) as exc:
        parse_framework(doc)
    return str(exc.value)


def with_source(source: str) -> dict:
    doc = copy.deepcopy(mini_doc())
    doc["dimensions"]["facilities"]["indicators"]["police"]["source"] = source
    return doc


def reason(msg: str) -> str:
    return msg.split(" 无效 — ", 1)[1]


def test_per_village_field_without_aggregate_says_share_or_mean():
    msg = error(with_source("org_volunteer_teams >= 1"))
    assert "键 dimensions.facilities.indicators.police.source" in msg
    assert "每村一个值" in msg and "share(org_volunteer_teams)" in msg
    assert "unknown indicator or function 'org_volunteer_teams'" in msg  # English after


@pytest.mark.parametrize(
    ("source", "zh"),
    [
        ("polce + 1", "是不是 police"),
        ("frobnicate(has_library)", "没有函数 frobnicate()；可用 share"),
        ("100 * share(has_library", "公式语法错误"),
        ("share(mean(has_library))", "不能嵌套"),
        ("has_culture_station + 1", "townships.has_culture_station"),
        ("sat_overall", "survey(sat_overall)"),
        ("share(townships.has_culture_station)", "不能写在汇总函数里"),
    ],
)
def test_formula_errors_in_chinese_with_a_hint(source, zh):
    msg = error(with_source(source))
    assert zh in msg, msg
    assert re.search(r"[\u4e00-\u9fff]", reason(msg).split(" (")[0]), msg  # Chinese first


def test_formula_error_alone_is_chinese_too():
    with pytest.raises(FormulaError) as exc:
        parse_formula("share()")
    assert str(exc.value).startswith("share() 只接受一个参数") and exc.value.why


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("version"),
        lambda d: d.__setitem__("colour", "red"),
        lambda d: d.__setitem__("grades", {"a": 50, "b": 50}),
        lambda d: d["dimensions"]["d1"]["indicators"]["police"]["scoring"].__setitem__("rule", "x"),
        lambda d: d["dimensions"]["d1"]["indicators"]["police"]["scoring"].pop("points"),
        lambda d: d["dimensions"]["d1"]["indicators"]["police"]["scoring"].__setitem__("tiers", 3),
        lambda d: d["dimensions"]["d1"]["indicators"]["police"].__setitem__("bonus", "yes"),
        lambda d: d.__setitem__("bonus_cap", -1),
        lambda d: d["veto"][0].__setitem__("grade", "特优"),
    ],
)
def test_configuration_errors_start_in_chinese(mutate):
    doc = copy.deepcopy(points_doc())
    mutate(doc)
    msg = error(doc)
    assert re.match(r"[\u4e00-\u9fff]", reason(msg)), msg  # Chinese first …
    assert re.search(r" \([a-z]", msg) and msg.endswith(")"), msg  # … English after it
