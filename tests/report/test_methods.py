"""The 数据说明 method summary follows the evaluation's settings: evaluate with other settings
and the sentence (and the page) says so."""

from __future__ import annotations

import dataclasses

import pytest

from commeval.index import evaluate
from commeval.report import methods, render


@pytest.fixture(scope="module")
def variant(district):
    """The same district evaluated with min–max normalisation, geometric aggregation across
    dimensions and 40 Monte Carlo draws without weight noise."""
    ev = evaluate(
        district.tables,
        district.framework,
        year=district.year,
        survey=district.survey_estimates,
        mc_draws=40,
        sensitivity=False,
        settings={
            "normalisation": "minmax",
            "aggregation": {"method": "geometric", "within": "arithmetic"},
            "uncertainty": {"weight_noise": 0.0},
        },
    )
    return dataclasses.replace(district, evaluation=ev)


def test_default_settings_sentence(district):
    s = district.evaluation.settings
    text = methods.method_text(s)
    assert "距目标距离" in text and "维度内和维度间加权算术平均" in text
    draws = s["uncertainty"]["draws"]
    assert f"{draws}次蒙特卡洛模拟" in text
    assert "各权重在±25%内随机扰动" in text
    assert "距目标距离、极差标准化之间随机选取" in text
    assert "专家赋权（固定权重）" in text
    assert (
        methods.framework_text(s)
        == f"{district.framework.name}（版本 {district.framework.version}）"
    )


def test_sentence_changes_with_the_settings(district, variant):
    before = methods.method_text(district.evaluation.settings)
    after = methods.method_text(variant.evaluation.settings)
    assert after != before
    assert "极差（最小值–最大值）标准化" in after and "距目标距离”标准化" not in after
    assert "维度内加权算术平均、维度间加权几何平均" in after
    assert "40次蒙特卡洛模拟" in after and "随机扰动" not in after
    # the page shows the evaluation's own sentence
    page = render.provenance_html(variant, variant.townships[0])
    assert "40次蒙特卡洛模拟" in page and "维度间加权几何平均" in page
    assert "按“距目标距离”标准化" not in page
    overview = render.overview_html(variant, variant.townships[0])
    # the overview speaks plainly to a cadre; the technical detail is in 数据说明
    assert "蒙特卡洛" not in overview and "方法细节见数据说明" in overview


def test_weighting_and_other_methods_are_named(district):
    s = dict(district.evaluation.settings)
    dims = list(s["weighting"])
    s["weighting"] = {d: ("entropy" if i < 2 else "fixed") for i, d in enumerate(dims)}
    s["dimension_weighting"] = "ahp"
    s["aggregation"] = {"method": "topsis"}
    s["imputation"] = {"method": "mean"}
    s["outliers"] = {"method": "winsorise"}
    text = methods.method_text(s)
    assert "2个维度采用熵权法" in text and f"{len(dims) - 2}个维度采用专家赋权" in text
    assert "维度权重采用层次分析法（AHP）" in text
    assert "TOPSIS" in text and "缺失值以全区均值插补" in text and "缩尾" in text
    s["uncertainty"] = {"draws": 0}
    assert "未做蒙特卡洛模拟" in methods.method_text(s)
    assert "排名区间即排名本身" in methods.interval_text(s)


def test_the_interval_level_is_the_one_evaluated(district):
    """An evaluation at an 80 % level says 80 % in the method text, the summary's note and the
    rank-interval chart; the default says 90 %."""
    import matplotlib.pyplot as plt

    from commeval.report import charts

    assert "的90%区间" in methods.method_text(district.evaluation.settings)
    ev = evaluate(
        district.tables, district.framework, year=district.year,
        survey=district.survey_estimates, mc_draws=20, sensitivity=False, level=0.8,
    )  # fmt: skip
    s = ev.settings
    assert methods.level_text(s) == "80%"
    assert "的80%区间" in methods.method_text(s) and "80%区间" in methods.interval_note(s)
    fig = charts.rank_intervals(ev.scores, level=methods.interval_level(s))
    labels = [ax.get_xlabel() for ax in fig.axes]
    plt.close(fig)
    assert any("80%区间" in lbl for lbl in labels) and not any("90%" in lbl for lbl in labels)
