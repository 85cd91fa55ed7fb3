"""Errors of the index engine.

Framework and formula errors speak Chinese first, with a hint where one helps, and keep the
English reason after it (for search and for the docs): :func:`zh` turns the engine's English
reasons into Chinese; reasons already written in Chinese pass through."""

from __future__ import annotations

import re
from typing import Any

from commeval.errors import InputError

FUNCTIONS = "share、mean、sum、min、max、median、count、clip、minimum、maximum、present、survey"
AGG_HINT = "请用 share()/mean()/sum()/count() 等汇总到乡镇，如 100 * share(x)、mean(x)"
#: English reason (regex) → Chinese (with a hint); groups are substituted (\1 …)
_ZH: list[tuple[str, str]] = [
    (r"must be one of (.+)", r"须为 \1 之一"),
    (r"must be a list from (.+)", r"须为取自 \1 的列表"),
    (
        r"unknown key; use (.+) \(or the record keys (.+)\)",
        r"未知的键（拼写错误？）；可用 \1（另有只作记录的键 \2）",
    ),
    (r"unknown key; use (.+)", r"未知的键；可用 \1"),
    (r"unknown key", "未知的键（拼写错误？请对照 docs/framework.md）"),
    (r"unknown step; use (.+)", r"未知的步骤；可用 \1"),
    (r"is required by rule (\w+)", r"规则 \1 必须写这个键"),
    (r"is required \(分值\)", "必须写分值 points"),
    (r"is required", "必须填写"),
    (r"a framework needs a version", '框架须写版本号 version（如 "2024.1"）'),
    (r"needs ≥ 2 grades.*", "至少需要两个等级 {名称: 最低分}，最低一档为 0"),
    (r"cut-offs must be distinct", "各等级的分数线不能相同"),
    (r"only for scoring: points.*", "只用于考核评分表（scoring: points）"),
    (r"weights must sum to 1", "权重之和须为 1"),
    (r"weights must be non-negative", "权重不能为负"),
    (r"must be a non-negative weight", "须为非负的权重"),
    (r"benefit target must be > 0", "正向指标的目标值须大于 0"),
    (r"target must be ≥ 0", "目标值不能为负"),
    (r"must be > 0 \(or village\)", "须大于 0（或写 village：按村评分）"),
    (r"must be > 0", "须大于 0"),
    (r"must be ≥ 0", "不能为负"),
    (r"points must be ≥ 0", "得分不能为负"),
    (r"must be true or false", "须为 true 或 false"),
    (r"must be a number \(deduct\) or village", "须为数值（deduct/units 规则）或 village"),
    (r"must be a number", "须为数值"),
    (r"must be \[\[threshold, points\], …\]", "须写成 [[分数线, 得分], …]"),
    (r"must be \[threshold, points\]", "须写成 [分数线, 得分]"),
    (r"thresholds must be distinct", "各档分数线不能相同"),
    (r"must differ from full_at", "须与 full_at 不同"),
    (r"is not a key of rule (\w+)", r"不是规则 \1 的键"),
    (r"only village \(or a number for deduct\)", "只能写 village（deduct/units 规则可写数值）"),
    (r"rule units needs deduct.*", "units 规则须写 deduct（每…扣N分）或 add（每…加N分），或两者"),
    (r"conflicts with max_add", "与 max_add 冲突（上不封顶与最多加M分只能二选一）"),
    (r"must be a mapping of names to weights", "须为 {名称: 权重} 的映射，如 {police: 0.4}"),
    (r"unknown name; use one of (.+)", r"未知的名称（拼写错误？）；可用 \1"),
    (r"weights must be finite and non-negative", "权重须为有限的非负数"),
    (r"must be a method name or a mapping", "须为方法名或映射，如 minmax 或 {method: minmax}"),
    (r"use one of (.+)", r"须为 \1 之一"),
    (r"must be a number in \[0, 1\)", "须为 [0, 1) 之间的数，如 0.25"),
    (r"must be a number in \(0, 1\), e\.g\. 0\.9", "须为 0 与 1 之间的数，如 0.9（即 90%）"),
    (r"must be a mapping.*", "须为映射（键: 值）"),
    (r"must be a list of .*", "须为列表"),
    (r"needs at least one dimension", "至少需要一个一级指标（维度）"),
    (r"needs a label", "须写中文名 label"),
    (r"needs ≥ 1 indicator", "至少需要一个指标"),
    (r"indicator names must be unique", "指标名不能重复"),
    (r"a scorecard needs ≥ 1 item that is not a bonus", "评分表至少需要一项非加分项"),
    (r"export needs scoring: points", "只能导出考核评分表（scoring: points）"),
    (
        r"unknown indicator '(\w+)'",
        r"没有指标 '\1'（判定条件只能用指标名、townships.x 和 survey(题)）",
    ),
    (r"must be in \[0, 1\)", "须在 [0, 1) 之间"),
    (r"must be in \[0, 1\]", "须在 [0, 1] 之间"),
    (r"lower < upper needed", "下限须小于上限"),
    (r"must be \[lower, upper\]", "须写成 [下限, 上限]"),
    (
        r"goalposts normalisation needs goalposts for every indicator",
        "goalposts 标准化须为每个指标写 goalposts",
    ),
    (r"not valid YAML: (.*)", r"不是有效的 YAML：\1"),
    (r"use \((.+)\)", r"可用 (\1)"),
    (
        r"Saaty's RI table covers n ≤ (\d+)",
        r"AHP 判断矩阵最多 \1 阶（Saaty 随机一致性指标表只到 n = \1）；指标多时请分组或改用 fixed 权重",
    ),
    (r"additive/multiplicative", "须为 additive（加法合成）或 multiplicative（乘法合成）"),
    (
        r"no header row with 考核内容, 分值 and 评分标准",
        "前 12 行中找不到表头：考核评分表的表头须有考核内容（或二级指标、考核指标、指标）、"
        "分值（或标准分、分数）和评分标准（或评分细则、评分办法、计分方法）三列",
    ),
    (r"not a ratio", '不是比值（如 3 或 "1/3"）'),
    (r"AHP matrix is not reciprocal.*", "AHP 判断矩阵不互反（a_ij·a_ji 须为 1）"),
    (r"AHP consistency ratio.*", "AHP 一致性比率 CR ≥ 0.10，请调整判断矩阵"),
    (r"row must have (\d+) entries", r"每行须有 \1 个数"),
    (r"must be an? (\d+)×\d+ list of lists", r"须为 \1×\1 的矩阵"),
    (r"dimensions: fixed or ahp", "一级指标的权重只能用 fixed 或 ahp"),
    (r"must be fixed or ahp", "须为 fixed 或 ahp"),
    (r"must be entropy or critic", "须为 entropy 或 critic"),
    # formula language
    (r"a formula must be a non-empty string", "公式不能为空"),
    (r"syntax error: (.*)", r"公式语法错误：\1"),
    (r"constant (.+) not allowed", r"不允许的常量 \1"),
    (
        r"(\S+) cannot be used inside an aggregation",
        r"\1 不能写在汇总函数里（乡镇的字段写在 share()/mean() 外面）",
    ),
    (r"(\S+) cannot be used outside an aggregation", r"\1 须写在汇总函数里：" + AGG_HINT),
    (r"nested aggregation (\w+)\(\.\.\.\)", r"汇总函数 \1() 不能嵌套在另一个汇总函数里"),
    (r"(\w+)\(\) takes exactly one argument", r"\1() 只接受一个参数"),
    (
        r"survey\(\) takes one survey item name, outside aggregations",
        "survey() 只接受一个问卷题名，且不能写在汇总函数里，如 survey(sat_overall)",
    ),
    (r"(\w+)\(\) takes (\d+) arguments", r"\1() 需要 \2 个参数"),
    (r"unknown function (\w+)\(\)", r"没有函数 \1()；可用 " + FUNCTIONS),
    (r"syntax (\w+) is not allowed", r"公式中不允许 \1 这种写法"),
    (r"one aggregation mixes tables (\w+) and (\w+)", r"一个汇总函数里不能同时用 \1 和 \2 两张表"),
    (r"cycle in formulas: (.*)", r"指标公式循环引用：\1"),
]


def _has_cjk(text: str) -> bool:
    return bool(re.match(r"[\u3000-\u9fff（]", text))


def zh(why: str) -> str:
    """The Chinese of an engine reason, the English kept after it; Chinese passes through."""
    if not why or _has_cjk(why):
        return why
    for pat, rep in _ZH:
        m = re.fullmatch(pat, why, flags=re.S)
        if m:
            return f"{m.expand(rep)} ({why})"
    return why


class FrameworkError(InputError, ValueError):
    """A framework file is malformed; the message names the file, key and value (in Chinese,
    with a hint, the English reason after it)."""

    def __init__(self, source: str, key: str, value: Any, why: str) -> None:
        self.source, self.key, self.value = source, key, value
        super().__init__(f"{source}：键 {key} = {value!r} 无效 — {zh(why)}")


class IndexDataError(InputError, ValueError):
    """The data cannot be evaluated (all-missing indicator, too few townships, ...)."""


class SettingsError(InputError, ValueError):
    """``evaluate(settings=...)`` has an unknown key or an invalid value; the message names the
    key, the value and what is allowed."""

    def __init__(self, key: str, value: Any, why: str) -> None:
        self.key, self.value = key, value
        self.why = why
        reason = zh(why)
        zh_part = reason[: -len(f" ({why})")] if reason.endswith(f" ({why})") else reason
        super().__init__(
            f"评估设置 {key!r} = {value!r} 无效 — {zh_part}。{SETTINGS_HINT}"
            f" (settings key {key!r} = {value!r} is invalid — {why})"
        )


#: where an evaluation's settings come from, for the hint of :class:`SettingsError`
SETTINGS_HINT = (
    "提示：设置来自 evaluate(settings=…) 或 Evaluation.regen(…) 的参数、框架文件的"
    " steps / uncertainty 键和项目 commeval.yaml 的 report.interval_level；"
    "各键及可用取值见 docs/framework.md"
)
