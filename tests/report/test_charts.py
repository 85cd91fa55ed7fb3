"""Report charts: margins placed from measured text keep every label inside the figure, and the
inline SVG is self-contained, deterministic and carries its text as text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from commeval.document import Figure
from commeval.renderers.html import figure_html as render_figure
from commeval.report import charts
from commeval.report.style import figure_svg, use_report_style

LONG = "民主管理与村务公开示范村创建（含村民代表议事会）"


def _dims(labels: list[str]) -> pd.DataFrame:
    n = len(labels)
    return pd.DataFrame(
        {"label": labels, "score": np.linspace(5, 100, n), "district_mean": np.linspace(60, 30, n)}
    )


def _items(labels: list[str]) -> pd.DataFrame:
    m = np.linspace(1.2, 4.9, len(labels))
    return pd.DataFrame(
        {
            "label": labels,
            "mean": m,
            "mean_low": np.maximum(m - 0.3, 1),
            "mean_high": np.minimum(m + 0.3, 5),
            "small_cell": False,
            "district_mean": m[::-1],
        }
    )


def _overflow(fig) -> tuple[float, float, float, float]:
    """How far (inches) the drawn extent leaves the figure on each side (left, bottom, right,
    top), by matplotlib's own layout: what cropping to the drawn extent would have added."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    tight = fig.get_tightbbox(canvas.get_renderer())
    w, h = fig.get_size_inches()
    return (-tight.x0, -tight.y0, tight.x1 - w, tight.y1 - h)


@pytest.mark.parametrize(
    "labels",
    [
        ["组织"],
        [f"维度{i}" for i in range(8)],
        [LONG, "文化", "治安"],
        [f"项目{i}" for i in range(25)],
    ],
)
def test_township_charts_keep_every_label_inside(labels):
    use_report_style()
    for fig in (
        charts.dimension_bars(_dims(labels), "某某镇"),
        charts.satisfaction_errorbars(_items(labels), "某某镇"),
    ):
        assert max(_overflow(fig)) < 0.01, _overflow(fig)
        # and no wasted margin: the axes start right after the widest category label
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        r = canvas.get_renderer()
        ax = fig.axes[0]
        widest = max(t.get_window_extent(r).width for t in ax.get_yticklabels())
        assert ax.bbox.x0 - widest < 0.6 * fig.dpi
        for legend in fig.legends:  # a legend row below the axes clears the x label
            assert not legend.get_window_extent(r).overlaps(ax.get_tightbbox(r))


def figure_html(fig, alt: str, tight: bool = False) -> str:
    """A chart as composed (:func:`figure_svg`) and shown on the page (the HTML renderer)."""
    return render_figure(Figure(svg=figure_svg(fig, alt, tight=tight), alt=alt))


def test_inline_svg_is_clean_and_deterministic():
    use_report_style()
    dims = _dims([f"维度{i}" for i in range(8)])
    a = figure_html(charts.dimension_bars(dims, "裴城镇"), "各维度得分")
    b = figure_html(charts.dimension_bars(dims, "裴城镇"), "各维度得分")
    c = figure_html(charts.satisfaction_errorbars(_items(["甲", "乙"]), "裴城镇"), "满意度")
    assert a == b  # same chart, same bytes: the isolation and incremental checks rely on it
    assert a.startswith('<svg class="chart" role="img" aria-label="各维度得分"')
    assert "<title>各维度得分</title>" in a
    # text stays text (takes the page's embedded font), with no font of its own
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", a)
    assert "裴城镇各维度得分与全区平均" in texts and "全区平均" in texts
    assert "font-family" not in a and "<style" not in a and "<metadata" not in a
    assert "<?xml" not in a and "DOCTYPE" not in a
    # ids are unique across the charts of one page
    ids = re.findall(r'\bid="([^"]+)"', a + c)
    assert len(ids) == len(set(ids))
    for ref in re.findall(r"url\(#([^)]+)\)|href=\"#([^\"]+)\"", a):
        assert f'id="{ref[0] or ref[1]}"' in a


def test_chart_alt_text_is_escaped():
    use_report_style()
    html = figure_html(charts.dimension_bars(_dims(["甲"]), "镇"), '<img src=x onerror="1">')
    assert "<img" not in html and "&lt;img" in html


def test_district_charts_for_a_province_stay_small():
    """2,000 townships: the dense marks are one embedded image, so the index page's charts stay
    far below its 1.5 MB budget (as vector marks they weighed ~1 MB)."""
    use_report_style()
    n = 2000
    rng = np.random.default_rng(4)
    scores = pd.DataFrame(
        {"township": [f"第{i}镇" for i in range(n)], "score": rng.uniform(40, 90, n)}
    )
    scores["rank"] = scores["score"].rank(ascending=False, method="first").astype(int)
    scores["rank_low"] = np.maximum(scores["rank"] - 40, 1)
    scores["rank_high"] = np.minimum(scores["rank"] + 40, n)
    sat = scores[["township"]].assign(estimate=rng.uniform(3, 4.5, n))
    sat = sat.assign(ci_low=sat["estimate"] - 0.2, ci_high=sat["estimate"] + 0.2)
    for fig in (charts.rank_intervals(scores), charts.satisfaction_ranking(sat)):
        svg = figure_html(fig, "图", tight=True)
        assert len(svg) < 80_000
        assert "<image" in svg and "<text" in svg  # marks rasterised, labels still text
