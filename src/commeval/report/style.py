"""Chart style: a CJK font that arrives with pip (Noto Sans CJK SC from ``mplfonts``), so Chinese
renders on a fresh machine without system fonts, and one consistent look for every chart."""

from __future__ import annotations

import io
import re
from functools import cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from commeval.fonts import cjk_font_path  # noqa: E402

PALETTE = ["#2f6f9f", "#e07b39", "#5a9e4b", "#b8483e", "#7d5ba6", "#8c6d3f", "#c45c9b", "#6f6f6f"]
ACCENT, MUTED, GOOD, BAD = "#2f6f9f", "#9aa5b1", "#3c8d40", "#c0392b"


@cache
def cjk_font_name() -> str:
    """Register the CJK font with matplotlib and return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def use_report_style() -> None:
    """Reset matplotlib to defaults, then apply the report style (idempotent; call once per
    report so no state of an earlier report carries over)."""
    plt.close("all")
    matplotlib.rcdefaults()
    name = cjk_font_name()
    matplotlib.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [name, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "figure.autolayout": False,
        }
    )


def figure_png(fig: plt.Figure) -> bytes:
    """PNG bytes of a figure (the figure is closed afterwards), for notebook display."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


_SVG_DROP = re.compile(
    r"<\?xml.*?\?>|<!DOCTYPE.*?>|<metadata>.*?</metadata>|<defs>\s*<style.*?</style>\s*</defs>",
    re.S,
)
_SVG_GROUP_ID = re.compile(r'<g id="[^"]*"')  # "figure_1", "axes_1"… would repeat on a page
_SVG_FONT = re.compile(r"font-family:[^;\"]*;?\s*")


def figure_svg(fig: plt.Figure, key: str, tight: bool = False) -> str:
    """SVG markup of a figure (closed afterwards), for inlining in a page: text stays text, so
    it takes the page's fonts (the embedded CJK font in exported reports) and prints sharp; no
    XML prolog or metadata; clip-path ids salted with ``key`` so charts of one page never share
    an id and the same chart always gives the same bytes. ``tight`` crops to the drawn extent
    (an extra layout pass); report charts that place their own margins skip it."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"commeval:{key}"}):
        fig.savefig(
            buf,
            format="svg",
            bbox_inches="tight" if tight else None,
            metadata={"Date": None},
            dpi=150,  # resolution of rasterized artists only; the rest stays vector
        )
    plt.close(fig)
    svg = _SVG_DROP.sub("", buf.getvalue().decode("utf-8"))
    svg = _SVG_GROUP_ID.sub("<g", _SVG_FONT.sub("", svg)).strip()
    # the dropped <style> set these for every element; in a page it would leak out of the chart
    return svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
