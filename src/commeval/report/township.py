"""Content of a township report, section by section, as data (tables, numbers, sentences).

Each function takes a :class:`~commeval.district.District` and a township name and
returns tidy frames or small dataclasses; ``commeval.report.render`` turns them into HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from commeval.district import SURVEY_MIN_N, District
from commeval.survey import questionnaire
from commeval.survey.suppression import suppression

KEY_FACILITIES = ["has_party_office", "has_police_room", "has_library", "has_sports_room"]
REQUIRED_FACILITIES = ["has_library", "has_police_room"]  # 村村有图书室、村村有警务室
#: What every village must have: the required facilities and a 村民代表议事会.
REQUIRED_ITEMS = [*REQUIRED_FACILITIES, "has_representative_council"]
#: A pilot village's service centre should have at least this floor area (平方米).
PILOT_CENTRE_M2 = 300


def _check_township(d: District, township: str) -> None:
    if township not in d.townships:
        raise ValueError(f"乡镇“{township}”不在数据中（共有：{'、'.join(d.townships)}）")


@dataclass
class Header:
    township: str
    year: int
    district: str
    synthetic: bool
    sources: pd.DataFrame  # table, file, modified, sha256
    title: str  # the report series' title (the project's, else "<district> <year> 年…评估报告")


def header(d: District, township: str) -> Header:
    """Who, when, from which files."""
    _check_township(d, township)
    src = d.provenance.sources
    if not src.empty:
        src = src[[c for c in ("table", "file", "modified", "sha256") if c in src.columns]]
    title = d.options.title_for(d.name, d.year)
    return Header(township, d.year, d.name, d.synthetic, src, title)


@dataclass
class Overview:
    township: str
    year: int
    score: float
    grade: str
    rank: int
    rank_low: int
    rank_high: int
    n_townships: int
    attainment: float
    previous_score: float | None
    previous_rank: int | None
    dimensions: pd.DataFrame  # dimension, label, score, district_mean


def overview(d: District, township: str) -> Overview:
    """综合评价: score, grade, rank with its 90 % interval, change, dimension scores."""
    _check_township(d, township)
    ev = d.evaluation
    row = ev.scores.set_index("township").loc[township]
    dims = ev.dimensions
    mean = dims.groupby("dimension", sort=False)["score"].mean().rename("district_mean")
    mine = dims[dims["township"] == township].set_index("dimension")
    dim_tab = mine[["label", "score"]].join(mean).reset_index()
    prev_score = prev_rank = None
    ch = ev.change
    if ch is not None and len(ch):
        sc = ch[(ch["township"] == township) & (ch["measure"] == "score")]
        rk = ch[(ch["township"] == township) & (ch["measure"] == "rank")]
        if len(sc):
            prev_score = float(sc["previous"].iloc[0])
        if len(rk) and pd.notna(rk["previous"].iloc[0]):
            prev_rank = int(rk["previous"].iloc[0])
    return Overview(
        township=township,
        year=d.year,
        score=float(row["score"]),
        grade=str(row["grade"]),
        rank=int(row["rank"]),
        rank_low=int(row["rank_low"]),
        rank_high=int(row["rank_high"]),
        n_townships=len(ev.scores),
        attainment=float(row["attainment"]),
        previous_score=prev_score,
        previous_rank=prev_rank,
        dimensions=dim_tab,
    )


@dataclass
class PointsOverview:
    """综合评价 of a scorecard (``scoring: points``)."""

    township: str
    year: int
    score: float  # total points (base + capped bonus)
    max_points: float  # 满分 of the applicable items
    base: float
    bonus: float
    grade: str
    grade_before_veto: str
    veto: str  # the veto items triggered, with their values ("" = none)
    rank: int
    rank_low: int
    rank_high: int
    n_townships: int
    attainment: float  # share of items at full points
    previous_score: float | None
    previous_rank: int | None
    dimensions: pd.DataFrame  # dimension, label, score, max_points, district_mean


def points_overview(d: District, township: str) -> PointsOverview:
    """综合评价 of a scorecard: 得分（满分）, bonus, grade, veto, rank with its interval."""
    o = overview(d, township)
    row = d.evaluation.scores.set_index("township").loc[township]
    dims = d.evaluation.dimensions
    mine = dims[dims["township"] == township].set_index("dimension")
    mean = dims.groupby("dimension", sort=False)["score"].mean().rename("district_mean")
    tab = mine[["label", "score", "max_points"]].join(mean).reset_index()
    veto = row["veto"] if isinstance(row["veto"], str) else ""
    return PointsOverview(
        township, o.year, o.score, float(row["max_points"]), float(row["base_points"]),
        float(row["bonus_points"]), o.grade, str(row["grade_before_veto"]), veto,
        o.rank, o.rank_low, o.rank_high, o.n_townships, o.attainment, o.previous_score,
        o.previous_rank, tab,
    )  # fmt: skip


def points_table(d: District, township: str) -> pd.DataFrame:
    """考核评分: every item with its value, 得分, 分值 and 扣分原因 (bonus items last)."""
    ind = indicator_table(d, township)
    ev = d.evaluation.indicators
    extra = ev[ev["township"] == township][["indicator", "points", "max_points", "bonus", "reason"]]
    out = ind.merge(extra, on="indicator", how="left")
    return out.sort_values("bonus", kind="stable").reset_index(drop=True)


def indicator_table(d: District, township: str) -> pd.DataFrame:
    """指标达标情况: every indicator with value, target, attained, district mean and change."""
    _check_township(d, township)
    ev = d.evaluation
    ind = ev.indicators[ev.indicators["township"] == township].copy()
    ch = ev.change
    if ch is not None and len(ch):
        c = ch[(ch["township"] == township) & (ch["kind"] == "indicator")]
        ind = ind.merge(
            c[["measure", "change"]].rename(columns={"measure": "indicator"}),
            on="indicator",
            how="left",
        )
    else:
        ind["change"] = np.nan
    dim_labels = {dim.name: dim.label for dim in d.framework.dimensions}
    ind["dimension_label"] = ind["dimension"].map(dim_labels)
    cols = [
        "dimension",
        "dimension_label",
        "indicator",
        "label",
        "unit",
        "value",
        "target",
        "attained",
        "district_mean",
        "change",
        "applicable",
        "normalised",
    ]
    return ind[cols].reset_index(drop=True)


@dataclass
class Villages:
    table: pd.DataFrame  # one row per village
    missing: pd.DataFrame  # village, facility, label: required facilities a village lacks


def villages(d: District, township: str) -> Villages:
    """村级情况: one row per village (pilots first) and the villages missing a required item."""
    _check_township(d, township)
    v = d.tables["villages"]
    v = v[(v["township"] == township) & (v["year"] == d.year)]
    v = v.sort_values(["is_pilot", "village"], ascending=[False, True])
    cols = [
        "village",
        "is_pilot",
        "population",
        "service_center_m2",
        *KEY_FACILITIES,
        "has_representative_council",
        "affairs_demo_level",
        "rule_of_law_demo_level",
        "college_grad_officials",
    ]
    spec = d.contract["villages"]
    rows = []
    for col in REQUIRED_ITEMS:
        for name in v.loc[~v[col].astype(bool), "village"]:
            rows.append({"village": name, "facility": col, "label": spec.fields[col].label})
    pilots = v[v["is_pilot"] & (v["service_center_m2"] < PILOT_CENTRE_M2)]
    area = spec.fields["service_center_m2"]
    short = f"{area.label}不足{PILOT_CENTRE_M2}{area.unit or ''}"
    for name in pilots["village"]:
        rows.append({"village": name, "facility": "service_center_m2", "label": short})
    missing = pd.DataFrame(rows, columns=["village", "facility", "label"])
    return Villages(v[cols].reset_index(drop=True), missing)


def communities(d: District, township: str) -> pd.DataFrame:
    """新型农村社区建设: progress of each community against its targets."""
    _check_township(d, township)
    c = d.tables["communities"]
    c = c[(c["township"] == township) & (c["year"] == d.year)]
    return c.reset_index(drop=True)


@dataclass
class Satisfaction:
    n: int
    n_villages: int
    description: pd.DataFrame  # characteristic, level, n, share (weighted)
    items: pd.DataFrame  # variable, label, mean/top2 with CIs, small_cell, vs district & last year
    needs: pd.DataFrame  # option, label, estimate, ci, small_cell
    participation: pd.DataFrame
    min_n: int = SURVEY_MIN_N  # the threshold the flags were computed with
    notes: list[str] = field(default_factory=list)


def _township_rows(frame: pd.DataFrame, township: str) -> pd.DataFrame:
    return frame[frame["township"] == township].drop(columns="township").reset_index(drop=True)


def satisfaction(d: District, township: str, min_n: int | None = None) -> Satisfaction:
    """群众满意度: design-based estimates for the township, compared with the rest of the
    district and with the previous year (marked significant only where the design-based test
    says so at the 5 % level)."""
    _check_township(d, township)
    min_n = d.options.small_cell if min_n is None else min_n
    spec = d.contract["survey"]
    summary = d.summaries
    if summary is None:
        raise ValueError(f"问卷数据没有 {d.year} 年的调查（有 {sorted(d.designs)}）")
    design = d.design
    s = design.data
    mine = (s["township"] == township).to_numpy()
    dt = design.subset(mine)
    n = int(mine.sum())
    if n == 0:  # `commeval validate` reports this as an error at the township's row
        raise ValueError(
            f"乡镇“{township}”在问卷中没有 {d.year} 年的问卷，群众满意度部分无法生成；"
            f"请补报该乡镇 {d.year} 年的问卷 (township {township!r} has no survey "
            f"respondents in {d.year})"
        )
    n_vil = int(s.loc[mine, "village"].nunique())
    items = [i for i in questionnaire.likert_items(d.contract) if i in s.columns]
    lik = summary.likert
    lik = lik[lik["township"] == township]
    mean = lik[lik["statistic"] == "mean"].set_index("variable")
    top2 = lik[lik["statistic"] == "top2"].set_index("variable")
    dk = lik[lik["statistic"] == "dont_know"].set_index("variable")
    out = pd.DataFrame(
        {
            "variable": items,
            "label": [spec.fields[i].label for i in items],
            "mean": mean.loc[items, "estimate"].to_numpy(),
            "mean_se": mean.loc[items, "se"].to_numpy(),
            "mean_low": mean.loc[items, "ci_low"].to_numpy(),
            "mean_high": mean.loc[items, "ci_high"].to_numpy(),
            "top2": top2.loc[items, "estimate"].to_numpy(),
            "top2_se": top2.loc[items, "se"].to_numpy(),
            "top2_low": top2.loc[items, "ci_low"].to_numpy(),
            "top2_high": top2.loc[items, "ci_high"].to_numpy(),
            "n": mean.loc[items, "n"].to_numpy(),
            "dont_know": dk.reindex(items)["estimate"].to_numpy(),
            "small_cell": mean.loc[items, "small_cell"].to_numpy(dtype=bool),
        }
    )
    # Comparisons on scale answers (说不清 is no opinion), design-based t tests.
    rows = []
    vs_d, vs_p = summary.vs_district, summary.vs_previous
    for item in items:
        r: dict[str, Any] = {"variable": item}
        cd = vs_d[(vs_d["variable"] == item) & (vs_d["a"] == township)]
        r["district_mean"] = float(cd["estimate_b"].iloc[0])
        r["vs_district"] = float(cd["difference"].iloc[0])
        r["vs_district_p"] = float(cd["p_value"].iloc[0])
        if len(vs_p):
            cy = vs_p[(vs_p["variable"] == item) & (vs_p["a"] == township)]
            if len(cy):
                r["previous_mean"] = float(cy["estimate_b"].iloc[0])
                r["vs_previous"] = float(cy["difference"].iloc[0])
                r["vs_previous_p"] = float(cy["p_value"].iloc[0])
        rows.append(r)
    out = out.merge(pd.DataFrame(rows), on="variable", how="left")
    for col in ("vs_previous", "vs_previous_p", "previous_mean"):
        if col not in out.columns:
            out[col] = np.nan
    needs = _township_rows(summary.needs, township)
    needs["label"] = needs["variable"].map(lambda c: spec.fields[c].label.split("：")[-1])
    needs = needs.sort_values("estimate", ascending=False).reset_index(drop=True)
    part = _township_rows(summary.participation, township)
    part["label"] = part["variable"].map(lambda c: spec.fields[c].label)
    desc = _describe_sample(dt, spec)
    if min_n != d.options.small_cell:  # the summaries flag cells below the project's threshold
        for frame in (out, needs, part):
            frame["small_cell"] = frame["n"].to_numpy() < min_n
    out["top2_suppressed"] = False
    if d.options.max_cv is not None:  # shares too imprecise to print (statistical offices' rule)
        needs, part = (_suppress_by_cv(f, d.options.max_cv) for f in (needs, part))
        top2 = pd.DataFrame({"estimate": out["top2"], "se": out["top2_se"], "small_cell": False})
        out["top2_suppressed"] = _suppress_by_cv(top2, d.options.max_cv)["small_cell"]
    return Satisfaction(n, n_vil, desc, out, needs, part, min_n)


def _suppress_by_cv(frame: pd.DataFrame, max_cv: float) -> pd.DataFrame:
    """Shares whose CV exceeds ``max_cv`` are marked small cells (printed as not reportable);
    a share of 0 (CV undefined) is kept."""
    flagged = suppression(frame, max_cv=max_cv, warn_cv=None)
    cv_high = flagged["suppress"].to_numpy(dtype=bool) & (frame["estimate"].to_numpy(float) > 0)
    return frame.assign(small_cell=frame["small_cell"].to_numpy(dtype=bool) | cv_high)


def _describe_sample(design, spec) -> pd.DataFrame:
    """Respondents by gender, age group and education: counts and weighted shares."""
    data = design.data
    dom = design.domain
    w = np.asarray(design.weights, dtype=float)
    sub = data.loc[dom]
    ws = w[dom]
    age_group = questionnaire.age_group(sub["age"], labels=True)
    parts = {
        "性别": sub["gender"].map(spec.fields["gender"].codes),
        "年龄": age_group.astype(str),
        "文化程度": sub["education"].map(spec.fields["education"].codes),
    }
    rows = []
    for name, col in parts.items():
        tab = pd.DataFrame({"level": col.to_numpy(), "w": ws})
        g = tab.groupby("level", sort=False)
        counts, wsum = g.size(), g["w"].sum()
        order = [lv for lv in _level_order(name, spec) if lv in counts.index]
        for lv in order:
            rows.append(
                {
                    "characteristic": name,
                    "level": lv,
                    "n": int(counts[lv]),
                    "share": float(wsum[lv] / ws.sum()),
                }
            )
    return pd.DataFrame(rows)


def _level_order(name: str, spec) -> list[str]:
    if name == "性别":
        return list(spec.fields["gender"].codes.values())
    if name == "文化程度":
        return list(spec.fields["education"].codes.values())
    return list(questionnaire.age_group_labels())


# --- survey indicators averaging several items --------------------------------------------------

#: the per-respondent column a composite survey figure is estimated from (see composite_column)
COMPOSITE_COLUMN = "_mean_of_item_means"


def survey_terms(d: District, indicator: str) -> tuple[list[str], float] | None:
    """(items, scale) when an indicator is the average of several survey estimates —
    ``(survey(a) + survey(b) + …) / N`` or ``100 * (survey(a_top2) + …) / N`` — else None."""
    import re

    fw = d.framework
    ind = fw.indicators.get(indicator) if fw is not None else None
    if ind is None:
        return None
    text = " ".join(str(ind.source).replace("(", " ( ").replace(")", " ) ").split())
    text = text.replace("survey ( ", "survey(").replace(" )", ")").replace("( ", "(")
    m = re.fullmatch(
        r"(?:(\d+(?:\.\d+)?) \* )?\(?((?:survey\(\w+\) \+ )+survey\(\w+\))\)? / (\d+)", text
    )
    if not m:
        return None
    items = re.findall(r"survey\((\w+)\)", m.group(2))
    if int(m.group(3)) != len(items):
        return None  # not the plain average of its items
    return items, float(m.group(1) or 1.0)


def composite_column(design: Any, items: list[str], by: str = "township") -> np.ndarray:
    """A per-respondent column whose design-based domain mean is the average of the items'
    domain means — the indicator's value — and whose linearisation is that average's.

    For domain t with item means m_k = Σ w·y_k / W_k (over the respondents answering item k)
    and W = Σ w over the respondents answering at least one item, respondent i's value is
    z_i = c + Σ_k (1/K)·1[i answered k]·(y_ik − m_k)·W / W_k with c = Σ_k m_k / K: its domain
    mean Σ w z / W is c, and (z_i − c) / W is the linearisation (influence) of c, so the
    design's own mean and its variance estimator (strata, PSUs, FPC, lonely PSUs, PPS or
    calibrated weights) give the estimate and its standard error — R's
    ``svycontrast(svyratio(~y1+…, ~d1+…, covmat=TRUE), …)``. Respondents answering none of the
    items are missing."""
    w = np.asarray(design.analysis_weights(), float)
    y = np.column_stack([design.variable(i) for i in items])
    answered = ~np.isnan(y) & (w > 0)[:, None]
    anyone = answered.any(axis=1)
    groups = design.data[by].astype(str).to_numpy()
    z = np.full(len(w), np.nan)
    k = len(items)
    for g in pd.unique(groups):
        rows = groups == g
        a, yy, ww = answered[rows], np.where(answered[rows], y[rows], 0.0), w[rows]
        wk = (ww[:, None] * a).sum(axis=0)
        if not (wk > 0).all():
            continue  # an item nobody in the domain answered: no average of the items
        m = (ww[:, None] * yy).sum(axis=0) / wk
        total = ww[anyone[rows]].sum()
        dev = np.where(a, yy - m, 0.0) * (total / wk) / k
        z[rows] = m.mean() + dev.sum(axis=1)
    z[~anyone] = np.nan
    return z


def composite_figure(d: District, indicator: str) -> pd.DataFrame | None:
    """A survey indicator averaging several items, estimated from the design as every single
    item is: per township the estimate, se, 95 % interval (ci_low, ci_high), respondents (n,
    answering at least one item) and the design-based test against last year's survey
    (vs_previous, vs_previous_p: independent samples, each year's own design), on the
    indicator's scale. None when the indicator is no such average or the survey lacks an item."""
    from commeval.survey.comparisons import compare_independent

    terms = survey_terms(d, indicator)
    if terms is None or d.year not in d.designs:
        return None
    items, scale = terms
    design = d.designs[d.year]
    if any(i not in design.data.columns for i in items):
        return None
    cur = design.update(**{COMPOSITE_COLUMN: composite_column(design, items)})
    est = cur.mean(COMPOSITE_COLUMN, by="township")
    out = pd.DataFrame(
        {
            "township": est["township"].astype(str),
            "estimate": scale * est["estimate"].to_numpy(float),
            "se": scale * est["se"].to_numpy(float),
            "ci_low": scale * est["ci_low"].to_numpy(float),
            "ci_high": scale * est["ci_high"].to_numpy(float),
            "n": est["n"].to_numpy(int),
        }
    )
    out["vs_previous"] = np.nan
    out["vs_previous_p"] = np.nan
    prev = max((y for y in d.designs if y < d.year), default=None)
    if prev is not None and all(i in d.designs[prev].data.columns for i in items):
        old = d.designs[prev]
        old = old.update(**{COMPOSITE_COLUMN: composite_column(old, items)})
        try:
            c = compare_independent(cur, old, COMPOSITE_COLUMN, "township").set_index("a")
        except (KeyError, ValueError):
            c = None
        if c is not None:
            out["vs_previous"] = scale * out["township"].map(c["difference"]).to_numpy(float)
            out["vs_previous_p"] = out["township"].map(c["p_value"]).to_numpy(float)
    return out.reset_index(drop=True)
