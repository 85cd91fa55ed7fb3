"""Report sections against the engines and against independent computations."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from commeval.report import render
from commeval.report import township as T
from commeval.report.diagnosis import diagnose
from commeval.report.summary import attainment_matrix, downloads, ranking

XSS = "<img src=x onerror=alert(1)>"


def _stratified_cluster_se(df: pd.DataFrame, y: str) -> tuple[float, float]:
    """Weighted mean and its linearization SE for a stratified one-stage-of-PSUs design with
    first-stage FPC, written from the textbook formula (a second implementation)."""
    d = df[df[y].notna()]
    w, x = d["weight"].to_numpy(), d[y].to_numpy(float)
    mean = (w * x).sum() / w.sum()
    z = pd.Series(w * (x - mean) / w.sum(), index=d.index)
    var = 0.0
    full = df.assign(_z=0.0)
    full.loc[d.index, "_z"] = z
    for _, g in full.groupby("stratum"):
        tot = g.groupby("psu")["_z"].sum()
        m, M = len(tot), g["fpc"].iloc[0]
        if m > 1:
            var += (1 - m / M) * m / (m - 1) * ((tot - tot.mean()) ** 2).sum()
    return mean, float(np.sqrt(var))


def test_overview_matches_index_engine(district):
    t = district.townships[0]
    o = T.overview(district, t)
    row = district.evaluation.scores.set_index("township").loc[t]
    assert o.score == pytest.approx(row["score"])
    assert (o.rank, o.rank_low, o.rank_high) == (row["rank"], row["rank_low"], row["rank_high"])
    assert o.rank_low <= o.rank <= o.rank_high or o.rank_low <= o.rank_high
    html = render.overview_html(district, t)
    assert f"{row['score']:.1f}" in html
    lo, hi = row["rank_low"], row["rank_high"]
    assert (f"可能区间第{lo}–{hi}名" if lo != hi else "区间即本名次") in html


def test_indicator_table_covers_framework(district):
    t = district.townships[1]
    ind = T.indicator_table(district, t)
    dropped = set(district.evaluation.settings["not_applicable_dropped"])  # n/a everywhere
    assert set(ind["indicator"]) == set(district.framework.indicators) - dropped
    # attained means value meets target for benefit indicators
    ok = ind[ind["applicable"].astype(bool)]
    for r in ok.itertuples():
        if pd.notna(r.value):
            assert bool(r.attained) == (r.value >= r.target - 1e-9), r.indicator


def test_satisfaction_matches_textbook_design_formula(district):
    t = district.townships[0]
    sat = T.satisfaction(district, t)
    s = district.survey
    s = s[s["year"] == district.year]
    item = "sat_overall"
    sub = s.assign(**{item: s[item].where(s[item] != 9).astype(float)})
    # domain estimation: outside the township the variable is treated as missing
    dom = sub.assign(**{item: sub[item].where(sub["township"] == t)})
    mean, _ = _stratified_cluster_se(dom, item)
    row = sat.items.set_index("variable").loc[item]
    assert row["mean"] == pytest.approx(mean, rel=1e-10)
    valid = dom[item].notna()
    assert row["n"] == valid.sum()
    top2 = (dom.loc[valid, item] >= 4).to_numpy()
    w = dom.loc[valid, "weight"].to_numpy()
    assert row["top2"] == pytest.approx((w * top2).sum() / w.sum(), rel=1e-10)


def test_district_satisfaction_se_matches_textbook_formula(district):
    from commeval.report.summary import satisfaction_by_township

    s = district.survey
    s = s[s["year"] == district.year]
    tab = satisfaction_by_township(district).set_index("township")
    for t in district.townships:
        dom = s.assign(
            sat_overall=s["sat_overall"].where((s["sat_overall"] != 9) & (s["township"] == t))
        ).astype({"sat_overall": float})
        mean, se = _stratified_cluster_se(dom, "sat_overall")
        assert tab.loc[t, "estimate"] == pytest.approx(mean, rel=1e-10)
        assert tab.loc[t, "se"] == pytest.approx(se, rel=1e-8)


def test_village_names_are_escaped(district):
    html = render.villages_html(district, "乙镇")
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    full = render.render_township_html(district, "乙镇")
    assert "<img src=x" not in full


def test_missing_required_facilities_listed_by_name(district):
    t = district.townships[2]
    v = T.villages(district, t)
    vil = district.tables["villages"]
    vil = vil[(vil["township"] == t) & (vil["year"] == district.year)]
    expected = set(vil.loc[~vil["has_library"], "village"])
    got = set(v.missing.loc[v.missing["facility"] == "has_library", "village"])
    assert got == expected
    html = render.villages_html(district, t)
    for name in expected:
        assert name in html


def test_small_cells_print_sample_insufficient(tmp_path, make_district):
    from commeval.district import load_district

    raw = make_district(
        tmp_path, townships=2, villages_per_township=3, respondents_per_village=3,
        sampled_villages=3, seed=5,
    )  # fmt: skip
    d = load_district(raw, tmp_path / "processed")
    t = d.townships[0]
    sat = T.satisfaction(d, t)
    assert sat.items["small_cell"].all()  # 9 respondents < 30
    html = render.satisfaction_html(d, t, sat)
    assert html.count("样本不足") >= len(sat.items)
    mean_txt = f"{sat.items['mean'].iloc[0]:.2f}"
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert mean_txt not in cells


def test_diagnosis_sentences_trace_to_numbers(district):
    for t in district.townships:
        sat = T.satisfaction(district, t)
        f = diagnose(district, t, sat)
        ind = T.indicator_table(district, t).set_index("indicator")
        for r in f.itertuples():
            assert r.category_label in {
                "未达目标",
                "体制障碍",
                "政策制约",
                "资金不足",
                "观念滞后",
                "管理薄弱",
                "活动难搞",
            }
            if r.source == "indicator":
                assert r.value == pytest.approx(ind.loc[r.key, "value"])
                assert not bool(ind.loc[r.key, "attained"])
            else:
                item = sat.items.set_index("variable").loc[r.key]
                assert r.value == pytest.approx(item["top2"])
                assert item["top2"] < 0.6 or (
                    item["vs_district"] < 0 and item["vs_district_p"] < 0.05
                )


def test_ranking_and_downloads(district):
    r = ranking(district)
    assert list(r["rank"]) == sorted(r["rank"])
    m = attainment_matrix(district)
    assert list(m.index) == list(r["township"])
    files = downloads(r)
    csv = files["ranking.csv"].decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("排名,乡镇,综合得分")
    x = pd.read_excel(__import__("io").BytesIO(files["ranking.xlsx"]))
    assert list(x["乡镇"]) == list(r["township"])


def test_whole_page_is_self_contained(district):
    from commeval.fonts import embed_cjk_font

    page = embed_cjk_font(render.render_township_html(district, "甲镇"))
    assert '<html lang="zh">' in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@font-face" in page
    assert len(page.encode()) < 1_500_000


def test_the_pages_workbook_is_for_people(district):
    """The index page's 乡镇排名.xlsx: a title row naming the district and year, the header
    below it, townships in rank order, numbers as printed with Excel number formats (the
    attainment as a percentage of its fraction) — the CSV beside it stays tidy."""
    import base64
    import io

    import openpyxl

    from commeval.document import Run
    from commeval.report.summary import summary_document

    doc = summary_document(district, generated="2030-01-01 08:00")
    runs = [r for b in doc.blocks() for r in getattr(b, "runs", ()) if isinstance(r, Run)]
    link = next(r for r in runs if r.download and r.download.endswith(".xlsx"))
    ws = openpyxl.load_workbook(io.BytesIO(base64.b64decode(link.href.split(",", 1)[1]))).active
    assert str(district.year) in str(ws["A1"].value) and "乡镇排名" in str(ws["A1"].value)
    header = [c.value for c in ws[2]]
    assert "乡镇" in header
    towns = [
        ws.cell(row=i, column=header.index("乡镇") + 1).value for i in range(3, ws.max_row + 1)
    ]
    assert towns == list(ranking(district)["township"])
    pct = [c for c in ws[3] if c.number_format.endswith("%")]
    assert pct and all(0 <= c.value <= 1 for c in pct)
