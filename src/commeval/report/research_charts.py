"""Charts of the survey research notebook (matplotlib). Each function takes a frame from
``commeval.survey.analysis`` and returns a Figure; Chinese labels through the bundled CJK font,
units on the axes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.ticker import FuncFormatter, NullFormatter

from commeval.report.style import ACCENT, BAD, GOOD, MUTED, PALETTE, use_report_style

WIDTH = 7.0  # inches
_NICE = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def _log_ticks(ax, lo: float, hi: float) -> None:
    """Plain-number ticks (0.5, 1, 2 …) on a log x axis instead of powers of ten."""
    ticks = [t for t in _NICE if lo <= t <= hi]
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


QUADRANT_COLORS = {"重点改进": BAD, "继续保持": GOOD, "次要改进": MUTED, "可能过度": PALETTE[1]}


def importance_performance_chart(ip: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Importance (y) against performance (x) of each item, with the quadrant cut lines and
    the quadrant names in the corners; points coloured by quadrant."""
    use_report_style()
    fig, ax = plt.subplots(layout="constrained", figsize=(WIDTH, 5.2))
    pc, ic = float(ip["performance_cut"].iloc[0]), float(ip["importance_cut"].iloc[0])
    for quad, grp in ip.groupby("quadrant", sort=False):
        ax.scatter(
            grp["performance"],
            grp["importance"],
            s=46,
            color=QUADRANT_COLORS.get(str(quad), ACCENT),
            label=str(quad),
            zorder=3,
        )
    for _, r in ip.iterrows():
        ax.annotate(
            r["label"],
            (r["performance"], r["importance"]),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=8,
        )
    ax.axvline(pc, color=MUTED, linestyle="--", linewidth=1)
    ax.axhline(ic, color=MUTED, linestyle="--", linewidth=1)
    xr = ip["performance"].max() - ip["performance"].min()
    yr = ip["importance"].max() - ip["importance"].min()
    ax.set_xlim(ip["performance"].min() - 0.15 * xr - 0.02, ip["performance"].max() + 0.3 * xr)
    ax.set_ylim(ip["importance"].min() - 0.15 * yr - 0.005, ip["importance"].max() + 0.15 * yr)
    corners = [
        ("重点改进", 0.02, 0.97, "left"),
        ("继续保持", 0.98, 0.97, "right"),
        ("次要改进", 0.02, 0.03, "left"),
        ("可能过度", 0.98, 0.03, "right"),
    ]
    for name, x, y, ha in corners:
        ax.text(
            x,
            y,
            name,
            transform=ax.transAxes,
            ha=ha,
            va="top" if y > 0.5 else "bottom",
            fontsize=9,
            color=QUADRANT_COLORS[name],
        )
    measure = str(ip["importance_measure"].iloc[0]) if "importance_measure" in ip else ""
    ylab = {
        "correlation": "重要性：与总体满意度的加权相关系数（无单位）",
        "coefficient": "重要性：标准化回归系数（无单位）",
    }.get(measure, "重要性（无单位）")
    ax.set_xlabel("表现：加权平均满意度（1–5分）")
    ax.set_ylabel(ylab)
    ax.set_title(title or "满意度重要性–表现分析（IPA）")
    return fig


def mean_by_domain(
    sat: pd.DataFrame, item: str = "sat_overall", by: str = "township", overall: float | None = None
) -> plt.Figure:
    """Mean score of one item per township with 95 % CIs (sorted), optional district mean."""
    use_report_style()
    s = sat[sat["variable"] == item].sort_values("estimate")
    y = np.arange(len(s))
    fig, ax = plt.subplots(layout="constrained", figsize=(WIDTH, 0.38 * max(len(s), 1) + 1.2))
    small = s["small_cell"] if "small_cell" in s else pd.Series(False, index=s.index)
    colors = [MUTED if sc else ACCENT for sc in small]
    ax.hlines(y, s["ci_low"], s["ci_high"], colors=colors, linewidth=2)
    ax.scatter(s["estimate"], y, color=colors, zorder=3, s=22)
    if overall is not None:
        ax.axvline(overall, color=BAD, linestyle="--", linewidth=1, label=f"全区 {overall:.2f}")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_yticks(y, s[by].astype(str))
    ax.set_xlabel("加权平均分（1–5分），横线为95%置信区间")
    lab = s["label"].iloc[0] if "label" in s and len(s) else item
    ax.set_title(f"各乡镇{lab}")
    ax.grid(axis="y", visible=False)
    return fig


def odds_ratio_forest(dr: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Odds ratios with CIs on a log axis (reference line at 1); significant terms in colour."""
    use_report_style()
    s = dr[dr["term"] != "Intercept"].sort_values("odds_ratio")
    y = np.arange(len(s))
    fig, ax = plt.subplots(layout="constrained", figsize=(WIDTH, 0.4 * max(len(s), 1) + 1.2))
    sig = (s["p_value"] < 0.05).to_numpy()
    colors = np.where(sig, ACCENT, MUTED)
    ax.hlines(y, s["ci_low"], s["ci_high"], colors=list(colors), linewidth=2)
    ax.scatter(s["odds_ratio"], y, color=list(colors), marker="s", zorder=3, s=24)
    for yi, (o, p) in enumerate(zip(s["odds_ratio"], s["p_value"])):
        ax.text(s["ci_high"].max() * 1.04, yi, f"{o:.2f}" + ("*" if p < 0.05 else ""), va="center")
    ax.axvline(1.0, color=BAD, linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(y, s["label"])
    lo, hi = min(s["ci_low"].min() * 0.9, 0.9), s["ci_high"].max() * 1.25
    ax.set_xlim(lo, hi)
    _log_ticks(ax, lo, hi)
    ax.set_xlabel("比值比（对数刻度；单项满意度每高1分），横线为95%置信区间")
    ax.set_title(title or "总体满意（比较满意及以上）的影响因素")
    ax.grid(axis="y", visible=False)
    return fig


def weight_change_histogram(changes: pd.DataFrame, bins: int = 40) -> plt.Figure:
    """Histogram of the raking adjustment factors (weight after / before), log-spaced bins."""
    use_report_style()
    r = changes["ratio"].to_numpy(float)
    r = r[np.isfinite(r) & (r > 0)]
    fig, ax = plt.subplots(layout="constrained", figsize=(WIDTH, 3.6))
    lo, hi = min(r.min(), 1.0) * 0.95, max(r.max(), 1.0) * 1.05
    ax.hist(r, bins=np.geomspace(lo, hi, bins), color=ACCENT, edgecolor="white")
    ax.axvline(1.0, color=BAD, linewidth=1)
    ax.axvline(np.median(r), color=PALETTE[1], linestyle="--", linewidth=1)
    ax.set_xscale("log")
    _log_ticks(ax, lo, hi)
    ax.set_xlabel("权数调整系数（加权后权数 ÷ 设计权数，倍，对数刻度）")
    ax.set_ylabel("受访者人数（人）")
    ax.set_title(f"按人口控制数加权后的权数变化（中位数 {np.median(r):.2f} 倍）")
    return fig


def show(fig: plt.Figure):
    """The figure as an IPython PNG image (closed afterwards), for notebooks: displays the
    same whatever matplotlib backend the kernel has."""
    from IPython.display import Image

    from commeval.report.style import figure_png

    return Image(data=figure_png(fig), format="png")
