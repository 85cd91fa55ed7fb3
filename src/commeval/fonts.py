"""Embed the CJK font in a report page: only the glyphs the page uses, as an inline WOFF
``@font-face``, so Chinese text renders on any machine (an offline intranet PC, or a fresh machine
with no Chinese fonts) without loading anything from the network."""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from commeval import keys
from commeval.files import write_atomic

FONT_FILE = "NotoSansCJKsc-Regular.otf"
FAMILY = "commeval CJK"
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_MARK = "/* commeval-cjk-font */"
BASE_VERSION = 1
BASE_EXTRA = (
    "　、。·—–‘’“”…《》「」『』【】〔〕㎡℃±×÷≤≥≠∈①②③④⑤⑥⑦⑧⑨⑩▲▼✓×％，：；？！（）［］＋－／＝"
)


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Path of the bundled CJK font; raises a clear error when the package is missing."""
    # found without importing mplfonts, whose import loads matplotlib (0.3 s a worker)
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a dependency
        raise RuntimeError("缺少中文字体包 mplfonts（pip install mplfonts）")
    path = Path(spec.submodule_search_locations[0]) / "fonts" / FONT_FILE
    if not path.is_file():  # pragma: no cover
        raise RuntimeError(f"中文字体文件不存在：{path}")
    return path


def page_text(html: str) -> str:
    """The characters a page shows (markup, scripts and styles removed; entities kept as-is)."""
    import html as _html

    return _html.unescape(_TAG.sub(" ", html))


def gb2312_chars() -> str:
    """The 7,445 characters of GB 2312 (every common simplified Chinese character)."""
    out = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(out)


def _base_font_path() -> Path:
    """A cached cut of the bundled font down to GB 2312 + ASCII (built once per machine, ~2 s):
    subsetting a page from it is ten times faster than from the full 65,000-glyph font."""
    src = cjk_font_path()
    key = keys.key("font-base", source=str(src), size=src.stat().st_size, version=BASE_VERSION)[:12]
    cache = Path(os.environ.get("COMMEVAL_CACHE", Path.home() / ".cache" / "commeval"))
    path = cache / f"cjk-base-{key}.otf"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _subset(src.read_bytes(), gb2312_chars() + BASE_EXTRA, flavor=None)
        write_atomic(path, data)
    return path


@lru_cache(maxsize=2)
def _font_bytes(base: bool) -> bytes:
    return (_base_font_path() if base else cjk_font_path()).read_bytes()


@lru_cache(maxsize=1)
def _base_cmap() -> frozenset[int]:
    return frozenset(TTFont(io.BytesIO(_font_bytes(True)), lazy=True).getBestCmap())


@lru_cache(maxsize=1)
def _full_cmap() -> frozenset[int]:
    return frozenset(TTFont(io.BytesIO(_font_bytes(False)), lazy=True).getBestCmap())


def subset_font(chars: str) -> bytes:
    """A WOFF font holding just ``chars`` (plus ASCII) from the bundled Noto Sans CJK SC; the
    quick GB 2312 cut serves unless a character is only in the full font."""
    wanted = {ord(c) for c in chars}
    base = wanted <= _base_cmap() or not (wanted - _base_cmap()) & _full_cmap()
    return _subset(_font_bytes(base), chars, flavor="woff")


def _subset(font_bytes: bytes, chars: str, flavor: str | None) -> bytes:
    font = TTFont(io.BytesIO(font_bytes), lazy=False, recalcBBoxes=False, recalcTimestamp=False)
    opts = subset.Options()
    opts.flavor = flavor
    opts.layout_features = []  # horizontal simplified Chinese needs no GSUB features
    opts.name_IDs = [1, 2]
    opts.notdef_outline = True
    opts.hinting = False
    opts.desubroutinize = True  # faster to cut and smaller for a few hundred glyphs
    sub = subset.Subsetter(options=opts)
    wanted = {ord(c) for c in chars if ord(c) >= 0x20} | set(range(0x20, 0x7F))
    sub.populate(unicodes=sorted(wanted))
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = flavor
    font.save(buf)
    return buf.getvalue()


@lru_cache(maxsize=1)
def _template_text_chars() -> str:
    """Non-ASCII characters of the report's fixed wording: the report code, its YAML labels,
    and the templates (the page template and THE stylesheet, ``templates/report.css``)."""
    root = resources.files("commeval")
    texts = []
    for folder, suffixes in (("report", (".py",)), ("config", (".yaml",))):
        for entry in (root / folder).iterdir():
            if entry.name.endswith(suffixes) and entry.name != "codebook.yaml":
                texts.append(entry.read_text(encoding="utf-8"))
    templates = root / "templates"
    if templates.is_dir():
        texts += [e.read_text(encoding="utf-8") for e in templates.iterdir() if e.is_file()]
    chars = {c for t in texts for c in t if ord(c) > 0x7F and not c.isspace()} | set(BASE_EXTRA)
    return "".join(sorted(chars))


@lru_cache(maxsize=1)
def template_chars() -> str:
    """The fixed wording's characters that the font has. They go into one font shared by every
    page of this version, so a page only needs a small second font for its data (names of
    townships, villages…)."""
    return "".join(sorted(set(_template_text_chars()) & {chr(c) for c in _base_cmap()}))


@lru_cache(maxsize=1)
def _template_font_b64() -> str:
    """The shared font of the report's fixed wording, kept in the font cache folder by the hash
    of its characters (built once per machine and version, then read by every worker)."""
    base = _base_font_path()
    key = keys.key("font-template", chars=_template_text_chars(), base=base.name)[:16]
    path = base.parent / f"cjk-template-{key}.b64"
    if path.is_file():
        return path.read_text(encoding="ascii")
    data = base64.b64encode(subset_font(template_chars())).decode("ascii")
    write_atomic(path, data, encoding="ascii")
    return data


def _face(family: str, data: str) -> str:
    return (
        f"@font-face{{font-family:'{family}';src:url(data:font/woff;base64,{data}) "
        "format('woff');font-display:block}"
    )


_CELL_MARK = "/* commeval-cjk-cell-font */"
_CELL_STYLE = re.compile(r"<style>/\* commeval-cjk-cell-font \*/.*?</style>", re.S)
#: The report text's font stack inside a notebook: scoped to the report's wrapper, like the
#: stylesheet, so the rest of JupyterLab keeps its fonts.
_CELL_FAMILIES = (
    f".commeval-report,.commeval-report *{{font-family:'{FAMILY}','Noto Sans CJK SC',"
    "'Microsoft YaHei',sans-serif}.commeval-report code,.commeval-report pre{font-family:monospace}"
)


def _unicode_range(chars: str) -> str:
    """A CSS ``unicode-range`` value covering exactly ``chars`` (runs of code points merged)."""
    points = sorted({ord(c) for c in chars})
    runs: list[list[int]] = []
    for cp in points:
        if runs and cp == runs[-1][1] + 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return ",".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def _ranged_face(chars: str, data: str) -> str:
    """A face of :data:`FAMILY` limited to ``chars``: faces of one family with disjoint ranges
    combine, so every notebook output can bring its own glyphs."""
    return (
        f"@font-face{{font-family:'{FAMILY}';src:url(data:font/woff;base64,{data}) "
        f"format('woff');unicode-range:{_unicode_range(chars)};font-display:block}}"
    )


def _cjk(chars: str) -> str:
    return "".join(c for c in chars if ord(c) > 0x7F)


def notebook_template_font() -> str:
    """A ``<style>`` for a report notebook (shown once, with the stylesheet): the font of the
    report's fixed wording (the pages' shared one) and the report's font stack, scoped to
    ``.commeval-report``. The exported page leaves it out (it embeds its own, :func:`embed_cjk_font`)."""
    face = _ranged_face(_cjk(template_chars()), _template_font_b64())
    return f"<style>{_CELL_MARK}{face}{_CELL_FAMILIES}</style>"


def notebook_cell_font(html: str) -> str:
    """A ``<style>`` for one notebook output: the glyphs of ``html`` outside the fixed wording
    (names of townships, villages…) and the scoped font stack; empty when there are none.
    :func:`embed_cjk_font` removes it from an exported page, whose font covers the whole page."""
    rest = "".join(sorted({c for c in _cjk(page_text(html))} - set(template_chars())))
    if not rest:
        return ""
    face = _ranged_face(rest, base64.b64encode(subset_font(rest)).decode("ascii"))
    return f"<style>{_CELL_MARK}{face}{_CELL_FAMILIES}</style>"


def embed_cjk_font(html: str) -> str:
    """Insert inline ``@font-face`` rules covering the page's glyphs and make them the page's
    first fonts (idempotent): one font with the report's fixed wording (the same for every page
    of this commeval version, built once per process) and one with the page's other characters.
    Non-ASCII glyphs only: Latin text keeps the system font."""
    html = _CELL_STYLE.sub("", html)  # the notebook outputs' fonts: this one covers them all
    if _MARK in html:
        return html
    fixed = set(template_chars())
    rest = "".join(sorted({c for c in page_text(html) if ord(c) > 0x7F} - fixed))
    faces = _face(FAMILY, _template_font_b64())
    families = f"'{FAMILY}'"
    if rest:
        faces += _face(FAMILY + " 2", base64.b64encode(subset_font(rest)).decode("ascii"))
        families += f",'{FAMILY} 2'"
    style = (
        f"<style>{_MARK}{faces}"
        f"body,body *{{font-family:{families},'Noto Sans CJK SC','Microsoft YaHei',sans-serif}}"
        "code,pre{font-family:monospace}</style>"
    )
    if "</head>" in html:
        return html.replace("</head>", style + "</head>", 1)
    return style + html
