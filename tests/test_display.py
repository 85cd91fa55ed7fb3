"""How results show in JupyterLab: every ``_repr_html_`` is a small HTML table with rounded
numbers and Chinese labels where the contract has them; every ``__repr__`` is short."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import commeval
from commeval.display import TextSummary, fmt, fmt_p, frame_html, html_table
from commeval.index import evaluate, load_framework
from commeval.survey import cronbach_alpha
from commeval.survey import questionnaire as q


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.tags, self._in = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in = tag in ("td", "th", "caption")

    def handle_endtag(self, tag):
        self._in = False

    def handle_data(self, data):
        if self._in:
            self.cells.append(data)


def cells(html: str) -> list[str]:
    p = _Cells()
    p.feed(html)
    p.close()
    assert "table" in p.tags and "script" not in p.tags and "style" not in p.tags
    return p.cells


def no_float_noise(html: str) -> None:
    import re

    assert not re.search(r"\d\.\d{7,}", html), "unrounded float in the HTML"


@pytest.fixture(scope="module")
def tables():
    return commeval.load_tables()


@pytest.fixture(scope="module")
def design(tables):
    return q.year_design(tables["survey"], 2012)


def test_numbers_as_a_statistician_prints_them():
    assert fmt(0.8510000000000001) == "0.851"
    assert fmt(3.866666666) == "3.867"
    assert fmt(np.int64(20000)) == "20,000" and fmt(12) == "12"
    assert fmt(float("nan")) == fmt(None) == fmt(pd.NA) == "—"
    assert fmt(1.23e-9) == "1.230e-09" and fmt(100.0) == "100"
    assert fmt_p(0.0001) == "<0.001" and fmt_p(0.04567) == "0.046"
    h = html_table(["名称", "值"], [("<b>", 1.0)], caption="x & y")
    assert "&lt;b&gt;" in h and "x &amp; y" in h  # escaped
    assert "text-align:left" in h and "text-align:right" in h  # text left, numbers right
    assert "commeval-display" in h


def test_a_summary_is_a_string_that_shows_as_a_table():
    s = TextSummary("a\nb", "<table></table>")
    assert s == "a\nb" and isinstance(s, str) and repr(s) == "a\nb"
    assert s._repr_html_() == "<table></table>"


def test_glm(design):
    g = design.glm("knows_programme ~ age + C(gender)", family="binomial")
    s = g.summary()
    assert isinstance(s, str) and "\\n" not in repr(s) and repr(g) == str(s)
    h = g._repr_html_()
    assert s._repr_html_() == h
    c = cells(h)
    assert "age" in c and "95% CI low" in c and "p" in c
    assert f"{g.params['age']:.4g}".rstrip("0") in h or fmt(g.params["age"]) in c
    no_float_noise(h)


def test_crosstab_and_its_test(design):
    x = design.crosstab("education", "gender")
    t = x.test
    r = repr(t)
    assert r.startswith("Rao-Scott F = ") and len(r) < 200 and "0000000" not in r
    h = t._repr_html_()
    assert "Rao-Scott F" in cells(h)
    no_float_noise(h)
    hx = x._repr_html_()
    assert "文化程度 × 性别: weighted counts" in cells(hx)  # the contract's labels
    no_float_noise(hx)
    assert len(repr(x)) < 1000


def test_alpha(design):
    a = cronbach_alpha(design, q.sat_items())
    h = a._repr_html_()
    c = cells(h)
    assert f"Cronbach's α = {a.alpha:.3f} (design-weighted)" in c
    assert "总体满意度" in "".join(c)  # item labels from the contract
    no_float_noise(h)
    assert "0.851" in repr(a) or f"{a.alpha:.3f}" in repr(a)


def test_evaluation_and_framework(tables):
    fw = load_framework()
    r = repr(fw)
    assert r.startswith("<Framework ") and len(r) < 600
    hf = fw._repr_html_()
    c = cells(hf)
    assert "organisation" in c and "组织领导与结对帮扶" in c and "indicators" in c
    assert all(i.label in c for i in fw.indicators.values())
    ev = evaluate(tables, fw, year=2012, mc_draws=10, seed=1)
    assert len(repr(ev)) < 1200
    he = ev._repr_html_()
    ce = cells(he)
    assert "scores (综合得分)" in ce
    assert set(ev.scores["township"]) <= set(ce)
    assert f"{ev.scores['score'].iloc[0]:.1f}" in ce
    no_float_noise(he)


def test_frame_html_counts_what_it_leaves_out():
    df = pd.DataFrame({"a": range(40)})
    assert "… 10 more rows" in frame_html(df, max_rows=30)


def test_olr(design):
    o = design.olr("sat_overall ~ age + C(gender)")
    s = o.summary()
    assert isinstance(s, str) and "\\n" not in repr(s) and repr(o) == str(s)
    h = o._repr_html_()
    assert s._repr_html_() == h
    c = cells(h)
    assert "age" in c and "95% CI low" in c and "p" in c
    assert any("|" in x for x in c)  # the thresholds a|b, in their own table
    assert h.count("<table") == 2
    assert fmt(o.params["age"]) in c
    no_float_noise(h)


def test_run_manifest_and_outcome(tmp_path):
    from commeval.pipeline.manifest import RunManifest, read_manifest, write_manifest
    from commeval.pipeline.run import RunOutcome

    entries = {
        "城关镇": {"html": "城关镇.html", "status": "ok", "seconds": 2.3456789},
        "裴城镇": {"html": None, "status": "failed", "seconds": 0.5,
                   "error": "Traceback…\nRuntimeError: 数据缺失"},
    }  # fmt: skip
    summary = {"townships": 2, "rendered": 1, "reused": 0, "failed": 1}
    write_manifest(tmp_path, {"run": "20260101-000000", "seconds": 12.3456789,
                              "summary": summary, "townships": entries,
                              "index": {"html": "index.html", "status": "ok", "seconds": 1.0}})  # fmt: skip
    m = read_manifest(tmp_path)
    assert isinstance(m, RunManifest) and isinstance(m, dict) and m["summary"] == summary
    assert len(repr(m)) < 120 and "20260101-000000" in repr(m)
    h = m._repr_html_()
    c = cells(h)
    assert "城关镇" in c and "裴城镇" in c and "失败" in c and "已生成" in c
    assert "RuntimeError: 数据缺失" in c and "Traceback…" not in h
    assert "汇总页 index" in c and "用时（秒）" in c
    no_float_noise(h)

    out = RunOutcome(tmp_path, summary, 12.3456789, failed={"裴城镇": "RuntimeError: 数据缺失"})
    assert out.manifest == m
    h = out._repr_html_()
    c = cells(h)
    assert "有失败" in c and "1 / 0 / 1" in c and "裴城镇" in c and "12.35" in c
    no_float_noise(h)
