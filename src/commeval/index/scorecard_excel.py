"""Scorecards from and to Excel (考核评分表.xlsx).

:func:`import_scorecard` reads the usual layout — a title row, a header row with 一级指标 (or
考核项目), 二级指标 / 考核内容, 分值, 评分标准 (评分细则), 考核方式 (数据来源); 一级指标 in merged
cells; 加分项 and 一票否决 blocks — parses the common phrasings of 评分标准 into rules
(:func:`parse_rule_text`) and writes a framework YAML; every row it could not parse is listed
with its Excel row as a TODO comment at the top of the YAML and left without a rule (the
framework does not load until it is written — never a silent guess). :func:`export_scorecard`
writes a printable 评分表 (print area: the official columns; technical columns — 指标代码, 单位,
计算公式, 判定条件, 一级指标代码 — beside it), so that import(export(f)) gives back f's rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from commeval.files import atomic_path, write_atomic
from commeval.index.errors import FrameworkError
from commeval.index.scorecard import Rule, _plain, parse_rule

HEADERS = {
    "dimension": ("一级指标", "考核项目", "项目", "考核类别"),
    "label": ("二级指标", "考核内容", "考核指标", "指标", "考核要点"),
    "points": ("分值", "标准分", "分数", "权重分"),
    "standard": ("评分标准", "评分细则", "评分办法", "计分方法", "评分方法"),
    "assessment": ("考核方式", "考核方法", "数据来源", "评分依据"),
    "key": ("指标代码",),
    "unit": ("单位",),
    "source": ("计算公式",),
    "when": ("判定条件",),
    "dimension_key": ("一级指标代码",),
}
EXPORT_COLUMNS = [
    ("dimension", "一级指标", 16),
    ("label", "二级指标（考核内容）", 30),
    ("points", "分值", 7),
    ("standard", "评分标准", 48),
    ("assessment", "考核方式", 18),
    ("key", "指标代码", 18),
    ("unit", "单位", 8),
    ("source", "计算公式", 40),
    ("when", "判定条件", 24),
    ("dimension_key", "一级指标代码", 14),
]
PRINTED = 5  # the first five columns are the 评分表 to sign off

_NUM = r"(\d+(?:\.\d+)?)"
_CN = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
       "九": 9, "十": 10, "半": 0.5}  # fmt: skip


def _unit_re(unit: str) -> str:
    return "" if unit in ("", "是=1") else unit


def _n(x: float | None) -> str:
    v = _plain(x)
    return str(v)


def _step_word(unit: str) -> str:
    u = _unit_re(unit)
    return "个百分点" if u == "%" else u


# --- rule ↔ 评分标准 text ------------------------------------------------------------------------


def rule_text(rule: Rule, unit: str = "", cost: bool = False) -> str:
    """The canonical 评分标准 wording of a rule (what :func:`parse_rule_text` reads back)."""
    u = _unit_re(unit)
    P = _n(rule.points)
    if rule.rule == "yesno":
        body = f"符合条件得{P}分，否则不得分" if rule.when is not None else f"有得{P}分，无不得分"
    elif rule.rule == "tiers":
        tiers = sorted(rule.tiers, key=lambda t: t[0], reverse=not cost)
        word = "及以下" if cost else "及以上"
        parts = [f"{_n(t)}{u}{word}得{_n(p)}分" for t, p in tiers]
        last = tiers[-1][0]
        parts.append(f"{'高于' if cost else '低于'}{_n(last)}{u}不得分")
        body = "，".join(parts)
    elif rule.rule == "linear":
        lin_cost = rule.full_at < rule.zero_at
        a, b = ("及以下", "及以上") if lin_cost else ("及以上", "及以下")
        body = f"{_n(rule.full_at)}{u}{a}得满分，{_n(rule.zero_at)}{u}{b}不得分，其间按比例计分"
    elif rule.rule == "units":
        body = _units_text(rule, unit, cost)
    else:
        a, verb = ("及以下", "高") if cost else ("及以上", "低")
        sw = _step_word(unit) if not rule.village else (_step_word(unit) or "")
        body = f"{_n(rule.start)}{u}{a}得满分，每{verb}{_n(rule.per)}{sw}扣{_n(rule.deduct)}分"
        if rule.whole_units:
            body += f"（不足{_n(rule.per)}{sw}不扣）"
        body += "，扣完为止"
    if rule.village:
        suffix = "（按满分村比例计分）" if rule.combine == "full_share" else "（取各村平均）"
        body = f"按村评分：{body}{suffix}"
    return body


def _units_text(rule: Rule, unit: str, cost: bool) -> str:
    """The wording of a counting rule: 每1处扣1分，扣完为止 · 每1个加1分，最多加3分 ·
    以8个为准得30分，每少1个扣5分，每多1个加2分，累计加分不超过20分."""
    w = _step_word(unit) or "个"
    per, d, a = _n(rule.per), _n(rule.deduct), _n(rule.add)
    default_base = rule.base is None
    tail = []
    if rule.max_add is not None:
        tail.append(f"累计加分不超过{_n(rule.max_add)}分")
    if rule.uncapped:
        tail.append("上不封顶")
    if rule.deduct:
        tail.append("扣完为止" if rule.floor else "不设下限")
    natural = default_base and not rule.start
    if natural and cost and rule.deduct and not rule.add:
        parts = [f"每{per}{w}扣{d}分"]
    elif natural and not cost and rule.add and not rule.deduct:
        parts = [f"每{per}{w}加{a}分"]
    elif natural and not cost and rule.add and rule.deduct:
        parts = [f"每少{per}{w}扣{d}分", f"每多{per}{w}加{a}分"]
    else:
        parts = [f"以{_n(rule.start)}{_unit_re(unit) or w}为准得{_n(rule.base_points)}分"]
        lo, hi = ("多", "少") if cost else ("少", "多")
        if rule.deduct:
            parts.append(f"每{lo}{per}{w}扣{d}分")
        if rule.add:
            parts.append(f"每{hi}{per}{w}加{a}分")
    return "，".join(parts + tail)


def _cn_numbers(text: str) -> str:
    def conv(m: re.Match) -> str:
        s = m.group(0)
        if s == "十":
            return "10"
        if s.startswith("十"):
            return str(10 + _CN[s[1]])
        if len(s) == 2 and s[1] == "十":
            return str(_CN[s[0]] * 10)
        if len(s) == 3 and s[1] == "十":
            return str(_CN[s[0]] * 10 + _CN[s[2]])
        return str(_plain(_CN[s])) if s in _CN else s

    return re.sub(
        r"[一二两三四五六七八九半]?十[一二三四五六七八九]?"
        r"|[一二两三四五六七八九半](?=个|分|项|次|人|户|村|处|名|座|起|件|篇|组|本|家|条|所)",
        conv,
        text,
    )


def _normalise(text: str) -> str:
    t = str(text).strip()
    t = t.translate(
        str.maketrans("０１２３４５６７８９％．，；：（）～－—–", "0123456789%.,;:()~---")
    )
    t = t.replace(" ", "").replace("\n", "").replace("　", "")
    t = t.replace("百分之", "")
    t = _cn_numbers(t)
    return t.rstrip("。.")


def parse_rule_text(text: str, points: float, unit: str = "") -> tuple[dict[str, Any], str] | None:
    """A ``scoring:`` mapping and the direction (benefit / cost) from a 评分标准 phrasing, or
    None when the text is none of the phrasings this parser knows (the caller lists it)."""
    if not text or not str(text).strip():
        return None
    t = _normalise(text)
    spec: dict[str, Any] = {}
    m = re.match(r"^按村评分[:]?(.*)$", t)
    if m:
        t = m.group(1)
        spec["per"] = "village"
        if t.endswith("(按满分村比例计分)"):
            spec["combine"] = "full_share"
            t = t.removesuffix("(按满分村比例计分)")
        t = t.removesuffix("(取各村平均)")
    out = _parse_body(t, points)
    if out is None:
        return None
    body, direction = out
    if "per" in spec and body["rule"] in ("deduct", "units"):
        body.pop("per", None)
    rest = {k: v for k, v in spec.items()}
    return {"points": _plain(points), **body, **rest}, direction


_PRE = r"[^\d,]*?"  # what offices write before the level: 结对帮扶村比例达到, 覆盖率, X为
_NEG = r"(?:没有|无|未|否则|达不到|不)[^,]*?(?:的)?(?:不得分|不计分|得0分)"
_BELOW = ("少", "减少", "降低", "低", "下降", "低于", "缺", "缺少", "欠")
_UNIT_CLAUSE = re.compile(
    r"每(少|减少|降低|低|下降|低于|缺少|缺|欠|多|增加|增|超过|超出|高|发现|有|出现)?[^\d,扣加]*?"
    + _NUM
    + r"?([^\d,扣加]*?)(扣|加)"
    + _NUM
    + r"分"
)


def _clean(t: str) -> str:
    """Punctuation and synonyms offices vary: ；→，, "…站，得10分" → "…站得10分", 记/计5分 →
    得5分, 基本分/基础分 → 满分."""
    t = t.replace(";", ",").replace(":", "").strip(",")
    t = re.sub(r",(?=(?:得|记|计)(?:满分|基本分|基础分|[\d.]+分))", "", t)
    t = re.sub(r"(?:记|计)(?=满分|基本分|基础分|[\d.]+分)", "得", t)
    return re.sub(r"得(?:基本分|基础分)", "得满分", t)


def _units_body(t: str, points: float) -> tuple[dict[str, Any], str] | None:  # noqa: C901
    """Counting rules, clause by clause; None when any clause is not understood."""
    spec: dict[str, Any] = {"rule": "units"}
    below_deduct = above_deduct = above_add = below_add = False
    level = False
    seen_unit = False
    pieces = [p for p in t.split(",") if p]
    for i, p in enumerate(pieces):
        p = re.sub(r"^(?:大于|小于|超过|低于|高于|少于|多于)目标值?的|^超额完成的|^未完成的", "", p)
        if not p:
            continue
        m = re.fullmatch(r"以" + _NUM + r"[^\d,]*?为(?:准|基准|标准)得" + _NUM + r"分", p)
        if m:
            spec["from"], spec["base"], level = _plain(float(m.group(1))), float(m.group(2)), True
            continue
        m = re.fullmatch(
            r"(?:累计加分不超过|加分不超过|最多加|最高加|最多可加|累计最多加)"
            + _NUM
            + r"分(?:为止)?",
            p,
        )
        if m:
            spec["max_add"] = _plain(float(m.group(1)))
            continue
        if re.fullmatch(r"加分至基本分值?(?:封顶|为止)|加分以基本分值?为限", p):
            spec["max_add"] = _plain(points)
            continue
        if re.fullmatch(r"上不封顶|加分不设上限|不设上限", p):
            spec["uncapped"] = True
            continue
        if re.fullmatch(
            r"(?:此项)?(?:[\d.]+分)?扣完(?:[\d.]+分)?为止|扣分至基本分值?扣完为止|扣至0分为止", p
        ):
            continue
        if re.fullmatch(r"不设下限|可扣至负分|扣分不设上限|扣分不封顶", p):
            spec["floor"] = False
            continue
        if re.fullmatch(r"(?:共计|共|满分|此项满分|此项共)[\d.]+分|完成(?:目标|任务)?得满分", p):
            continue
        m = re.fullmatch(r"[^\d,]*?得(满分|" + _NUM + r"分)", p)  # 无暴露垃圾得10分: none found
        if m and (m.group(1) == "满分" or float(m.group(2)) == points):
            continue
        m = _UNIT_CLAUSE.search(p)
        if m and m.end() == len(p):
            verb, per, sign, amount = m.group(1), m.group(2), m.group(4), float(m.group(5))
            below = verb in _BELOW
            key = "deduct" if sign == "扣" else "add"
            if key in spec:
                return None
            spec[key] = _plain(amount)
            if per is not None:
                if spec.get("per", float(per)) != float(per):
                    return None
                spec["per"] = float(per)
            if sign == "扣":
                below_deduct, above_deduct = below, not below
            else:
                below_add, above_add = below, not below
            seen_unit = True
            continue
        # a description of what is counted (no points in it): 存在私搭乱建行为的, 每季度召开…
        if not re.search(r"得|扣|加|分|\d", p) and i < len(pieces) - 1:
            continue
        return None
    if not seen_unit:
        return None
    if (below_deduct or above_add) and (above_deduct or below_add):
        return None
    cost = above_deduct or below_add
    if below_deduct and not above_add and not level:
        cost = True  # 每少配备一名扣1分: the value is the shortfall (a count)
    out: dict[str, Any] = {"rule": "units"}
    if level and spec["from"]:
        out["from"] = spec["from"]
    if spec.get("per", 1) != 1:
        out["per"] = _plain(spec["per"])
    for k in ("deduct", "add"):
        if k in spec:
            out[k] = spec[k]
    if level:
        default = float(points) if "deduct" in spec else 0.0
        if spec["base"] != default:
            out["base"] = _plain(spec["base"])
    for k in ("max_add", "uncapped"):
        if k in spec:
            out[k] = spec[k]
    if spec.get("floor") is False:
        out["floor"] = False
    return out, "cost" if cost else "benefit"


def _parse_body(t: str, points: float) -> tuple[dict[str, Any], str] | None:  # noqa: C901
    t = _clean(t).replace(f"({_n(points)}分)", "")  # the 分值 restated: 报告工作(6分)
    t = re.sub(r"(?<!每)发现(?=[\d.]+(?:处|个|项|次|起))", "每发现", t)  # 发现1处扣2分
    if re.search(r"酌情|视情况|综合评定|综合评价|适当|按实际情况", t):
        return None  # judgment: never guessed
    # yes / no
    if re.fullmatch(r"符合条件得" + _NUM + r"分,否则不得分", t):
        return {"rule": "yesno"}, "benefit"
    if re.fullmatch(
        r"(有|已建立|建立|已建|建成|是|具备|开展|获得|达到要求|符合要求)[^,;]*?得(满分|"
        + _NUM
        + r"分)"
        r"[,;]?(无|没有|未建立|未建|未建成|否|不具备|未开展|未获得|未达到|不符合|否则)[^,;]*?不得分",
        t,
    ):
        return {"rule": "yesno"}, "benefit"
    # linear
    m = re.fullmatch(
        _PRE
        + _NUM
        + r"[^,;]*?(及以上|以上|及以下|以下)?得满分,"
        + _NUM
        + r"[^,;]*?(及以下|以下|及以上|以上)不得分,(?:其间|中间|之间)?按比例(?:计分|得分|折算)",
        t,
    )
    if m:
        full, zero = float(m.group(1)), float(m.group(3))
        return {"rule": "linear", "full_at": _plain(full), "zero_at": _plain(zero)}, (
            "cost" if full < zero else "benefit"
        )
    # 按完成比例计分 (the value is the completion rate in %)
    if re.fullmatch(
        r"(?:完成(?:目标|任务)?(?:的)?得满分,)?(?:未完成的?,?)?按(?:照)?(?:实际)?(?:完成)?(?:比例|率|进度)"
        r"(?:计分|得分|折算|计算得分)",
        t,
    ):
        return {"rule": "linear", "full_at": 100, "zero_at": 0}, "benefit"
    # deduct
    m = re.fullmatch(
        _PRE
        + _NUM
        + r"[^,;]*?(?:及以上|以上|及以下|以下)?得满分,每(低|少|下降|减少|降低|高|多|超过|增加)"
        + _NUM
        + r"([^,;扣]*?)扣"
        + _NUM
        + r"分"
        r"(\(不足[\d.]+[^)]*不扣\))?(?:,(?:此项)?扣完(?:[\d.]+分)?为止)?",
        t,
    )
    if m:
        cost = m.group(2) in ("高", "多", "超过", "增加")
        spec = {"rule": "deduct", "from": _plain(float(m.group(1))), "per": _plain(float(m.group(3))),
                "deduct": _plain(float(m.group(5)))}  # fmt: skip
        if m.group(6):
            spec["whole_units"] = True
        return spec, "cost" if cost else "benefit"
    # counting rules: 每发现一处扣1分，扣完为止 · 每个加1分，最多加3分 · 每少1个扣5分，每增1个加2分
    if "每" in t:
        out = _units_body(t, points)
        if out is not None:
            return out
    tiers = _tiers_body(t, points)
    if tiers is not None:
        return tiers
    # yes / no as offices write it: 成立领导小组并明确分工的得4分，未成立的不得分 ·
    # 完成得基本分，未完成的不得分 · 设意见箱记5分，无意见箱不得分 · …，未落实的不得分
    m = re.fullmatch(r"([^\d,]+?)(?:的)?得(满分|" + _NUM + r"分)(?:," + _NEG + r")?", t)
    if m and (m.group(2) == "满分" or float(m.group(3)) == points) and m.group(1):
        return {"rule": "yesno"}, "benefit"
    if re.fullmatch(r"[^\d]+," + _NEG, t):
        return {"rule": "yesno"}, "benefit"
    return None


def _tiers_body(t: str, points: float) -> tuple[dict[str, Any], str] | None:
    """Tiers: 达到100%得6分，80%以上得4分 · 80%—90%得8分 · 0.5%及以下得4分 · 入住率达到80%加2分."""
    pieces = [p for p in t.split(",") if p]
    tiers: list[list[float]] = []
    cost = any(re.search(r"\d[^,]*?(及以下|以下)(?:的)?(?:得|加)", p) for p in pieces)
    got = r"(?:得|加)(满分|" + _NUM + r"分)"
    for p in pieces:
        if re.fullmatch(
            r"(低于|高于|不足|超过)?[\d.]+[^,]*?(以下|以上)?(的)?不得分|其余不得分|否则不得分|"
            + _NEG,
            p,
        ):
            continue
        if re.search(r"(?:小于|大于|超过|低于|高于|不足)(?:等于)?[\d.]+[^,]*?(?:得|加)", p):
            return None  # a strict bound (小于3%得20分): not a tier, never guessed
        m = re.fullmatch(_PRE + _NUM + r"[^\d,]*?[-~至]" + _NUM + r"[^,]*?" + got, p)
        if m:
            th = float(m.group(2) if cost else m.group(1))
        else:
            m = re.fullmatch(
                _PRE + _NUM + r"[^\d,]*?(?:及以上|以上|及以下|以下)?(?:的)?" + got,
                p,
            )
            if not m:
                return None
            th = float(m.group(1))
        pts = points if m.groups()[-2] == "满分" else float(m.groups()[-1])
        tiers.append([_plain(th), _plain(pts)])
    if not tiers:
        return None
    if len({t for t, _ in tiers}) != len(tiers):
        return None
    return {"rule": "tiers", "tiers": tiers}, "cost" if cost else "benefit"


# --- export --------------------------------------------------------------------------------------


def _load_doc(framework: str | Path | dict[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(framework, dict):
        return framework, "<framework>"
    text = Path(framework).read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}, str(framework)


def _grades_text(grades: dict[str, Any]) -> str:
    g = sorted(grades.items(), key=lambda kv: -float(kv[1]))
    parts = [f"{n}≥{_n(float(v))}" for n, v in g[:-1]]
    parts.append(f"{g[-1][0]}<{_n(float(g[-2][1]))}")
    return "，".join(parts)


def export_scorecard(framework: str | Path | dict[str, Any], path: str | Path) -> Path:
    """Write the scorecard of ``framework`` (a YAML file or its parsed document; a framework
    with TODOs still exports) as a printable 评分表.xlsx."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    doc, source = _load_doc(framework)
    if doc.get("scoring") != "points":
        raise FrameworkError(source, "scoring", doc.get("scoring"), "export needs scoring: points")
    wb = Workbook()
    ws = wb.active
    ws.title = "评分表"
    ncol = len(EXPORT_COLUMNS)
    ws.cell(1, 1, str(doc.get("name") or "考核评分表"))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=PRINTED)
    note = f"版本：{doc.get('version', '')}"
    if doc.get("grades"):
        note += f"；等级：{_grades_text(doc['grades'])}"
    if doc.get("bonus_cap") is not None:
        note += f"；加分项最多加{_n(float(doc['bonus_cap']))}分"
    if doc.get("base_score") is not None:
        note += f"；以{_n(float(doc['base_score']))}分为基础分"
    ws.cell(2, 1, note)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=PRINTED)
    for j, (_, head, width) in enumerate(EXPORT_COLUMNS, 1):
        ws.cell(3, j, head)
        ws.column_dimensions[chr(64 + j)].width = width
    row = 4
    total = 0.0
    thin = Side(style="thin")
    for dkey, dspec in (doc.get("dimensions") or {}).items():
        first = row
        for ikey, ispec in (dspec.get("indicators") or {}).items():
            sc = ispec.get("scoring") or {}
            unit = str(ispec.get("unit", "") or "")
            cost = ispec.get("direction") == "cost"
            text = str(ispec.get("standard", "") or "")
            if "rule" in sc:
                rule = parse_rule(source, f"dimensions.{dkey}.indicators.{ikey}.scoring", sc)
                canon = rule_text(rule, unit, cost)
                back = parse_rule_text(text, rule.points, unit) if text else None
                if back is None or back[0] != rule.to_dict() or (back[1] == "cost") != cost:
                    text = canon  # the printed standard is the rule that is computed
            pts = sc.get("points")
            bonus = bool(ispec.get("bonus"))
            if pts is not None and not bonus:
                total += float(pts)
            values = {
                "dimension": str(dspec.get("label", dkey)),
                "label": str(ispec.get("label", ikey)),
                "points": (f"+{_n(float(pts))}" if bonus else _plain(float(pts)))
                if pts is not None
                else None,
                "standard": text,
                "assessment": str(ispec.get("assessment", "") or ""),
                "key": ikey,
                "unit": unit,
                "source": ispec.get("source"),
                "when": sc.get("when"),
                "dimension_key": dkey,
            }
            for j, (k, _, _) in enumerate(EXPORT_COLUMNS, 1):
                ws.cell(row, j, values[k])
            row += 1
        if row - first > 1:
            ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
    ws.cell(row, 1, "合计")
    ws.cell(row, 3, _plain(total))
    row += 1
    vetoes = doc.get("veto") or []
    if vetoes:
        first = row
        for v in vetoes:
            ws.cell(row, 1, "一票否决")
            ws.cell(row, 2, str(v.get("label", "")))
            ws.cell(
                row,
                4,
                f"出现即评为“{v.get('grade', '')}”" if v.get("grade") else "出现即评为最低等级",
            )
            ws.cell(row, 9, v.get("when"))
            row += 1
        if row - first > 1:
            ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
    for r in ws.iter_rows(min_row=3, max_row=row - 1, max_col=ncol):
        for c in r:
            c.alignment = Alignment(wrap_text=True, vertical="center")
            c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    for j in range(1, ncol + 1):
        ws.cell(3, j).font = Font(bold=True)
    ws.print_area = f"A1:{chr(64 + PRINTED)}{row - 1}"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.cell(row + 1, 1, "考核领导小组审定（签字）：")
    ws.cell(row + 2, 1, "日期：")
    out = Path(path)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out


# --- import --------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """A scorecard read from Excel: the framework document, its YAML text (TODOs as comments),
    the rows it could not parse (Excel row, what is missing) and what it read in a way the sheet
    does not spell out (``notes``: Excel row, what was assumed — e.g. the implicit lowest grade)."""

    doc: dict[str, Any]
    todos: list[tuple[int, str]] = field(default_factory=list)
    source: str = ""
    notes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def yaml(self) -> str:
        head = [f"# 由 {Path(self.source).name} 导入（commeval framework import）。"]
        head += [f"# 说明 第{r}行：{msg}" for r, msg in self.notes]
        if self.todos:
            head.append("# 以下各行未能自动解析，请补写后再使用（否则框架无法加载）：")
            head += [f"# TODO 第{r}行：{msg}" for r, msg in self.todos]
        body = yaml.dump(self.doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
        return "\n".join(head) + "\n" + body


class _Dumper(yaml.SafeDumper):
    """Block style, except short lists (tiers) and the scoring mappings: one line each."""


def _list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flat = all(not isinstance(x, dict) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


def _dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flow = "rule" in data or ("points" in data and len(data) == 1) or "when" in data
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)


_GRADE_NOTE = re.compile(r"(?:等级|等次)(?:划分|评定)?[:：]\s*([^；;。]+)")
_IS = r"(?:的?为|的?评为|的?定为|:)"


def parse_grades_note(text: str) -> tuple[dict[str, float], str] | None:
    """The grade table of a note such as "等级：优秀≥90，良好≥80，合格≥60" (wherever it stands in
    the text, e.g. "说明：…；等级：…"), and a remark when the sheet leaves the lowest grade
    implicit: the lowest grade covers every score below the lowest cut-off written, named as
    the sheet names it ("60分以下为不合格", "不合格<60") or else 不合格. None: no grade note."""
    m = _GRADE_NOTE.search(str(text))
    if not m:
        return None
    body = _normalise(m.group(1)).replace(">=", "≥").replace("＞", ">")
    grades: dict[str, float] = {}
    lowest = None
    for piece in re.split(r"[,、]", body):
        piece = piece.strip()
        if not piece:
            continue
        g = re.fullmatch(r"(.+?)(?:≥|不低于|>)" + _NUM + r"分?", piece) or re.fullmatch(
            r"(.+?)\(" + _NUM + r"分?(?:\(含\))?(?:及以上|以上)(?:\(含[\d.]+分?\))?\)", piece
        )
        if g:
            grades[g.group(1).strip()] = float(g.group(2))
            continue
        g = re.fullmatch(
            _NUM + r"分?(?:\(含[\d.]+分?\))?(?:及以上|以上)(?:\(含[\d.]+分?\))?" + _IS + r"(.+)",
            piece,
        )
        if g:
            grades[g.group(2).strip()] = float(g.group(1))
            continue
        g = re.fullmatch(
            _NUM + r"分?[-~至]" + _NUM + r"分?(?:\(含[\d.]+分?\))?" + _IS + r"(.+)", piece
        )
        if g:
            grades[g.group(3).strip()] = float(g.group(1))
            continue
        g = re.fullmatch(r"(.+?)<" + _NUM + r"分?", piece) or re.fullmatch(
            r"(.+?)\((?:低于|不足)?" + _NUM + r"分?(?:以下)?\)", piece
        )
        if g:
            lowest = g.group(1).strip()
            continue
        g = re.fullmatch(r"(?:低于|不足)?" + _NUM + r"分?(?:以下)?" + _IS + r"(.+)", piece)
        if g:
            lowest = g.group(2).strip()
            continue
    if not grades:
        return None
    note = ""
    if lowest is None:
        lowest = "不合格"
        low_name, low_cut = min(grades.items(), key=lambda kv: kv[1])
        if low_cut <= 0:
            return {k: _plain(v) for k, v in grades.items()}, ""
        note = (
            f"评分表的等级只写到“{low_name}≥{_n(low_cut)}”，{_n(low_cut)}分以下按“{lowest}”评定"
            f"（已补上 {lowest}: 0——最低一档覆盖其余全部得分，请核对名称）"
        )
    grades[lowest] = 0
    return {k: _plain(v) for k, v in grades.items()}, note


def _bonus_cap(text: str) -> float | int | None:
    """加分项最多加5分 / 累计加分不超过5分 / 加分项（最高加5分） → 5."""
    m = re.search(r"加分[^；;。\d]*?(?:最多加|最高加|不超过|最高|封顶)\s*([\d.]+)\s*分", str(text))
    return _plain(float(m.group(1))) if m else None


def _base_score(text: str) -> float | int | None:
    """以100分为基础分 / 基础分为100分 / 基础分100分 → 100."""
    m = re.search(r"以\s*([\d.]+)\s*分(?:为|作为)基础分|基础分(?:为)?\s*([\d.]+)\s*分", str(text))
    return _plain(float(m.group(1) or m.group(2))) if m else None


def _clean_dimension(s: str) -> str:
    s = re.sub(r"^[一二三四五六七八九十]+[、.．]\s*", "", s.strip())
    s = re.sub(r"^\d+[、.．]\s*", "", s)
    return re.sub(r"[（(]\s*[\d.]+\s*分\s*[)）]$", "", s).strip()


def _points(v: Any) -> tuple[float | None, bool]:
    if v is None or str(v).strip() == "":
        return None, False
    if isinstance(v, int | float):
        return float(v), False
    s = _normalise(str(v))
    bonus = s.startswith("+") or s.startswith("加")
    m = re.search(_NUM, s)
    return (float(m.group(1)) if m else None), bonus


def _columns(ws) -> tuple[int, dict[str, int]]:
    for r in range(1, min(ws.max_row, 12) + 1):
        cells = {str(ws.cell(r, c).value or "").strip(): c for c in range(1, ws.max_column + 1)}
        found: dict[str, int] = {}
        for key, names in HEADERS.items():
            for name in names:
                hit = [c for text, c in cells.items() if text == name or text.startswith(name)]
                if hit and hit[0] not in found.values():
                    found[key] = hit[0]
                    break
        if "points" in found and "standard" in found and "label" in found:
            return r, found
    raise FrameworkError("<xlsx>", "header", None, "no header row with 考核内容, 分值 and 评分标准")


def import_scorecard(path: str | Path) -> ImportResult:  # noqa: C901
    """Read a 评分表.xlsx (first sheet) into a scorecard framework document."""
    from openpyxl import load_workbook

    wb = load_workbook(path, data_only=True)
    ws = wb.worksheets[0]
    hrow, col = _columns(ws)
    res = ImportResult({}, [], str(path))

    def cell(r: int, key: str) -> Any:
        c = col.get(key)
        v = ws.cell(r, c).value if c else None
        return v.strip() if isinstance(v, str) else v

    name, version, grades, cap, base = "", "", None, None, None
    for r in range(1, hrow):
        for c in range(1, ws.max_column + 1):
            v = ws.cell(r, c).value
            if not isinstance(v, str) or not v.strip():
                continue
            m = re.search(r"版本[:：]\s*([^；;，,]+)", v)
            if m:
                version = m.group(1).strip()
            parsed = parse_grades_note(v)
            if parsed:
                grades, note = parsed
                if note:
                    res.notes.append((r, note))
            cap = _bonus_cap(v) if cap is None else cap
            base = _base_score(v) if base is None else base
            if not name and not re.search(r"版本|等级|等次|基础分|说明[:：]", v):
                name = v.strip()
    doc: dict[str, Any] = {"version": version or "TODO", "name": name, "scoring": "points"}
    if not version:
        res.todos.append((1, "评分表没有写版本号（version）"))
    doc["bonus_cap"] = None  # filled below (the 加分项 heading or a note may give it)
    doc["base_score"] = None  # filled below (以100分为基础分, above or below the table)
    doc["grades"] = None  # filled below: the note may stand under the table
    dims: dict[str, dict[str, Any]] = {}
    vetoes: list[dict[str, Any]] = []
    no_source: list[int] = []
    dim_label = ""
    dkeys: dict[str, str] = {}
    n_item = 0
    for r in range(hrow + 1, ws.max_row + 1):
        d = cell(r, "dimension")
        if d not in (None, ""):
            dim_label = _clean_dimension(str(d))
            if "加分" in str(d) and cap is None:
                cap = _bonus_cap(str(d))  # 加分项（最多加5分）
        label, pts_cell, text = cell(r, "label"), cell(r, "points"), cell(r, "standard")
        if dim_label in ("合计", "总分", "总计") or str(label or "") in ("合计", "总分"):
            continue
        if str(dim_label).startswith("考核领导小组") or str(dim_label).startswith("日期"):
            continue
        note_text = " ".join(
            str(ws.cell(r, c).value) for c in range(1, ws.max_column + 1) if ws.cell(r, c).value
        )
        if pts_cell in (None, "") and (
            _GRADE_NOTE.search(note_text) or _base_score(note_text) or _bonus_cap(note_text)
        ):
            parsed = parse_grades_note(note_text)  # a note below the table: 说明：…等级：…
            if parsed and not grades:
                grades, note = parsed
                if note:
                    res.notes.append((r, note))
            base = _base_score(note_text) if base is None else base
            cap = _bonus_cap(note_text) if cap is None else cap
            continue
        if not label and pts_cell in (None, "") and not text:
            continue
        if "否决" in dim_label:
            when = cell(r, "when")
            v: dict[str, Any] = {"label": str(label or text or "")}
            m = re.search(r"评为[“\"]?([^”\"]+)[”\"]?", str(text or ""))
            if m and "最低" not in m.group(1):  # 评为最低等级: the lowest grade (the default)
                v["grade"] = m.group(1)
            if when:
                v["when"] = str(when)
            else:
                res.todos.append(
                    (r, f"一票否决“{v['label']}”：写出判定条件 when（如 library_share < 40）")
                )
            vetoes.append(v)
            continue
        points, bonus = _points(pts_cell)
        bonus = bonus or "加分" in dim_label
        dkey = cell(r, "dimension_key") or dkeys.get(dim_label) or f"d{len(dkeys) + 1}"
        dkeys.setdefault(dim_label, str(dkey))
        dspec = dims.setdefault(str(dkey), {"label": dim_label or str(dkey), "indicators": {}})
        n_item += 1
        ikey = str(cell(r, "key") or f"item_{n_item:02d}")
        unit = str(cell(r, "unit") or "")
        ispec: dict[str, Any] = {"label": str(label or ikey)}
        if unit:
            ispec["unit"] = unit
        src = cell(r, "source")
        if src:
            ispec["source"] = str(src)
        else:
            no_source.append(r)
        if bonus:
            ispec["bonus"] = True
        if text:
            ispec["standard"] = str(text)
        if cell(r, "assessment"):
            ispec["assessment"] = str(cell(r, "assessment"))
        if points is None:
            res.todos.append((r, f"“{ispec['label']}”没有分值"))
            ispec["scoring"] = {}
        else:
            parsed = parse_rule_text(str(text or ""), points, unit)
            if parsed is None:
                ispec["scoring"] = {"points": _plain(points)}
                res.todos.append(
                    (r, f"“{ispec['label']}”的评分标准未能解析，请写出 rule：“{text}”")
                )
            else:
                sc, direction = parsed
                when = cell(r, "when")
                if sc["rule"] == "yesno" and when:
                    sc["when"] = str(when)
                elif sc["rule"] == "yesno" and _normalise(str(text)).startswith("符合条件"):
                    res.todos.append((r, f"“{ispec['label']}”：写出判定条件 when"))
                if direction == "cost":
                    ispec["direction"] = "cost"
                ispec["scoring"] = sc
        dspec["indicators"][ikey] = ispec
    for key, val in (("bonus_cap", cap), ("base_score", base)):
        if val is not None:
            doc[key] = val
        else:
            del doc[key]
    doc["grades"] = grades or {"优秀": 90, "良好": 75, "合格": 60, "不合格": 0}
    if not grades:
        res.todos.append((1, "评分表没有写等级划分，暂用 优秀 90 / 良好 75 / 合格 60，请核对"))
    if vetoes:
        doc["veto"] = vetoes
    doc["dimensions"] = dims
    res.doc = doc
    if no_source:
        res.todos.append(
            (
                no_source[0],
                f"{_rows(no_source)}没有计算公式：请为每一项写出 source（如 100 * share(has_library)）",
            )
        )
    res.todos.sort(key=lambda t: t[0])
    return res


def _rows(rows: list[int]) -> str:
    """ "第5–9、12行" from row numbers."""
    spans, start = [], rows[0]
    for a, b in zip(rows, [*rows[1:], None]):
        if b != a + 1:
            spans.append(f"{start}–{a}" if a > start else f"{start}")
            start = b
    return f"第{'、'.join(spans)}行"


def write_import(result: ImportResult, out: str | Path) -> Path:
    return write_atomic(out, result.yaml)
