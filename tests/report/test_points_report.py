"""The report speaks points under a scorecard framework (scoring: points); composite reports
are unchanged (the other report tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commeval.report import render, summary

FW = Path(__file__).parent / "fixtures" / "points_framework.yaml"


@pytest.fixture(scope="module")
def pdistrict(small_district, tmp_path_factory):
    from commeval.district import load_district

    return load_district(
        small_district, tmp_path_factory.mktemp("points") / "processed", framework=FW, mc_draws=60
    )


def test_evaluation_is_points(pdistrict):
    ev = pdistrict.evaluation
    assert ev.settings["scoring"] == "points"
    sc = ev.scores
    assert (sc["max_points"] == 100).all()
    assert (sc["points"] == sc["base_points"] + sc["bonus_points"]).all()
    assert (sc["bonus_points"] <= 5).all()
    assert {"rank_low", "rank_high"} <= set(sc.columns)
    assert "threshold:library_share" in set(ev.sensitivity["assumption"])


def test_overview_card_and_items(pdistrict):
    town = pdistrict.evaluation.scores.sort_values("rank")["township"].iloc[-1]
    row = pdistrict.evaluation.scores.set_index("township").loc[town]
    html = render.overview_html(pdistrict, town)
    pts = f"{row['points']:.1f}".removesuffix(".0")
    assert f"得分 {pts}（满分 100）" in html
    assert "满分 100" in html and "一级指标" in html
    items = render.indicators_html(pdistrict, town)
    assert "二、考核评分" in items and "扣分原因" in items and "得分 / 分值（满分）" in items
    assert "加分项" in items
    assert "/ 20" in items  # 村村有图书室 分值 20
    assert "未达到" in items or "未达" in items or "低" in items  # at least one reason


def test_summary_ranks_on_points(pdistrict):
    html = "".join(summary.summary_html(pdistrict))
    assert "得分" in html and "（满分 100）" in html
    rank = summary.ranking(pdistrict)
    assert rank["score"].is_monotonic_decreasing


def test_veto_shown(pdistrict):
    import copy

    import yaml

    from commeval.district import load_district  # noqa: F401
    from commeval.index import evaluate, parse_framework

    doc = yaml.safe_load(FW.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["veto"][0]["when"] = "library_share < 101"  # every township vetoed
    ev = evaluate(pdistrict.tables, parse_framework(doc), pdistrict.year, mc_draws=0)
    assert (ev.scores["grade"] == "不合格").all()
    assert (
        ev.scores["veto"]
        .str.startswith("图书室覆盖不足四成（library_share < 101；村村有图书室 = ")
        .all()
    )


def test_methods_text(pdistrict):
    from commeval.report import methods

    text = methods.method_text(pdistrict.evaluation.settings)
    assert "考核评分表" in text and "最多加5分" in text and "一票否决" in text
    assert "档位阈值" in text


def test_whole_page_renders(pdistrict):
    town = pdistrict.townships[0]
    page = render.render_township_html(pdistrict, town)
    assert "二、考核评分" in page and "七、数据说明" in page


def test_cached_evaluation_reloads(pdistrict, small_district):
    from commeval.district import load_district

    again = load_district(small_district, pdistrict.processed_dir, framework=FW, mc_draws=60)
    cols = ["township", "points", "max_points", "grade", "rank", "rank_low", "rank_high"]
    assert again.evaluation.scores[cols].equals(pdistrict.evaluation.scores[cols])
    town = pdistrict.townships[0]
    assert render.overview_html(again, town) == render.overview_html(pdistrict, town)
    assert summary.ranking(again).equals(summary.ranking(pdistrict))


def test_problems_ordered_by_points_lost(pdistrict):
    """Under a scorecard the problems are ordered by points lost (分值 − 得分), each stating it."""
    from commeval.report import township as T
    from commeval.report.diagnosis import diagnose

    ev = pdistrict.evaluation
    for town in pdistrict.townships:
        f = diagnose(pdistrict, town, T.satisfaction(pdistrict, town))
        items = ev.items(town).set_index("indicator")
        ind = f[f["source"] == "indicator"]
        lost = [float(items.loc[k, "max"] - items.loc[k, "earned"]) for k in ind["key"]]
        assert lost == sorted(lost, reverse=True), town
        for r, x in zip(ind.itertuples(), lost, strict=True):
            assert f"失{x:.1f}分" in r.sentence
        assert not any("indicator:" in s for s in f["evidence"])
