"""A township-like document built by hand, as the composition builds one: Chinese headings with
公文 numbers, a synthetic banner, KPI cards, an indicator table with estimates and 95 % CIs and a
shortfall row, a matplotlib chart with Chinese labels, a village table with a GBK-only village
name, a callout, progress bars, a list, page break and notes. Used by the renderer tests, the
renderer benchmark and the docs screenshots."""

from __future__ import annotations

from commeval.document import (
    KPI,
    Banner,
    Callout,
    Column,
    Document,
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
    figure_from_matplotlib,
)

#: 堃 and 犇 are in GBK but not in GB 2312 (rare characters of village names).
RARE_VILLAGE = "堃犇村"

INDICATORS = [
    # label, value, low, high, unit, target, attained
    ("社区综合服务站覆盖率", 86.4, 80.1, 91.2, "%", "≥ 90", False),
    ("村务公开及时率", 97.2, 94.0, 99.1, "%", "≥ 95", True),
    ("居民议事会年均议事次数", 6.3, 5.1, 7.4, "次", "≥ 4", True),
    ("志愿服务参与率", 21.5, 17.9, 25.6, "%", "≥ 20", True),
    ("群众满意度（均值）", 4.12, 4.01, 4.23, "分", "≥ 4.0", True),
]


def chart(title: str = "各维度得分与全区平均", n: int = 5):
    """A small matplotlib bar chart with Chinese labels (the bundled CJK font)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.figure import Figure as MplFigure

    from commeval.fonts import cjk_font_path

    path = str(cjk_font_path())
    font_manager.fontManager.addfont(path)
    name = font_manager.FontProperties(fname=path).get_name()
    fig = MplFigure(figsize=(6.4, 3.2))
    ax = fig.subplots()
    labels = ["基础设施", "公共服务", "基层治理", "居民参与", "环境整治"][:n]
    ax.bar(labels, [78, 85, 72, 64, 90][:n], color="#3b6ea5", label="本乡镇")
    ax.plot(labels, [75, 80, 70, 68, 85][:n], "o-", color="#c0392b", label="全区平均")
    ax.set_title(title, fontname=name)
    ax.set_ylabel("得分（分）", fontname=name)
    for t in ax.get_xticklabels():
        t.set_fontname(name)
    ax.legend(prop={"family": name})
    fig.tight_layout()
    return fig


def township_document(township: str = "城关镇", *, villages: int = 12, synthetic: bool = True,
                      cover: bool = True, png: bool = True) -> Document:  # fmt: skip
    meta = Meta(
        title=f"清河县{township}2024年度农村社区建设评估报告",
        district="清河县",
        level="县",
        township=township,
        year=2024,
        organisation="清河县民政局",
        date="2025年3月",
        generated="2025-03-01 09:30",
        synthetic=synthetic,
    )
    header = Section(
        id="header",
        blocks=[
            *(
                [Banner(message="示例数据：本报告由生成的示例数据得出，不代表任何真实乡镇。")]
                if synthetic
                else []
            ),  # fmt: skip
            Paragraph([Run("清河县 · 农村社区建设评估")], style="kicker"),
            Paragraph(
                [Run("数据：村级台账 2024-12-31；入户问卷 2024-11（有效问卷 412 份）")],
                style="meta",
            ),  # fmt: skip
        ],
    )
    overview = Section(
        id="overview",
        heading=Heading(1, "综合评价", "一、"),
        blocks=[
            KPIs(
                cards=(
                    KPI("综合得分", "78.6分", 78.6, "分", "全区平均 75.2分"),
                    KPI("等级", "良好", note="75–85分"),
                    KPI("排名", "3", 3, "", "区间 2–5"),
                    KPI("较上年", "+2.4分", 2.4, "分"),
                )
            ),  # fmt: skip
            Paragraph(
                [
                    Run(f"{township}综合得分 "),
                    Run("78.6分", 78.6, "分", emphasis="strong"),
                    Run("，等级良好，在全县 12 个乡镇中排名第 3（90% 区间 2–5），较上年提高 "),
                    Run("2.4分", 2.4, "分", tone="good"),
                    Run("。"),
                ],
                style="lead",
            ),  # fmt: skip
            figure_from_matplotlib(chart(), caption="图1　各维度得分与全区平均", png=png),
        ],
    )
    rows, tones = [], []
    for label, v, lo, hi, unit, target, ok in INDICATORS:
        fmt = "{:.2f}" if unit == "分" else "{:.1f}"
        rows.append((
            cell(label),
            cell(f"{fmt.format(v)}（{fmt.format(lo)}–{fmt.format(hi)}）", v, low=lo, high=hi,
                 unit=unit, kind="estimate"),
            cell(target),
            cell("是" if ok else "否", kind="tick", tone="good" if ok else "bad"),
            cell(f"{ok - 0.4:+.1f}", ok - 0.4, unit=unit, kind="number"),
        ))  # fmt: skip
        tones.append("" if ok else "bad")
    indicators = Section(
        id="indicators",
        heading=Heading(1, "指标达标情况", "二、"),
        blocks=[
            Heading(2, "主要指标", "（一）"),
            Table(
                columns=(
                    Column("指标"),
                    Column("数值（95%置信区间）", align="right"),
                    Column("目标"),
                    Column("达标", align="center"),
                    Column("较上年", align="right"),
                ),
                rows=tuple(rows),
                caption="表1　主要指标达标情况",
                notes=("注：置信区间按分层整群抽样设计计算；未达标指标以浅红底色标出。",),
                row_tones=tuple(tones),
            ),  # fmt: skip
            Callout(
                runs=(
                    Run("未达标指标："),
                    Run("社区综合服务站覆盖率", emphasis="strong"),
                    Run(" 86.4%，低于目标 90%。"),
                ),
                items=((Run("建议优先补齐 3 个行政村的综合服务站。"),),),
                tone="warn",
            ),  # fmt: skip
        ],
    )
    names = ["东关村", "西关村", "南街村", RARE_VILLAGE, "柳林村", "杏园村", "石桥村", "新庄村",
             "王家庄村", "李家寨村", "马坊村", "河口村"]  # fmt: skip
    vrows = []
    for i in range(villages):
        name = names[i % len(names)] + ("" if i < len(names) else str(i))
        vrows.append((
            cell(name),
            cell("示范村" if i % 4 == 0 else "一般村"),
            cell(f"{320 + 17 * i}", 320 + 17 * i, unit="m²", kind="number"),
            cell("✓" if i % 3 else "✗", kind="tick", tone="" if i % 3 else "bad"),
            cell(f"{0.55 + 0.02 * i:.1%}", 0.55 + 0.02 * i, unit="%", kind="number"),
        ))  # fmt: skip
    villages_sec = Section(
        id="villages",
        heading=Heading(1, "村级情况", "三、"),
        blocks=[
            Table(
                columns=(
                    Column("村名"),
                    Column("级别"),
                    Column("服务中心面积", "m²", "right"),
                    Column("警务室", align="center"),
                    Column("议事会参与率", "%", "right"),
                ),
                rows=tuple(vrows),
                caption="表2　各村主要设施",
                row_tones=tuple("bad" if i % 3 == 0 else "" for i in range(villages)),
            ),  # fmt: skip
            Paragraph([Run(f"缺少警务室的村：东关村、{RARE_VILLAGE}。")]),
        ],
    )
    communities = Section(
        id="communities",
        heading=Heading(1, "新型农村社区建设", "四、"),
        blocks=[
            Group(
                title="河湾新型农村社区",
                blocks=[
                    Progress(label="安置房建成", done=120, target=300, unit="套"),
                    Progress(label="入住户数", done=96, target=120, unit="户"),
                    Progress(label="复垦耕地", done=35.5, target=None, unit="亩"),
                ],
            ),
        ],
    )
    problems = Section(
        id="problems",
        heading=Heading(1, "存在问题与建议", "六、"),
        blocks=[
            Heading(2, "主要问题", "（一）"),
            Heading(3, "资金不足", "1."),
            ListBlock(
                items=(
                    (Run("体制障碍", role="category"), Run("：社区与村两套班子职责交叉。")),
                    (
                        Run("资金不足", role="category"),
                        Run("：综合服务站建设资金缺口约 120 万元。"),
                    ),
                ),
                ordered=True,
            ),  # fmt: skip
            PageBreak(),
            Heading(2, "数据说明", "（二）"),
            Paragraph(
                [Run("综合得分由 5 个维度 18 项指标加权合成；排名区间来自 1,000 次蒙特卡洛模拟。")]
            ),  # fmt: skip
            Paragraph([Run("生成时间：2025-03-01 09:30")], style="note"),
        ],
    )
    return Document(
        kind="township",
        meta=meta,
        sections=[header, overview, indicators, villages_sec, communities, problems],
        cover=cover,
    )


def summary_document(townships: int = 12) -> Document:
    """The district summary: a ranking table and a table of contents."""
    names = ["城关镇", "东镇", "西乡", "南镇", "北镇", "河口镇", "柳林乡", "石桥镇", "新庄乡",
             "马坊镇", "杏园乡", "王家庄乡"]  # fmt: skip
    rows = []
    for i in range(townships):
        rows.append((
            cell(str(i + 1), i + 1, kind="number"),
            cell(names[i % len(names)]),
            cell(f"{85 - 1.7 * i:.1f}", 85 - 1.7 * i, unit="分", kind="number"),
            cell("良好" if i < 6 else "合格", kind="badge", tone="good" if i < 6 else ""),
            cell(f"{0.92 - 0.03 * i:.1%}", 0.92 - 0.03 * i, unit="%", kind="number"),
        ))  # fmt: skip
    return Document(
        kind="summary",
        meta=Meta(
            title="清河县2024年度农村社区建设评估汇总",
            district="清河县",
            level="县",
            year=2024,
            organisation="清河县民政局",
            date="2025年3月",
        ),  # fmt: skip
        sections=[
            Section(
                id="findings",
                heading=Heading(1, "总体情况", "一、"),
                blocks=[
                    Paragraph(
                        [Run(f"全县 {townships} 个乡镇中，良好 6 个、合格 {townships - 6} 个。")]
                    ),
                ],
            ),  # fmt: skip
            Section(
                id="ranking",
                heading=Heading(1, "乡镇排名", "二、"),
                blocks=[
                    Table(
                        columns=(
                            Column("排名", align="right"),
                            Column("乡镇"),
                            Column("综合得分", "分", "right"),
                            Column("等级"),
                            Column("达标率", "%", "right"),
                        ),
                        rows=tuple(rows),
                        caption="表1　乡镇综合得分与排名",
                    ),
                ],
            ),  # fmt: skip
        ],
        toc=True,
    )
