"""Chart style: a CJK font that arrives with pip (Noto Sans CJK SC from ``mplfonts``), so Chinese
renders on a fresh machine without system fonts, and one consistent look for every chart."""

from __future__ import annotations

import base64
import io
from functools import cache
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

FONT_FILE = "NotoSansCJKsc-Regular.otf"
PALETTE = ["#2f6f9f", "#e07b39", "#5a9e4b", "#b8483e", "#7d5ba6", "#8c6d3f", "#c45c9b", "#6f6f6f"]
ACCENT, MUTED, GOOD, BAD = "#2f6f9f", "#9aa5b1", "#3c8d40", "#c0392b"


@cache
def cjk_font_path() -> Path:
    """Path of the bundled CJK font; raises a clear error when the package is missing."""
    try:
        path = Path(str(resources.files("mplfonts") / "fonts" / FONT_FILE))
    except ModuleNotFoundError as exc:  # pragma: no cover - mplfonts is a dependency
        raise RuntimeError("缺少中文字体包 mplfonts（pip install mplfonts）") from exc
    if not path.is_file():  # pragma: no cover
        raise RuntimeError(f"中文字体文件不存在：{path}")
    return path


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
            "svg.fonttype": "path",
        }
    )


def figure_png(fig: plt.Figure) -> bytes:
    """PNG bytes of a figure (the figure is closed afterwards)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def figure_html(fig: plt.Figure, alt: str) -> str:
    """An inline ``<img>`` (base64 PNG) for a figure, with escaped alt text."""
    from commeval.report.html import esc

    data = base64.b64encode(figure_png(fig)).decode("ascii")
    return f'<img class="chart" alt="{esc(alt)}" src="data:image/png;base64,{data}"/>'
