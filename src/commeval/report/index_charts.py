"""Charts of the index research notebook (matplotlib). Each function takes a frame from
``commeval.index.scenarios`` and returns a Figure; Chinese labels through the bundled CJK font,
units on the axes. ``show`` turns a Figure into a notebook image."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt

from commeval.index.scenarios import BASELINE, METHOD_LABELS, WEIGHT_METHODS
from commeval.report.research_charts import show
from commeval.report.style import ACCENT, BAD, MUTED, PALETTE, use_report_style

WIDTH = 7.5  # inches

__all__ = [
    "rank_interval_chart",
    "scenario_rank_chart",
    "sensitivity_chart",
    "show",
    "weights_by_method_chart",
]


def weights_by_method_chart(
    weights: pd.DataFrame, methods: tuple[str, ...] = WEIGHT_METHODS, title: str | None = None
) -> plt.Figure:
    """Grouped horizontal bars: each indicator's weight under each method (a frame from
    :func:`commeval.index.scenarios.weights_by_method`), indicators grouped by dimension in
    framework order; dimension boundaries as faint lines."""
    use_report_style()
    w = weights.reset_index(drop=True)
    n, k = len(w), len(methods)
    fig, ax = plt.subplots(layout="constrained", figsize=(WIDTH, 0.11 * n * max(k, 2) + 1.6))
    y = np.arange(n)[::-1].astype(float)
    h = 0.8 / k
    for j, m in enumerate(methods):
        ax.barh(
            y + (k / 2 - j - 0.5) * h,
            100 * w[m].to_numpy(dtype=float),
            height=h,
            color=PALETTE[j % len(PALETTE)],
            label=METHOD_LABELS.get(m, m),
        )
    dims = w["dimension"].tolist()
    for i in range(1, n):
        if dims[i] != dims[i - 1]:
            ax.axhline(y[i] + 0.5, color=MUTED, linewidth=0.6)
    ax.set_yticks(y, w["label"].astype(str), fontsize=7.5)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel("权重（%）")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="y", visible=False)
    ax.set_title(title or "各赋权方法下的指标权重")
    return fig


def scenario_rank_chart(ranks: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Dot plot of each township's rank (y, 1 at the top) under each scenario (x), one line per
    township; townships labelled at both ends in baseline order (a frame from
    :func:`commeval.index.scenarios.scenario_ranks`)."""
    use_report_style()
    scen = [str(s) for s in pd.unique(ranks["scenario"].astype(str))]
    wide = ranks.assign(scenario=ranks["scenario"].astype(str)).pivot(
        index="township", columns="scenario", values="rank"
    )[scen]
    base = ranks[ranks["scenario"].astype(str) == BASELINE].sort_values("rank")
    wide = wide.reindex(base["township"].astype(str))
    T = len(wide)
    fig, ax = plt.subplots(layout="constrained", figsize=(max(WIDTH, 0.75 * len(scen) + 2), 4.6))
    x = np.arange(len(scen))
    for i, (town, row) in enumerate(wide.iterrows()):
        c = PALETTE[i % len(PALETTE)]
        ax.plot(x, row.to_numpy(dtype=float), color=c, marker="o", markersize=5, linewidth=1.4)
        ax.text(-0.15, row.iloc[0], str(town), ha="right", va="center", fontsize=8, color=c)
        ax.text(x[-1] + 0.15, row.iloc[-1], str(town), ha="left", va="center", fontsize=8, color=c)
    ax.set_xticks(x, scen, rotation=35, ha="right", fontsize=8)
    ax.set_xlim(-1.1, len(scen) - 1 + 1.1)
    ax.set_yticks(range(1, T + 1))
    ax.set_ylim(T + 0.5, 0.5)
    ax.set_ylabel("名次（第几名，1 = 最好）")
    ax.axvline(0, color=MUTED, linewidth=0.8, linestyle="--")
    ax.grid(axis="x", visible=False)
    ax.set_title(title or "不同评价假设下的乡镇名次")
    return fig


def rank_interval_chart(
    intervals: pd.DataFrame, title: str | None = None, level: float = 0.90
) -> plt.Figure:
    """Median Monte Carlo rank with its interval per township (a frame from
    :func:`commeval.index.scenarios.rank_interval_table`) and the nominal rank as a cross."""
    use_report_style()
    s = intervals.reset_index(drop=True)
    T = len(s)
    y = np.arange(T)
    fig, ax = plt.subplots(layout="constrained", figsize=(WIDTH, 0.42 * max(T, 1) + 1.4))
    ax.hlines(
        y, s["rank_low"] - 0.02, s["rank_high"] + 0.02, colors=ACCENT, linewidth=5, alpha=0.35
    )
    ax.scatter(s["rank_median"], y, color=ACCENT, s=36, zorder=3, label="名次中位数")
    ax.scatter(s["rank"], y, color=BAD, marker="x", s=30, zorder=4, label="基准名次")
    ax.set_yticks(y, s["township"].astype(str))
    ax.set_ylim(T - 0.5, -0.5)
    ax.set_xticks(range(1, T + 1))
    ax.set_xlim(0.5, T + 0.5)
    ax.set_xlabel(f"名次（第几名，1 = 最好）；色带为{100 * level:g}%区间")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    ax.grid(axis="y", visible=False)
    ax.set_title(title or "乡镇名次的不确定性（蒙特卡罗模拟）")
    return fig


def sensitivity_chart(sens: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """First-order vs total Sobol indices per assumption (a frame from
    :func:`commeval.index.scenarios.sensitivity_table`), as paired horizontal bars."""
    use_report_style()
    s = sens.reset_index(drop=True)
    n = len(s)
    y = np.arange(n)
    fig, ax = plt.subplots(layout="constrained", figsize=(WIDTH, 0.55 * max(n, 1) + 1.4))
    h = 0.38
    first = s["first_order"].to_numpy(dtype=float)
    total = s["total"].to_numpy(dtype=float)
    ax.barh(y - h / 2, first, height=h, color=ACCENT, label="一阶指数 $S_1$（单独影响）")
    ax.barh(y + h / 2, total, height=h, color=PALETTE[1], label="总效应指数 $S_T$（含交互）")
    for yi, (a, b) in enumerate(zip(first, total)):
        ax.text(max(a, 0) + 0.01, yi - h / 2, f"{a:.2f}", va="center", fontsize=8)
        ax.text(max(b, 0) + 0.01, yi + h / 2, f"{b:.2f}", va="center", fontsize=8)
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.set_yticks(y, s["label"].astype(str))
    ax.set_ylim(n - 0.4, -0.6)
    hi = max(1.0, float(np.nanmax(np.r_[first, total, 0.0])) + 0.1)
    ax.set_xlim(min(0.0, float(np.nanmin(np.r_[first, 0.0])) - 0.02), hi)
    ax.set_xlabel("Sobol指数（占名次变动方差的比例，无单位）")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="y", visible=False)
    ax.set_title(title or "各评价假设对乡镇名次的敏感性（Sobol指数）")
    return fig
