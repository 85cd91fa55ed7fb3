"""Each indicator states its denominator on the page (issue 21, item 6): a village share shows
the count behind it in the 依据 column of 二、指标达标情况 and of 二、考核评分 — "2/5村（1村未填）"
where villages left an optional field of fields.yaml blank (they are not in the denominator),
"4/6村" where none did, "6村平均" for a mean of amounts — composed once, so the HTML page and the
Word file say the same. Counts are hand-computed here from the generated tables."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
import yaml

from commeval import cli
from commeval.data.contract import contract, extend_contract
from commeval.document import Table, walk
from commeval.errors import EXIT_OK
from commeval.renderers.html import render_html
from commeval.report import compose as C
from commeval.synthetic import generate_district, write_raw

TOWNS = ["东风镇", "红旗乡"]
FIELDS = {"villages": {"has_clinic": {"label": "标准化村卫生室", "dtype": "bool"}}}
CLINIC = {"label": "卫生室覆盖率", "unit": "%", "source": "100 * share(has_clinic)"}
LIBRARY = {"label": "图书室覆盖率", "unit": "%", "source": "100 * share(has_library)"}
ACTIVITIES = {"label": "村均活动次数", "unit": "次/村", "source": "mean(activities_held)"}
CULTURE = {"label": "文化中心站", "unit": "是=1", "source": "townships.has_culture_station"}
NO_CLINIC = {"label": "没有卫生室的村", "unit": "个", "direction": "cost",
             "source": "count(not has_clinic)"}  # fmt: skip


def composite() -> dict:
    target = {"direction": "benefit", "target": 100, "weight": 0.25}
    return {
        "version": "t", "grades": {"好": 60, "差": 0},
        "dimensions": {"d": {"label": "服务", "weight": 1, "indicators": {
            "clinic": {**CLINIC, **target}, "library": {**LIBRARY, **target},
            "activities": {**ACTIVITIES, **target, "target": 12},
            "culture": {**CULTURE, **target, "target": 1},
        }}},
    }  # fmt: skip


def scorecard() -> dict:
    tiers = {"points": 10, "rule": "tiers", "tiers": [[100, 10], [50, 5]]}
    return {
        "version": "p", "scoring": "points", "grades": {"合格": 20, "不合格": 0},
        "dimensions": {"d": {"label": "服务", "indicators": {
            "clinic": {**CLINIC, "scoring": tiers}, "library": {**LIBRARY, "scoring": tiers},
            "activities": {**ACTIVITIES, "scoring": {
                "points": 10, "rule": "linear", "full_at": 12, "zero_at": 0}},
            "culture": {**CULTURE, "scoring": {"points": 10, "rule": "yesno"}},
            "no_clinic": {**NO_CLINIC, "scoring": {"points": 10, "rule": "units", "deduct": 2}},
        }}},
    }  # fmt: skip


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A county project whose fields.yaml adds an optional village field, left blank by one
    village of 东风镇 and none of 红旗乡 in the latest year."""
    tmp = tmp_path_factory.mktemp("denominators")
    mp = pytest.MonkeyPatch()
    mp.chdir(tmp)
    try:
        assert cli.main(["init", "county", "--district", "某县"]) == EXIT_OK
    finally:
        mp.undo()
    root = tmp / "county"
    meta = yaml.safe_load((root / "commeval.yaml").read_text(encoding="utf-8"))
    (root / "config" / "fields.yaml").write_text(
        yaml.safe_dump(FIELDS, allow_unicode=True), encoding="utf-8"
    )
    (root / "config" / "framework.yaml").write_text(
        yaml.safe_dump(composite(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (root / "config" / "scorecard.yaml").write_text(
        yaml.safe_dump(scorecard(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    t = generate_district(townships=TOWNS, villages_per_township=6, respondents_per_village=5,
                          sampled_villages=3, seed=5)  # fmt: skip
    v = t["villages"]
    v["has_clinic"] = pd.array([True, False, True] * (len(v) // 3), dtype="boolean")
    latest = v["year"] == v["year"].max()
    dong = v.index[latest & (v["township"] == "东风镇")]
    v.loc[dong[:1], "has_clinic"] = pd.NA  # the one blank
    write_raw(t, root / meta["dataset"], contract=extend_contract(contract(), FIELDS))
    return root, v[latest]


def expected(v: pd.DataFrame, town: str, card: str = "framework.yaml") -> dict[str, str]:
    """The 依据 of each item, counted by hand from the village rows."""
    g = v[v["township"] == town]
    clinic = g["has_clinic"]
    yes, answered, blank = int(clinic.fillna(False).sum()), int(clinic.notna().sum()), 0
    blank = int(clinic.isna().sum())
    lib = int(g["has_library"].astype(bool).sum())
    blanks = f"（{blank}村未填）" if blank else ""
    out = {
        "卫生室覆盖率": f"{yes}/{answered}村" + blanks,
        "图书室覆盖率": f"{lib}/{len(g)}村",
        "村均活动次数": f"{len(g)}村平均",
        "文化中心站": "",
    }
    if card == "scorecard.yaml":  # the villages without one, of those that answered
        out["没有卫生室的村"] = f"{answered - yes}/{answered}村" + blanks
    return out


def basis_of(doc) -> dict[str, str]:
    """The 依据 column of the indicator table (二、指标达标情况 / 二、考核评分), by item label."""
    section = next(s for s in doc.sections if s.id == "indicators")
    tab = next(b for b in walk([section]) if isinstance(b, Table))
    head = tab.header()
    assert head[3] == C.BASIS, head  # right after 本乡镇
    return {r[1].text(): r[3].text() for r in tab.rows}


def _docx_text(doc) -> str:
    docx_renderer = pytest.importorskip("commeval.renderers.docx")
    import docx

    d = docx.Document(io.BytesIO(docx_renderer.render_docx(doc)))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return re.sub(r"\s+", "", "\n".join([p.text for p in d.paragraphs] + cells))


@pytest.mark.parametrize("card", ["framework.yaml", "scorecard.yaml"])
def test_each_share_states_its_denominator(county, card):
    from commeval.district import load_district

    root, v = county
    d = load_district(project=root, framework=root / "config" / card, mc_draws=0)
    assert v["has_clinic"].isna().sum() == 1  # the planted blank
    for town in TOWNS:
        want = expected(v, town, card)
        doc = C.compose_township(d, town, generated="2030-01-01 00:00", raster=True)
        got = basis_of(doc)
        assert {k: got[k] for k in want} == want, (card, town)
        page = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", render_html(doc, embed_font=False)))
        for text in filter(None, want.values()):
            assert text in page, (card, town, text)
        assert "未填的村不计入分母" in page
        word = _docx_text(doc)
        for text in filter(None, want.values()):
            assert text in word, (card, town, "docx", text)
    dong = expected(v, "东风镇")["卫生室覆盖率"]
    assert re.fullmatch(r"\d/5村（1村未填）", dong), dong
    assert re.fullmatch(r"\d/6村", expected(v, "红旗乡")["卫生室覆盖率"])
    # the value is the share of the villages that answered, not of all six
    ind = d.evaluation.items("东风镇").set_index("label")
    num = int(dong.split("/")[0])
    assert ind.loc["卫生室覆盖率", "value"] == pytest.approx(100 * num / 5)
    if card == "scorecard.yaml":  # the blank village is not counted as one without a clinic
        assert ind.loc["没有卫生室的村", "value"] == 5 - num
