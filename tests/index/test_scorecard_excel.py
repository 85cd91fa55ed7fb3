"""Scorecards from and to Excel: the county 评分表.xlsx fixture (tests/index/fixtures,
written by make_scorecard_xlsx.py) imports with its unparsed rows listed by Excel row;
import(export(f)) gives back f's rules, for the fixture and for hand-written frameworks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from commeval.index import FrameworkError, parse_framework
from commeval.index.scorecard import parse_rule
from commeval.index.scorecard_excel import (
    export_scorecard,
    import_scorecard,
    parse_rule_text,
    rule_text,
)
from index.scorecard_helpers import points_doc

FIXTURE = Path(__file__).parent / "fixtures" / "评分表.xlsx"
REPORT_FW = Path(__file__).parents[1] / "report" / "fixtures" / "points_framework.yaml"


def rules(doc: dict) -> dict:
    """What must survive a round trip: per item its dimension, label, 分值 and rule, bonus,
    direction; the vetoes, grades, bonus cap, name and version."""
    items = {
        k: (
            d,
            s.get("label"),
            s.get("scoring"),
            bool(s.get("bonus")),
            s.get("direction", "benefit"),
        )
        for d, dd in doc["dimensions"].items()
        for k, s in dd["indicators"].items()
    }
    top = {k: doc.get(k) for k in ("version", "name", "grades", "bonus_cap", "veto", "scoring")}
    return {"items": items, **top}


@pytest.fixture(scope="module")
def imported():
    return import_scorecard(FIXTURE)


def test_fixture_imports(imported):
    doc = imported.doc
    assert doc["version"] == "2013.1" and doc["bonus_cap"] == 5
    assert doc["grades"] == {"优秀": 90, "良好": 75, "合格": 60, "不合格": 0}
    assert [d["label"] for d in doc["dimensions"].values()] == [
        "组织领导", "社区服务设施", "基础设施", "民主管理", "社区组织与活动", "资金投入",
        "群众满意度", "加分项",
    ]  # fmt: skip
    items = {k: s for d in doc["dimensions"].values() for k, s in d["indicators"].items()}
    assert len(items) == 27
    assert sum(s["scoring"]["points"] for s in items.values() if not s.get("bonus")) == 100
    sc = {k: s["scoring"] for k, s in items.items()}
    assert sc["item_04"] == {"points": 6, "rule": "tiers", "tiers": [[100, 6], [80, 4], [60, 2]]}
    assert sc["item_05"] == {"points": 6, "rule": "linear", "full_at": 100, "zero_at": 50}
    assert sc["item_06"] == {"points": 4, "rule": "yesno"}
    assert sc["item_07"]["tiers"] == [[300, 6], [200, 4], [100, 2]]  # 200–300 → from 200
    assert sc["item_08"] == {"points": 4, "rule": "deduct", "from": 90, "per": 1, "deduct": 0.2}
    assert sc["item_09"]["per"] == "village"
    # 每低一个百分点扣两分: Chinese numerals
    assert sc["item_10"] == {"points": 8, "rule": "deduct", "from": 100, "per": 1, "deduct": 2}
    assert sc["item_11"]["whole_units"] is True and sc["item_11"]["per"] == 2
    assert items["item_24"]["direction"] == "cost"  # 信访投诉率 0.5%及以下得4分
    assert sc["item_24"]["tiers"] == [[0.5, 4], [1, 2]]
    assert items["item_25"]["bonus"] and sc["item_25"] == {"points": 3, "rule": "yesno"}
    assert items["item_04"]["standard"].startswith("达到100%得6分")
    assert [v["label"] for v in doc["veto"]] == [
        "发生重大安全生产事故或群体性事件",
        "弄虚作假、虚报考核数据",
    ]


def test_unparsed_rows_are_listed_never_guessed(imported):
    rows = dict(imported.todos)
    assert {16, 23, 30, 32, 33} <= set(rows)  # 酌情扣分, 综合评定, 视…加1-2分, vetoes
    # 按季度公开得满分，每少公开一次扣1分: a counting rule (the value: publications missed)
    assert 20 not in rows
    assert "建立长效保洁机制的得3分，机制不健全的酌情扣分" in rows[16]
    assert "第4–30行没有计算公式" in rows[4]
    items = {k: s for d in imported.doc["dimensions"].values() for k, s in d["indicators"].items()}
    assert items["item_13"]["scoring"] == {"points": 3}  # 垃圾集中处理: no rule written
    text = imported.yaml
    assert "# TODO 第16行：" in text and "# TODO 第33行：" in text
    with pytest.raises(FrameworkError):  # the TODOs keep it from loading
        parse_framework(yaml.safe_load(text))


def test_round_trip_fixture(imported, tmp_path):
    out = export_scorecard(imported.doc, tmp_path / "评分表.xlsx")
    again = import_scorecard(out)
    assert rules(again.doc) == rules(imported.doc)
    assert [r for r, _ in again.todos if r != 1] != []  # the same items still need writing
    assert {m for _, m in again.todos} == {m for _, m in imported.todos if "计算公式" not in m} | {
        m for _, m in again.todos if "计算公式" in m
    }


@pytest.mark.parametrize("doc", [points_doc(), yaml.safe_load(REPORT_FW.read_text("utf-8"))],
                         ids=["every-rule", "sample-district"])  # fmt: skip
def test_round_trip_hand_written(doc, tmp_path):
    fw = parse_framework(doc)
    out = export_scorecard(doc, tmp_path / "评分表.xlsx")
    back = import_scorecard(out)
    fw2 = parse_framework(back.doc)
    assert [(i.name, i.dimension, i.scoring, i.bonus, i.direction, i.label, i.source)
            for i in fw2.indicators.values()] == [
        (i.name, i.dimension, i.scoring, i.bonus, i.direction, i.label, i.source)
        for i in fw.indicators.values()
    ]  # fmt: skip
    assert fw2.veto == fw.veto and fw2.grades == fw.grades and fw2.bonus_cap == fw.bonus_cap
    assert back.todos == []


@pytest.mark.parametrize(
    ("spec", "cost"),
    [
        ({"points": 20, "rule": "tiers", "tiers": [[100, 20], [80, 15], [60, 10]]}, False),
        ({"points": 10, "rule": "tiers", "tiers": [[5, 10], [10, 6]]}, True),
        ({"points": 30, "rule": "linear", "full_at": 100, "zero_at": 50}, False),
        ({"points": 10, "rule": "linear", "full_at": 0, "zero_at": 20}, True),
        ({"points": 10, "rule": "yesno"}, False),
        ({"points": 40, "rule": "deduct", "from": 100, "per": 1, "deduct": 2}, False),
        (
            {
                "points": 40,
                "rule": "deduct",
                "from": 90,
                "per": 2,
                "deduct": 1.5,
                "whole_units": True,
            },
            False,
        ),
        ({"points": 5, "rule": "deduct", "from": 1, "per": 0.5, "deduct": 1}, True),
        (
            {
                "points": 4,
                "rule": "tiers",
                "tiers": [[300, 4], [100, 2]],
                "per": "village",
                "combine": "full_share",
            },
            False,
        ),
        ({"points": 4, "rule": "linear", "full_at": 300, "zero_at": 0, "per": "village"}, False),
    ],
)
def test_rule_text_parses_back(spec, cost):
    r = parse_rule("t", "scoring", spec)
    text = rule_text(r, "%", cost)
    back, direction = parse_rule_text(text, r.points, "%")
    assert back == r.to_dict(), text
    assert (direction == "cost") == cost or spec["rule"] == "linear"


def test_export_needs_points(tmp_path):
    from index.helpers import mini_doc

    with pytest.raises(FrameworkError, match="scoring"):
        export_scorecard(mini_doc(), tmp_path / "x.xlsx")


def test_cli_import_export(tmp_path, capsys):
    from commeval.cli import main

    out = tmp_path / "config" / "framework.yaml"
    assert main(["framework", "import", str(FIXTURE), "-o", str(out)]) == 0
    msg = capsys.readouterr().out
    assert "27 项" in msg and "第16行" in msg
    assert out.read_text("utf-8").startswith("# 由 评分表.xlsx 导入")
    xlsx = tmp_path / "评分表.xlsx"
    assert main(["framework", "export", str(REPORT_FW), "-o", str(xlsx)]) == 0
    from openpyxl import load_workbook

    ws = load_workbook(xlsx).active
    assert ws["A1"].value == "某县农村社区建设考核评分表"
    assert ws.print_area and "$E$" in ws.print_area
    assert main(["framework", "export", str(tmp_path / "nope.yaml"), "-o", str(xlsx)]) == 2
