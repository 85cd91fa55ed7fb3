"""存在问题与建议: problems diagnosed from the data, mapped to the district report's problem
categories and to recommendations. Every finding keeps the numbers that triggered it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from commeval.district import District
from commeval.errors import InputError
from commeval.report.township import Satisfaction, indicator_table

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
            if vil is not None and (not isinstance(vil, dict) or "column" not in vil
                                    or "says" not in vil):  # fmt: skip
                raise DiagnosisConfigError(
                    f"{source}: 键 {section}.{key}.villages 应为 {{column, says, below?}} 映射"
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


def _villages_short(d: District, township: str, spec: dict[str, Any], target: float) -> str:
    """ "5个村尚无图书室：北罗、…" — the township's villages that fall short on a rule's
    village column (a yes/no column that is no, or a number below ``below``)."""
    v = d.tables["villages"]
    v = v[(v["township"] == township) & (v["year"] == d.year)]
    col = spec["column"]
    if col not in v.columns or not len(v):
        return ""
    if spec.get("pilots"):
        v = v[v["is_pilot"].astype(bool)]
    vals = v[col]
    if "below" in spec:
        limit = float(spec["below"]) if spec["below"] != "target" else float(target)
        short = v[pd.to_numeric(vals, errors="coerce").fillna(0) < limit]
    else:
        short = v[~vals.astype("boolean").fillna(False).astype(bool)]
    if short.empty:
        return ""
    names = "、".join(str(x) for x in short["village"])
    return f"{len(short)}个村{spec['says']}：{names}（全乡镇{len(v)}个村）。"


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
        elif indicator in ("units_completed", "phases_completed"):
            due = r.get("planned_units_due")
            if pd.notna(due) and built < int(due):  # only the communities behind their plan
                out.append(f"{name}已建成{built}套（截至本年度计划建成{int(due)}套）")
        elif indicator == "land_reclaimed" and r["land_reclaimed_mu"] < r["land_reclaim_target_mu"]:
            out.append(
                f"{name}已复耕{float(r['land_reclaimed_mu']):.0f}亩"
                f"（可置换{float(r['land_reclaim_target_mu']):.0f}亩）"
            )
    return "；".join(out) + "。" if out else ""


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
        cause = rule["category"]
        need = [k for k in rule.get("cause_if") or []]
        if need and not short_names.intersection(need):
            cause = SHORTFALL
        cat = rules.categories[cause]
        dg = 1 if r.unit == "%" else 2
        uncertain = ""
        link = _survey_link(d, r.indicator)
        n_resp = None
        if link is not None and sat_items is not None and link[0] in sat_items.index:
            it = sat_items.loc[link[0]]
            n_resp = int(it["n"])
            scale = 100.0 if link[1] == "top2" else 1.0
            lo = scale * float(it["top2_low" if link[1] == "top2" else "mean_low"])
            hi = scale * float(it["top2_high" if link[1] == "top2" else "mean_high"])
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
            detail = _villages_short(d, township, rule["villages"], float(r.target))
        elif r.indicator in ("households_moved_in", "units_completed", "phases_completed",
                             "land_reclaimed"):  # fmt: skip
            detail = _communities_short(d, township, r.indicator)
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
                advice=f"{detail}{rule['advice']}" if detail else rule["advice"],
                evidence=evidence_words(d, r.indicator, r.label, n_resp),
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
            cause = rule["category"]
            need = [k for k in rule.get("cause_if") or []]
            if need and not short_names.intersection(need):
                cause = SHORTFALL
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
                    advice=rule["advice"],
                    evidence=f"群众问卷“{r.label}”（{sat.n_villages}个样本村、{int(r.n)}人回答）",
                    uncertain=covers,
                )
            )
    cols = [
        "category", "category_label", "source", "key", "label", "value", "threshold",
        "district_mean", "p_value", "severity", "sentence", "advice", "evidence", "uncertain",
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
