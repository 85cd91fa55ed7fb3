"""Township report sections as HTML fragments (escaped), built from the section data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo

import pandas as pd

from commeval import __version__
from commeval.district import District
from commeval.files import csp_meta
from commeval.report import charts, methods
from commeval.report import township as T
from commeval.report.diagnosis import diagnose
from commeval.report.html import (
    badge,
    esc,
    estimate_cell,
    fmt_num,
    fmt_pct,
    pct_cell,
    progress_bar,
    section,
    table,
)
from commeval.report.style import figure_html

SYNTHETIC_BANNER = "示例数据：本报告由合成数据生成，仅供演示，不反映任何真实乡镇村庄的情况。"


def stylesheet_css() -> str:
    """THE report stylesheet (``commeval/templates/report.css``): the export template puts it
    in every page's ``<head>``, the report notebooks display it once for JupyterLab."""
    return (resources.files("commeval") / "templates" / "report.css").read_text(encoding="utf-8")


def stylesheet() -> str:
    """The report stylesheet as an inline ``<style>`` block."""
    return f"<style>{stylesheet_css()}</style>"


def _tick(flag: object) -> str:
    return '<span class="yes">✓</span>' if bool(flag) else '<span class="no">×</span>'


def _signed(v: float | None, digits: int = 1) -> str:
    if v is None or pd.isna(v):
        return "—"
    return f"{v:+.{digits}f}"


def header_html(d: District, township: str) -> str:
    h = T.header(d, township)
    banner = f'<div class="banner">{esc(SYNTHETIC_BANNER)}</div>' if h.synthetic else ""
    dates = ""
    if not h.sources.empty and "modified" in h.sources:
        files = "；".join(
            f"{esc(r.file)}（{esc(str(r.modified)[:10])}）" for r in h.sources.itertuples()
        )
        dates = f'<p class="meta">数据来源：{files}</p>'
    return (
        f'{banner}<header class="report-header">'
        f'<p class="kicker">{esc(h.title)}</p>'
        f"<h1>{esc(h.township)} {esc(h.year)}年度农村社区建设评估</h1>{dates}</header>"
    )


def grade_rule(grades: Sequence[tuple[str, float]], grade: str) -> str:
    """The framework's score range of a grade (``framework.grades``, best first), e.g.
    "70–85分" or "85分及以上"; empty for a name the framework lacks."""
    bounds = {g: (lo, hi) for (g, lo), hi in zip(grades, [None, *[m for _, m in grades]])}
    if grade not in bounds:
        return ""
    lo, hi = bounds[grade]
    if hi is None:
        return f"{lo:g}分及以上"
    return f"{lo:g}–{hi:g}分" if lo > 0 else f"{hi:g}分以下"


def overview_html(d: District, township: str) -> str:
    if d.framework.points:
        return points_overview_html(d, township)
    o = T.overview(d, township)
    change = ""
    if o.previous_score is not None:
        delta = o.score - o.previous_score
        change = f"比上年{_signed(delta)}分"
        if o.previous_rank is not None:
            change += f"，排名由第{o.previous_rank}名变为第{o.rank}名"
    kpis = [
        ("综合得分", f"{o.score:.1f}", "满分100"),
        ("等级", esc(o.grade), grade_rule(d.framework.grades, o.grade)),
        ("排名", f"第{o.rank}名", f"共{o.n_townships}个乡镇；90%区间 {o.rank_low}–{o.rank_high}"),
        ("指标达标率", fmt_pct(o.attainment), ""),
    ]
    cards = "".join(
        f'<div class="kpi"><div class="kpi-label">{esc(a)}</div><div class="kpi-value">{b}</div>'
        f'<div class="kpi-note">{esc(c)}</div></div>'
        for a, b, c in kpis
    )
    text = (
        f"<p>{esc(township)}{o.year}年综合得分{o.score:.1f}分，等级为“{esc(o.grade)}”，"
        f"在全区{o.n_townships}个乡镇中排名 {o.rank}（区间 {o.rank_low}–{o.rank_high}）"
        f"{'，' + esc(change) if change else ''}。"
        f"{esc(methods.interval_text(d.evaluation.settings))}</p>"
    )
    fig = figure_html(charts.dimension_bars(o.dimensions, township), "各维度得分与全区平均")
    return section("一、综合评价", f'<div class="kpis">{cards}</div>{text}{fig}', "overview")


def _value(v: float, unit: str, yes_no: bool) -> str:
    if yes_no and pd.notna(v):
        return "是" if float(v) >= 0.5 else "否"
    return fmt_num(v, 1, unit)


def indicators_html(d: District, township: str) -> str:
    if d.framework.points:
        return points_items_html(d, township)
    ind = T.indicator_table(d, township)
    rows, classes = [], []
    for r in ind.itertuples():
        applicable = bool(r.applicable) if pd.notna(r.applicable) else False
        yes_no = r.unit == "是=1"
        unit = "" if yes_no else r.unit
        if not applicable:
            state = badge("不适用", "muted")
        elif bool(r.attained):
            state = badge("达标", "good")
        else:
            state = badge("未达标", "bad")
        rows.append(
            [
                esc(r.dimension_label),
                esc(r.label),
                _value(r.value, unit, yes_no) if applicable else "—",
                _value(r.target, unit, yes_no),
                state,
                fmt_pct(r.district_mean) if yes_no else fmt_num(r.district_mean, 1, unit),
                _signed(r.change),
            ]
        )
        classes.append("shortfall" if applicable and not bool(r.attained) else "")
    body = table(
        ["维度", "指标", "本乡镇", "目标", "达标", "全区平均", "比上年"], rows, row_classes=classes
    )
    return section("二、指标达标情况", body, "indicators")


def _column_head(field) -> str:
    """A table heading from the contract: the field's label, with its unit for measurements."""
    return (
        f"{field.label}（{field.unit}）" if field.unit and field.dtype == "float" else field.label
    )


def _village_cell(field, value: object) -> str:
    if field.dtype == "bool":
        return _tick(value)
    if field.dtype == "level":
        return esc(field.level_label(value))
    return fmt_num(value, 0)


def villages_html(d: District, township: str) -> str:
    v = T.villages(d, township)
    spec = d.contract["villages"]
    cols = [c for c in v.table.columns if c not in ("village", "is_pilot")]
    fields = [spec.fields[c] for c in cols]
    pilot = badge(spec.fields["is_pilot"].label, "info")
    rows = []
    for r in v.table.to_dict("records"):
        name = esc(r["village"]) + (" " + pilot if r["is_pilot"] else "")
        rows.append([name, *(_village_cell(f, r[f.name]) for f in fields)])
    head = [spec.fields["village"].label, *(_column_head(f) for f in fields)]
    body = table(head, rows, cls="data compact")
    if len(v.missing):
        by_item = v.missing.groupby("label", sort=False)["village"].apply(list)
        items = "".join(
            f"<li>缺{esc(lbl)}（{len(vs)}个村）：{esc('、'.join(vs))}</li>"
            for lbl, vs in by_item.items()
        )
        body += f'<div class="callout"><p>尚未达到“村村有”要求的村：</p><ul>{items}</ul></div>'
    else:
        names = "、".join(spec.fields[c].label for c in T.REQUIRED_ITEMS if c in spec.fields)
        body += f'<p class="ok">所有村均已建有{esc(names)}。</p>'
    return section("三、村级情况", body, "villages")


#: each community's progress bars: (done, target) fields of the contract's communities table
PROGRESS = [
    ("completed_units", "planned_units"),
    ("phases_completed", "phases_planned"),
    ("households_moved_in", "target_households"),
    ("land_reclaimed_mu", "land_reclaim_target_mu"),
]


def communities_html(d: District, township: str) -> str:
    c = T.communities(d, township)
    if c.empty:
        return section(
            "四、新型农村社区建设", "<p>本乡镇目前没有规划建设新型农村住宅社区。</p>", "communities"
        )
    spec = d.contract["communities"]
    status = spec.fields["status"]
    parts = []
    for r in c.to_dict("records"):
        alias = f"（{esc(r['alias'])}）" if pd.notna(r.get("alias")) else ""
        facts = (
            f"规划占地{fmt_num(r['planned_area_mu'], 0)}亩，辐射{fmt_num(r['villages_covered'], 0)}个建制村，"
            f"计划入住{fmt_num(r['target_households'], 0)}户、{fmt_num(r['target_population'], 0)}人；"
            f"{esc(status.label)}：{esc(status.level_label(r['status']))}"
        )
        bars = "".join(
            progress_bar(r[done], r[target], spec.fields[done].label, spec.fields[done].unit or "")
            for done, target in PROGRESS
        )
        parts.append(
            f'<div class="community"><h3>{esc(r["community"])}{alias}</h3><p>{facts}</p>{bars}</div>'
        )
    return section("四、新型农村社区建设", "".join(parts), "communities")


def _marked(diff: float, p: float, alpha: float = 0.05) -> str:
    """A change shown with an arrow only when the design-based test is significant."""
    if diff is None or pd.isna(diff):
        return "—"
    if pd.notna(p) and p < alpha:
        arrow = "▲" if diff > 0 else "▼"
        kind = "up" if diff > 0 else "down"
        return f'<span class="sig {kind}">{arrow} {diff:+.2f}</span>'
    return f'<span class="ns">{diff:+.2f}（无显著差异）</span>'


def satisfaction_html(d: District, township: str, sat: T.Satisfaction | None = None) -> str:
    s = sat or T.satisfaction(d, township)
    desc = s.description
    age = d.contract["survey"].fields["age"]
    min_age = f"{age.min:g}" if age.min is not None else ""
    max_cv = d.options.max_cv
    cv_note = f"，变异系数超过{max_cv:.0%}的比例同样不予报告" if max_cv is not None else ""
    intro = (
        f"<p>本年度在{esc(township)}抽取{s.n_villages}个村、{s.n}位{min_age}岁以上居民进行入户问卷调查"
        "（分层两阶段抽样：乡镇为层、村为初级抽样单元）。下列结果均按抽样权数加权，置信区间和显著性检验考虑了"
        f"分层和整群抽样设计；有效回答少于{s.min_n}人的项目显示为“样本不足”"
        f"{cv_note}。</p>"
    )
    drows = [
        [esc(r.characteristic), esc(r.level), fmt_num(r.n, 0), fmt_pct(r.share)]
        for r in desc.itertuples()
    ]
    desc_html = table(["特征", "类别", "样本数", "加权占比"], drows, cls="data compact")
    rows = []
    for r in s.items.itertuples():
        rows.append(
            [
                esc(r.label),
                fmt_num(r.n, 0),
                estimate_cell(r.mean, r.mean_low, r.mean_high, r.small_cell),
                pct_cell(r.top2, r.top2_low, r.top2_high, r.small_cell or r.top2_suppressed),
                "—" if r.small_cell else _marked(r.vs_district, r.vs_district_p),
                "—" if r.small_cell else _marked(r.vs_previous, r.vs_previous_p),
                fmt_pct(r.dont_know),
            ]
        )
    items_html = table(
        [
            "项目",
            "有效样本",
            "平均分（95%CI）",
            "满意率（95%CI）",
            "与区内其他乡镇比",
            "与上年比",
            "说不清",
        ],
        rows,
    )
    note = '<p class="note">▲▼ 表示差异在5%水平上显著（设计校正的t检验）；其余差异在抽样误差范围内，不作比较。</p>'
    fig = figure_html(charts.satisfaction_errorbars(s.items, township), "群众满意度及95%置信区间")
    nrows = [
        [esc(r.label), pct_cell(r.estimate, r.ci_low, r.ci_high, r.small_cell)]
        for r in s.needs.itertuples()
    ]
    needs = table(["最需要的服务（多选）", "选择比例（95%CI）"], nrows, cls="data compact")
    prows = [
        [esc(r.label), pct_cell(r.estimate, r.ci_low, r.ci_high, r.small_cell)]
        for r in s.participation.itertuples()
    ]
    part = table(["知晓与参与", "比例（95%CI）"], prows, cls="data compact")
    body = (
        intro
        + desc_html
        + items_html
        + note
        + fig
        + '<div class="two-col">'
        + needs
        + part
        + "</div>"
    )
    return section("五、群众满意度", body, "satisfaction")


def problems_html(d: District, township: str, sat: T.Satisfaction | None = None) -> str:
    f = diagnose(d, township, sat)
    if f.empty:
        return section(
            "六、存在问题与建议", "<p>各项指标均已达到目标，群众评价无显著短板。</p>", "problems"
        )
    items = []
    for r in f.itertuples():
        items.append(
            f'<li><span class="cat">{esc(r.category_label)}</span> {esc(r.sentence)}'
            f'<br/><span class="advice">建议：{esc(r.advice)}</span>'
            f'<span class="trace">依据：{esc(r.source)}:{esc(r.key)}</span></li>'
        )
    intro = "<p>以下问题按与目标的差距排序，每条均注明触发它的数据；问题类别沿用区农村社区建设经验材料的归类。</p>"
    return section(
        "六、存在问题与建议", intro + f'<ol class="findings">{"".join(items)}</ol>', "problems"
    )


def provenance_html(d: District, township: str) -> str:
    src = d.provenance.sources
    rows = [
        [
            esc(r.get("table", "")),
            esc(r.get("file", "")),
            f"<code>{esc(str(r.get('sha256', ''))[:16])}</code>",
        ]
        for _, r in src.iterrows()
    ]
    files = table(["表", "文件", "SHA-256（前16位）"], rows, cls="data compact")
    tz = d.options.timezone
    now = f"{datetime.now(ZoneInfo(tz)):%Y-%m-%d %H:%M}（{tz}）"
    settings = d.evaluation.settings
    body = (
        f"<p>评价方法：{esc(methods.method_text(settings))}</p>"
        f"<p>指标体系：{esc(methods.framework_text(settings))}；commeval {esc(__version__)}；"
        f"数据处理批次 {esc(d.provenance.run_id)}。</p>"
        f'{files}<p class="run-time">生成时间：{esc(now)}</p>'
    )
    return section("七、数据说明", body, "provenance")


def township_sections(d: District, township: str) -> list[str]:
    """All sections of a township report, in order (used by the notebook and by tests)."""
    sat = T.satisfaction(d, township)
    return [
        header_html(d, township),
        overview_html(d, township),
        indicators_html(d, township),
        villages_html(d, township),
        communities_html(d, township),
        satisfaction_html(d, township, sat),
        problems_html(d, township, sat),
        provenance_html(d, township),
    ]


def render_township_html(d: District, township: str) -> str:
    """A whole township report as one HTML page without notebooks (the benchmark floor)."""
    body = "".join(township_sections(d, township))
    return (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"/>{csp_meta()}'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{esc(township)}农村社区建设评估</title>{stylesheet()}</head>"
        f'<body class="commeval-report"><main>{body}</main></body></html>'
    )


# --- scorecards (scoring: points) ----------------------------------------------------------------


def _pts(x: float) -> str:
    return "—" if x is None or pd.isna(x) else f"{x:.1f}".removesuffix(".0")


def points_overview_html(d: District, township: str) -> str:
    """一、综合评价 of a scorecard: 得分（满分）, bonus, grade (and veto), rank with interval."""
    o = T.points_overview(d, township)
    change = ""
    if o.previous_score is not None:
        change = f"比上年{_signed(o.score - o.previous_score)}分"
        if o.previous_rank is not None:
            change += f"，排名由第{o.previous_rank}名变为第{o.rank}名"
    bonus_note = f"含加分 {_pts(o.bonus)} 分" if o.bonus else "无加分"
    grade_note = (
        f"一票否决（原为“{o.grade_before_veto}”）"
        if o.veto
        else grade_rule(d.framework.grades, o.grade)
    )
    kpis = [
        ("得分", _pts(o.score), f"满分 {_pts(o.max_points)}；{bonus_note}"),
        ("等级", esc(o.grade), grade_note),
        ("排名", f"第{o.rank}名", f"共{o.n_townships}个乡镇；90%区间 {o.rank_low}–{o.rank_high}"),
        ("满分项比例", fmt_pct(o.attainment), ""),
    ]
    cards = "".join(
        f'<div class="kpi"><div class="kpi-label">{esc(a)}</div><div class="kpi-value">{b}</div>'
        f'<div class="kpi-note">{esc(c)}</div></div>'
        for a, b, c in kpis
    )
    veto = ""
    if o.veto:
        veto = (
            f'<div class="callout failed">一票否决：{esc(o.veto)}；等级评为“{esc(o.grade)}”。</div>'
        )
    text = (
        f"<p>{esc(township)}{o.year}年得分 {_pts(o.score)}（满分 {_pts(o.max_points)}），"
        f"其中基本分 {_pts(o.base)}、加分 {_pts(o.bonus)}，等级为“{esc(o.grade)}”，"
        f"在全区{o.n_townships}个乡镇中排名 {o.rank}（区间 {o.rank_low}–{o.rank_high}）"
        f"{'，' + esc(change) if change else ''}。"
        f"{esc(methods.interval_text(d.evaluation.settings))}</p>"
    )
    rows = [
        [esc(r.label), _pts(r.score), _pts(r.max_points) if r.max_points else "加分项",
         _pts(r.district_mean)]
        for r in o.dimensions.itertuples()
    ]  # fmt: skip
    dims = table(["一级指标", "得分", "分值", "全区平均"], rows)
    return section("一、综合评价", f'<div class="kpis">{cards}</div>{veto}{text}{dims}', "overview")


def points_items_html(d: District, township: str) -> str:
    """二、考核评分: every item's value, 得分 / 分值（满分）and 扣分原因."""
    ind = T.points_table(d, township)
    rows, classes = [], []
    for r in ind.itertuples():
        yes_no = r.unit == "是=1"
        unit = "" if yes_no else r.unit
        applicable = bool(r.applicable)
        label = esc(r.label) + (" " + badge("加分项", "good") if r.bonus else "")
        rows.append(
            [
                esc(r.dimension_label),
                label,
                _value(r.value, unit, yes_no) if applicable else "—",
                f"{_pts(r.points)} / {_pts(r.max_points)}"
                if applicable
                else badge("不适用", "muted"),
                esc(r.reason) if applicable else "不计分",
            ]
        )
        classes.append("shortfall" if applicable and r.points < r.max_points - 1e-9 else "")
    body = table(["一级指标", "考核内容", "本乡镇", "得分 / 分值（满分）", "扣分原因"], rows,
                 row_classes=classes)  # fmt: skip
    return section("二、考核评分", body, "indicators")
