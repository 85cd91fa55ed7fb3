"""The reports composed once, as documents: each township's report and the district summary.

Everything a reader reads is decided here and only here — the section order
(:data:`TOWNSHIP_SECTIONS`, :data:`SUMMARY_SECTIONS`), every sentence, the 公文 numbering of the
headings (一、（一）1.), the page title (:func:`township_title`, :func:`summary_title`) and the
formatting rules of numbers (:func:`signed`, :func:`pts`, :func:`num`, :func:`pct`). The result
is a :class:`commeval.document.Document` of plain blocks — no HTML, no Word, no clock: the
generation time comes in as ``generated``. Renderers (:mod:`commeval.renderers`) turn it into
the HTML page, the Word file and the PDF; the report notebooks display it section by section.

The content comes from the section data of :mod:`commeval.report.township`, the diagnosis
rules, the district's survey summaries and the evaluation's result protocol
(:class:`commeval.index.result.EvaluationResult`): a composite index and a points scorecard are
asked the same questions, and the words that differ come with the result's ``scheme``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from commeval import __version__
from commeval.district import District
from commeval.document import (
    KPI,
    Banner,
    Callout,
    Cell,
    Column,
    Document,
    Figure,
    Group,
    Heading,
    KPIs,
    ListBlock,
    Meta,
    Paragraph,
    Progress,
    Run,
    Section,
    Table,
    cell,
)
from commeval.report import charts, methods
from commeval.report import township as T
from commeval.report.diagnosis import _survey_link, diagnose

SYNTHETIC_BANNER = "示例数据：本报告由合成数据生成，仅供演示，不反映任何真实乡镇村庄的情况。"
SMALL_CELL = "样本不足"
NUMERALS = "一二三四五六七八九十"

# --- formatting rules (the one place) -------------------------------------------------------------


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        return isinstance(v, float) and math.isnan(v) or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def num(value: Any, digits: int = 1, unit: str = "") -> str:
    """A number for display: thousands separators, fixed digits, "—" for missing."""
    if _missing(value):
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{v:,.{digits}f}" if digits else f"{round(v):,}"
    return f"{text}{unit}"


def pct(value: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    if _missing(value):
        return "—"
    return f"{100 * float(value):.{digits}f}%"


def signed(v: float | None, digits: int = 1, unit: str = "") -> str:
    """A change with its sign and unit (+1.2分, -0.5百分点); a change that rounds to zero is
    "0.0" (never "-0.0" or "+0.0"); "—" when missing."""
    if _missing(v):
        return "—"
    if round(float(v), digits) == 0:
        return f"{0:.{digits}f}{unit}"
    return f"{v:+.{digits}f}{unit}"


def change_unit(unit: str) -> str:
    """The unit a change of a value in ``unit`` is stated in: a percentage changes by 百分点,
    everything else by its own unit (分, 元/人, 次/村)."""
    return "百分点" if unit == "%" else ("" if unit == "是=1" else unit)


def decisive(value: float, target: float, attained: bool, digits: int = 1) -> int:
    """Digits enough for a printed value to show its verdict: the verdict is decided on the
    unrounded value, and a value that misses its target never prints as the target (3.96
    against 4 prints 3.96, not 4.0); at most 3 decimals."""
    if attained or _missing(value) or _missing(target):
        return digits
    for dg in range(digits, 4):
        if round(float(value), dg) != round(float(target), dg):
            return dg
    return 3


def gap_text(value: float, target: float, unit: str, benefit: bool = True) -> str:
    """How far a value is from its target, in words: "差0.04分达标"."""
    if _missing(value) or _missing(target):
        return ""
    gap = abs(float(target) - float(value))
    u = "个百分点" if unit == "%" else unit
    dg = 1
    while dg < 3 and round(gap, dg) == 0:
        dg += 1
    return f"差{gap:.{dg}f}{u}达标"


def rank_text(rank: int, prev: int | None) -> str:
    """A rank with last year's: "第3名，比上年上升2位（上年第5名）", "与上年持平（第7名）"."""
    if prev is None:
        return f"第{rank}名"
    if prev == rank:
        return f"与上年持平（第{rank}名）"
    move = "上升" if rank < prev else "下降"
    return f"第{rank}名，比上年{move}{abs(prev - rank)}位（上年第{prev}名）"


def pts(x: float | None) -> str:
    """Points as a scorecard prints them: one decimal, none when whole (7.5, 20)."""
    return "—" if _missing(x) else f"{x:.1f}".removesuffix(".0")


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


def grade_kind(grades: Sequence[tuple[str, float]], grade: str) -> str:
    """Badge tone of a grade (best first): the better half "good", the rest "bad", a name the
    framework lacks "muted"."""
    names = [g for g, _ in grades]
    if grade not in names:
        return "muted"
    return "good" if names.index(grade) < len(names) // 2 else "bad"


def heading(n: int, title: str) -> Heading:
    """A 一级标题 numbered as 公文 number them (一、二、…)."""
    return Heading(1, title, number=f"{_numeral(n)}、")


def _numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return f"{NUMERALS[tens - 1] if tens > 1 else ''}十{NUMERALS[ones - 1] if ones else ''}"


def badge(text: str, tone: str) -> Run:
    return Run(text, role="badge", tone=tone)


def estimate(est: float, low: float, high: float, small: bool, digits: int = 2) -> Cell:
    """An estimate with its confidence interval, or 样本不足."""
    if small:
        return cell(Run(SMALL_CELL, role="small-cell"), kind="estimate")
    return cell(
        [num(est, digits), Run(f"（{num(low, digits)}–{num(high, digits)}）", role="ci")],
        est, low=low, high=high, kind="estimate",
    )  # fmt: skip


def share(est: float, low: float, high: float, small: bool) -> Cell:
    """A share with its confidence interval (percent), or 样本不足."""
    if small:
        return cell(Run(SMALL_CELL, role="small-cell"), kind="estimate")
    return cell(
        [pct(est), Run(f"（{pct(low)}–{pct(high)}）", role="ci")],
        est, low=low, high=high, unit="%", kind="estimate",
    )  # fmt: skip


def chart(fig: Any, alt: str, *, tight: bool = False, raster: bool = False) -> Figure:
    """A :class:`Figure` from a report chart: its SVG as the page inlines it
    (:func:`commeval.report.style.figure_svg`) and, with ``raster``, a 200 dpi PNG for Word."""
    from commeval.report.style import figure_svg

    png = b""
    if raster:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=200, bbox_inches="tight", metadata={"Software": None})
        png = buf.getvalue()
    return Figure(svg=figure_svg(fig, alt, tight=tight), png=png, alt=alt)


# --- titles ---------------------------------------------------------------------------------------


def township_title(township: str, year: int) -> str:
    """THE title of a township's report (page header, ``<title>``, Word title)."""
    return f"{township} {year}年度农村社区建设评估"


def summary_title(district: str, year: int) -> str:
    """THE title of the district summary."""
    return f"{district} {year}年度农村社区建设评估汇总"


def summary_file_stem(district: str) -> str:
    """The district summary's Word and PDF file name without suffix (``<区县名>汇总``)."""
    return f"{district}汇总"


# --- township report ------------------------------------------------------------------------------


class _Township:
    """One township's composition (the section data computed once, shared by sections)."""

    def __init__(
        self, d: District, township: str, raster: bool, sat: T.Satisfaction | None = None
    ) -> None:
        self.d, self.t, self.raster = d, township, raster
        self.ev = d.evaluation
        self._sat = sat

    @property
    def sat(self) -> T.Satisfaction:
        if self._sat is None:
            self._sat = T.satisfaction(self.d, self.t)
        return self._sat

    # 一、综合评价
    def overview(self, n: int) -> Section:
        d, t, ev = self.d, self.t, self.ev
        sch = ev.scheme
        lv = level(d)
        row = ev.totals().set_index("township").loc[t]
        score, rank = float(row["score"]), int(row["rank"])
        lo, hi = int(row["rank_low"]), int(row["rank_high"])
        n_towns = len(ev.scores)
        prev_score, prev_rank = ev.previous(t)
        change = (
            f"，{sch.score_label}比上年{signed(score - prev_score, 1, '分')}"
            if (prev_score is not None)
            else ""
        )
        grade = str(row["grade"])
        span = f"可能区间第{lo}–{hi}名" if lo != hi else "区间即本名次"
        rank_card = KPI(
            "排名", f"第{rank}名", rank, "", f"共{n_towns}个乡镇；{span}"
            + (f"；上年第{prev_rank}名" if prev_rank is not None else "")
        )  # fmt: skip
        met, total, na = attainment_counts(ev, t)
        attain = KPI(
            sch.attainment_label, pct(row["attainment"]), float(row["attainment"]), "%",
            f"{met}/{total}项" + (f"（另有{na}项不适用，不计入）" if na else ""),
        )  # fmt: skip
        where = (
            f"在全{lv}{n_towns}个乡镇中排名{rank_text(rank, prev_rank)}{change}"
            f"{'；' + span if lo != hi else ''}。"
        )
        plain = plain_method(sch.itemised)
        dims = ev.dimension_scores(t)
        blocks: list[Any]
        if sch.itemised:
            mx, base, bonus = float(row["max_score"]), float(row["base"]), float(row["bonus"])
            veto = str(row["veto"])
            bonus_note = f"含加分 {pts(bonus)} 分" if bonus else "无加分"
            grade_note = (
                f"一票否决（原为“{row['grade_before_veto']}”）"
                if veto
                else grade_rule(d.framework.grades, grade)
            )
            cards = [
                KPI(sch.score_label, pts(score), score, "分", f"满分 {pts(mx)}；{bonus_note}"),
                KPI("等级", grade, note=grade_note), rank_card, attain,
            ]  # fmt: skip
            blocks = [KPIs(cards)]
            if veto:
                blocks.append(Callout(f"一票否决：{veto}；等级评为“{grade}”。", tone="bad"))
            blocks.append(
                Paragraph(
                    [f"{t}{d.year}年得分 ", Run(pts(score), score, "分"),
                     f"（满分 {pts(mx)}），其中基本分 {pts(base)}、加分 {pts(bonus)}，"
                     f"等级为“{grade}”，{where}{plain}"]
                )
            )  # fmt: skip
            rows = [
                [cell(r.label), cell(pts(r.score), r.score, unit="分", kind="number"),
                 cell(pts(r.max_score) if r.max_score else "加分项", r.max_score or None),
                 cell(pts(r.district_mean), r.district_mean, unit="分", kind="number")]
                for r in dims.itertuples()
            ]  # fmt: skip
            cols = [Column(sch.dimension_label), Column("得分", align="right"),
                    Column("分值", align="right"), Column(f"全{lv}平均", align="right")]  # fmt: skip
            blocks.append(Table(cols, rows))
        else:
            cards = [
                KPI(sch.score_label, f"{score:.1f}", score, "分", "满分100"),
                KPI("等级", grade, note=grade_rule(d.framework.grades, grade)), rank_card, attain,
            ]  # fmt: skip
            blocks = [
                KPIs(cards),
                Paragraph(
                    [
                        f"{t}{d.year}年综合得分",
                        Run(f"{score:.1f}", score, "分"),
                        f"分，等级为“{grade}”，{where}{plain}",
                    ]
                ),  # fmt: skip
                chart(
                    charts.dimension_bars(dims, t, level=lv),
                    f"各维度得分与全{lv}平均", raster=self.raster,
                ),
            ]  # fmt: skip
        note = not_applicable_note(d, t)
        if note:
            blocks.insert(-1 if not sch.itemised else len(blocks), Paragraph(note, style="note"))
        return Section(heading(n, "综合评价"), blocks, id="overview")

    # 二、指标达标情况 / 考核评分
    def indicators(self, n: int) -> Section:
        sch = self.ev.scheme
        lv = level(self.d)
        items = self.ev.items(self.t)
        labels = {dim.name: dim.label for dim in self.d.framework.dimensions}
        counted = has_basis(self.ev.items())  # one layout for every page of the district
        rows, tones = [], []
        if sch.itemised:
            items = items.sort_values("bonus", kind="stable")
            for r in items.itertuples():
                yes_no = r.unit == "是=1"
                unit = "" if yes_no else r.unit
                ok = bool(r.applicable)
                label = [r.label, " ", badge("加分项", "good")] if r.bonus else [r.label]
                rows.append([
                    cell(labels.get(r.dimension, r.dimension)), cell(label),
                    _value_cell(r.value, unit, yes_no) if ok else cell("—"),
                    cell(f"{pts(r.earned)} / {pts(r.max)}", r.earned, unit="分", kind="number")
                    if ok else cell(badge("不适用", "muted"), kind="badge"),
                    cell(r.reason if ok else "不计分"),
                ])  # fmt: skip
                if counted:
                    rows[-1].insert(3, cell(basis_text(r) if ok else ""))
                tones.append("bad" if ok and r.earned < r.max - 1e-9 else "")
            cols = [Column(sch.dimension_label), Column(sch.item_label), Column("本乡镇"),
                    Column("得分 / 分值（满分）"), Column("扣分原因")]  # fmt: skip
            if counted:
                cols.insert(3, Column(BASIS))
        else:
            for r in items.itertuples():
                ok = bool(r.applicable) if pd.notna(r.applicable) else False
                yes_no = r.unit == "是=1"
                unit = "" if yes_no else r.unit
                attained = ok and bool(r.attained)
                dg = decisive(r.value, r.target, attained) if ok else 1
                link = self.survey_figure(r.indicator)
                if not ok:
                    state: list[Any] = [badge("不适用", "muted")]
                elif attained:
                    state = [badge("达标", "good")]
                else:
                    state = [badge("未达标", "bad")]
                    if not yes_no:
                        state += [" ", Run(gap_text(r.value, r.target, unit), role="muted")]
                if ok and link is not None and _covers(link, r.target):
                    state += [" ", Run("（与目标的差异在抽样误差内）", role="ns")]
                mean = (
                    cell(pct(r.district_mean), r.district_mean, kind="number")
                    if yes_no
                    else cell(num(r.district_mean, max(dg, 1), unit), r.district_mean, unit=unit)
                )
                rows.append([
                    cell(labels.get(r.dimension, r.dimension)), cell(r.label),
                    _value_cell(r.value, unit, yes_no, dg) if ok else cell("—"),
                    _value_cell(r.target, unit, yes_no, dg), cell(state, kind="badge"), mean,
                    self.change_cell(r.change, r.unit, link, _reads_survey(self.d, r.indicator)),
                ])  # fmt: skip
                if counted:
                    rows[-1].insert(3, cell(basis_text(r) if ok else ""))
                tones.append("bad" if ok and not attained else "")
            cols = [Column("维度"), Column("指标"), Column("本乡镇"), Column("目标"),
                    Column("达标"), Column(f"全{lv}平均"), Column("比上年")]  # fmt: skip
            if counted:
                cols.insert(3, Column(BASIS))
        met, total, na = attainment_counts(self.ev, self.t)
        note = Paragraph(
            f"{sch.attainment_label}{pct(met / total if total else float('nan'))}"
            f"＝{met}/{total}（{'达到目标' if not sch.itemised else '得满分'}的{sch.item_label}数"
            f"/适用的{sch.item_label}数{'，不含加分项' if sch.itemised else ''}）"
            + (f"；{na}项不适用，不计入分母。" if na else "。")
            + (BASIS_NOTE if counted else "")
            + (
                "问卷指标与目标、与上年的比较按抽样设计检验，标注方式与“群众满意度”一节相同。"
                if not sch.itemised
                else ""
            ),
            style="note",
        )
        return Section(
            heading(n, sch.items_title), [Table(cols, rows, row_tones=tones), note],
            id="indicators",
        )  # fmt: skip

    def survey_figure(self, indicator: str) -> dict[str, float] | None:
        """The survey estimate an indicator is (``survey(x)``, ``100 * survey(x_top2)`` or the
        average of several items, :func:`township.composite_figure`): its interval (on the
        indicator's scale) and its design-based test against last year."""
        link = survey_source(self.d, indicator)
        if self.d.summaries is None:
            return None
        if link is None:  # an average of several items: the design's estimate of it
            comp = T.composite_figure(self.d, indicator)
            mine = comp[comp["township"] == self.t] if comp is not None else None
            if mine is None or not len(mine) or int(mine["n"].iloc[0]) < self.sat.min_n:
                return None
            r = mine.iloc[0]
            return {"low": float(r["ci_low"]), "high": float(r["ci_high"]),
                    "p_previous": float(r["vs_previous_p"])}  # fmt: skip
        item, stat = link
        rows = self.sat.items[self.sat.items["variable"] == item]
        if not len(rows):
            return None
        r = rows.iloc[0]
        if bool(r["small_cell"]):
            return None
        if stat == "mean":
            return {"low": float(r["mean_low"]), "high": float(r["mean_high"]),
                    "p_previous": float(r["vs_previous_p"])}  # fmt: skip
        return {"low": 100 * float(r["top2_low"]), "high": 100 * float(r["top2_high"]),
                "p_previous": self._top2_previous_p(item)}  # fmt: skip

    def _top2_previous_p(self, item: str) -> float:
        """The design-based test of a top-2 share against last year's survey (independent
        samples, each year's own design), as the satisfaction table tests the means."""
        d = self.d
        prev = getattr(d.summaries, "previous_year", None)
        col = f"{item}_top2"
        if prev is None or prev not in d.designs or col not in d.design.data.columns:
            return float("nan")
        from commeval.survey.comparisons import compare_independent

        try:
            c = compare_independent(d.design, d.designs[prev], col, "township")
        except (KeyError, ValueError):
            return float("nan")
        c = c[c["a"] == self.t]
        return float(c["p_value"].iloc[0]) if len(c) else float("nan")

    def change_cell(
        self, change: float, unit: str, link: dict[str, float] | None, survey: bool = False
    ) -> Cell:
        """比上年: the change with its unit; a survey figure's marked by the design-based test
        as the satisfaction table marks it (▲▼ significant, 无显著差异 within sampling error,
        未检验 where no design-based test of that figure is available)."""
        if _missing(change):
            return cell("—")
        if unit == "是=1":
            if round(float(change)) == 0:
                return cell("无变化", change, kind="number")
            return cell("由否变是" if change > 0 else "由是变否", change, kind="number")
        text = signed(change, 1, change_unit(unit))
        if link is None and survey:  # a survey figure without a design-based test of it
            return _marked(change, float("nan"), text=text)
        if link is None:
            return cell(text, change, unit=change_unit(unit), kind="number")
        return _marked(change, link["p_previous"], text=text)

    # 三、村级情况
    def villages(self, n: int) -> Section:
        d, t = self.d, self.t
        v = T.villages(d, t)
        spec = d.contract["villages"]
        names = [c for c in v.table.columns if c not in ("village", "is_pilot")]
        fields = [spec.fields[c] for c in names]
        pilot = spec.fields["is_pilot"].label
        rows = []
        for r in v.table.to_dict("records"):
            name = [r["village"], " ", badge(pilot, "info")] if r["is_pilot"] else [r["village"]]
            rows.append([cell(name), *(_village_cell(f, r[f.name]) for f in fields)])
        cols = [Column(spec.fields["village"].label)] + [
            Column(f.label, f.unit or "") if f.unit and f.dtype == "float" else Column(f.label)
            for f in fields
        ]
        blocks: list[Any] = [Table(cols, rows, style="compact")]
        if len(v.missing):
            by_item = v.missing.groupby("label", sort=False)["village"].apply(list)
            items = [f"缺{lbl}（{len(vs)}个村）：{'、'.join(vs)}" for lbl, vs in by_item.items()]
            blocks.append(Callout("尚未达到“村村有”要求的村：", items=items, tone="info"))
        else:
            req = "、".join(spec.fields[c].label for c in T.REQUIRED_ITEMS if c in spec.fields)
            blocks.append(Paragraph(f"所有村均已建有{req}。", style="ok"))
        return Section(heading(n, "村级情况"), blocks, id="villages")

    # 四、新型农村社区建设
    def communities(self, n: int) -> Section:
        d = self.d
        c = T.communities(d, self.t)
        h = heading(n, "新型农村社区建设")
        if c.empty:
            return Section(
                h, [Paragraph("本乡镇目前没有规划建设新型农村住宅社区。")], id="communities"
            )
        spec = d.contract["communities"]
        status = spec.fields["status"]
        groups = []
        for r in c.to_dict("records"):
            alias = f"（{r['alias']}）" if pd.notna(r.get("alias")) else ""
            facts = (
                f"规划占地{num(r['planned_area_mu'], 0)}亩，辐射{num(r['villages_covered'], 0)}个建制村，"
                f"计划入住{num(r['target_households'], 0)}户、{num(r['target_population'], 0)}人；"
                f"{status.label}：{status.level_label(r['status'])}"
            )
            bars = [
                Progress(
                    label=spec.fields[done].label,
                    done=_float(r[done]),
                    target=_float(r[target]),
                    unit=spec.fields[done].unit or "",
                )  # fmt: skip
                for done, target in PROGRESS
            ]
            plan = _plan_sentence(r, spec)
            groups.append(
                Group(
                    [Paragraph(facts), *bars, *([Paragraph(plan, style="note")] if plan else [])],
                    title=f"{r['community']}{alias}", style="community",
                )
            )  # fmt: skip
        return Section(h, groups, id="communities")

    # 五、群众满意度
    def satisfaction(self, n: int) -> Section:
        d, t, s = self.d, self.t, self.sat
        age = d.contract["survey"].fields["age"]
        min_age = f"{age.min:g}" if age.min is not None else ""
        max_cv = d.options.max_cv
        cv_note = f"，变异系数超过{max_cv:.0%}的比例同样不予报告" if max_cv is not None else ""
        lv = level(d)
        moe = moe_limits(d)
        moe_note = (
            f"；95%置信区间半宽超过{_moe_words(moe)}的数字标“精度不足”，解读时请谨慎"
            if moe != (None, None) else ""
        )  # fmt: skip
        intro = Paragraph(
            f"本年度在{t}抽取{s.n_villages}个村、{s.n}位{min_age}岁以上居民进行入户问卷调查"
            "（分层两阶段抽样：乡镇为层、村为初级抽样单元）。下列结果均按抽样权数加权，置信区间和显著性检验考虑了"
            f"分层和整群抽样设计；有效回答少于{s.min_n}人的项目显示为“{SMALL_CELL}”"
            f"{cv_note}{moe_note}。"
        )
        desc = Table(
            [Column("特征"), Column("类别"), Column("样本数", align="right"),
             Column("加权占比", align="right")],
            [[cell(r.characteristic), cell(r.level), cell(num(r.n, 0), r.n, kind="number"),
              cell(pct(r.share), r.share, unit="%", kind="number")]
             for r in s.description.itertuples()],
            style="compact",
        )  # fmt: skip
        rows = []
        for r in s.items.itertuples():
            rows.append([
                cell(r.label), cell(f"{num(r.n, 0)}人", r.n, kind="number"),
                _flag(estimate(r.mean, r.mean_low, r.mean_high, r.small_cell),
                      (r.mean_high - r.mean_low) / 2, moe[1], r.small_cell),
                _flag(share(r.top2, r.top2_low, r.top2_high, r.small_cell or r.top2_suppressed),
                      50 * (r.top2_high - r.top2_low), moe[0],
                      r.small_cell or r.top2_suppressed),
                cell("—") if r.small_cell else _marked(r.vs_district, r.vs_district_p),
                cell("—") if r.small_cell else _marked(r.vs_previous, r.vs_previous_p),
                cell(pct(r.dont_know), r.dont_know, unit="%", kind="number"),
            ])  # fmt: skip
        items = Table(
            [Column("项目"), Column("有效样本"), Column("平均分（95%CI）"),
             Column("满意率（95%CI）"), Column(f"与{lv}内其他乡镇比"), Column("与上年比"),
             Column("说不清")],
            rows,
        )  # fmt: skip
        note = Paragraph(
            f"有效样本为回答该题（不含“说不清”）的人数，来自{s.n_villages}个样本村。"
            "▲▼ 表示差异在5%水平上显著（按抽样设计校正的检验）；标“无显著差异”的差异在抽样误差范围内，"
            "不能据此判断高低。本报告中问卷数字的每一处比较（与目标、与上年、"
            f"与{lv}内其他乡镇）都按这一规则标注。",
            style="note",
        )
        fig = chart(
            charts.satisfaction_errorbars(s.items, t, level=lv),
            "群众满意度及95%置信区间",
            raster=self.raster,
        )
        needs = Table(
            [Column("最需要的服务（多选）"), Column("选择比例（95%CI）"),
             Column("回答人数", align="right")],
            [[cell(r.label),
              _flag(share(r.estimate, r.ci_low, r.ci_high, r.small_cell),
                    50 * (r.ci_high - r.ci_low), moe[0], r.small_cell),
              cell(f"{num(r.n, 0)}人", r.n, kind="number")]
             for r in s.needs.itertuples()],
            style="compact",
        )  # fmt: skip
        part = Table(
            [Column("知晓与参与"), Column("比例（95%CI）"), Column("回答人数", align="right")],
            [[cell(r.label),
              _flag(share(r.estimate, r.ci_low, r.ci_high, r.small_cell),
                    50 * (r.ci_high - r.ci_low), moe[0], r.small_cell),
              cell(f"{num(r.n, 0)}人", r.n, kind="number")]
             for r in s.participation.itertuples()],
            style="compact",
        )  # fmt: skip
        blocks = [intro, desc, items, note, fig, Group([needs, part], style="two-col")]
        return Section(heading(n, "群众满意度"), blocks, id="satisfaction")

    # 六、存在问题与建议
    def problems(self, n: int) -> Section:
        f = diagnose(self.d, self.t, self.sat)
        h = heading(n, "存在问题与建议")
        if f.empty:
            return Section(
                h, [Paragraph("各项指标均已达到目标，群众评价无显著短板。")], id="problems"
            )
        items = [
            [Run(r.category_label, role="category"), f" {r.sentence}", Run("\n", role="break"),
             Run(f"建议：{r.advice}", role="advice"),
             Run(f"依据：{r.evidence}", role="trace")]
            for r in f.itertuples()
        ]  # fmt: skip
        order = "按失分多少排序" if self.ev.scheme.itemised else "按与目标的差距排序"
        intro = Paragraph(
            f"以下问题{order}，每条均注明支持它的数据；只有数据支持的原因才列为问题，"
            f"抽样误差范围内的问卷差异写明“尚不能确定”。问题类别沿用{level(self.d)}农村社区建设经验材料的归类。"
        )
        return Section(h, [intro, ListBlock(items, ordered=True, style="findings")], id="problems")

    # 七、数据说明
    def provenance(self, n: int, generated: str) -> Section:
        d = self.d
        settings = d.evaluation.settings
        blocks: list[Any] = [
            Paragraph(f"评价方法：{in_level(methods.method_text(settings), level(d))}"),
            Paragraph(f"不适用项的处理：{methods.not_applicable_text(settings)}"),
            Paragraph(
                f"指标体系：{methods.framework_text(settings)}；commeval {__version__}；"
                f"数据处理批次 {d.provenance.run_id}。"
            ),
            _files_table(d),
            Paragraph(f"生成时间：{generated}", style="run-time"),
        ]
        return Section(heading(n, "数据说明"), blocks, id="provenance")


def _files_table(d: District) -> Table:
    rows = [
        [cell(r.get("table", "")), cell(r.get("file", "")),
         cell(Run(str(r.get("sha256", ""))[:16], role="code"))]
        for _, r in d.provenance.sources.iterrows()
    ]  # fmt: skip
    cols = [Column("表"), Column("文件"), Column("SHA-256（前16位）")]
    return Table(cols, rows, style="compact")


#: each community's progress bars: (done, target) fields of the contract's communities table
PROGRESS = [
    ("completed_units", "planned_units"),
    ("phases_completed", "phases_planned"),
    ("households_moved_in", "target_households"),
    ("land_reclaimed_mu", "land_reclaim_target_mu"),
]


def _mu(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _plan_sentence(r: Mapping[str, Any], spec: Any) -> str:
    """How a multi-year community's construction and land reclamation are judged, in plain
    sentences: against what the plan requires by the assessment year (units, phases, 亩 to be
    reclaimed), or — without such a plan in the data — reported only, never counted as a
    shortfall against completion; and the occupancy of built units."""
    due, phases = r.get("planned_units_due"), r.get("phases_due")
    land_due = r.get("land_reclaim_due_mu")
    built, moved = int(r["completed_units"]), int(r["households_moved_in"])
    occ = (
        f"已建成的{built}套中入住{moved}户（{100 * moved / built:.1f}%）。"
        if built else "尚无建成住房。"
    )  # fmt: skip
    if not _missing(due):
        gap = int(due) - built
        plan = f"截至本年度计划建成{int(due)}套，已建成{built}套" + (
            f"，差{gap}套。" if gap > 0 else "，达到本年度计划。"
        )
        if not _missing(phases):
            plan += f"截至本年度计划完成{int(phases)}期，已完成{int(r['phases_completed'])}期。"
    else:
        plan = "数据未给出截至本年度的分年建设计划，住房建设进度只作报告，不计分，不按全部建成计为差距。"
    done, total = float(r["land_reclaimed_mu"]), float(r["land_reclaim_target_mu"])
    if not _missing(land_due):
        lgap = float(land_due) - done
        land = f"截至本年度计划复耕{_mu(float(land_due))}亩，已复耕{_mu(done)}亩" + (
            f"，差{_mu(lgap)}亩。" if lgap > 0 else "，达到本年度计划。"
        )
    else:
        land = (
            f"已置换复耕{_mu(done)}亩（可置换{_mu(total)}亩）；数据未给出截至本年度的复耕计划，"
            "复耕进度只作报告，不计分，不按全部复耕计为差距。"
        )
    if _missing(due) and _missing(land_due):
        return f"{occ}{plan}{land}"
    what = "、".join(w for w, v in (("建设进度", due), ("复耕进度", land_due)) if not _missing(v))
    return f"{plan}{land}{occ}{what}按本年度计划评分，不按全部建成（复耕）要求。"


BASIS = "依据"
BASIS_NOTE = (
    "“依据”为按村（社区）计算的指标所据的村数：2/5村＝填报该项的5个村中有2个村计入；"
    "“6村平均”为6个村的平均值；未填的村不计入分母，另行注明（如“1村未填”）。"
)
_COUNTED_NOUN = {"villages": "村", "communities": "个社区"}


def has_basis(items: pd.DataFrame) -> bool:
    """Whether any item of an evaluation rests on a count of villages (communities)."""
    return "answered" in items and bool(items["answered"].notna().any())


def basis_text(r: Any) -> str:
    """What a village (community) share stands on, as the page prints it: 2/5村 (2 of the 5
    villages with a value count yes), 2/5村（1村未填） where villages left the field blank
    (they are not in the denominator), 5村平均 for a mean of amounts; "" for other items."""
    answered = getattr(r, "answered", None)
    if _missing(answered):
        return ""
    noun = _COUNTED_NOUN.get(str(getattr(r, "counted_in", "")), "村")
    answered, blank = int(answered), int(getattr(r, "blank", 0) or 0)
    numerator = getattr(r, "numerator", None)
    if answered == 0:
        return f"{blank}{noun}均未填" if blank else ""
    core = (
        f"{answered}{noun}平均"
        if _missing(numerator)
        else f"{round(float(numerator))}/{answered}{noun}"
    )
    return core + (f"（{blank}{noun}未填）" if blank else "")


def _float(v: Any) -> float | None:
    return None if _missing(v) else float(v)


def _value_cell(v: float, unit: str, yes_no: bool, digits: int = 1) -> Cell:
    if yes_no and not _missing(v):
        return cell("是" if float(v) >= 0.5 else "否", v, kind="number")
    return cell(num(v, digits, unit), v, unit=unit, kind="number")


def _village_cell(field: Any, value: object) -> Cell:
    if field.dtype == "bool":
        yes = bool(value)
        return cell(Run("✓" if yes else "×", role="tick-yes" if yes else "tick-no"), kind="tick")
    if field.dtype == "level":
        return cell(str(field.level_label(value)))
    return cell(num(value, 0), _float(value), unit=field.unit or "", kind="number")


ALPHA = 0.05  # THE significance level of every comparison of a survey figure


def _marked(diff: float, p: float, alpha: float = ALPHA, text: str | None = None) -> Cell:
    """A comparison of a survey figure, marked the one way every page and table marks it: an
    arrow when the design-based test is significant at ``alpha``, "（无显著差异）" when the
    difference is within sampling error, "（未检验）" when no design-based test is available."""
    if _missing(diff):
        return cell("—")
    text = signed(diff, 2, "分") if text is None else text
    if _missing(p):
        return cell(Run(f"{text}（未检验）", diff, role="ns"), diff, kind="number")
    if p < alpha:
        arrow, role = ("▲", "sig-up") if diff > 0 else ("▼", "sig-down")
        return cell(Run(f"{arrow} {text}", diff, role=role), diff, kind="number")
    return cell(Run(f"{text}（无显著差异）", diff, role="ns"), diff, kind="number")


def _covers(link: Mapping[str, float], target: float) -> bool:
    """Whether a survey figure's 95 % interval covers ``target``."""
    return not _missing(target) and link["low"] <= float(target) <= link["high"]


def in_level(text: str, lv: str) -> str:
    """A method sentence worded for a 区 in the district's own level (全区 → 全县)."""
    return text if lv == "区" else text.replace("全区", f"全{lv}").replace("区内", f"{lv}内")


def level(d: District) -> str:
    """The district's level (区/县/市) as every phrase names it (全县, 县内其他乡镇)."""
    opts = d.options
    return opts.level_of(d.name) if hasattr(opts, "level_of") else "区"


#: time-zone names in words, for the 生成时间 line
TIMEZONE_NAMES = {
    "Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "Asia/Harbin": "北京时间",
    "PRC": "北京时间", "Asia/Urumqi": "乌鲁木齐时间", "Asia/Hong_Kong": "香港时间",
    "Asia/Macau": "澳门时间", "Asia/Taipei": "台北时间", "UTC": "协调世界时", "Etc/UTC": "协调世界时",
}  # fmt: skip


def timezone_name(tz: str) -> str:
    """A time zone in words (北京时间 for Asia/Shanghai); an unknown one by its name."""
    return TIMEZONE_NAMES.get(tz, tz)


def plain_method(itemised: bool) -> str:
    """The one method sentence a cadre reads (the technical detail is in 数据说明)."""
    if itemised:
        return "得分按考核评分表逐项计分后相加；“可能区间”是评分档位等在合理范围内变动时本乡镇可能的名次。"
    return (
        "综合得分把每项指标与目标的差距折算为0–100分（达到目标得满分），再按各维度的权重加总；"
        "“可能区间”是权重和计算方法在合理范围内变动时本乡镇可能的名次（方法细节见数据说明）。"
    )


def attainment_counts(ev: Any, township: str) -> tuple[int, int, int]:
    """达标率's numerator and denominator: items that meet their target (full points), items
    that apply (bonus items excluded), items that do not apply."""
    it = ev.items(township)
    it = it[~it["bonus"].astype(bool)]
    ok = it["applicable"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    met = it["attained"].astype("boolean").fillna(False).to_numpy(dtype=bool) & ok
    return int(met.sum()), int(ok.sum()), int((~ok).sum())


def survey_source(d: District, indicator: str) -> tuple[str, str] | None:
    """(item, "mean" | "top2") when an indicator is one survey estimate, else None."""
    return _survey_link(d, indicator)


def _reads_survey(d: District, indicator: str) -> bool:
    """Whether an indicator is computed from survey estimates."""
    ind = d.framework.indicators.get(indicator) if d.framework is not None else None
    return ind is not None and "survey(" in str(ind.source)


def _partial_dimensions(ev: Any) -> pd.DataFrame:
    """Dimension scores of the dimensions that apply to some townships only."""
    dims = ev.dimension_scores()
    applies = dims.groupby("dimension", sort=False)["score"].agg(lambda s: s.notna().mean())
    partial = applies[(applies > 0) & (applies < 1)].index
    return dims[dims["dimension"].isin(partial)]


NA_WORDS = {
    "renormalise": "该维度的权重按比例分摊到其余维度，不适用的乡镇既不因此加分也不因此扣分",
    "neutral": "不适用的乡镇在该维度按适用乡镇的平均分计入",
    "separate": "该维度单列报告，不计入任何乡镇的综合得分",
}


def not_applicable_note(d: District, township: str) -> str:
    """One plain sentence where the not-applicable treatment matters to this township: which
    dimension applies to whom, how it is treated, and the township's rank under the
    alternative treatments when it differs."""
    ev = d.evaluation
    part = _partial_dimensions(ev)
    if part.empty:
        return ""
    modes = dict(ev.settings.get("not_applicable") or {})
    out = []
    for dim, g in part.groupby("dimension", sort=False):
        label = str(g["label"].iloc[0])
        applies = list(g.loc[g["score"].notna(), "township"])
        mine = township in applies
        who = (
            f"本乡镇有{label}任务；该维度只适用于{'、'.join(applies)}{len(applies)}个乡镇"
            if mine else f"本乡镇没有{label}任务，该维度不适用"
        )  # fmt: skip
        if ev.scheme.itemised:
            how = "不适用的考核内容不计分，满分相应减少"
        else:
            how = NA_WORDS.get(modes.get(dim, "renormalise"), NA_WORDS["renormalise"])
        out.append(f"{who}，{how}")
    sentence = "；".join(out) + "。"
    from commeval.index.scenarios import NOT_APPLICABLE_LABELS, not_applicable_ranks

    ranks = not_applicable_ranks(ev)
    mine = ranks[(ranks["township"] == township) & ~ranks["used"]] if len(ranks) else ranks
    alts = [
        f"若该维度{NOT_APPLICABLE_LABELS[r.treatment]}，本乡镇为第{r.rank}名"
        for r in mine.itertuples() if r.rank != r.rank_used
    ]  # fmt: skip
    if alts:
        sentence += "换一种处理方式，名次会变：" + "；".join(alts) + "（见汇总报告）。"
    elif len(mine):
        sentence += "换用其他处理方式，本乡镇名次不变。"
    return sentence


def data_dates(d: District) -> str:
    """Where the figures come from and when: the data's year and the survey's period (from
    ``commeval.yaml``), never a file's modification time."""
    period = getattr(d.options, "survey_period", None)
    survey = f"{d.year}年群众满意度入户问卷调查" + (f"（调查时间：{period}）" if period else "")
    return f"{d.year}年度村级台账、乡镇报表和新型农村社区建设报表；{survey}。"


def moe_limits(d: District) -> tuple[float | None, float | None]:
    """``report.max_moe`` as (百分点 for shares, 分 for scores): a number applies to shares
    in 百分点 and, divided by 100 and times the 1–5 scale's range 4, to scores."""
    m = getattr(d.options, "max_moe", None)
    if m is None:
        return None, None
    return float(m), float(m) * 4 / 100


def _moe_words(moe: tuple[float | None, float | None]) -> str:
    return f"{moe[0]:g}个百分点（满意率）或{moe[1]:.2g}分（平均分）"


def _flag(c: Cell, half: float, limit: float | None, hidden: bool) -> Cell:
    """Mark an estimate whose 95 % interval half-width exceeds ``report.max_moe``."""
    if limit is None or hidden or _missing(half) or half <= limit:
        return c
    runs = list(c.runs) if hasattr(c, "runs") else []
    if not runs:
        return c
    return cell([*runs, " ", Run("精度不足", role="badge", tone="muted")], c.value,
                low=c.low, high=c.high, unit=c.unit, kind=c.kind)  # fmt: skip


def township_header(d: District, township: str) -> Section:
    """The page header: the synthetic-data banner, the series title, THE title, data sources."""
    h = T.header(d, township)
    blocks: list[Any] = [Banner(message=SYNTHETIC_BANNER)] if h.synthetic else []
    blocks += [Paragraph(h.title, style="kicker"), Heading(0, township_title(township, h.year))]
    blocks.append(Paragraph(f"数据来源：{data_dates(d)}", style="meta"))
    return Section(None, blocks, id="header")


#: The township report's sections in order: (id, composer). THE order (notebook, pages, Word).
TOWNSHIP_SECTIONS: tuple[str, ...] = (
    "header", "overview", "indicators", "villages", "communities", "satisfaction", "problems",
    "provenance",
)  # fmt: skip


def _date(generated: str) -> str:
    """The cover's date: the day of the generation time ("2013-06-01 10:00（…）" → 2013年6月1日)."""
    day = generated.split(" ")[0] if generated else ""
    parts = day.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0])}年{int(parts[1])}月{int(parts[2])}日"
    return day


def township_meta(d: District, township: str, generated: str = "") -> Meta:
    return Meta(
        title=township_title(township, d.year),
        district=d.name,
        township=township,
        year=d.year,
        organisation=getattr(d.options, "organisation", "") or "",
        date=_date(generated),
        generated=generated,
        synthetic=bool(d.synthetic),
        subtitle=d.options.title_for(d.name, d.year),
    )


def compose_township(
    d: District,
    township: str,
    *,
    generated: str = "",
    raster: bool = False,
    sections: Sequence[str] | None = None,
    sat: T.Satisfaction | None = None,
) -> Document:
    """One township's report as a document. ``generated``: the generation time as printed
    (the caller reads the clock); ``raster``: give every chart a PNG too (Word needs one);
    ``sections``: only these (ids of :data:`TOWNSHIP_SECTIONS`), in the report's order;
    ``sat``: the township's survey section data when the caller has it already."""
    T.header(d, township)  # an unknown township fails here, with the names there are
    c = _Township(d, township, raster, sat)
    make: dict[str, Callable[[int], Section]] = {
        "header": lambda n: township_header(d, township),
        "overview": c.overview,
        "indicators": c.indicators,
        "villages": c.villages,
        "communities": c.communities,
        "satisfaction": c.satisfaction,
        "problems": c.problems,
        "provenance": lambda n: c.provenance(n, generated),
    }
    wanted = set(TOWNSHIP_SECTIONS if sections is None else sections)
    out = []
    for n, sid in enumerate(TOWNSHIP_SECTIONS):  # the header is 0: sections count from 一
        if sid in wanted:
            out.append(make[sid](n))
    return Document("township", township_meta(d, township, generated), out)


# --- district summary ------------------------------------------------------------------------------

RANKING_HEADERS = {
    "rank": "排名",
    "township": "乡镇",
    "score": "综合得分",
    "grade": "等级",
    "rank_low": "排名区间下限",
    "rank_high": "排名区间上限",
    "attainment": "指标达标率",
    "score_change": "得分比上年变化",
    "satisfaction": "总体满意度（1–5分）",
    "satisfaction_low": "满意度95%CI下限",
    "satisfaction_high": "满意度95%CI上限",
    "previous_rank": "上年排名",
}
OVERALL = "sat_overall"  # the contract's overall-satisfaction item


def satisfaction_by_township(d: District) -> pd.DataFrame:
    """Overall satisfaction (说不清 as no opinion) per township for the assessment year: the
    mean rows of the district's survey summaries, the same numbers the township reports print."""
    lik = d.summaries.likert
    rows = lik[(lik["variable"] == OVERALL) & (lik["statistic"] == "mean")]
    return rows.drop(columns=["statistic", "level"], errors="ignore").reset_index(drop=True)


def ranking(d: District) -> pd.DataFrame:
    """One row per township: rank, score, grade, rank interval, attainment, change,
    satisfaction, last year's rank."""
    ev = d.evaluation
    r = ev.totals()
    ch = ev.change
    if ch is not None and len(ch):
        sc = ch[ch["measure"] == "score"][["township", "change"]].rename(
            columns={"change": "score_change"}
        )
        rk = ch[ch["measure"] == "rank"][["township", "previous"]].rename(
            columns={"previous": "previous_rank"}
        )
        r = r.merge(sc, on="township", how="left").merge(rk, on="township", how="left")
    else:
        r["score_change"] = float("nan")
        r["previous_rank"] = float("nan")
    sat = satisfaction_by_township(d)[["township", "estimate", "ci_low", "ci_high"]]
    sat.columns = ["township", "satisfaction", "satisfaction_low", "satisfaction_high"]
    r = r.merge(sat, on="township", how="left")
    r["previous_rank"] = r["previous_rank"].astype("Int64")
    return r.sort_values("rank")[list(RANKING_HEADERS)].reset_index(drop=True)


def attainment_matrix(d: District) -> pd.DataFrame:
    """Township × indicator: normalised distance to target (100 = target met), NaN = n/a."""
    ind = d.evaluation.indicators
    ind = ind.assign(v=ind["normalised"].where(ind["applicable"].astype("boolean").fillna(False)))
    m = ind.pivot_table(index="township", columns="label", values="v", sort=False, dropna=False)
    order = list(dict.fromkeys(ind["label"]))
    towns = d.evaluation.scores.sort_values("rank")["township"]
    return m.reindex(index=towns, columns=order)


def _all_of(frame: pd.DataFrame, mask: pd.Series, shown: str) -> str:
    """The townships of ``frame`` where ``mask`` holds, with the value they share:
    "城关镇（+7.3分）", "城关镇、龙城镇（均+7.3分）"."""
    names = "、".join(frame.loc[mask, "township"].astype(str))
    return f"{names}（{'均' if int(mask.sum()) > 1 else ''}{shown}）"


def findings(d: District, rank: pd.DataFrame) -> list[str]:
    """The summary's overall findings, in plain sentences: townships per grade; the items
    most townships fall short on; the largest movers on last year."""
    ev = d.evaluation
    sch = ev.scheme
    tot = ev.totals()
    n = len(tot)
    counts = tot["grade"].value_counts()
    order = [g for g, _ in d.framework.grades] + sorted(
        set(counts.index) - {g for g, _ in d.framework.grades}
    )
    per = "、".join(f"{g}{int(counts[g])}个" for g in order if g in counts)
    vetoed = int((tot["veto"] != "").sum())
    lv = level(d)
    out = [f"全{lv}{n}个乡镇中，{per}{f'（其中{vetoed}个因一票否决降等）' if vetoed else ''}。"]
    it = ev.items()
    it = it[it["applicable"].astype("boolean").fillna(False) & ~it["bonus"].astype(bool)]
    short = it.assign(miss=~it["attained"].astype("boolean").fillna(False))
    g = short.groupby(["indicator", "label"], sort=False)["miss"].agg(["sum", "count"])
    most = g[g["sum"] > g["count"] / 2].sort_values("sum", ascending=False, kind="stable")
    if len(most):
        names = "、".join(
            f"{lbl}（{int(r['sum'])}个乡镇）" for (_, lbl), r in most.head(5).iterrows()
        )
        out.append(f"多数乡镇{sch.shortfall}的{sch.item_label}：{names}。")
    else:
        out.append(f"没有多数乡镇{sch.shortfall}的{sch.item_label}。")
    moves = rank.dropna(subset=["score_change"])
    if len(moves):
        # every township whose printed change equals the extreme is named (a tie at the
        # printed precision is a tie to the reader)
        printed = moves["score_change"].map(lambda x: signed(x, 1, "分"))
        up = printed[moves["score_change"] == moves["score_change"].max()].iloc[0]
        down = printed[moves["score_change"] == moves["score_change"].min()].iloc[0]
        text = f"与上年相比，{sch.score_label}提高最多的是{_all_of(moves, printed == up, up)}"
        if down != up and moves["score_change"].min() < 0:
            text += f"，下降最多的是{_all_of(moves, printed == down, down)}"
        rk = moves.dropna(subset=["previous_rank"])
        if len(rk):
            jump = rk["previous_rank"].astype(float) - rk["rank"].astype(float)
            if jump.max() > 0:
                text += "；排名上升最多的是" + "、".join(
                    f"{r['township']}（由第{int(r['previous_rank'])}名升至第{int(r['rank'])}名）"
                    for _, r in rk[jump == jump.max()].iterrows()
                )
        out.append(text + "。")
    else:
        out.append("没有上年的评价结果，本年不作比较。")
    sat = satisfaction_by_township(d)
    if len(sat) > 1 and {"ci_low", "ci_high"} <= set(sat.columns):
        out.append(
            "各乡镇群众总体满意度的95%置信区间相互重叠的，差异在抽样误差范围内，"
            "不据此排先后；排名表中的满意度均附置信区间。"
        )
    return out


def rank_change_chances(d: District, treatments: Sequence[str]) -> dict[str, pd.DataFrame]:
    """For each alternative not-applicable treatment, how likely each township's rank differs
    from the one the evaluation used, from the Monte Carlo draws paired by draw
    (:func:`commeval.index.scenarios.not_applicable_rank_change`: township, p_differs, …),
    kept beside the evaluation (``derived.memo`` under the district key, so the extra Monte
    Carlo run happens once per data and settings). Empty when the evaluation has no draws."""
    from commeval import derived
    from commeval.index.scenarios import not_applicable_rank_change

    ev = d.evaluation
    if ev.draws is None or ev.draws.empty:
        return {}
    out = {}
    for m in treatments:

        def run(m: str = m) -> pd.DataFrame:
            return not_applicable_rank_change(ev, m, tables=d.tables, framework=d.framework)

        try:
            out[m] = derived.memo(
                d.processed_dir / "evaluation", d.district_key, f"na-rank-change-{m}", run
            )
        except ValueError:  # an evaluation that cannot be re-run under another treatment
            continue
    return out


def not_applicable_section(d: District) -> list[Any]:
    """The summary's account of the not-applicable treatment, only where it matters (empty when
    every dimension applies to every township): which dimensions apply to some townships only,
    how they are treated, and the townships whose rank changes under an alternative treatment —
    第N名 under each, with the chance that the rank differs (from the Monte Carlo draws)."""
    from commeval.index.scenarios import NOT_APPLICABLE_LABELS, not_applicable_ranks

    ev = d.evaluation
    part = _partial_dimensions(ev)
    if part.empty:
        return []
    modes = dict(ev.settings.get("not_applicable") or {})
    blocks: list[Any] = []
    for dim, g in part.groupby("dimension", sort=False):
        applies = list(g.loc[g["score"].notna(), "township"])
        how = (
            "不适用的考核内容不计分，满分相应减少"
            if ev.scheme.itemised
            else NA_WORDS.get(modes.get(dim, "renormalise"), NA_WORDS["renormalise"])
        )
        blocks.append(
            Paragraph(
                f"“{g['label'].iloc[0]}”只适用于{'、'.join(applies)}（{len(applies)}个乡镇），"
                f"{how}。"
            )
        )
    ranks = not_applicable_ranks(ev)
    if ranks.empty:
        return blocks
    alts = [
        m for m in NOT_APPLICABLE_LABELS if not ranks.loc[ranks["treatment"] == m, "used"].all()
    ]
    wide = ranks.pivot_table(index="township", columns="treatment", values="rank", sort=False)
    used = ranks.drop_duplicates("township").set_index("township")["rank_used"]
    changed = [t for t in wide.index if any(wide.loc[t, m] != used[t] for m in alts)]
    if not changed:
        blocks.append(Paragraph("换用其他处理方式，各乡镇名次都不变。"))
        return blocks
    chances = rank_change_chances(d, alts) if not ev.scheme.itemised else {}
    p = {m: c.set_index("township")["p_differs"] for m, c in chances.items()}
    moves = []
    for t in changed:
        alt = [
            f"若{NOT_APPLICABLE_LABELS[m]}为第{int(wide.loc[t, m])}名"
            for m in alts if wide.loc[t, m] != used[t]
        ]  # fmt: skip
        moves.append(f"{t}本次第{int(used[t])}名，{'，'.join(alt)}")
    blocks.append(
        Paragraph(
            f"换用其他处理方式，{len(changed)}个乡镇的名次会变：{'；'.join(moves)}。"
            "名次差别说明这些乡镇的排名受处理方式影响，应结合各维度得分解读。"
        )
    )

    def alt_cell(t: str, m: str) -> Cell:
        rk = int(wide.loc[t, m])
        text = f"第{rk}名"
        if m in p and t in p[m].index and not _missing(p[m][t]):
            text += f"（名次不同的概率{100 * float(p[m][t]):.0f}%）"
        return cell(text, rk, kind="number")

    cols = [Column("乡镇"), Column("本次排名")] + [
        Column(f"若{NOT_APPLICABLE_LABELS[m]}") for m in alts
    ]
    rows = [
        [cell(t), cell(f"第{int(used[t])}名", int(used[t]), kind="number"),
         *(alt_cell(t, m) for m in alts)]
        for t in changed
    ]  # fmt: skip
    blocks.append(Table(cols, rows, style="compact"))
    if p:
        blocks.append(
            Paragraph(
                "“名次不同的概率”：蒙特卡罗模拟中（权重和计算方法在合理范围内变动时），"
                "同一次模拟下换用该处理方式后本乡镇名次与本次不同的比例。",
                style="note",
            )
        )
    return blocks


def summary_meta(d: District, generated: str = "") -> Meta:
    return Meta(
        title=summary_title(d.name, d.year),
        district=d.name,
        year=d.year,
        organisation=getattr(d.options, "organisation", "") or "",
        date=_date(generated),
        generated=generated,
        synthetic=bool(d.synthetic),
        subtitle=f"{d.name} · 农村社区建设评估",
    )


def compose_summary(
    d: District,
    reports: Sequence[Mapping[str, Any]] | None = None,
    *,
    generated: str = "",
    raster: bool = False,
) -> Document:
    """The district summary as a document. ``reports``: township, status, href, error and
    ``files`` (format → path: the township's other files) from the batch run."""
    ev = d.evaluation
    sch = ev.scheme
    rank = ranking(d)
    links = {r["township"]: r for r in (reports or [])}
    head: list[Any] = [Banner(message=SYNTHETIC_BANNER)] if d.synthetic else []
    head += [
        Paragraph(f"{d.name} · 农村社区建设评估", style="kicker"),
        Heading(0, summary_title(d.name, d.year)),
        Paragraph(
            f"全{level(d)}{len(rank)}个乡镇；{methods.interval_note(ev.settings)}", style="meta"
        ),
    ]
    sections = [Section(None, head, id="header")]
    sections.append(
        Section(heading(1, "总体情况"), [Paragraph(s) for s in findings(d, rank)], id="findings")
    )
    # 二、乡镇排名
    tot = ev.totals().set_index("township")
    rows = []
    for r in rank.itertuples():
        info = links.get(r.township, {})
        name: list[Any] = [Run(r.township)]
        if info.get("status") == "failed":
            name += [" ", Run(f"（报告生成失败：{info.get('error', '')}）", role="failed")]
        elif info.get("href"):
            name = [Run(r.township, href=str(info["href"]))]
        score = f"{r.score:.1f}"
        if sch.itemised:
            score += f"（满分 {tot.loc[r.township, 'max_score']:g}）"
        grade: list[Any] = [badge(str(r.grade), grade_kind(d.framework.grades, str(r.grade)))]
        veto = tot.loc[r.township, "veto"]
        if veto:
            grade += [" ", Run(f"一票否决：{veto}", role="failed")]
        prev = "—" if _missing(r.previous_rank) else f"第{int(r.previous_rank)}名"
        met, total, _ = attainment_counts(ev, r.township)
        sat_text: list[Any] = (
            ["—"] if _missing(r.satisfaction)
            else [f"{r.satisfaction:.2f}",
                  Run(f"（{r.satisfaction_low:.2f}–{r.satisfaction_high:.2f}）", role="ci")]
        )  # fmt: skip
        rows.append([
            cell(f"第{r.rank}名", r.rank, kind="number"), cell(name),
            cell(score, r.score, unit="分", kind="number"), cell(grade, kind="badge"),
            cell(f"第{r.rank_low}–{r.rank_high}名" if r.rank_low != r.rank_high
                 else f"第{r.rank_low}名", low=r.rank_low, high=r.rank_high),
            cell(f"{pct(r.attainment)}（{met}/{total}）", r.attainment, unit="%", kind="number"),
            cell(signed(r.score_change, 1, "分"), r.score_change, unit="分", kind="number"),
            cell(prev, None if _missing(r.previous_rank) else float(r.previous_rank), kind="number"),
            cell(sat_text, r.satisfaction, low=r.satisfaction_low, high=r.satisfaction_high,
                 kind="estimate"),
        ])  # fmt: skip
    cols = [Column("排名"), Column("乡镇"), Column(sch.score_label), Column("等级"),
            Column("排名区间"), Column(sch.attainment_short), Column("比上年"), Column("上年排名"),
            Column("满意度（95%CI）")]  # fmt: skip
    blocks: list[Any] = [
        Paragraph(
            f"{sch.attainment_short}括号内为“达到目标的{sch.item_label}数/适用的{sch.item_label}数”，"
            "各乡镇适用的项目数不同（如没有新型农村社区建设任务的乡镇）。",
            style="note",
        )
    ]
    failed = [t for t, r in links.items() if r.get("status") == "failed"]
    if failed:
        blocks.append(
            Callout(
                f"以下乡镇的报告生成失败：{'、'.join(failed)}（详见 manifest.json）", tone="bad"
            )
        )
    blocks.append(Table(cols, rows, style="ranking", id="ranking-table"))
    files = [(t, r.get("files") or {}) for t, r in links.items() if r.get("files")]
    if files:  # the township's Word and PDF files beside its page: links only the page has
        items = [
            [f"{t}：", *_join([Run(FORMAT_NAMES.get(k, k), href=str(v)) for k, v in fs.items()])]
            for t, fs in files
        ]
        blocks.append(Paragraph("各乡镇报告文件：", style="meta", origin="renderer"))
        blocks.append(ListBlock(items, style="files", origin="renderer"))
    sections.append(Section(heading(2, "乡镇排名"), blocks, id="ranking"))
    na = not_applicable_section(d)  # only where the treatment matters
    if na:
        sections.append(Section(heading(3, "不适用项的处理"), na, id="not_applicable"))
    k = 4 if na else 3  # the next heading's number
    # 三、各维度得分
    dims = ev.dimension_scores()
    order = list(rank["township"])
    labels = list(dict.fromkeys(dims["label"]))
    full = dims.drop_duplicates("label").set_index("label")["max_score"]
    piv = dims.pivot_table(index="township", columns="label", values="score", sort=False)
    piv = piv.reindex(index=order, columns=labels)
    dcols = [Column("乡镇")] + [
        Column(f"{lbl}（满分 {pts(full[lbl])}）" if sch.itemised and full[lbl] else lbl,
               align="right")
        for lbl in labels
    ]  # fmt: skip
    drows = [
        [cell(t), *(cell(num(piv.loc[t, lbl], 1), piv.loc[t, lbl], unit="分", kind="number")
                    for lbl in labels)]
        for t in order
    ]  # fmt: skip
    sections.append(
        Section(
            heading(k, f"各{sch.dimension_label}得分"),
            [
                Table(dcols, drows, style="compact"),
                Paragraph("“—”表示该维度对该乡镇不适用（见“不适用项的处理”）。", style="note"),
            ],
            id="dimensions",
        )
    )
    sections.append(
        Section(
            heading(k + 1, "综合得分与排名区间"),
            [
                chart(
                    charts.rank_intervals(
                        rank, level=methods.interval_level(d.evaluation.settings)
                    ),
                    "各乡镇综合得分与排名区间",
                    tight=True,
                    raster=raster,
                )
            ],
            id="scores",
        )  # fmt: skip
    )
    sections.append(
        Section(
            heading(k + 2, "指标达标热力图"),
            [
                chart(
                    charts.attainment_heatmap(attainment_matrix(d)),
                    "指标达标热力图",
                    tight=True,
                    raster=raster,
                )
            ],
            id="heatmap",
        )  # fmt: skip
    )
    sat = rank.rename(
        columns={"satisfaction": "estimate", "satisfaction_low": "ci_low",
                 "satisfaction_high": "ci_high"}
    )  # fmt: skip
    sections.append(
        Section(
            heading(k + 3, "各乡镇群众满意度"),
            [
                chart(
                    charts.satisfaction_ranking(sat.dropna(subset=["estimate"])),
                    "各乡镇群众总体满意度",
                    tight=True,
                    raster=raster,
                )
            ],
            id="satisfaction",
        )  # fmt: skip
    )
    notes: list[Any] = [Paragraph(plain_method(sch.itemised))]
    notes += [Paragraph(in_level(s, level(d))) for s in methods.method_sentences(ev.settings)]
    notes.append(Paragraph(f"不适用项的处理：{methods.not_applicable_text(ev.settings)}"))
    notes.append(Paragraph(f"数据来源：{data_dates(d)}"))
    notes += [
        Paragraph(
            f"指标体系：{methods.framework_text(ev.settings)}；commeval {__version__}；"
            f"数据处理批次 {d.provenance.run_id}。"
        ),
        _files_table(d),
        Paragraph(f"生成时间：{generated}", style="run-time"),
    ]
    sections.append(Section(heading(k + 4, "方法与数据说明"), notes, id="methods"))
    return Document("summary", summary_meta(d, generated), sections, toc=True)


#: how the summary names each format's file of a township
FORMAT_NAMES = {"html": "网页", "docx": "Word", "pdf": "PDF"}


def _join(runs: Sequence[Run], sep: str = " · ") -> list[Run | str]:
    out: list[Run | str] = []
    for i, r in enumerate(runs):
        if i:
            out.append(sep)
        out.append(r)
    return out
