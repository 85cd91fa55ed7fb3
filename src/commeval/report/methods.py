"""The 数据说明 method summary, written from the settings an evaluation recorded
(:attr:`commeval.index.Evaluation.settings`): evaluate with other settings and the sentence
says so. Plain text (the renderer escapes it); every method the index engine knows has its
wording here, an unknown one is named as it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from commeval.index.result import scheme_of

NORMALISATION = {
    "target": "按“距目标距离”标准化为0–100分（达到目标即满分）",
    "minmax": "按极差（最小值–最大值）标准化为0–100分",
    "zscore": "按Z分数（均值为0、标准差为1）标准化",
    "rank": "按百分位名次标准化为0–100分",
    "goalposts": "按固定上下限标准化为0–100分",
}
#: short names, for the Monte Carlo alternatives
NORMALISATION_SHORT = {
    "target": "距目标距离",
    "minmax": "极差标准化",
    "zscore": "Z分数",
    "rank": "百分位名次",
    "goalposts": "固定上下限",
}
WEIGHTING = {
    "fixed": "专家赋权（固定权重）",
    "ahp": "层次分析法（AHP）",
    "entropy": "熵权法",
    "critic": "CRITIC法",
    "combined": "组合赋权（专家权重与熵权组合）",
}
MEAN = {"arithmetic": "加权算术平均", "geometric": "加权几何平均"}
AGGREGATION = {
    "topsis": "TOPSIS法（与理想解的相对接近度）",
    "grey": "灰色关联分析",
    "fuzzy": "模糊综合评价",
}
AGGREGATION_SHORT = {**MEAN, **AGGREGATION}
IMPUTATION = {
    "none": "",
    "mean": "缺失值以全区均值插补",
    "median": "缺失值以全区中位数插补",
    "group_median": "缺失值以同类乡镇中位数插补",
}
SURVEY = "群众满意度为分层两阶段抽样设计下的加权估计（泰勒线性化方差）"


def _name(table: Mapping[str, str], method: Any) -> str:
    return table.get(str(method), str(method))


def _list(table: Mapping[str, str], methods: Any) -> str:
    return "、".join(_name(table, m) for m in methods or [])


def _weighting(settings: Mapping[str, Any]) -> str:
    """Indicator weights within dimensions (one method, or each method with its share of the
    dimensions) and dimension weights."""
    per_dim = dict(settings.get("weighting") or {})
    used = list(dict.fromkeys(per_dim.values()))
    if len(used) == 1:
        within = f"维度内指标权重采用{_name(WEIGHTING, used[0])}"
    elif used:
        counts = "，".join(
            f"{sum(1 for m in per_dim.values() if m == u)}个维度采用{_name(WEIGHTING, u)}"
            for u in used
        )
        within = f"维度内指标权重：{counts}"
    else:
        within = ""
    dim = settings.get("dimension_weighting")
    across = f"维度权重采用{_name(WEIGHTING, dim)}" if dim else ""
    return "，".join(p for p in (within, across) if p)


def _aggregation(settings: Mapping[str, Any]) -> str:
    agg = dict(settings.get("aggregation") or {})
    method = str(agg.get("method", "arithmetic"))
    within = str(agg.get("within", "arithmetic"))
    if method in AGGREGATION:
        return f"全部指标按有效权重以{AGGREGATION[method]}合成综合得分"
    if method == within:
        return f"维度内和维度间{_name(MEAN, method)}得到综合得分"
    return f"维度内{_name(MEAN, within)}、维度间{_name(MEAN, method)}得到综合得分"


def _uncertainty(settings: Mapping[str, Any]) -> str:
    unc = dict(settings.get("uncertainty") or {})
    draws = int(unc.get("draws") or 0)
    if draws <= 0:
        return "未做蒙特卡洛模拟，排名区间即排名本身。"
    parts = []
    noise = unc.get("weight_noise")
    if noise:
        parts.append(f"各权重在±{100 * float(noise):.0f}%内随机扰动")
    if len(unc.get("normalisations") or []) > 1:
        parts.append(f"标准化方法在{_list(NORMALISATION_SHORT, unc['normalisations'])}之间随机选取")
    if len(unc.get("aggregations") or []) > 1:
        parts.append(f"合成方法在{_list(AGGREGATION_SHORT, unc['aggregations'])}之间随机选取")
    if unc.get("thresholds"):
        parts.append("各项评分标准的档位阈值随机上移或下移一档（按评分表自身的计分单位）")
    if unc.get("survey_error"):
        parts.append("问卷指标按其抽样误差随机抽取")
    how = f"（每次{'，'.join(parts)}）" if parts else ""
    return f"排名区间为{draws}次蒙特卡洛模拟{how}的{level_text(settings)}区间。"


def interval_level(settings: Mapping[str, Any]) -> float:
    """The level of the Monte Carlo rank and score intervals (``uncertainty.level``, 0.90 when
    the settings predate it)."""
    return float((settings.get("uncertainty") or {}).get("level") or 0.90)


def level_text(settings: Mapping[str, Any]) -> str:
    """The interval level as printed: "90%", "95%", "80%"."""
    return f"{100 * interval_level(settings):g}%"


def varied_assumptions(settings: Mapping[str, Any]) -> list[str]:
    """What the Monte Carlo draws varied (empty without draws)."""
    unc = dict(settings.get("uncertainty") or {})
    if int(unc.get("draws") or 0) <= 0:
        return []
    varied = []
    if unc.get("weight_noise"):
        varied.append("权重")
    if len(unc.get("normalisations") or []) > 1:
        varied.append("标准化方法")
    if len(unc.get("aggregations") or []) > 1:
        varied.append("合成方法")
    if unc.get("thresholds"):
        varied.append("评分档位阈值")
    if unc.get("survey_error"):
        varied.append("问卷抽样误差")
    return varied


def interval_text(settings: Mapping[str, Any]) -> str:
    """One sentence on where a rank interval comes from, for the 综合评价 section."""
    draws = int((settings.get("uncertainty") or {}).get("draws") or 0)
    if draws <= 0:
        return "本次评价未做蒙特卡洛模拟，排名区间即排名本身。"
    varied = varied_assumptions(settings)
    what = f"对{'、'.join(varied)}的" if varied else ""
    return f"排名区间来自{what}{draws}次蒙特卡洛模拟，区间越宽，排名越不确定。"


def interval_note(settings: Mapping[str, Any]) -> str:
    """A short note on the rank intervals, for the district summary's header."""
    draws = int((settings.get("uncertainty") or {}).get("draws") or 0)
    if draws <= 0:
        return "未做蒙特卡洛模拟，不给排名区间。"
    return f"排名区间为{draws}次蒙特卡洛模拟的{level_text(settings)}区间。"


def method_sentences(settings: Mapping[str, Any]) -> list[str]:
    """The method summary of an evaluation, from its recorded ``settings``: how indicators
    were built, normalised, weighted and aggregated, how survey figures were estimated, and
    where the rank intervals come from."""
    if scheme_of(settings).itemised:  # a scorecard (scoring: points)
        return [points_text(settings), _uncertainty(settings)]
    imp = _name(IMPUTATION, (settings.get("imputation") or {}).get("method", "none"))
    out = (settings.get("outliers") or {}).get("method", "none")
    prep = "，".join(
        p for p in (imp, "偏态严重的指标做缩尾处理" if out == "winsorise" else "") if p
    )
    norm = _name(NORMALISATION, (settings.get("normalisation") or {}).get("method", "target"))
    first = (
        f"村级数据按乡镇汇总为指标值{'（' + prep + '）' if prep else ''}，{norm}；"
        f"{_weighting(settings)}，{_aggregation(settings)}；{SURVEY}。"
    )
    return [first, _uncertainty(settings)]


def method_text(settings: Mapping[str, Any]) -> str:
    """:func:`method_sentences` as one paragraph."""
    return "".join(method_sentences(settings))


def framework_text(settings: Mapping[str, Any]) -> str:
    """The framework an evaluation used, by name and version, from its settings."""
    fw = settings.get("framework") or {}
    return f"{fw.get('name', '')}（版本 {fw.get('version', '')}）"


def points_text(settings: Mapping[str, Any]) -> str:
    """How a scorecard (``scoring: points``) scores: the method sentence of 数据说明."""
    cap = settings.get("bonus_cap")
    bonus = f"加分项另计，最多加{cap:g}分" if cap is not None else "加分项另计"
    veto = settings.get("veto") or []
    v = (
        f"；设一票否决项{len(veto)}项（{'、'.join(x['label'] for x in veto)}），"
        "触发者等级按否决项确定，得分照计"
        if veto
        else ""
    )
    return (
        "本次评价按考核评分表计分：村级数据按乡镇汇总为各考核内容的数值，逐项按评分标准"
        f"（分档、按比例、有无、扣分）计得分，基本分为各项得分之和，{bonus}{v}；"
        f"等级按总得分划分；{SURVEY}。"
    )


#: how a dimension that does not apply to a township is treated (framework ``not_applicable``)
NOT_APPLICABLE = {
    "renormalise": "权重按比例分摊到该乡镇的其余维度（既不加分也不扣分）",
    "neutral": "按适用乡镇在该维度的平均分计入",
    "separate": "单列报告，不计入任何乡镇的综合得分",
}


def not_applicable_text(settings: Mapping[str, Any]) -> str:
    """How dimensions that do not apply to a township were treated, from the settings."""
    if scheme_of(settings).itemised:
        return "不适用的考核内容不计分，该乡镇的满分相应减少。"
    modes = dict(settings.get("not_applicable") or {})
    used = list(dict.fromkeys(modes.values())) or ["renormalise"]
    parts = "；".join(
        f"{'、'.join(d for d, m in modes.items() if m == u) + '：' if len(used) > 1 else ''}"
        f"{_name(NOT_APPLICABLE, u)}"
        for u in used
    )
    return (
        f"某一维度对某乡镇不适用（如没有新型农村住宅社区建设任务）时，{parts}。"
        "多年建设项目按截至评估年度计划应完成的量衡量；数据未给出分年计划的，只报告进度，不按全部建成计为差距。"
    )
