"""存在问题与建议: problems diagnosed from the data, mapped to the district report's problem
categories and to recommendations. Every finding keeps the numbers that triggered it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from commeval.district import District
from commeval.errors import InputError
from commeval.report.township import Satisfaction, composite_figure, indicator_table

RULES_FILE = "commeval/config/diagnosis.yaml"


class DiagnosisConfigError(InputError, ValueError):
    """diagnosis.yaml is malformed; the message names the file, key and value."""


@dataclass(frozen=True)
class Rules:
    categories: dict[str, dict[str, str]]
    indicators: dict[str, dict[str, Any]]
    survey_items: dict[str, dict[str, Any]]
    thresholds: dict[str, float]


#: the category of a shortfall whose cause the data do not show (a rule's ``cause_if`` unmet,
#: or an item without a rule): the problem is stated, no cause is claimed
SHORTFALL = "shortfall"
SHORTFALL_LABEL = {"label": "未达目标", "hint": "数据显示差距，原因有待核实"}


#: the keys of a rule's ``villages`` (see config/diagnosis.yaml and :func:`_villages_short`)
VILLAGE_KEYS = frozenset(
    {"column", "columns", "says", "below", "equals", "per", "among", "pilots", "noun", "share",
     "show", "cap"}
)  # fmt: skip


def load_rules(path: str | Path | None = None) -> Rules:
    """Load and validate diagnosis rules: a project's ``config/diagnosis.yaml`` or, by
    default, the packaged rules (parsed once per file content)."""
    if path is None:
        res = resources.files("commeval") / "config" / "diagnosis.yaml"
        return _parse_rules(res.read_text(encoding="utf-8"), RULES_FILE)
    return _parse_rules(Path(path).read_text(encoding="utf-8"), str(path))


@cache
def _parse_rules(text: str, source: str) -> Rules:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DiagnosisConfigError(f"{source}: 不是有效的 YAML — {exc}") from None
    if not isinstance(doc, dict):
        raise DiagnosisConfigError(f"{source}: 应为一个映射（categories, indicators, …）")
    cats = {SHORTFALL: SHORTFALL_LABEL, **(doc.get("categories") or {})}
    for section in ("indicators", "survey_items"):
        for key, rule in (doc.get(section) or {}).items():
            if not isinstance(rule, dict) or rule.get("category") not in cats:
                raise DiagnosisConfigError(
                    f"{source}: 键 {section}.{key}.category 的值 "
                    f"{(rule or {}).get('category')!r} 不是已定义的问题类别 {sorted(cats)}"
                )
            if not rule.get("advice"):
                raise DiagnosisConfigError(f"{source}: 键 {section}.{key}.advice 为空")
            for k in rule.get("cause_if") or []:
                if not isinstance(k, str):
                    raise DiagnosisConfigError(
                        f"{source}: 键 {section}.{key}.cause_if 的值 {k!r} 应为指标名"
                    )
            vil = rule.get("villages")
            if vil is not None and (
                not isinstance(vil, dict)
                or ("column" not in vil and not isinstance(vil.get("columns"), list))
                or "says" not in vil
            ):
                raise DiagnosisConfigError(
                    f"{source}: 键 {section}.{key}.villages 应为 {{column 或 columns, says, "
                    "below?, equals?, per?, among?, noun?, share?, show?, cap?}} 映射"
                )
            unknown = sorted(set(vil or {}) - VILLAGE_KEYS)
            if unknown:
                raise DiagnosisConfigError(
                    f"{source}: 键 {section}.{key}.villages.{unknown[0]} 不是已知的键 "
                    f"{sorted(VILLAGE_KEYS)}"
                )
    if not isinstance(doc.get("thresholds"), dict):
        raise DiagnosisConfigError(f"{source}: 缺少 thresholds 映射")
    return Rules(
        cats, doc.get("indicators") or {}, doc.get("survey_items") or {}, doc["thresholds"]
    )


def _num(v: float, unit: str, digits: int | None = None) -> str:
    unit = "" if unit in ("是=1",) else unit
    if unit == "%":
        return f"{v:.{1 if digits is None else digits}f}%"
    if digits is not None:
        return f"{v:,.{digits}f}{unit}"
    return f"{v:,.2f}{unit}" if abs(v) < 100 else f"{v:,.0f}{unit}"


def _p(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _top2_wording(d: District, item: str) -> str:
    """What the top-2 box of a Likert item is, in the contract's answer labels:
    "“比较满意”及以上的比例" (or "“比较愿意”及以上…" for willingness to move)."""
    from commeval.survey.questionnaire import TOP2

    codes = d.contract["survey"].fields[item].codes or {}
    low = codes.get(min(TOP2))
    return f"“{low}”及以上的比例" if low else "前两项比例"


#: where an indicator's figures come from, in words (by the tables its formula reads)
SOURCE_WORDS = {
    "communities": "新型农村社区建设报表",
    "townships": "乡镇报表",
    "survey": "群众问卷调查",
    "villages": "村级台账",
}


def evidence_words(d: District, indicator: str, label: str, n: int | None = None) -> str:
    """The evidence of a finding in words (never an internal id): the indicator's name and
    the data it is computed from."""
    fw = d.framework
    ind = fw.indicators.get(indicator) if fw is not None else None
    text = str(ind.source) if ind is not None else ""
    where = [w for k, w in SOURCE_WORDS.items() if (f"{k}." in text or f"{k}(" in text)]
    if not where and ind is not None and "survey" not in text and "townships" not in text:
        where = [SOURCE_WORDS["villages"]]
    if "survey(" in text and n:
        where = [f"群众问卷调查（{n}人）" if w == "群众问卷调查" else w for w in where]
    return f"“{label}”" + (f"，数据来自{'、'.join(dict.fromkeys(where))}" if where else "")


def _level(d: District) -> str:
    opts = d.options
    return opts.level_of(d.name) if hasattr(opts, "level_of") else "区"


def _truthy(s: pd.Series) -> pd.Series:
    """Rows where a column holds a yes (bool) or any non-empty value (a name, a number > 0)."""
    if pd.api.types.is_bool_dtype(s.dtype) or str(s.dtype) == "boolean":
        return s.astype("boolean").fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return pd.to_numeric(s, errors="coerce").fillna(0) > 0
    return s.notna() & (s.astype("string").str.strip().fillna("") != "")


def _fmt_value(x: float, unit: str) -> str:
    unit = "" if unit == "是=1" else unit
    return f"{x:,.0f}{unit}" if float(x).is_integer() else f"{x:,.1f}{unit}"


def _villages_short(
    d: District, township: str, spec: dict[str, Any], target: float, unit: str = ""
) -> str:
    """ "5个村尚无图书室：北罗、…" — the township's villages that fall short on a rule's
    village columns, and the size of the gap. ``column`` (or ``columns``: several, a village
    falls short on any and the page names what it lacks — "北罗（缺路通、改厕）"); a yes/no
    column that is no, a number below ``below`` (a number or ``target``; ``per``: the column
    divided by another, e.g. funding per person), or a level equal to ``equals``; ``among``:
    only the villages where that column is yes or filled (``pilots: true``: the pilot
    villages), counted as ``noun`` (试点村, 结对村); ``share: true`` when the indicator is the
    share of these villages that meet it (the page adds how many more villages reach the
    target); ``show: value`` prints each village's value; at most ``cap`` names (default 10),
    then "等N个村". A blank village is not counted as falling short (nor in the denominator)."""
    v = d.tables["villages"]
    v = v[(v["township"] == township) & (v["year"] == d.year)]
    cols = list(spec.get("columns") or [spec["column"]])
    per = spec.get("per")
    among = spec.get("among") or ("is_pilot" if spec.get("pilots") else None)
    need_cols = cols + [c for c in (per, among) if c]
    if not len(v) or any(c not in v.columns for c in need_cols):
        return ""
    if among:
        v = v[_truthy(v[among]).to_numpy()]
        if v.empty:
            return ""
    noun = str(spec.get("noun", "村"))
    below = spec.get("below")
    limit = None if below is None else float(target if below == "target" else below)
    fields = d.contract["villages"].fields
    oks, answered, values = [], [], None
    for c in cols:
        x = v[c]
        if per:
            den = pd.to_numeric(v[per], errors="coerce").astype(float)
            x = pd.to_numeric(x, errors="coerce").astype(float) / den.where(den > 0)
        if limit is not None:
            x = pd.to_numeric(x, errors="coerce").astype(float)
            answered.append(x.notna().to_numpy())
            oks.append((x >= limit).to_numpy())
            values = x.to_numpy() if len(cols) == 1 else None
        elif "equals" in spec:
            answered.append(x.notna().to_numpy())
            oks.append((x.astype("string") != str(spec["equals"])).fillna(True).to_numpy(bool))
        elif pd.api.types.is_bool_dtype(x.dtype) or str(x.dtype) == "boolean":
            b = x.astype("boolean")
            answered.append(b.notna().to_numpy())
            oks.append(b.fillna(False).to_numpy(dtype=bool))
        else:  # a name (结对部门): present or not, as the formulas' present() reads it
            answered.append(np.ones(len(x), dtype=bool))
            oks.append(_truthy(x).to_numpy(dtype=bool))
    ok = np.column_stack(oks)
    blank = ~np.column_stack(answered).all(axis=1)
    lacks = ~ok & ~blank[:, None]
    short = lacks.any(axis=1)
    k = int(short.sum())
    if not k:
        return ""
    names = v["village"].astype(str).to_numpy()
    order = np.flatnonzero(short)
    if len(cols) > 1:
        order = order[np.argsort(-lacks[order].sum(axis=1), kind="stable")]
    elif values is not None:
        order = order[np.argsort(values[order], kind="stable")]
    shown = []
    show_unit = unit if per else (fields[cols[0]].unit or "" if cols[0] in fields else "")
    for i in order[: int(spec.get("cap", 10))]:
        if len(cols) > 1:
            what = "、".join(
                fields[c].label if c in fields else c for c, bad in zip(cols, lacks[i]) if bad
            )
            shown.append(f"{names[i]}（缺{what}）")
        elif spec.get("show") == "value" and values is not None:
            shown.append(f"{names[i]}（{_fmt_value(values[i], show_unit)}）")
        else:
            shown.append(names[i])
    more = f"等{k}个{noun}" if k > len(shown) else ""
    says = str(spec["says"]).replace("{level}", _level(d)).replace("{target}", f"{target:g}")
    n = len(v)
    notes = [f"全乡镇{n}个{noun}"]
    if blank.any():
        notes.append(f"另有{int(blank.sum())}个{noun}未填，不计入")
    if len(cols) > 1:
        notes.append(f"共缺{int(lacks.sum())}项")
    if spec.get("share") and unit == "%":
        met = int((~blank).sum()) - k
        need = math.ceil(float(target) / 100 * int((~blank).sum()) - 1e-9) - met
        if 0 < need < k:
            notes.append(f"达到目标{target:g}%还需{need}个{noun}达标")
    return f"{k}个{noun}{says}：{'、'.join(shown)}{more}（{'；'.join(notes)}）。"


def _communities_short(d: District, township: str, indicator: str) -> str:
    """The township's communities behind a new-community finding, with their own numbers."""
    c = d.tables["communities"]
    c = c[(c["township"] == township) & (c["year"] == d.year)]
    if c.empty:
        return ""
    out = []
    for r in c.to_dict("records"):
        name = r["community"] + (f"（{r['alias']}）" if pd.notna(r.get("alias")) else "")
        built = int(r["completed_units"])
        if indicator == "households_moved_in" and built > 0:
            out.append(f"{name}已建成{built}套、入住{int(r['households_moved_in'])}户")
        elif indicator == "units_completed":
            due = r.get("planned_units_due")
            if pd.notna(due) and built < int(due):  # only the communities behind their plan
                out.append(
                    f"{name}已建成{built}套（截至本年度计划建成{int(due)}套，差{int(due) - built}套）"
                )
        elif indicator == "phases_completed":
            due, done = r.get("phases_due"), int(r["phases_completed"])
            if pd.notna(due) and done < int(due):
                out.append(
                    f"{name}已完成{done}期（截至本年度计划完成{int(due)}期，差{int(due) - done}期）"
                )
        elif indicator == "land_reclaimed":
            due = r.get("land_reclaim_due_mu")
            done = float(r["land_reclaimed_mu"])
            if pd.notna(due) and done < float(due):  # only the communities behind their plan
                out.append(
                    f"{name}已复耕{_fmt_value(done, '亩')}"
                    f"（截至本年度计划复耕{_fmt_value(float(due), '亩')}，"
                    f"差{_fmt_value(float(due) - done, '亩')}）"
                )
    return "；".join(out) + "。" if out else ""


def _fig(v: float, unit: str) -> str:
    """A cause indicator's value or target as a sentence prints it."""
    if unit == "是=1":
        return "是" if float(v) >= 0.5 else "否"
    if unit == "%":
        return f"{float(v):.1f}%"
    return f"{float(v):,.2f}".rstrip("0").rstrip(".") + unit


def _cause(
    d: District,
    rule: dict[str, Any],
    rules: Rules,
    ind: pd.DataFrame,
    short_names: set[str],
) -> tuple[str, str]:
    """The category of a finding and the evidence for it, in words: "归类为资金不足：人均社区
    建设投入为13.54元/人，低于目标50元/人" when a ``cause_if`` indicator falls short too; when
    none does, the finding is 未达目标 and the words say why the rule's cause is not claimed
    ("未归为资金不足：人均社区建设投入为62元/人，已达到目标50元/人……"); a rule whose
    indicator measures its cause itself says so (its ``because``)."""
    cause = rule["category"]
    label = rules.categories[cause]["label"]
    floor = float(rules.thresholds.get("occupancy_floor", 0.5))
    because = str(rule.get("because") or "").replace("{level}", _level(d))
    because = because.replace("{occupancy_floor}", f"{100 * floor:g}%")
    need = list(rule.get("cause_if") or [])
    if not need:
        if cause == SHORTFALL:
            return cause, f"列为未达目标：{because or '数据只显示差距，不能据此判断原因，有待核实'}"
        return cause, f"归类为{label}：{because or '该指标直接反映这一类问题'}"
    rows = ind.set_index("indicator")
    facts_short, facts_ok = [], []
    for k in need:
        if k not in rows.index:
            continue
        r = rows.loc[k]
        if k in short_names:
            facts_short.append(
                f"{r['label']}为{_fig(r['value'], r['unit'])}，低于目标{_fig(r['target'], r['unit'])}"
            )
        elif pd.isna(r["value"]) or not bool(pd.notna(r["applicable"]) and r["applicable"]):
            facts_ok.append(f"没有“{r['label']}”的数据")
        else:
            facts_ok.append(
                f"{r['label']}为{_fig(r['value'], r['unit'])}，已达到目标{_fig(r['target'], r['unit'])}"
            )
    if facts_short:
        return cause, f"归类为{label}：" + "；".join(facts_short)
    missing = "；".join(facts_ok) or "没有判断原因所需的数据"
    return SHORTFALL, f"未归为{label}：{missing}，数据不支持这一原因，原因有待核实"


def diagnose(d: District, township: str, sat: Satisfaction | None = None) -> pd.DataFrame:
    """Findings for a township, weakest first (points mode: by points lost): category,
    label, sentence, advice, evidence (in words) and the trigger (source, key, value,
    target/threshold, district_mean, p_value). A finding is raised only when the data
    support it: a category (cause) only when the rule's ``cause_if`` indicators also fall
    short, else it is stated as 未达目标; a survey figure whose 95 % interval covers its
    threshold is worded as uncertain; willingness to move in (观念滞后) only from the
    occupancy of built units."""
    rules = load_rules(d.diagnosis_file)
    lv = _level(d)
    ev = d.evaluation
    itemised = ev.scheme.itemised
    rows: list[dict[str, Any]] = []
    items = ev.items(township).set_index("indicator")
    ind = indicator_table(d, township)
    ind = ind.merge(
        items[["earned", "max", "reason", "bonus"]], left_on="indicator", right_index=True,
        how="left",
    )  # fmt: skip
    missed = ~ind["attained"].astype("boolean").fillna(True).to_numpy(dtype=bool)
    ok = ind["applicable"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    short_names = set(ind.loc[ok & missed, "indicator"])
    weak = ind[ok & missed & ~ind["bonus"].fillna(False).astype(bool).to_numpy()].copy()
    weak["gap"] = (weak["max"] - weak["earned"]) if itemised else 100 - weak["normalised"]
    sat_items = sat.items.set_index("variable") if sat is not None else None
    occupancy_floor = float(rules.thresholds.get("occupancy_floor", 0.5))
    for r in weak.sort_values("gap", ascending=False).itertuples():
        rule = rules.indicators.get(r.indicator) or {
            "category": SHORTFALL,
            "advice": f"对照{'评分标准' if itemised else '目标'}逐项整改“{r.label}”。",
        }
        if r.indicator == "households_moved_in" and r.value >= 100 * occupancy_floor:
            continue  # most built units are occupied: willingness is not the bottleneck
        cause, cause_words = _cause(d, rule, rules, ind, short_names)
        cat = rules.categories[cause]
        dg = 1 if r.unit == "%" else 2
        uncertain = ""
        link = _survey_link(d, r.indicator)
        n_resp = None
        interval: tuple[float, float] | None = None
        if link is not None and sat_items is not None and link[0] in sat_items.index:
            it = sat_items.loc[link[0]]
            n_resp = int(it["n"])
            scale = 100.0 if link[1] == "top2" else 1.0
            interval = (
                scale * float(it["top2_low" if link[1] == "top2" else "mean_low"]),
                scale * float(it["top2_high" if link[1] == "top2" else "mean_high"]),
            )
        elif link is None and sat is not None:  # an average of several items, from the design
            comp = composite_figure(d, r.indicator)
            mine = comp[comp["township"] == township] if comp is not None else None
            if mine is not None and len(mine):
                n_resp = int(mine["n"].iloc[0])
                interval = (float(mine["ci_low"].iloc[0]), float(mine["ci_high"].iloc[0]))
        if interval is not None:
            lo, hi = interval
            if lo <= float(r.target) <= hi:
                uncertain = (
                    f"但95%置信区间为{_num(lo, r.unit, dg)}–{_num(hi, r.unit, dg)}，"
                    "覆盖目标，差异在抽样误差范围内，尚不能确定未达标"
                )
        if r.unit == "是=1":  # a yes/no requirement of the township itself
            sentence = (
                f"{r.label}：尚未达到要求（全{lv}{100 * r.district_mean:.0f}%的乡镇已达到）。"
            )
        else:
            while dg < 3 and round(float(r.value), dg) == round(float(r.target), dg):
                dg += 1
            gap = abs(float(r.target) - float(r.value))
            gap_unit = "个百分点" if r.unit == "%" else r.unit
            sentence = (
                f"{r.label}为{_num(r.value, r.unit, dg)}，未达到目标{_num(r.target, r.unit)}"
                f"（差{gap:,.{dg}f}{gap_unit}；全{lv}平均{_num(r.district_mean, r.unit, dg)}）"
                + (f"，{uncertain}" if uncertain else "") + "。"
            )  # fmt: skip
        if itemised:
            sentence = sentence[:-1] + f"，失{float(r.gap):.1f}分。"
        detail = ""
        if rule.get("villages"):
            detail = _villages_short(d, township, rule["villages"], float(r.target), r.unit)
        elif r.indicator in ("households_moved_in", "units_completed", "phases_completed",
                             "land_reclaimed"):  # fmt: skip
            detail = _communities_short(d, township, r.indicator)
        advice = str(rule["advice"]).replace("{level}", lv)
        rows.append(
            dict(
                category=cause,
                category_label=cat["label"],
                source="indicator",
                key=r.indicator,
                label=r.label,
                value=float(r.value),
                threshold=float(r.target),
                district_mean=float(r.district_mean),
                p_value=float("nan"),
                severity=float(r.gap) * (0.5 if uncertain and not itemised else 1.0),
                sentence=sentence,
                advice=f"{detail}{advice}" if detail else advice,
                evidence=f"{evidence_words(d, r.indicator, r.label, n_resp)}；{cause_words}",
                cause_evidence=cause_words,
                uncertain=bool(uncertain),
            )
        )
    if sat is not None:
        alpha = float(rules.thresholds["significance"])
        floor = float(rules.thresholds["top2_floor"])
        for r in sat.items.itertuples():
            rule = rules.survey_items.get(r.variable)
            if rule is None or r.small_cell:
                continue
            worse = r.vs_district < 0 and r.vs_district_p < alpha
            low = r.top2 < floor
            if not (worse or low):
                continue
            covers = low and not worse and r.top2_high >= floor
            cause, cause_words = _cause(d, rule, rules, ind, short_names)
            cat = rules.categories[cause]
            what = _top2_wording(d, r.variable)
            parts = [
                f"群众对“{r.label}”的{what}为{100 * r.top2:.1f}%"
                f"（95%置信区间{100 * r.top2_low:.1f}%–{100 * r.top2_high:.1f}%，{int(r.n)}人回答）"
            ]
            if worse:
                parts.append(
                    f"平均分{r.mean:.2f}，显著低于{lv}内其他乡镇的{r.district_mean:.2f}"
                    f"（按抽样设计检验 {_p(r.vs_district_p)}）"
                )
            elif covers:
                parts.append(
                    f"低于{100 * floor:.0f}%的警戒线，但置信区间覆盖警戒线，"
                    "差异在抽样误差范围内，尚不能确定偏低"
                )
            else:
                parts.append(f"低于{100 * floor:.0f}%的警戒线（置信区间整体在警戒线以下）")
            rows.append(
                dict(
                    category=cause,
                    category_label=cat["label"],
                    source="survey",
                    key=r.variable,
                    label=r.label,
                    value=float(r.top2),
                    threshold=floor,
                    district_mean=float(r.district_mean),
                    p_value=float(r.vs_district_p),
                    severity=(100 * (floor - r.top2) + (30 if worse else 0))
                    * (0.3 if covers else 1.0),
                    sentence="，".join(parts) + "。",
                    advice=str(rule["advice"]).replace("{level}", lv),
                    evidence=f"群众问卷“{r.label}”（{sat.n_villages}个样本村、{int(r.n)}人回答）"
                    f"；{cause_words}",
                    cause_evidence=cause_words,
                    uncertain=covers,
                )
            )
    cols = [
        "category", "category_label", "source", "key", "label", "value", "threshold",
        "district_mean", "p_value", "severity", "sentence", "advice", "evidence", "cause_evidence",
        "uncertain",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values("severity", ascending=False, kind="stable")
    return out.head(int(rules.thresholds["weakest"])).reset_index(drop=True)


def _survey_link(d: District, indicator: str) -> tuple[str, str] | None:
    """(item, "mean" | "top2") when an indicator is one survey estimate."""
    import re

    fw = d.framework
    ind = fw.indicators.get(indicator) if fw is not None else None
    if ind is None:
        return None
    text = " ".join(str(ind.source).split())
    m = re.fullmatch(r"(?:100 \* )?survey\((\w+)\)", text)
    if not m:
        return None
    item = m.group(1)
    return (item[: -len("_top2")], "top2") if item.endswith("_top2") else (item, "mean")
