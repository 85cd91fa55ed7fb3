"""A composed :class:`~commeval.document.Document` as an editable Word file (.docx) in 公文 layout.

Layout after GB/T 9704-2012 (党政机关公文格式): A4, margins top 37 mm, bottom 35 mm, left 28 mm,
right 26 mm; body 仿宋 三号 (16 pt) at a fixed line pitch of 28.95 pt (22 lines a page), first
lines indented two characters; 一级标题 黑体, 二级标题 楷体, 三级标题 仿宋 bold, each a real Word
heading style (Heading 1/2/3, so Word's navigation pane and table of contents see them) with its
公文 number (一、 （一） 1.) as text; Latin text and digits in Times New Roman; page numbers
"— 1 —" in the footer as a PAGE field; the township and year in the running header.

Chinese fonts are set where Word and WPS read them: python-docx's ``font.name`` writes only
``w:ascii``/``w:hAnsi``, so every style's ``w:rFonts`` (document defaults, Normal, headings, the
table styles) gets ``w:eastAsia`` explicitly, the template's theme-font attributes
(``w:asciiTheme``, ``w:eastAsiaTheme`` …, which win over named fonts) are removed, and the
language is ``w:lang w:eastAsia="zh-CN"``. The default names are those of Chinese Windows and WPS
(仿宋_GB2312, 黑体, 楷体_GB2312); the ``_GB2312`` fonts cover only GB 2312's 6,763 characters,
so a run holding a character outside it (a rare village name) is set in the GBK-wide font of the
same face (仿宋, 楷体), and the font table names that font as each one's ``w:altName``.

Everything is editable: tables are Word tables (header row repeated on every page, rows that do
not split, numbers right-aligned, units in the header), charts are ≥ 200 dpi PNG pictures with
their caption as text, boxed notes are one-cell tables — no text boxes, no pictures of text.

Text this renderer adds — the cover, the table of contents, the title from the metadata, the
running header and footer, the note for a chart without a picture — is set in paragraph styles
whose names start with :data:`RENDERER_STYLE` ("Commeval Renderer …"), so a check that compares
a document's content with the Word file can leave it out (:func:`content_texts`).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from docx import Document as _new_docx
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor

from commeval.document import (
    KPI,
    Banner,
    Block,
    Callout,
    Cell,
    Document,
    Figure,
    Group,
    Heading,
    KPIs,
    ListBlock,
    PageBreak,
    Paragraph,
    Progress,
    Run,
    Section,
    Table,
)
from commeval.renderers.pdf import running_header

__all__ = [
    "DEFAULT_FONTS",
    "RENDERER_STYLE",
    "DocxOptions",
    "content_texts",
    "progress_text",
    "render_docx",
    "wide_font",
]

#: Default font names (Chinese Windows and WPS): body, 一级标题, 二级标题, Latin text and digits.
#: ``title`` (the cover's and first page's title) defaults to the 一级标题 font.
DEFAULT_FONTS: dict[str, str] = {
    "body": "仿宋_GB2312",
    "heading1": "黑体",
    "heading2": "楷体_GB2312",
    "latin": "Times New Roman",
}
#: Style names of text the renderer adds (not part of the composed document) start with this.
RENDERER_STYLE = "Commeval Renderer"

PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
TEXT_W = PAGE_W - MARGINS["left"] - MARGINS["right"]  # 156 mm
LINE = Pt(28.95)  # 225 mm of text height / 22 lines
BODY_PT = 16  # 三号
TABLE_PT = 12  # 小四
SMALL_TABLE_PT = 10.5  # 五号, for tables of more than six columns
NOTE_PT = 12
#: Tables of at most this many rows are kept on one page.
KEEP_TOGETHER_ROWS = 12
MIN_DPI = 200

_TONE_COLOURS = {
    "good": "1E7B34",
    "bad": "C00000",
    "warn": "B35C00",
    "muted": "666666",
    "info": "1F4E79",
}
_TONE_FILLS = {
    "good": "E8F3EA",
    "bad": "FBE5E5",
    "warn": "FFF3E0",
    "muted": "F2F2F2",
    "info": "EAF1F8",
}
_NUMERIC_KINDS = {"number", "estimate", "progress"}
#: Characters XML 1.0 cannot hold (a stray vertical tab from a spreadsheet cell …)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


@dataclass
class DocxOptions:
    """How the Word file is set: font names (keys ``body``, ``heading1``, ``heading2``,
    ``latin``; optional ``title``; missing keys take :data:`DEFAULT_FONTS`), whether to print a
    cover page (also switched off by ``Document.cover``), and the 编制单位 on the cover (default:
    ``Meta.organisation``)."""

    fonts: Mapping[str, str] | None = None
    cover: bool = True
    organisation: str = ""


def wide_font(name: str) -> str:
    """The GBK-wide font of the same face: 仿宋_GB2312 → 仿宋, 楷体_GB2312 → 楷体; others as is."""
    return name.removesuffix("_GB2312") or name


def _outside_gb2312(text: str) -> bool:
    """Whether ``text`` holds a Chinese character that GB 2312 (and so a *_GB2312 font) lacks."""
    for ch in _CJK.findall(text):
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            return True
    return False


def progress_text(p: Progress) -> str:
    """A progress bar as text: "label：120 / 300套（40%）" (:meth:`Progress.figures`)."""
    return f"{p.label}：{p.figures()}" if p.label else p.figures()


# --- XML helpers ---------------------------------------------------------------------------------

_THEME_ATTRS = [qn(f"w:{a}") for a in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")]


def _el(tag: str, **attrs: str) -> Any:
    e = OxmlElement(tag)
    for k, v in attrs.items():
        e.set(qn(f"w:{k}"), v)
    return e


#: Child order of the containers this renderer adds to (ECMA-376 Part 1, §17): Word rejects a
#: file whose children are out of order.
ORDER = {
    "w:tblPr": (
        "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
        "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
        "w:tblDescription",
    ),
    "w:trPr": (
        "w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter",
        "w:cantSplit", "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden",
    ),
    "w:tcPr": (
        "w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd",
        "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
    ),
    "w:sectPr": (
        "w:headerReference", "w:footerReference", "w:footnotePr", "w:endnotePr", "w:type",
        "w:pgSz", "w:pgMar", "w:paperSrc", "w:pgBorders", "w:lnNumType", "w:pgNumType",
        "w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection",
        "w:bidi", "w:rtlGutter", "w:docGrid", "w:printerSettings",
    ),
    # the part of w:settings around the one element added (updateFields)
    "w:settings": (
        "w:alwaysMergeEmptyNamespace", "w:updateFields", "w:hdrShapeDefaults", "w:footnotePr",
        "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema",
        "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats",
        "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions", "w:readModeInkLockDown",
        "w:smartTagType", "sl:schemaLibrary", "w:shapeDefaults", "w:doNotEmbedSmartTags",
        "w:decimalSymbol", "w:listSeparator",
    ),
}  # fmt: skip


def _insert(parent: Any, child: Any) -> Any:
    """Insert ``child`` into ``parent`` at its place in the schema's order (:data:`ORDER`),
    replacing an element of the same tag."""
    order = ORDER[_prefixed(parent.tag)]
    tag = _prefixed(child.tag)
    for old in parent.findall(child.tag):
        parent.remove(old)
    later = set(order[order.index(tag) + 1 :])
    for i, sibling in enumerate(parent):
        if _prefixed(sibling.tag) in later:
            parent.insert(i, child)
            return child
    parent.append(child)
    return child


_PREFIXES = {
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main": "w",
    "http://schemas.openxmlformats.org/officeDocument/2006/math": "m",
    "http://schemas.openxmlformats.org/schemaLibrary/2006/main": "sl",
}


def _prefixed(clark: Any) -> str:
    if not isinstance(clark, str) or not clark.startswith("{"):
        return str(clark)
    ns, _, local = clark[1:].partition("}")
    return f"{_PREFIXES.get(ns, ns)}:{local}"


def _child(parent: Any, tag: str) -> Any:
    """The first child ``tag`` of ``parent``, appended when missing."""
    found = parent.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        parent.append(found)
    return found


def _set_rfonts(rpr: Any, east: str, latin: str) -> None:
    """Named fonts on an ``w:rPr``: eastAsia for Chinese, ascii/hAnsi/cs for Latin; theme
    attributes removed; the eastAsia hint so shared punctuation (“” — …) takes the Chinese font."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for a in _THEME_ATTRS:
        rfonts.attrib.pop(a, None)
    for a in ("ascii", "hAnsi", "cs"):
        rfonts.set(qn(f"w:{a}"), latin)
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:hint"), "eastAsia")


def _clear(rpr: Any, *tags: str) -> None:
    for t in tags:
        for e in rpr.findall(qn(t)):
            rpr.remove(e)


def _shade(tc_pr: Any, fill: str) -> None:
    for e in tc_pr.findall(qn("w:shd")):
        tc_pr.remove(e)
    _insert(tc_pr, _el("w:shd", val="clear", color="auto", fill=fill))


def _borders(parent: Any, tag: str, colour: str = "000000", size: int = 4) -> None:
    box = OxmlElement(tag)
    sides = ("top", "left", "bottom", "right")
    if tag == "w:tblBorders":
        sides += ("insideH", "insideV")
    for side in sides:
        box.append(_el(f"w:{side}", val="single", sz=str(size), space="0", color=colour))
    _insert(parent, box)


def _field(paragraph: Any, instr: str, placeholder: str) -> None:
    """A complex field (PAGE, TOC …) with ``placeholder`` as its cached result."""
    p = paragraph._p

    def run(*children: Any) -> Any:
        r = OxmlElement("w:r")
        for c in children:
            r.append(c)
        p.append(r)
        return r

    run(_el("w:fldChar", fldCharType="begin"))
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = f" {instr} "
    run(it)
    run(_el("w:fldChar", fldCharType="separate"))
    t = OxmlElement("w:t")
    t.text = placeholder
    run(t)
    run(_el("w:fldChar", fldCharType="end"))


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("figure.png is not a PNG image")
    w, h = struct.unpack(">II", data[16:24])
    return w, h


def _display_width(cjk_chars: str) -> int:
    """Width of a text in half-width units (a Chinese character counts two)."""
    return sum(2 if ord(c) > 0x2E7F else 1 for c in cjk_chars)


#: Word's default cell margins (0.19 cm each side) and a little slack, in mm
_CELL_PAD_MM = 4.2
#: a text cell may wrap, but keeps at least this many half-width units (two Chinese characters
#: fit in 4) on a line; headers wrap before values do
_MIN_TEXT_UNITS = 8
_MIN_HEADER_UNITS = 4
_MAX_UNITS = 40
_NUMBERISH = re.compile(r"^[\s+\-−—–▲▼.,%0-9０-９/（）()～~]*$")


def _unbreakable(text: str) -> int:
    """The widest piece of a cell's text that must stay on one line (half-width units): a
    line may break before an opening bracket ("3.96" / "（3.69–4.23）") and inside Chinese
    words, never inside a number."""
    parts = [p for p in re.split(r"(?=[（(])", text) if p] or [""]
    return max(
        min(_display_width(p), _MIN_TEXT_UNITS) if _CJK.search(p) else _display_width(p)
        for p in parts
    )


def column_widths(header: Sequence[str], rows: Sequence[Sequence[Cell]], pt: float) -> list[int]:
    """Column widths (EMU) filling the text width: every column at least as wide as its
    longest number or short label (so "2,704", "未达标" and "100.0%" never break over lines)
    and its header's longest two characters; the rest of the width shared by how much more
    each column's text would like."""
    unit_mm = pt * 0.3528 / 2  # half of an em, in mm
    need_min, want = [], []
    for i, h in enumerate(header):
        texts = [r[i].text() for r in rows if i < len(r)]
        numeric = any(r[i].kind in _NUMERIC_KINDS for r in rows if i < len(r))
        unbreakable = [
            _unbreakable(t)
            for t in texts
            if numeric or _NUMBERISH.match(t) or _display_width(t) <= _MIN_TEXT_UNITS
        ]
        longest = max((_display_width(t) for t in texts), default=0)
        lo = max([_MIN_HEADER_UNITS, min(longest, _MIN_TEXT_UNITS), *unbreakable])
        hi = max(lo, min(max(longest, _display_width(h) // 2), _MAX_UNITS))
        need_min.append(lo * unit_mm + _CELL_PAD_MM)
        want.append(hi * unit_mm + _CELL_PAD_MM)
    text_mm = TEXT_W / Mm(1)
    total_min, total_want = sum(need_min), sum(want)
    if total_want <= text_mm:  # everything fits: spread the spare width by what each wants
        mm = [w * text_mm / total_want for w in want]
    elif total_min >= text_mm:  # even the minimum does not fit: shrink it evenly
        mm = [w * text_mm / total_min for w in need_min]
    else:
        spare = text_mm - total_min
        extra = [w - m for w, m in zip(want, need_min)]
        mm = [m + spare * e / sum(extra) for m, e in zip(need_min, extra)]
    return [int(Mm(x)) for x in mm]


# --- the renderer --------------------------------------------------------------------------------


class _Writer:
    def __init__(self, doc: Document, options: DocxOptions) -> None:
        self.doc = doc
        self.options = options
        fonts = dict(DEFAULT_FONTS)
        for key, value in (options.fonts or {}).items():
            if value and isinstance(value, str):
                fonts[key] = value
        fonts.setdefault("title", fonts["heading1"])
        self.fonts = fonts
        self.latin = fonts["latin"]
        self._ordered_abstract: str | None = None
        self._ids: dict[str, str] = {}
        self._table_style = ""
        # the styled empty document is built once per set of fonts and re-read for each report
        self.d = _new_docx(io.BytesIO(_template(tuple(sorted(fonts.items())))))
        self._table_style = self.d.styles["Commeval Table"].style_id

    @classmethod
    def template(cls, fonts: dict[str, str]) -> bytes:
        """An empty document with the renderer's styles, page fonts and settings."""
        w = cls.__new__(cls)
        w.fonts, w.latin = fonts, fonts["latin"]
        w.d = _new_docx()
        w._setup_styles()
        buf = io.BytesIO()
        w.d.save(buf)
        return buf.getvalue()

    # --- styles ----------------------------------------------------------------------------------

    def _setup_styles(self) -> None:
        styles = self.d.styles
        root = styles.element
        for rfonts in root.iter(qn("w:rFonts")):
            for a in _THEME_ATTRS:
                rfonts.attrib.pop(a, None)
        body = self.fonts["body"]
        # document defaults: the fonts, 三号, Chinese language, no spacing after
        rpr = root.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_rfonts(rpr, body, self.latin)
        for tag, val in (("w:sz", "32"), ("w:szCs", "32")):
            _child(rpr, tag).set(qn("w:val"), val)
        lang = _child(rpr, "w:lang")
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
        ppr = root.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
        spacing = _child(ppr, "w:spacing")
        spacing.attrib.clear()
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), str(int(LINE.pt * 20)))
        spacing.set(qn("w:lineRule"), "exact")

        normal = styles["Normal"]
        self._font(normal, body, BODY_PT)
        pf = normal.paragraph_format
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = LINE
        pf.space_before = pf.space_after = Pt(0)
        pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        pf.widow_control = True
        self._indent(normal, 2)

        for level, key, bold in ((1, "heading1", False), (2, "heading2", False), (3, "body", True)):
            st = styles[f"Heading {level}"]
            _clear(st.element.get_or_add_rPr(), "w:color", "w:i", "w:iCs")
            self._font(st, self.fonts[key], BODY_PT, bold=bold)
            pf = st.paragraph_format
            pf.space_before = pf.space_after = Pt(0)
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = LINE
            pf.keep_with_next = True
            pf.alignment = WD_ALIGN_PARAGRAPH.LEFT
        styles["Heading 1"].paragraph_format.space_before = Pt(8)
        self._indent(styles["Heading 1"], 2)
        self._indent(styles["Heading 2"], 2)
        self._indent(styles["Heading 3"], 2)

        def para(
            name: str, pt: float, *, bold: bool = False, align: Any = None, indent: int = 0,
            line: Pt | None = None, east: str | None = None, before: float = 0,
            keep: bool = False, colour: str = "",
        ) -> Any:  # fmt: skip
            st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            st.base_style = styles["Normal"]
            st.quick_style = True
            self._font(st, east or body, pt, bold=bold)
            if colour:
                st.font.color.rgb = RGBColor.from_string(colour)
            pf = st.paragraph_format
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = line or Pt(round(pt * 1.5, 1))
            pf.space_before = Pt(before)
            pf.keep_with_next = keep
            if align is not None:
                pf.alignment = align
            self._indent(st, indent)
            return st

        center, left = (
            WD_ALIGN_PARAGRAPH.CENTER,
            WD_ALIGN_PARAGRAPH.LEFT,
        )
        para("Commeval Lead", BODY_PT, line=LINE, indent=2)
        para("Commeval OK", BODY_PT, line=LINE, indent=2, colour=_TONE_COLOURS["good"])
        para("Commeval Kicker", NOTE_PT, align=left, colour=_TONE_COLOURS["muted"])
        para("Commeval Note", NOTE_PT, align=left)
        para("Commeval Meta", NOTE_PT, align=left, colour=_TONE_COLOURS["muted"])
        para("Commeval Caption", 14, bold=True, align=center, keep=True, before=6)
        para("Commeval Figure", BODY_PT, align=center, line=None, keep=True)
        self.d.styles["Commeval Figure"].paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        para("Commeval Group Title", BODY_PT, bold=True, line=LINE, indent=2, keep=True)
        para("Commeval Table Text", TABLE_PT, align=left, line=Pt(18))
        para("Commeval Table Small", SMALL_TABLE_PT, align=left, line=Pt(15))
        para("Commeval KPI Label", NOTE_PT, align=center, line=Pt(18), colour="444444")
        para("Commeval KPI Value", 18, bold=True, align=center, line=Pt(26))
        para("Commeval Callout", 14, line=Pt(24), align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        para("Commeval Banner", 14, bold=True, align=center, line=Pt(24), colour="9C2A00")
        para("Commeval List", BODY_PT, line=LINE)
        para("Commeval Spacer", 6, line=Pt(8))
        # text the renderer adds
        para(f"{RENDERER_STYLE} Title", 22, align=center, line=Pt(36), east=self.fonts["title"])
        para(f"{RENDERER_STYLE} Subtitle", BODY_PT, align=center, line=LINE, east=self.fonts["heading2"])  # fmt: skip
        para(f"{RENDERER_STYLE} Cover", BODY_PT, align=center, line=LINE)
        para(f"{RENDERER_STYLE} Contents", BODY_PT, align=center, line=LINE, east=self.fonts["heading1"])  # fmt: skip
        para(f"{RENDERER_STYLE}", NOTE_PT, align=left)
        para(f"{RENDERER_STYLE} Header", 10.5, align=center, line=Pt(16))
        para(f"{RENDERER_STYLE} Footer", 14, align=center, line=Pt(18), east="宋体")
        _set_rfonts(styles[f"{RENDERER_STYLE} Footer"].element.get_or_add_rPr(), "宋体", "宋体")

        tbl = styles.add_style("Commeval Table", WD_STYLE_TYPE.TABLE)
        tbl.base_style = styles["Table Grid"]
        self._font(tbl, body, TABLE_PT)
        for name in ("Table Grid", "Normal Table"):
            self._font(styles[name], body, None)

        # the legacy copy of the styles (Word 2010) still names theme fonts, and the
        # template's thumbnail shows another document: drop both
        for rid, rel in list(self.d.part.rels.items()):
            if rel.reltype.endswith("/stylesWithEffects"):
                self.d.part.drop_rel(rid)
        pkg_rels = self.d.part.package.rels
        for rid, rel in list(pkg_rels.items()):
            if rel.reltype.endswith("/thumbnail"):
                pkg_rels.pop(rid)
        settings = self.d.settings.element
        tfl = settings.find(qn("w:themeFontLang"))
        if tfl is not None:
            tfl.set(qn("w:eastAsia"), "zh-CN")
        self._font_table()

    def _font(self, style: Any, east: str, pt: float | None, *, bold: bool | None = None) -> None:
        rpr = style.element.get_or_add_rPr()
        _set_rfonts(rpr, east, self.latin)
        if pt is not None:
            style.font.size = Pt(pt)
        if bold is not None:
            style.font.bold = bold
            style.font.cs_bold = bold

    @staticmethod
    def _indent(style: Any, chars: int) -> None:
        ppr = style.element.get_or_add_pPr()
        for e in ppr.findall(qn("w:ind")):
            ppr.remove(e)
        if chars:
            ind = ppr.get_or_add_ind()
            ind.set(qn("w:firstLineChars"), str(chars * 100))
            ind.set(qn("w:firstLine"), str(chars * 320))
        else:
            ind = ppr.get_or_add_ind()
            ind.set(qn("w:firstLineChars"), "0")
            ind.set(qn("w:firstLine"), "0")

    def _font_table(self) -> None:
        """Declare the Chinese fonts in word/fontTable.xml with their GBK-wide alternative
        (``w:altName``) and the GB 2312 charset, as Word writes them."""
        part = self.d.part.part_related_by(RT.FONT_TABLE)
        xml = part.blob.decode("utf-8")
        entries = []
        names = {self.fonts[k] for k in ("body", "heading1", "heading2", "title")} | {"宋体"}
        for name in sorted(names):
            wide = wide_font(name)
            entries += [name] + ([wide] if wide != name else [])
        decl = []
        for name in dict.fromkeys(entries):
            if f'w:name="{_xml_attr(name)}"' in xml:
                continue  # the template declares it already
            alt = wide_font(name)
            alt_xml = f'<w:altName w:val="{_xml_attr(alt)}"/>' if alt != name else ""
            decl.append(
                f'<w:font w:name="{_xml_attr(name)}">{alt_xml}<w:charset w:val="86"/>'
                '<w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'
            )
        xml = xml.replace("</w:fonts>", "".join(decl) + "</w:fonts>")
        part._blob = xml.encode("utf-8")

    # --- page ------------------------------------------------------------------------------------

    def _page(self, section: Any) -> None:
        section.page_width, section.page_height = PAGE_W, PAGE_H
        section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
        section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
        section.header_distance = Mm(20)
        section.footer_distance = Mm(22)

    def _header_text(self) -> str:
        return running_header(self.doc.meta)

    def _header_footer(self, section: Any) -> None:
        section.header.is_linked_to_previous = False
        section.footer.is_linked_to_previous = False
        hp = section.header.paragraphs[0]
        self._style(hp, f"{RENDERER_STYLE} Header")
        self._run(hp, Run(self._header_text()), "body")
        fp = section.footer.paragraphs[0]
        self._style(fp, f"{RENDERER_STYLE} Footer")
        fp.add_run("— ")
        _field(fp, "PAGE", "1")
        fp.add_run(" —")

    # --- blocks ----------------------------------------------------------------------------------

    def render(self) -> bytes:
        m = self.doc.meta
        d = self.d
        cover = self.options.cover and self.doc.cover
        self._page(d.sections[0])
        if cover:
            self._cover()
            # the cover's section (now closed by a paragraph) has no header or footer reference,
            # so its page shows neither; the body's section starts a new page numbered 1
            body = d.add_section(WD_SECTION.NEW_PAGE)
        else:
            body = d.sections[0]
        pg = body._sectPr.find(qn("w:pgNumType"))
        if pg is None:
            pg = _insert(body._sectPr, OxmlElement("w:pgNumType"))
        pg.set(qn("w:start"), "1")
        self._header_footer(body)
        if self.doc.toc:
            self._toc()
        self._p(m.title, f"{RENDERER_STYLE} Title", "title")
        if m.subtitle:
            self._p(m.subtitle, f"{RENDERER_STYLE} Subtitle", "heading2")
        for s in self.doc.sections:
            self._block(s)
        cp = d.core_properties
        cp.title = m.title
        cp.subject = "农村社区建设评估"
        cp.author = self.options.organisation or m.organisation or "commeval"
        cp.language = "zh-CN"
        cp.keywords = "　".join(t for t in (m.district, m.township, str(m.year or "")) if t)
        cp.comments = "由 commeval 生成"
        cp.last_modified_by = cp.author
        generated = _timestamp(m.generated)
        if generated is not None:  # else the template's fixed date: no clock read here
            cp.created = cp.modified = generated
        buf = io.BytesIO()
        d.save(buf)
        return _stable_zip(buf.getvalue())

    def _cover(self) -> None:
        m = self.doc.meta
        t = self._p(m.title, f"{RENDERER_STYLE} Title", "title")
        t.paragraph_format.space_before = Mm(60)
        if m.subtitle:
            self._p(m.subtitle, f"{RENDERER_STYLE} Subtitle", "heading2")
        org = self.options.organisation or m.organisation
        first = True
        for line in (f"编制单位：{org}" if org else "", m.date):
            if line:
                p = self._p(line, f"{RENDERER_STYLE} Cover", "body")
                if first:
                    p.paragraph_format.space_before = Mm(90)
                    first = False

    def _toc(self) -> None:
        self._p("目　录", f"{RENDERER_STYLE} Contents", "heading1")
        p = self._par(self.d, f"{RENDERER_STYLE}")
        _field(p, 'TOC \\o "1-3" \\h \\z \\u', "（目录：在 Word 中右键“更新域”或按 F9 生成）")
        p.add_run().add_break(WD_BREAK.PAGE)
        settings = self.d.settings.element
        if settings.find(qn("w:updateFields")) is None:
            _insert(settings, _el("w:updateFields", val="true"))

    def _style(self, p: Any, name: str) -> None:
        """Set a paragraph's style by id (python-docx's by-name setter scans every style)."""
        sid = self._ids.get(name)
        if sid is None:
            sid = self._ids[name] = self.d.styles[name].style_id
        if name != "Normal":
            p._p.style = sid

    def _par(self, container: Any, style: str) -> Any:
        p = container.add_paragraph()
        self._style(p, style)
        return p

    def _p(self, text: str, style: str, key: str, container: Any = None) -> Any:
        p = self._par((container or self.d), style)
        self._run(p, Run(text), key)
        return p

    def _run(self, p: Any, run: Run, key: str, *, bold: bool = False) -> Any:
        r = p.add_run(_CONTROL.sub("", run.text))
        if run.emphasis == "strong" or run.role == "badge" or bold:
            r.bold = True
        east = None
        if run.emphasis == "em":
            east = self.fonts["heading2"]
        if _outside_gb2312(run.text):
            east = wide_font(east or self.fonts.get(key, self.fonts["body"]))
        if east is not None:
            _set_rfonts(r._r.get_or_add_rPr(), east, self.latin)
        colour = _TONE_COLOURS.get(run.tone)
        if colour:
            r.font.color.rgb = RGBColor.from_string(colour)
        return r

    def _runs(self, p: Any, runs: Iterable[Run], key: str = "body", *, bold: bool = False) -> None:
        for run in runs:
            if run.text:
                self._run(p, run, key, bold=bold)

    def _block(self, b: Block, container: Any = None) -> None:
        c = container or self.d
        if b.origin == "renderer":
            return  # another renderer's own text (the page's download links): not for Word
        if isinstance(b, Section):
            if b.heading is not None:
                self._block(b.heading, c)
            for x in b.blocks:
                self._block(x, c)
        elif isinstance(b, Heading):
            level = min(max(int(b.level), 1), 3)
            key = {1: "heading1", 2: "heading2", 3: "body"}[level]
            self._p(b.text(), f"Heading {level}", key, c)
        elif isinstance(b, Paragraph):
            style = {
                "lead": "Commeval Lead",
                "note": "Commeval Note",
                "meta": "Commeval Meta",
                "ok": "Commeval OK",
                "kicker": "Commeval Kicker",
            }.get(b.style, "Normal")
            p = self._par(c, style)
            self._runs(p, b.runs)
        elif isinstance(b, Table):
            self._table(b, c)
        elif isinstance(b, Figure):
            self._figure(b, c)
        elif isinstance(b, KPIs):
            self._kpis(b.cards, c)
        elif isinstance(b, ListBlock):
            self._list(b.items, b.ordered, c, "Commeval List")
        elif isinstance(b, Callout):
            self._box(c, b.tone, lambda cell: self._callout(b, cell))
        elif isinstance(b, Banner):
            self._box(c, "warn", lambda cell: self._banner(b, cell))
        elif isinstance(b, Progress):
            self._p(progress_text(b), "Normal", "body", c)
        elif isinstance(b, PageBreak):
            c.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif isinstance(b, Group):
            if b.title:
                self._p(b.title, "Commeval Group Title", "body", c)
            for x in b.blocks:
                self._block(x, c)

    # --- tables ----------------------------------------------------------------------------------

    def _new_table(self, container: Any, rows: int, cols: int, widths: list[int]) -> Any:
        # Word joins two tables with nothing between them into one: keep them apart
        parent = self.d.element.body if container is self.d else container._element
        last = [e for e in parent if e.tag != qn("w:sectPr")][-1:]
        if last and last[0].tag == qn("w:tbl"):
            self._par(container, "Commeval Spacer")
        t = container.add_table(rows=rows, cols=cols)
        t._tbl.tblStyle_val = self._table_style
        t.autofit = False
        tbl_pr = t._tbl.tblPr
        _borders(tbl_pr, "w:tblBorders")
        layout = tbl_pr.get_or_add_tblLayout()
        layout.set(qn("w:type"), "fixed")
        grid = t._tbl.tblGrid
        for gc, w in zip(grid.findall(qn("w:gridCol")), widths):
            gc.set(qn("w:w"), str(int(Emu(w).twips)))
        for row in t.rows:
            for cell, w in zip(row.cells, widths):
                cell.width = Emu(w)
        return t

    def _table(self, b: Table, container: Any) -> None:
        if b.caption:
            self._p(b.caption, "Commeval Caption", "body", container)
        ncol = max(len(b.columns), 1)
        small = ncol > 6 or b.style == "compact"
        style = "Commeval Table Small" if small else "Commeval Table Text"
        header = b.header() if b.columns else [""]
        widths = column_widths(header, b.rows, SMALL_TABLE_PT if small else TABLE_PT)
        t = self._new_table(container, 1 + len(b.rows), ncol, widths)
        right = [
            col.align == "right"
            or any(r[i].kind in _NUMERIC_KINDS for r in b.rows if i < len(r))
            and col.align != "center"
            for i, col in enumerate(b.columns)
        ]
        centre = [col.align == "center" for col in b.columns]
        hdr = t.rows[0]
        trpr = hdr._tr.get_or_add_trPr()
        _insert(trpr, _el("w:cantSplit"))
        _insert(trpr, _el("w:tblHeader"))
        for i, text in enumerate(header):
            cell = hdr.cells[i]
            p = cell.paragraphs[0]
            self._style(p, style)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            self._run(p, Run(text), "body", bold=True)
            _shade(cell._tc.get_or_add_tcPr(), "E7E6E6")
        for ri, row in enumerate(b.rows):
            tr = t.rows[ri + 1]
            _insert(tr._tr.get_or_add_trPr(), _el("w:cantSplit"))
            fill = _TONE_FILLS.get(b.row_tones[ri]) if ri < len(b.row_tones) else None
            for ci, c in enumerate(row):
                cell = tr.cells[ci]
                p = cell.paragraphs[0]
                self._style(p, style)
                if right[ci] if ci < len(right) else False:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                elif ci < len(centre) and centre[ci]:
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                self._cell_runs(p, c)
                cell_fill = _TONE_FILLS.get(c.tone) if c.kind == "badge" else None
                if cell_fill or fill:
                    _shade(cell._tc.get_or_add_tcPr(), cell_fill or fill)
        # keep a short table on one page, and a table's last row with the notes under it
        # (Word keeps a row with the next paragraph when its paragraphs "keep with next")
        rows = t.rows
        keep = rows[:-1] if len(b.rows) <= KEEP_TOGETHER_ROWS else rows[:1]
        if b.notes:
            keep = [*keep, rows[-1]]
        for row in keep:
            for tc in row._tr.tc_lst:
                for p in tc.p_lst:
                    p.get_or_add_pPr().get_or_add_keepNext()
        for i, note in enumerate(b.notes):
            n = self._p(note, "Commeval Note", "body", container)
            n.paragraph_format.keep_with_next = i < len(b.notes) - 1

    def _cell_runs(self, p: Any, c: Cell) -> None:
        for run in c.runs:
            if not run.text:
                continue
            tone = run.tone or (c.tone if c.kind != "badge" else "")
            self._run(p, Run(run.text, emphasis=run.emphasis, tone=tone, role=run.role), "body")

    def _kpis(self, cards: tuple[KPI, ...], container: Any) -> None:
        if not cards:
            return
        n = len(cards)
        has_note = any(k.note for k in cards)
        t = self._new_table(container, 3 if has_note else 2, n, [int(TEXT_W / n)] * n)
        for r in t.rows:
            _insert(r._tr.get_or_add_trPr(), _el("w:cantSplit"))
        for i, k in enumerate(cards):
            for ri, (text, style) in enumerate(
                ((k.label, "Commeval KPI Label"), (k.value, "Commeval KPI Value"))
                + (((k.note, "Commeval KPI Label"),) if has_note else ())
            ):
                cell = t.rows[ri].cells[i]
                p = cell.paragraphs[0]
                self._style(p, style)
                if text:
                    self._run(p, Run(text), "body")
                _shade(cell._tc.get_or_add_tcPr(), "F5F7FA")

    def _box(self, container: Any, tone: str, fill_cell: Any) -> None:
        t = self._new_table(container, 1, 1, [int(TEXT_W)])
        colour = _TONE_COLOURS.get(tone, _TONE_COLOURS["info"])
        _borders(t._tbl.tblPr, "w:tblBorders", colour, 12)
        cell = t.rows[0].cells[0]
        _shade(cell._tc.get_or_add_tcPr(), _TONE_FILLS.get(tone, _TONE_FILLS["info"]))
        fill_cell(cell)

    def _callout(self, b: Callout, cell: Any) -> None:
        p = cell.paragraphs[0]
        self._style(p, "Commeval Callout")
        self._runs(p, b.runs)
        if b.items:
            self._list(b.items, False, cell, "Commeval Callout")

    def _banner(self, b: Banner, cell: Any) -> None:
        p = cell.paragraphs[0]
        self._style(p, "Commeval Banner")
        self._run(p, Run(b.message), "body")

    def _list(self, items: Iterable[tuple[Run, ...]], ordered: bool, container: Any, style: str) -> None:  # fmt: skip
        num_id = self._num_id(ordered)
        for item in items:
            p = self._par(container, style)
            ppr = p._p.get_or_add_pPr()
            num = ppr.get_or_add_numPr()
            num.get_or_add_ilvl().val = 0
            num.get_or_add_numId().val = num_id
            ind = ppr.get_or_add_ind()
            for k, v in (("left", "640"), ("hanging", "320"), ("firstLineChars", "0")):
                ind.set(qn(f"w:{k}"), v)
            self._runs(p, item)

    def _num_id(self, ordered: bool) -> int:
        """A numbering instance: bullets share one; each ordered list starts again at 1."""
        numbering = self.d.part.numbering_part.element
        style = self.d.styles["List Number" if ordered else "List Bullet"]
        base_id = int(style.element.pPr.numPr.numId.val)
        if not ordered:
            return base_id
        if self._ordered_abstract is None:
            for n in numbering.findall(qn("w:num")):
                if int(n.get(qn("w:numId"))) == base_id:
                    self._ordered_abstract = n.find(qn("w:abstractNumId")).get(qn("w:val"))
        num = numbering.add_num(int(self._ordered_abstract or 0))
        num.add_lvlOverride(ilvl=0).add_startOverride(1)
        return int(num.numId)

    # --- figures ---------------------------------------------------------------------------------

    def _figure(self, b: Figure, container: Any) -> None:
        if b.png:
            px, _ = _png_size(b.png)
            width = min(int(TEXT_W * max(min(b.width, 1.0), 0.2)), int(Emu(px * 914400 // MIN_DPI)))
            p = self._par(container, "Commeval Figure")
            shape = p.add_run().add_picture(io.BytesIO(b.png), width=Emu(width))
            doc_pr = shape._inline.docPr
            doc_pr.set("descr", b.alt or b.caption)
            doc_pr.set("title", b.caption)
        else:
            self._p(
                f"（此处图表无图片版本，请见网页版：{b.caption or b.alt or '图表'}）",
                f"{RENDERER_STYLE}",
                "body",
                container,
            )
        if b.caption:
            cap = self._p(b.caption, "Commeval Caption", "body", container)
            cap.paragraph_format.keep_with_next = False


@lru_cache(maxsize=8)
def _template(fonts: tuple[tuple[str, str], ...]) -> bytes:
    return _Writer.template(dict(fonts))


def _timestamp(text: str) -> datetime | None:
    """The generation time a document carries ("2025-03-01 09:30"), if it reads as one."""
    try:
        return datetime.fromisoformat(text.strip()[:19]) if text.strip() else None
    except ValueError:
        return None


def _xml_attr(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _stable_zip(data: bytes) -> bytes:
    """The same package with fixed entry times, so an unchanged document has unchanged bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED if info.filename.endswith(".png") else zipfile.ZIP_DEFLATED  # fmt: skip
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def render_docx(doc: Document, options: DocxOptions | None = None) -> bytes:
    """The document as an editable Word file (.docx bytes) in 公文 layout (module docstring)."""
    return _Writer(doc, options or DocxOptions()).render()


def content_texts(data: bytes) -> list[str]:
    """The texts of a rendered .docx's body paragraphs and table-cell paragraphs, in order,
    without empty paragraphs and without text the renderer added (styles named
    :data:`RENDERER_STYLE` …): what a one-composition check compares with the document."""
    from docx import Document as open_docx

    d = open_docx(io.BytesIO(data))
    out: list[str] = []

    def visit(container: Any) -> None:
        for item in container.iter_inner_content():
            if hasattr(item, "rows"):
                for row in item.rows:
                    seen = set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:
                            continue
                        seen.add(id(cell._tc))
                        visit(cell)
            else:
                name = item.style.name if item.style is not None else ""
                if item.text.strip() and not name.startswith(RENDERER_STYLE):
                    out.append(item.text)

    visit(d)
    return out
