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
    indicators: dict[str, dict[str, str]]
    survey_items: dict[str, dict[str, str]]
    thresholds: dict[str, float]


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
    cats = doc.get("categories") or {}
    for section in ("indicators", "survey_items"):
        for key, rule in (doc.get(section) or {}).items():
            if not isinstance(rule, dict) or rule.get("category") not in cats:
                raise DiagnosisConfigError(
                    f"{source}: 键 {section}.{key}.category 的值 "
                    f"{(rule or {}).get('category')!r} 不是已定义的问题类别 {sorted(cats)}"
                )
            if not rule.get("advice"):
                raise DiagnosisConfigError(f"{source}: 键 {section}.{key}.advice 为空")
    if not isinstance(doc.get("thresholds"), dict):
        raise DiagnosisConfigError(f"{source}: 缺少 thresholds 映射")
    return Rules(
        cats, doc.get("indicators") or {}, doc.get("survey_items") or {}, doc["thresholds"]
    )


def _num(v: float, unit: str) -> str:
    unit = "" if unit in ("是=1",) else unit
    if unit == "%":
        return f"{v:.1f}%"
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


def diagnose(d: District, township: str, sat: Satisfaction | None = None) -> pd.DataFrame:
    """Findings for a township, weakest first: category, label, sentence, advice and the trigger
    (source, key, value, target/threshold, district_mean, p_value)."""
    rules = load_rules(d.diagnosis_file)
    rows: list[dict[str, Any]] = []
    ind = indicator_table(d, township)
    missed = ~ind["attained"].astype("boolean").fillna(True).to_numpy(dtype=bool)
    weak = ind[ind["applicable"].astype("boolean").fillna(False).to_numpy(dtype=bool) & missed]
    weak = weak.copy()
    weak["gap"] = 100 - weak["normalised"]
    for r in weak.sort_values("gap", ascending=False).itertuples():
        rule = rules.indicators.get(r.indicator)
        if rule is None:
            continue
        cat = rules.categories[rule["category"]]
        if r.unit == "是=1":  # a yes/no requirement of the township itself
            sentence = f"{r.label}：尚未达到要求（全区{100 * r.district_mean:.0f}%的乡镇已达到）。"
        else:
            sentence = (
                f"{r.label}为{_num(r.value, r.unit)}，未达到目标{_num(r.target, r.unit)}"
                f"（全区平均{_num(r.district_mean, r.unit)}）。"
            )
        rows.append(
            dict(
                category=rule["category"],
                category_label=cat["label"],
                source="indicator",
                key=r.indicator,
                label=r.label,
                value=float(r.value),
                threshold=float(r.target),
                district_mean=float(r.district_mean),
                p_value=float("nan"),
                severity=float(r.gap),
                sentence=sentence,
                advice=rule["advice"],
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
            cat = rules.categories[rule["category"]]
            what = _top2_wording(d, r.variable)
            parts = [f"群众对“{r.label}”的{what}为{100 * r.top2:.1f}%"]
            if worse:
                parts.append(
                    f"平均分{r.mean:.2f}，显著低于区内其他乡镇的{r.district_mean:.2f}"
                    f"（设计校正检验 {_p(r.vs_district_p)}）"
                )
            else:
                parts.append(f"低于{100 * floor:.0f}%的警戒线")
            rows.append(
                dict(
                    category=rule["category"],
                    category_label=cat["label"],
                    source="survey",
                    key=r.variable,
                    label=r.label,
                    value=float(r.top2),
                    threshold=floor,
                    district_mean=float(r.district_mean),
                    p_value=float(r.vs_district_p),
                    severity=100 * (floor - r.top2) + (30 if worse else 0),
                    sentence="，".join(parts) + "。",
                    advice=rule["advice"],
                )
            )
    cols = [
        "category",
        "category_label",
        "source",
        "key",
        "label",
        "value",
        "threshold",
        "district_mean",
        "p_value",
        "severity",
        "sentence",
        "advice",
    ]
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values("severity", ascending=False, kind="stable")
    return out.head(int(rules.thresholds["weakest"])).reset_index(drop=True)
