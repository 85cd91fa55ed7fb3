"""The district summary (index page, the run's ``index.html``): ranking, score intervals,
attainment heat map, satisfaction by township, links to every township report, downloadable
tables. (The evaluated district itself is the top-level layer, not this module.)"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from commeval.district import District
from commeval.report import charts, methods
from commeval.report.html import badge, esc, fmt_pct, section, table
from commeval.report.render import SYNTHETIC_BANNER
from commeval.report.style import figure_html

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
}


OVERALL = "sat_overall"  # the contract's overall-satisfaction item


def grade_kind(grades: Sequence[tuple[str, float]], grade: str) -> str:
    """Badge kind of a grade of the framework (``framework.grades``, best first): the better
    half of the grades "good", the rest "bad", a name the framework lacks "muted"."""
    names = [g for g, _ in grades]
    if grade not in names:
        return "muted"
    return "good" if names.index(grade) < len(names) // 2 else "bad"


def satisfaction_by_township(d: District) -> pd.DataFrame:
    """Overall satisfaction (说不清 as no opinion) per township for the assessment year: the
    mean rows of the district's survey summaries (``District.summaries``), the same numbers
    the township reports print."""
    lik = d.summaries.likert
    rows = lik[(lik["variable"] == OVERALL) & (lik["statistic"] == "mean")]
    return rows.drop(columns=["statistic", "level"], errors="ignore").reset_index(drop=True)


def ranking(d: District) -> pd.DataFrame:
    """One row per township: rank, score, grade, rank interval, attainment, change, satisfaction."""
    ev = d.evaluation
    r = ev.scores.copy()
    ch = ev.change
    if ch is not None and len(ch):
        sc = ch[ch["measure"] == "score"][["township", "change"]].rename(
            columns={"change": "score_change"}
        )
        r = r.merge(sc, on="township", how="left")
    else:
        r["score_change"] = np.nan
    sat = satisfaction_by_township(d)[["township", "estimate", "ci_low", "ci_high"]]
    sat.columns = ["township", "satisfaction", "satisfaction_low", "satisfaction_high"]
    r = r.merge(sat, on="township", how="left")
    return r.sort_values("rank")[list(RANKING_HEADERS)].reset_index(drop=True)


def attainment_matrix(d: District) -> pd.DataFrame:
    """Township × indicator: normalised distance to target (100 = target met), NaN = n/a."""
    ind = d.evaluation.indicators
    ind = ind.assign(v=ind["normalised"].where(ind["applicable"].astype("boolean").fillna(False)))
    m = ind.pivot_table(index="township", columns="label", values="v", sort=False, dropna=False)
    order = list(dict.fromkeys(ind["label"]))
    towns = d.evaluation.scores.sort_values("rank")["township"]
    return m.reindex(index=towns, columns=order)


def downloads(rank: pd.DataFrame) -> dict[str, bytes]:
    """The ranking as .xlsx and .csv with Chinese headers (cells formula-escaped)."""
    from commeval.data.safe_cells import escape_cells

    out = escape_cells(rank.rename(columns=RANKING_HEADERS))
    buf = io.BytesIO()
    out.to_excel(buf, index=False, sheet_name="乡镇排名")
    csv = out.to_csv(index=False).encode("utf-8-sig")
    return {"ranking.xlsx": buf.getvalue(), "ranking.csv": csv}


def _link(filename: str, data: bytes, mime: str, text: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return f'<a download="{esc(filename)}" href="data:{mime};base64,{b64}">{esc(text)}</a>'


def summary_html(d: District, reports: Sequence[dict[str, Any]] | None = None) -> list[str]:
    """The index page's sections. ``reports``: township, status, href, error (from the run)."""
    rank = ranking(d)
    links = {r["township"]: r for r in (reports or [])}
    banner = f'<div class="banner">{esc(SYNTHETIC_BANNER)}</div>' if d.synthetic else ""
    head = (
        f'{banner}<header class="report-header"><p class="kicker">'
        f"{esc(d.name)} · 农村社区建设评估</p><h1>{esc(d.name)} {d.year}年度农村社区建设评估汇总</h1>"
        f'<p class="meta">{len(rank)}个乡镇；{esc(methods.interval_note(d.evaluation.settings))}</p>'
        "</header>"
    )
    rows = []
    for r in rank.itertuples():
        info = links.get(r.township, {})
        name = esc(r.township)
        if info.get("status") == "failed":
            name += f' <span class="failed">（报告生成失败：{esc(info.get("error", ""))}）</span>'
        elif info.get("href"):
            name = f'<a href="{esc(info["href"])}">{name}</a>'
        change = "—" if pd.isna(r.score_change) else f"{r.score_change:+.1f}"
        sat = "—" if pd.isna(r.satisfaction) else f"{r.satisfaction:.2f}"
        rows.append(
            [
                f"{r.rank}",
                name,
                f"{r.score:.1f}",
                badge(str(r.grade), grade_kind(d.framework.grades, str(r.grade))),
                f"{r.rank_low}–{r.rank_high}",
                fmt_pct(r.attainment),
                change,
                sat,
            ]
        )
    dl = downloads(rank)
    dl_links = (
        '<p class="downloads">下载表格：'
        + _link(
            "乡镇排名.xlsx",
            dl["ranking.xlsx"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel（.xlsx）",
        )
        + " · "
        + _link("乡镇排名.csv", dl["ranking.csv"], "text/csv", "CSV（.csv）")
        + "</p>"
    )
    failed = [t for t, r in links.items() if r.get("status") == "failed"]
    fail_note = ""
    if failed:
        fail_note = f'<div class="callout failed">以下乡镇的报告生成失败：{esc("、".join(failed))}（详见 manifest.json）</div>'
    points = d.framework.points
    if points:
        veto = d.evaluation.scores.set_index("township")["veto"]
        mx = d.evaluation.scores.set_index("township")["max_points"]
        for row, r in zip(rows, rank.itertuples()):
            row[2] = f"{r.score:.1f}（满分 {mx[r.township]:g}）"
            if isinstance(veto.get(r.township), str) and veto[r.township]:
                row[3] += f' <span class="failed">一票否决：{esc(veto[r.township])}</span>'
    rank_html = table(
        [
            "排名",
            "乡镇",
            "得分" if points else "综合得分",
            "等级",
            "排名区间",
            "满分项比例" if points else "达标率",
            "比上年",
            "满意度",
        ],  # fmt: skip
        rows,
        cls="data ranking",
    )
    sec1 = section("一、乡镇排名", fail_note + rank_html + dl_links, "ranking")
    sec2 = section(
        "二、综合得分与排名区间",
        figure_html(charts.rank_intervals(rank), "各乡镇综合得分与排名区间", tight=True),
        "scores",
    )
    sec3 = section(
        "三、指标达标热力图",
        figure_html(charts.attainment_heatmap(attainment_matrix(d)), "指标达标热力图", tight=True),
        "heatmap",
    )
    sat = rank.rename(
        columns={
            "satisfaction": "estimate",
            "satisfaction_low": "ci_low",
            "satisfaction_high": "ci_high",
        }
    )
    sec4 = section(
        "四、各乡镇群众满意度",
        figure_html(
            charts.satisfaction_ranking(sat.dropna(subset=["estimate"])),
            "各乡镇群众总体满意度",
            tight=True,
        ),
        "satisfaction",
    )
    return [head, sec1, sec2, sec3, sec4]
