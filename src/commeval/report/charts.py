"""Report charts (matplotlib). Each function returns a Figure; labels in Chinese through the
bundled CJK font, units on the axes, sized for A4 print."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib import rcParams
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.font_manager import FontProperties

from commeval.report.style import ACCENT, BAD, GOOD, MUTED, use_report_style

WIDTH = 7.0  # inches; fits an A4 page with margins
MANY = 40  # above this many townships, district charts drop per-township labels
SCALE_ITEM = "sat_overall"  # the contract item whose answer codes label the satisfaction axis
ROW = 0.42  # inches per category row in the township charts


#: the grey of 不适用 cells and bars
NA_GREY = "#dddddd"


@cache
def satisfaction_scale() -> tuple[str, ...]:
    """Tick labels of the 1–5 satisfaction axis: the ends and the middle named with the
    contract's answer labels ("1 很不满意", "2", "3 一般", "4", "5 非常满意")."""
    from commeval.data.contract import contract

    codes = contract()["survey"].fields[SCALE_ITEM].codes or {}
    return tuple(
        f"{k} {codes[k]}" if k in (1, 3, 5) and k in codes else str(k) for k in range(1, 6)
    )


@cache
def _metrics() -> RendererAgg:
    return RendererAgg(1, 1, 72)  # at 72 dpi a pixel is a point


def _text_size(text: str, size: float) -> tuple[float, float]:
    """Width and height in inches of one line of ``text`` at ``size`` points, report font."""
    w, h, _ = _metrics().get_text_width_height_descent(
        text, FontProperties(size=size), ismath=False
    )
    return w / 72, h / 72


def _category_axes(
    rows: int, labels: list[str], last_xtick: str, legend_below: bool
) -> tuple[plt.Figure, plt.Axes]:
    """A figure whose axes sit inside margins measured from the chart's own text: category
    labels on the left, title above, tick labels, x label and (optionally) a legend row below.
    Same result as cropping to the drawn extent, without the extra layout pass that costs."""
    size = rcParams["font.size"]
    tick = (rcParams["ytick.major.size"] + rcParams["ytick.major.pad"]) / 72
    label_w = max((_text_size(str(t), size)[0] for t in labels), default=0.0)
    line = _text_size("国", size)[1]
    left = label_w + tick + 0.12
    right = max(0.15, _text_size(last_xtick, size)[0] / 2 + 0.08)
    top = _text_size("国", rcParams["axes.titlesize"])[1] * 1.3 + 6 / 72 + 0.1
    bottom = 2 * line * 1.3 + tick + rcParams["axes.labelpad"] / 72 + 0.1
    if legend_below:
        bottom += _text_size("国", 8)[1] * 1.6 + 0.12
    height = ROW * max(rows, 1) + top + bottom
    fig = plt.figure(figsize=(WIDTH, height))
    ax = fig.add_axes((left / WIDTH, bottom / height, 1 - (left + right) / WIDTH,
                       1 - (top + bottom) / height))  # fmt: skip
    return fig, ax


def _ranked_intervals(s: pd.DataFrame, highlight: str | None, level: float) -> plt.Figure:
    """Compact form for many townships: score against rank, with each rank interval."""
    fig, ax = plt.subplots(figsize=(WIDTH, 3.6))
    x = s["rank"].to_numpy()
    # thousands of marks: drawn as one embedded image (axes and text stay vector), else the
    # inline SVG of 2,000 townships would weigh ~0.9 MB
    ax.hlines(s["score"], s["rank_low"], s["rank_high"], color=MUTED, linewidth=0.6, alpha=0.6,
              rasterized=True)  # fmt: skip
    ax.scatter(x, s["score"], s=4, color=ACCENT, zorder=3, rasterized=True)
    if highlight is not None and highlight in set(s["township"]):
        h = s[s["township"] == highlight]
        ax.scatter(h["rank"], h["score"], s=30, color=BAD, zorder=4, label=highlight)
        ax.legend(frameon=False, fontsize=8)
    ax.set_xlabel(f"排名（横线为{100 * level:g}%排名区间）")
    ax.set_ylabel("综合得分（0–100分）")
    ax.set_title(f"{len(s)}个乡镇的综合得分与排名区间")
    return fig


def dimension_bars(dimensions: pd.DataFrame, township: str, level: str = "区") -> plt.Figure:
    """Dimension scores of a township against the district average (horizontal bars); a
    dimension that does not apply to the township is a grey 不适用 label, with a legend."""
    from matplotlib.patches import Patch

    use_report_style()
    dims = dimensions.iloc[::-1]
    y = np.arange(len(dims))
    fig, ax = _category_axes(len(dims), list(dims["label"]), "100", legend_below=True)
    mean_label = f"全{level}平均"
    ax.barh(y + 0.2, dims["score"].fillna(0), height=0.38, color=ACCENT, label=township)
    ax.barh(y - 0.2, dims["district_mean"], height=0.38, color=MUTED, label=mean_label)
    na = dims["score"].isna().to_numpy()
    for yi, v, missing in zip(y, dims["score"], na, strict=True):
        if missing:
            ax.barh(yi + 0.2, 100, height=0.38, color=NA_GREY)
            ax.text(2, yi + 0.2, "不适用", va="center", fontsize=8, color="#555555")
        else:
            ax.text(v + 1, yi + 0.2, f"{v:.1f}", va="center", fontsize=8)
    ax.set_yticks(y, dims["label"])
    ax.set_xlim(0, 110)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("维度得分（0–100分）")
    handles, labels = ax.get_legend_handles_labels()
    if na.any():
        handles.append(Patch(color=NA_GREY))
        labels.append("不适用（不计分）")
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.01),
               ncol=len(labels), fontsize=8, frameon=False)  # fmt: skip
    ax.set_title(f"{township}各维度得分与{mean_label}")
    ax.grid(axis="y", visible=False)
    return fig


def satisfaction_errorbars(items: pd.DataFrame, township: str, level: str = "区") -> plt.Figure:
    """Weighted mean satisfaction per item with 95 % CIs; small cells are left out."""
    use_report_style()
    ok = items[~items["small_cell"]].iloc[::-1]
    y = np.arange(len(ok))
    scale = satisfaction_scale()
    fig, ax = _category_axes(len(ok), list(ok["label"]), scale[-1], legend_below=False)
    err = np.vstack([ok["mean"] - ok["mean_low"], ok["mean_high"] - ok["mean"]])
    ax.errorbar(ok["mean"], y, xerr=err, fmt="o", color=ACCENT, capsize=3, label=township)
    if "district_mean" in ok:
        ax.scatter(
            ok["district_mean"],
            y,
            marker="|",
            s=120,
            color=BAD,
            label=f"{level}内其他乡镇",
            zorder=3,
        )
    ax.set_yticks(y, ok["label"])
    ax.set_xlim(1, 5)
    ax.set_xticks([1, 2, 3, 4, 5], scale)
    ax.set_xlabel("加权平均分（1–5分），误差线为95%置信区间")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.set_title(f"{township}群众满意度")
    ax.grid(axis="y", visible=False)
    return fig


def rank_intervals(
    scores: pd.DataFrame, highlight: str | None = None, level: float = 0.90
) -> plt.Figure:
    """Scores of all townships with their Monte Carlo rank intervals at ``level``."""
    use_report_style()
    if len(scores) > MANY:
        return _ranked_intervals(scores.sort_values("rank"), highlight, level)
    s = scores.sort_values("rank", ascending=False)
    y = np.arange(len(s))
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(WIDTH, 0.32 * len(s) + 1.2), sharey=True, gridspec_kw={"wspace": 0.08}
    )
    colors = [BAD if t == highlight else ACCENT for t in s["township"]]
    ax1.barh(y, s["score"], color=colors, height=0.6)
    ax1.set_xlim(0, 100)
    ax1.set_xlabel("综合得分（0–100分）")
    ax1.set_yticks(y, s["township"])
    ax1.grid(axis="y", visible=False)
    low, high = s["rank_low"].to_numpy(), s["rank_high"].to_numpy()
    ax2.hlines(y, low, high, color=MUTED, linewidth=4)
    ax2.scatter(s["rank"], y, color=colors, zorder=3, s=18)
    ax2.set_xlim(len(s) + 0.5, 0.5)
    ax2.set_xlabel(f"排名及{100 * level:g}%区间（第1名在右）")
    ax2.grid(axis="y", visible=False)
    fig.suptitle("各乡镇综合得分与排名不确定性", fontsize=11)
    return fig


def attainment_heatmap(matrix: pd.DataFrame) -> plt.Figure:
    """Township × indicator attainment: normalised 0–100 (distance to target), grey = n/a."""
    use_report_style()
    if len(matrix) > MANY:
        return _attainment_shares(matrix)
    cmap = LinearSegmentedColormap.from_list("att", ["#c0392b", "#f4d03f", GOOD]).with_extremes(
        bad=NA_GREY
    )
    data = matrix.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(WIDTH, 0.3 * len(matrix) + 3.2))
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=0, vmax=100, aspect="auto")
    ax.set_yticks(range(len(matrix)), matrix.index)
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=75, ha="right", fontsize=7)
    ax.grid(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    cb.set_label("达标程度（0–100，100=达到目标）")
    if np.isnan(data).any():
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=NA_GREY, label="不适用（不计分）")], loc="lower right",
                  bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)  # fmt: skip
    ax.set_title("指标达标热力图（灰色：不适用）")
    return fig


def _attainment_shares(matrix: pd.DataFrame) -> plt.Figure:
    """Compact form for many townships: share of townships meeting each indicator's target."""
    met = (matrix >= 100 - 1e-9).where(matrix.notna())
    share = met.mean().iloc[::-1] * 100
    fig, ax = plt.subplots(figsize=(WIDTH, 0.26 * len(share) + 1.2))
    ax.barh(np.arange(len(share)), share.to_numpy(), color=ACCENT, height=0.6)
    ax.set_yticks(np.arange(len(share)), share.index, fontsize=7)
    ax.set_xlim(0, 100)
    ax.set_xlabel("达到目标的乡镇比例（%）")
    ax.set_title(f"{len(matrix)}个乡镇的指标达标情况")
    ax.grid(axis="y", visible=False)
    return fig


def satisfaction_ranking(tab: pd.DataFrame) -> plt.Figure:
    """Overall satisfaction (mean, 95 % CI) by township."""
    use_report_style()
    t = tab.sort_values("estimate")
    if len(t) > MANY:
        fig, ax = plt.subplots(figsize=(WIDTH, 3.4))
        x = np.arange(1, len(t) + 1)
        ax.fill_between(x, t["ci_low"], t["ci_high"], color=MUTED, alpha=0.4, linewidth=0,
                        rasterized=True)  # fmt: skip
        ax.plot(x, t["estimate"], color=ACCENT, linewidth=1, rasterized=True)
        ax.set_xlabel("乡镇（按满意度从低到高排列）；阴影为95%置信区间")
        ax.set_ylabel("总体满意度（1–5分）")
        ax.set_title(f"{len(t)}个乡镇的群众总体满意度")
        return fig
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(WIDTH, 0.32 * len(t) + 1.2))
    err = np.vstack([t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]])
    ax.errorbar(t["estimate"], y, xerr=err, fmt="o", color=ACCENT, capsize=3)
    ax.set_yticks(y, t["township"])
    ax.set_xlabel("总体满意度加权平均分（1–5分），误差线为95%置信区间")
    ax.set_title("各乡镇群众总体满意度")
    ax.grid(axis="y", visible=False)
    return fig
