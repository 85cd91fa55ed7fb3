"""The Word renderer: a hand-built township document (tests/renderers/sample_doc.py) rendered to
.docx and read back with python-docx and its XML — 公文 page and fonts, heading styles, tables
with the document's numbers, pictures at ≥ 200 dpi, the PAGE field, and one composition (the
Word body holds the document's text and nothing else but text marked as the renderer's)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

docx = pytest.importorskip("docx")

from docx.shared import Mm  # noqa: E402

from commeval.document import (  # noqa: E402
    Callout,
    Document,
    Figure,
    Group,
    KPIs,
    ListBlock,
    Meta,
    Paragraph,
    Progress,
    Section,
    Table,
)
from commeval.renderers.docx import (  # noqa: E402
    RENDERER_STYLE,
    DocxOptions,
    content_texts,
    progress_text,
    render_docx,
)

from .sample_doc import RARE_VILLAGE, summary_document, township_document  # noqa: E402

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def sample() -> Document:
    return township_document()


@pytest.fixture(scope="module")
def data(sample) -> bytes:
    return render_docx(sample)


@pytest.fixture(scope="module")
def word(data):
    return docx.Document(io.BytesIO(data))


def _part(data: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode("utf-8")


def test_page_is_a4_with_gbt9704_margins(word):
    for s in word.sections:
        assert abs(s.page_width - Mm(210)) < Mm(0.1) and abs(s.page_height - Mm(297)) < Mm(0.1)
        assert abs(s.top_margin - Mm(37)) < Mm(0.1)
        assert abs(s.bottom_margin - Mm(35)) < Mm(0.1)
        assert abs(s.left_margin - Mm(28)) < Mm(0.1)
        assert abs(s.right_margin - Mm(26)) < Mm(0.1)


def test_body_is_fangsong_sanhao_at_fixed_line_pitch(word):
    normal = word.styles["Normal"]
    assert normal.font.size.pt == 16
    pf = normal.paragraph_format
    assert pf.line_spacing_rule == docx.enum.text.WD_LINE_SPACING.EXACTLY
    assert 28 <= pf.line_spacing.pt <= 29
    rfonts = normal.element.rPr.find(f"{W}rFonts")
    assert rfonts.get(f"{W}eastAsia") == "仿宋_GB2312"
    assert rfonts.get(f"{W}ascii") == rfonts.get(f"{W}hAnsi") == "Times New Roman"


def test_chinese_fonts_where_word_and_wps_read_them(data, word):
    styles = _part(data, "word/styles.xml")
    # no theme font anywhere: a theme attribute wins over the named font in Word
    assert not re.search(r"w:(ascii|hAnsi|eastAsia)Theme=|w:cstheme=", styles)
    defaults = re.search(r"<w:rPrDefault>.*?</w:rPrDefault>", styles, re.S).group(0)
    assert 'w:eastAsia="仿宋_GB2312"' in defaults
    assert re.search(r'<w:lang [^>]*w:eastAsia="zh-CN"', defaults)
    expect = {
        "Normal": "仿宋_GB2312",
        "Heading 1": "黑体",
        "Heading 2": "楷体_GB2312",
        "Heading 3": "仿宋_GB2312",
        "Commeval Table": "仿宋_GB2312",
        "Table Grid": "仿宋_GB2312",
    }
    for name, font in expect.items():
        rfonts = word.styles[name].element.rPr.find(f"{W}rFonts")
        assert rfonts.get(f"{W}eastAsia") == font, name
    # the document part names no theme font either, and the legacy styles copy is gone
    assert "Theme=" not in _part(data, "word/document.xml")
    assert "word/stylesWithEffects.xml" not in _part(data, "word/_rels/document.xml.rels")
    # the _GB2312 fonts are declared with their GBK-wide alternative
    fonts = _part(data, "word/fontTable.xml")
    assert re.search(r'<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>', fonts)
    assert re.search(r'<w:font w:name="楷体_GB2312"><w:altName w:val="楷体"/>', fonts)


def test_rare_characters_take_the_gbk_wide_font(word):
    assert any(c not in "村" for c in RARE_VILLAGE)
    with pytest.raises(UnicodeEncodeError):
        RARE_VILLAGE.encode("gb2312")
    RARE_VILLAGE.encode("gbk")
    runs = [
        r
        for t in word.tables
        for row in t.rows
        for c in row.cells
        for p in c.paragraphs
        for r in p.runs
        if RARE_VILLAGE in r.text
    ]
    assert runs
    for r in runs:
        assert r._r.rPr.find(f"{W}rFonts").get(f"{W}eastAsia") == "仿宋"
    plain = next(p for p in word.paragraphs if p.text == "一、综合评价").runs[0]
    assert plain._r.rPr is None or plain._r.rPr.find(f"{W}rFonts") is None


def test_configured_fonts(sample):
    fonts = {"body": "方正仿宋_GBK", "heading1": "方正黑体_GBK", "heading2": "方正楷体_GBK", "latin": "Arial"}  # fmt: skip
    w = docx.Document(io.BytesIO(render_docx(sample, DocxOptions(fonts=fonts))))
    for style, font in (("Normal", "方正仿宋_GBK"), ("Heading 1", "方正黑体_GBK"), ("Heading 2", "方正楷体_GBK")):  # fmt: skip
        rfonts = w.styles[style].element.rPr.find(f"{W}rFonts")
        assert rfonts.get(f"{W}eastAsia") == font
        assert rfonts.get(f"{W}ascii") == "Arial"


def test_headings_are_word_heading_styles_with_their_numbers(sample, word):
    got = [(p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Heading")]
    want = [
        (f"Heading {b.level}", f"{b.number}{b.title}")
        for b in sample.blocks()
        if b.type == "heading"
    ]
    assert got == want
    assert ("Heading 1", "一、综合评价") in got and ("Heading 2", "（一）主要指标") in got
    assert ("Heading 3", "1.资金不足") in got
    assert word.styles["Heading 1"].font.bold is False  # 黑体 is bold enough


def _data_tables(sample):
    return [b for b in sample.blocks() if isinstance(b, Table)]


def _word_table(word, table: Table):
    header = table.header()
    for t in word.tables:
        if [c.text for c in t.rows[0].cells] == header:
            return t
    raise AssertionError(f"no Word table with header {header}")


def test_tables_carry_the_documents_numbers(sample, word):
    for table in _data_tables(sample):
        t = _word_table(word, table)
        assert len(t.rows) == 1 + len(table.rows)
        got = [[c.text for c in r.cells] for r in t.rows[1:]]
        assert got == [[c.text() for c in row] for row in table.rows]
    # units in the header, the estimate and its interval in the cell
    villages = _word_table(word, _data_tables(sample)[1])
    assert villages.rows[0].cells[2].text == "服务中心面积（m²）"
    indicators = _word_table(word, _data_tables(sample)[0])
    assert indicators.rows[1].cells[1].text == "86.4（80.1–91.2）"


def test_header_row_repeats_rows_do_not_split_numbers_right(sample, word):
    for table in _data_tables(sample):
        t = _word_table(word, table)
        assert t.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
        assert all(r._tr.trPr.find(f"{W}cantSplit") is not None for r in t.rows)
        assert all(r._tr.trPr.find(f"{W}tblHeader") is None for r in t.rows[1:])
        for i, col in enumerate(table.columns):
            aligns = {r.cells[i].paragraphs[0].alignment for r in t.rows[1:]}
            right = docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
            assert (aligns == {right}) == (col.align == "right"), (col.label, aligns)
    assert t.style.name == "Commeval Table"


def test_row_tones_are_shading_and_notes_follow(sample, word):
    table = _data_tables(sample)[0]
    t = _word_table(word, table)
    for tone, row in zip(table.row_tones, t.rows[1:]):
        shd = row.cells[0]._tc.tcPr.find(f"{W}shd")
        assert (shd is not None) == (tone == "bad")
    body = [p.text for p in word.paragraphs]
    assert table.notes[0] in body


def test_figures_are_pngs_of_at_least_200_dpi_with_caption(sample, data, word):
    figs = [b for b in sample.blocks() if isinstance(b, Figure)]
    shapes = word.inline_shapes
    assert len(shapes) == len(figs) == 1
    png = figs[0].png
    w_px = int.from_bytes(png[16:20], "big")
    assert w_px / shapes[0].width.inches >= 200
    media = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/media/")]
    assert len(media) == 1 and zipfile.ZipFile(io.BytesIO(data)).read(media[0]) == png
    doc_pr = shapes[0]._inline.docPr
    assert doc_pr.get("descr") == figs[0].alt
    texts = [p.text for p in word.paragraphs]
    assert figs[0].caption in texts
    assert texts.index(figs[0].caption) > 0


def test_figure_without_png_is_a_visible_note(sample):
    doc = township_document(png=False)
    w = docx.Document(io.BytesIO(render_docx(doc)))
    assert len(w.inline_shapes) == 0
    notes = [p for p in w.paragraphs if "图表无图片版本" in p.text]
    assert len(notes) == 1 and notes[0].style.name == RENDERER_STYLE


def test_page_field_in_footer_and_header_names_township_and_year(word):
    body = word.sections[-1]
    xml = body.footer._element.xml
    assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", xml)
    assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
    assert body.footer.paragraphs[0].text == "— 1 —"
    assert body.header.paragraphs[0].text == "清河县城关镇　2024年度"
    # numbering starts at 1 after the cover, whose header and footer are empty
    assert body._sectPr.find(f"{W}pgNumType").get(f"{W}start") == "1"
    cover = word.sections[0]
    assert cover.header.paragraphs[0].text == "" and "PAGE" not in cover.footer._element.xml


def test_cover_block_and_switches(sample, word):
    cover = [p.text for p in word.paragraphs if p.style.name == f"{RENDERER_STYLE} Cover"]
    assert cover == ["编制单位：清河县民政局", "2025年3月"]
    titles = [p.text for p in word.paragraphs if p.style.name == f"{RENDERER_STYLE} Title"]
    assert titles == [sample.meta.title] * 2  # the cover, then the first page
    assert len(word.sections) == 2
    org = docx.Document(io.BytesIO(render_docx(sample, DocxOptions(organisation="某某评估中心"))))
    assert "编制单位：某某评估中心" in [p.text for p in org.paragraphs]
    for off in (render_docx(sample, DocxOptions(cover=False)), render_docx(township_document(cover=False))):  # fmt: skip
        w = docx.Document(io.BytesIO(off))
        assert len(w.sections) == 1
        assert not [p for p in w.paragraphs if p.style.name == f"{RENDERER_STYLE} Cover"]
        assert [p.text for p in w.paragraphs if p.style.name == f"{RENDERER_STYLE} Title"] == [sample.meta.title]  # fmt: skip


def test_summary_has_a_table_of_contents_field():
    data = render_docx(summary_document())
    xml = _part(data, "word/document.xml")
    assert re.search(r'<w:instrText[^>]*> TOC \\o "1-3"', xml)
    assert "w:updateFields" in _part(data, "word/settings.xml")
    assert "TOC \\o" not in _part(render_docx(township_document()), "word/document.xml")
    w = docx.Document(io.BytesIO(data))
    assert w.sections[-1].header.paragraphs[0].text == "清河县汇总　2024年度"
    ranks = [r.cells[1].text for r in w.tables[0].rows[1:]]
    assert ranks[:3] == ["城关镇", "东镇", "西乡"]


def _expected_texts(doc: Document) -> list[str]:
    """What the Word body should hold, block by block, from the document alone."""
    out: list[str] = []
    for b in doc.blocks():
        if isinstance(b, Section):
            continue
        if isinstance(b, Table):
            out += [t for t in (b.caption, *b.header()) if t]
            out += [c.text() for r in b.rows for c in r if c.text()]
            out += list(b.notes)
        elif isinstance(b, KPIs):
            out += [k.label for k in b.cards] + [k.value for k in b.cards]
            out += [k.note for k in b.cards if k.note]
        elif isinstance(b, ListBlock | Callout):
            out += [t for t in b.text().split("\n") if t]
        elif isinstance(b, Group):
            out += [b.title] if b.title else []
        elif isinstance(b, Progress):
            out.append(progress_text(b))
        elif isinstance(b, Paragraph | Figure) or b.text():
            if b.text():
                out.append(b.text())
    return out


def test_one_composition_body_holds_the_document_and_nothing_else(sample, data):
    got = content_texts(data)
    assert sorted(got) == sorted(_expected_texts(sample))
    # and in the document's order for the running text
    flat = [t for t in got if t in {b.text() for b in sample.blocks() if b.type == "heading"}]
    assert flat == [b.text() for b in sample.blocks() if b.type == "heading"]


def test_renderer_text_is_marked(data, word):
    marked = [p.text for p in word.paragraphs if p.style.name.startswith(RENDERER_STYLE)]
    assert "清河县城关镇2024年度农村社区建设评估报告" in marked
    assert not any(t in marked for t in content_texts(data))


def test_progress_as_text():
    assert progress_text(Progress(label="安置房建成", done=120, target=300, unit="套")) == (
        "安置房建成：120 / 300套（40%）"
    )
    assert progress_text(Progress(label="复垦耕地", done=35.5, unit="亩")) == "复垦耕地：35.5亩"
    assert progress_text(Progress(label="x")) == "x：暂无数据"
    over = Progress(label="入住", done=350, target=300, unit="户")
    assert progress_text(over) == "入住：350 / 300户（117%）"


def test_lists_are_word_numbering_not_typed_numbers(word):
    items = [p for p in word.paragraphs if p.text.startswith(("体制障碍", "资金不足："))]
    assert len(items) == 2
    num_ids = {p._p.pPr.numPr.numId.val for p in items}
    assert len(num_ids) == 1  # one list, numbered by Word


def test_no_text_boxes_and_unchanged_bytes(sample, data):
    xml = _part(data, "word/document.xml")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "docProps/thumbnail.jpeg" not in names  # python-docx's template preview
    assert "txbxContent" not in xml and "<v:textbox" not in xml and "wps:txbx" not in xml
    assert render_docx(sample) == data


def test_core_properties(word):
    cp = word.core_properties
    assert cp.title == "清河县城关镇2024年度农村社区建设评估报告" and cp.author == "清河县民政局"
    assert cp.language == "zh-CN"
    assert (cp.created.year, cp.created.month, cp.created.day) == (2025, 3, 1)


def test_empty_document_renders():
    doc = Document(kind="township", meta=Meta(title="空报告"), sections=[], cover=False)
    w = docx.Document(io.BytesIO(render_docx(doc)))
    assert [p.text for p in w.paragraphs if p.text] == ["空报告"]


def test_blocks_another_renderer_adds_are_left_out():
    doc = township_document(cover=False)
    links = Paragraph(["下载：乡镇排名.xlsx"], origin="renderer")
    doc.sections[0].blocks.append(links)
    w = docx.Document(io.BytesIO(render_docx(doc)))
    assert not [p for p in w.paragraphs if "乡镇排名.xlsx" in p.text]


def test_compact_and_wide_tables_use_the_small_table_text():
    cols = [f"列{i}" for i in range(8)]
    wide = Table(columns=cols, rows=[[str(i) for i in range(8)]])
    compact = Table(columns=["甲", "乙"], rows=[["1", "2"]], style="compact")
    plain = Table(columns=["甲", "乙"], rows=[["1", "2"]])
    doc = Document(kind="township", meta=Meta(title="t"), cover=False,
                   sections=[Section(blocks=[wide, compact, plain])])  # fmt: skip
    w = docx.Document(io.BytesIO(render_docx(doc)))
    styles = [t.rows[1].cells[0].paragraphs[0].style.name for t in w.tables]
    assert styles == ["Commeval Table Small", "Commeval Table Small", "Commeval Table Text"]


# Child order of WordprocessingML containers (ECMA-376 Part 1, §17), written out here from the
# standard: Word refuses a file ("unreadable content") whose children are out of order, while
# python-docx and LibreOffice read it anyway — so this is checked on the XML itself.
SCHEMA_ORDER = {
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
    "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
    "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
    "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath",
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW "
    "jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
    "tblDescription",
    "trPr": "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader "
    "tblCellSpacing jc hidden ins del trPrChange",
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection "
    "tcFitText vAlign hideMark",
    "sectPr": "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc "
    "pgBorders lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi "
    "rtlGutter docGrid printerSettings sectPrChange",
    "settings": "zoom proofState defaultTabStop characterSpacingControl savePreviewPicture "
    "updateFields compat rsids mathPr themeFontLang clrSchemeMapping doNotAutoCompressPictures "
    "shapeDefaults decimalSymbol listSeparator docId defaultImageDpi",
    "font": "altName panose1 charset family notTrueType pitch sig",
}


@pytest.mark.parametrize("which", ["township", "summary"])
def test_xml_children_in_schema_order(which):
    from lxml import etree

    data = render_docx(township_document() if which == "township" else summary_document())
    z = zipfile.ZipFile(io.BytesIO(data))
    parts = [n for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")]
    checked = 0
    for name in parts:
        root = etree.fromstring(z.read(name))
        for el in root.iter():
            local = etree.QName(el).localname if isinstance(el.tag, str) else None
            if local not in SCHEMA_ORDER:
                continue
            order = SCHEMA_ORDER[local].split()
            kids = [etree.QName(k).localname for k in el if isinstance(k.tag, str)]
            known = [k for k in kids if k in order]
            assert known == sorted(known, key=order.index), (name, local, kids)
            checked += 1
    assert checked > 100


def test_text_xml_cannot_hold_is_dropped_not_fatal():
    doc = Document(kind="township", meta=Meta(title="t"), cover=False,
                   sections=[Section(blocks=[Paragraph(["村\x0b名\x01"])])])  # fmt: skip
    w = docx.Document(io.BytesIO(render_docx(doc)))
    assert "村名" in [p.text for p in w.paragraphs]


def test_adjacent_tables_stay_apart():
    """Word merges two tables with nothing between them: a spacer paragraph keeps them two."""
    from commeval.document import KPI, Banner

    doc = Document(kind="township", meta=Meta(title="t"), cover=False, sections=[Section(blocks=[
        Banner(message="示例数据"), KPIs(cards=(KPI("得分", "1"),)),
        Table(columns=["甲"], rows=[["1"]]), Table(columns=["乙"], rows=[["2"]]),
    ])])  # fmt: skip
    data = render_docx(doc)
    body = docx.Document(io.BytesIO(data)).element.body
    tags = [el.tag.rsplit("}", 1)[1] for el in body]
    assert tags.count("tbl") == 4
    assert all(a != "tbl" or b != "tbl" for a, b in zip(tags, tags[1:])), tags
    assert content_texts(data) == ["示例数据", "得分", "1", "甲", "1", "乙", "2"]


def test_short_tables_keep_together_and_with_their_notes(sample, word):
    def keeps(row):
        return all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs)

    indicators = _word_table(word, _data_tables(sample)[0])  # 5 rows and a note
    assert all(keeps(r) for r in indicators.rows)
    long = township_document(villages=30)
    w = docx.Document(io.BytesIO(render_docx(long)))
    villages = _word_table(w, _data_tables(long)[1])  # 30 rows, no note: may break
    assert keeps(villages.rows[0]) and not any(keeps(r) for r in villages.rows[1:])


def test_numbers_and_short_labels_get_room_on_one_line():
    """A village table of eleven columns with long headers: each column is at least as wide as
    its longest number or short label in 五号 type (plus Word's cell margins), so "2,704" or
    "未达标" never stands one character a line; the columns fill the text width."""
    from docx.shared import Mm

    from commeval.document import cell
    from commeval.renderers.docx import SMALL_TABLE_PT, TEXT_W, column_widths

    header = ["行政村", "人口", "社区服务中心建筑面积（平方米）", "党建办公室", "警务室（综治室）",
              "图书室", "文体活动室", "村民代表议事会", "村务公开民主管理示范村级别",
              "民主法治示范村级别", "大学生村官人数"]  # fmt: skip
    rows = [
        [cell("东康河"), cell("2,704", 2704, kind="number"), cell("378", 378, kind="number"),
         *[cell("✓")] * 5, cell("未达标", kind="badge"), cell("区级"), cell("1", 1, kind="number")]
    ]  # fmt: skip
    widths = column_widths(header, rows, SMALL_TABLE_PT)
    assert sum(widths) == pytest.approx(int(TEXT_W), abs=len(widths))
    half_em_mm = SMALL_TABLE_PT * 0.3528 / 2
    for w, text in [(widths[1], "2,704"), (widths[8], "未达标"), (widths[0], "东康河")]:
        units = sum(2 if ord(c) > 0x2E7F else 1 for c in text)
        assert w / Mm(1) >= units * half_em_mm + 3.8, (text, w / Mm(1))
