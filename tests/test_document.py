"""The document model: every block survives the JSON trip from kernel to worker unchanged."""

from __future__ import annotations

import pytest

from commeval.document import (
    KPI,
    Banner,
    Callout,
    Column,
    Document,
    Figure,
    Group,
    Heading,
    KPIs,
    ListBlock,
    Meta,
    PageBreak,
    Paragraph,
    Progress,
    Run,
    Section,
    Table,
    cell,
)


def _doc() -> Document:
    blocks = [
        Banner(message="示例数据"),
        Paragraph(["得分", Run("80.5分", 80.5, "分", emphasis="strong")]),
        Table(
            columns=["指标", Column("满意率", "%", "right")],
            rows=[["总体", cell("61.2", 0.612, low=0.5, high=0.7, unit="%", kind="estimate")]],
            notes=["注：区间为95%置信区间"],
            row_tones=["bad"],
        ),
        Figure(svg="<svg/>", png=b"\x89PNG\r\n", caption="图1", alt="柱状图"),
        KPIs(cards=[KPI("排名", "第3名", 3.0, note="共8个乡镇")]),
        ListBlock(items=[[Run("资金不足", role="category"), "建议……"]], ordered=True),
        Callout(runs="尚未达标的村：", items=["缺图书室（2个村）：北罗、南罗"], tone="warn"),
        Progress(label="已建成", done=120, target=300, unit="套"),
        PageBreak(),
        Group(blocks=[Paragraph("甲")], title="苏侯社区", style="community"),
    ]
    sec = Section(id="overview", heading=Heading(1, "综合评价", "一、"), blocks=blocks)
    return Document("township", Meta("裴城镇2012年度评估", township="裴城镇", year=2012), [sec])


def test_json_round_trip_is_identical():
    d = _doc()
    assert Document.from_json(d.to_json()) == d


def test_text_and_numbers_are_kept():
    d = _doc()
    assert "一、综合评价" in d.text() and "缺图书室（2个村）：北罗、南罗" in d.text()
    t = d.tables()[0]
    assert t.header() == ["指标", "满意率（%）"]
    assert t.rows[0][1].value == pytest.approx(0.612) and t.rows[0][1].high == pytest.approx(0.7)
    assert d.figures()[0].png.startswith(b"\x89PNG")
    assert d.section("overview").blocks[-3].fraction == pytest.approx(0.4)


def test_a_ragged_table_is_refused():
    with pytest.raises(ValueError, match="2 columns"):
        Table(columns=["a", "b"], rows=[["x"]])


def test_another_schema_is_refused():
    raw = _doc().to_dict() | {"schema": 0}
    with pytest.raises(ValueError, match="schema"):
        Document.from_dict(raw)
