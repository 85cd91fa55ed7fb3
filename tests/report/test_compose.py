"""The reports composed once as documents (issue 19): section order, numbering, the title
worded once, numbers that keep their value, content without markup, the JSON trip from the
kernel to the worker, and the HTML renderer giving the page from the document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commeval.document import Document, Heading, KPIs, Table
from commeval.renderers.html import render_html, section_html
from commeval.report import compose as C

SRC = Path(__file__).resolve().parents[2] / "src" / "commeval"
NOW = "2030-01-02 03:04（Asia/Shanghai）"


@pytest.fixture(scope="module")
def doc(district) -> Document:
    return C.compose_township(district, "乙镇", generated=NOW)


def test_sections_in_the_one_order_with_gongwen_numbers(doc):
    assert [s.id for s in doc.sections] == list(C.TOWNSHIP_SECTIONS)
    numbers = [s.heading.number for s in doc.sections if s.heading is not None]
    assert numbers == ["一、", "二、", "三、", "四、", "五、", "六、", "七、"]
    assert doc.sections[0].heading is None  # the page header
    titles = [b for b in doc.sections[0].blocks if isinstance(b, Heading)]
    assert [t.level for t in titles] == [0] and titles[0].title == doc.meta.title


def test_title_worded_once(district, doc):
    assert (
        doc.meta.title
        == C.township_title("乙镇", district.year)
        == f"乙镇 {district.year}年度农村社区建设评估"
    )
    page = render_html(doc, embed_font=False)
    assert f"<title>{doc.meta.title}</title>" in page and f"<h1>{doc.meta.title}</h1>" in page


def test_generation_time_is_a_parameter(doc):
    assert doc.meta.generated == NOW
    assert f"生成时间：{NOW}" in doc.section("provenance").text()
    src = (SRC / "report" / "compose.py").read_text(encoding="utf-8")
    assert "datetime" not in src and "time.time" not in src  # no clock in the composition


def test_numbers_keep_their_value(district, doc):
    row = district.evaluation.scores.set_index("township").loc["乙镇"]
    cards = next(b for b in doc.section("overview").blocks if isinstance(b, KPIs)).cards
    assert (
        cards[0].number == pytest.approx(row["score"]) and cards[0].value == f"{row['score']:.1f}"
    )
    sat = next(t for t in doc.section("satisfaction").blocks if isinstance(t, Table) and
               t.columns[2].label == "平均分（95%CI）")  # fmt: skip
    cells = [r[2] for r in sat.rows if r[2].kind == "estimate" and r[2].value is not None]
    assert cells and all(c.low <= c.value <= c.high for c in cells)


def test_content_carries_no_markup(doc):
    """Every text is plain: the HTML renderer escapes it (the planted village name shows as
    text on the page)."""
    text = doc.text()
    assert "<img src=x onerror=alert(1)>" in text  # the village name, as data
    stripped = text.replace("<img src=x onerror=alert(1)>", "")
    assert not re.search(r"</?[a-z]+[ >/]", stripped), re.search(r"</?[a-z]+[ >/]", stripped)
    page = render_html(doc, embed_font=False)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_json_trip_gives_the_same_page(doc):
    again = Document.from_json(doc.to_json())
    assert render_html(again, embed_font=False) == render_html(doc, embed_font=False)


def test_sections_render_alone_as_in_the_page(doc):
    page = render_html(doc, embed_font=False)
    for s in doc.sections:
        assert section_html(s) in page


def test_raster_figures_for_word(district):
    d = C.compose_township(district, "甲镇", sections=["overview"], raster=True)
    figs = d.figures()
    assert figs and all(f.png.startswith(b"\x89PNG") and "<svg" in f.svg for f in figs)
    assert not C.compose_township(district, "甲镇", sections=["overview"]).figures()[0].png


def test_no_scheme_fork_on_the_framework():
    """Composition, the page glue and the notebooks ask the evaluation's result, never
    ``framework.points`` (issue 21 item 5)."""
    for path in [*(SRC / "report").glob("*.py"), *(SRC / "notebooks").rglob("*.ipynb")]:
        assert "framework.points" not in path.read_text(encoding="utf-8"), path


def test_summary_document(district):
    reports = [
        {"township": t, "status": "ok", "href": f"townships/{t}.html",
         "files": {"docx": f"townships/{t}.docx"}}
        for t in district.townships
    ]  # fmt: skip
    doc = C.compose_summary(district, reports, generated=NOW)
    assert doc.meta.title == C.summary_title(district.name, district.year)
    ids = [s.id for s in doc.sections]
    assert ids == ["header", "findings", "ranking", "not_applicable", "dimensions", "scores", "heatmap",
                   "satisfaction", "methods"]  # fmt: skip
    tot = district.evaluation.totals()
    first = doc.section("findings").blocks[0].text()
    for grade, n in tot["grade"].value_counts().items():
        assert f"{grade}{n}个" in first
    table = next(b for b in doc.section("ranking").blocks if isinstance(b, Table))
    order = list(tot.sort_values("rank")["township"])
    assert [r[1].text() for r in table.rows] == order
    prev = district.evaluation.change.query("measure == 'rank'").set_index("township")["previous"]
    assert [r[7].value for r in table.rows] == [float(prev[t]) for t in order]
    dims = next(b for b in doc.section("dimensions").blocks if isinstance(b, Table))
    ds = district.evaluation.dimension_scores().set_index(["township", "dimension"])["score"]
    first_dim = district.evaluation.dimension_scores()["dimension"].iloc[0]
    for r in dims.rows:
        v = ds[(r[0].text(), first_dim)]
        assert r[1].value == pytest.approx(v, nan_ok=True)
    # the links to each township's other files are the renderer's, not content
    added = [b for b in doc.blocks() if b.origin == "renderer"]
    assert added and all("Word" in b.text() or "文件" in b.text() for b in added)
    assert f"生成时间：{NOW}" in doc.section("methods").text()
    plain = C.compose_summary(district, generated=NOW)
    assert not [b for b in plain.blocks() if b.origin == "renderer"]


def test_notebook_displays_carry_the_document(district):
    """What a report notebook displays: each section's HTML beside its fragment; the fragments
    assembled in output order are the composed document (what a batch worker renders)."""
    from IPython.core.formatters import DisplayFormatter

    from commeval.document import MIME, assemble
    from commeval.report import notebook

    report = notebook.TownshipReport(district, "甲镇", generated=NOW)
    shown = []
    orig = notebook.display
    notebook.display = shown.append
    try:
        for sid in C.TOWNSHIP_SECTIONS:  # the notebook's cells, in order
            getattr(report, sid)()._ipython_display_()
    finally:
        notebook.display = orig
    bundles = [DisplayFormatter().format(o)[0] for o in shown]
    frags = [b[MIME] for b in bundles if MIME in b]
    assert len(frags) == len(C.TOWNSHIP_SECTIONS)
    assert all("text/html" in b for b in bundles)
    doc = assemble(frags)
    assert doc.to_dict() == report.document.to_dict()
    assert render_html(doc, embed_font=False) == render_html(report.document, embed_font=False)


def _movers_named(district) -> tuple[list[str], list[str]]:
    """Check the summary's "提高最多/排名上升最多": every township whose printed change equals
    the largest is named, checked against the evaluation's own changes; → (tied, risen)."""
    ch = district.evaluation.change
    score = ch[ch["measure"] == "score"].dropna(subset=["change"])
    shown = score["change"].map(lambda x: f"{x:+.1f}")
    best = shown[score["change"].idxmax()]
    tied = list(score.loc[shown == best, "township"])
    summary = C.compose_summary(district, [], generated=NOW)
    text = " ".join(b.text() for b in summary.section("findings").blocks)
    m = re.search(r"提高最多的是(.+?)（(均)?([+-][\d.]+)分）", text)
    assert m, text
    assert sorted(m.group(1).split("、")) == sorted(tied) and m.group(3) == best
    assert (m.group(2) == "均") == (len(tied) > 1)
    rank = ch[ch["measure"] == "rank"].dropna(subset=["previous", "current"])
    jump = rank["previous"] - rank["current"]
    if jump.max() > 0:
        up = rank.loc[jump == jump.max(), "township"]
        named = re.findall(
            r"([^、；（]+)（由第\d+名升至第\d+名）", text.split("排名上升最多的是")[1]
        )
        assert sorted(named) == sorted(up)
        return tied, named
    return tied, []


def test_largest_movers_name_every_township_tied_at_the_printed_precision(district):
    _movers_named(district)


def test_the_sample_districts_ties_are_all_named():
    """The sample district has two townships at +7.3分 (7.34 and 7.27) and two that rose by one
    place: all four are named, not the first of each."""
    from commeval.district import load_district

    tied, risen = _movers_named(load_district())
    assert len(tied) == 2 and len(risen) == 2
