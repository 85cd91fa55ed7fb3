"""Report wording from its sources: field labels and answer labels from the data contract,
grade names and ranges from the framework — relabel the source and the page follows."""

from __future__ import annotations

import dataclasses
import re
from importlib import resources

import yaml

from commeval.data.contract import parse_contract
from commeval.report import charts, render, summary
from commeval.report import township as T


def _relabelled(changes: dict[tuple[str, str], dict]):
    doc = yaml.safe_load(
        (resources.files("commeval") / "config" / "contract.yaml").read_text(encoding="utf-8")
    )
    for (table, field), spec in changes.items():
        doc["tables"][table]["fields"][field].update(spec)
    return parse_contract(doc, "test")


def _headings(html: str) -> list[str]:
    return re.findall(r"<th>([^<]*)</th>", html)


def test_village_table_headings_are_contract_labels(district):
    t = district.townships[0]
    spec = district.contract["villages"]
    heads = _headings(render.villages_html(district, t))
    cols = [c for c in T.villages(district, t).table.columns if c != "is_pilot"]
    assert len(heads) == len(cols)
    for head, col in zip(heads, cols, strict=True):
        assert head.startswith(spec.fields[col].label)


def test_relabelled_contract_relabels_the_page(district):
    c = _relabelled(
        {
            ("villages", "has_library"): {"label": "农家书屋"},
            ("villages", "affairs_demo_level"): {
                "allowed_labels": ["未评", "区", "市", "省", "国"]
            },
            ("communities", "households_moved_in"): {"label": "入住户"},
            ("communities", "status"): {"allowed_labels": ["甲", "乙", "丙", "丁"]},
        }
    )
    d = dataclasses.replace(district, contract=c)
    t = next(t for t in d.townships if len(T.communities(d, t)))  # a township with a new community
    villages = render.villages_html(d, t)
    assert "农家书屋" in _headings(villages) and "图书室" not in _headings(villages)
    levels = T.villages(d, t).table["affairs_demo_level"]
    if (levels == "none").any():
        assert "<td>未评</td>" in villages
    comm = render.communities_html(d, t)
    assert "入住户" in comm and "已入住户数" not in comm
    assert re.search(r"建设状态：[甲乙丙丁]", comm)


def test_satisfaction_axis_uses_the_answer_labels():
    assert charts.satisfaction_scale() == ("1 很不满意", "2", "3 一般", "4", "5 非常满意")


def test_grades_come_from_the_framework(district):
    grades = district.framework.grades
    assert summary.grade_kind(grades, grades[0][0]) == "good"
    assert summary.grade_kind(grades, grades[-1][0]) == "bad"
    assert summary.grade_kind(grades, "无此等级") == "muted"
    assert render.grade_rule(grades, grades[0][0]) == f"{grades[0][1]:g}分及以上"
    assert render.grade_rule(grades, grades[-1][0]) == f"{grades[-2][1]:g}分以下"
    # renamed grades: the summary's badges follow the framework's names and order
    names = {g: f"第{i + 1}档" for i, (g, _) in enumerate(grades)}
    fw = dataclasses.replace(district.framework, grades=tuple((names[g], m) for g, m in grades))
    ev = dataclasses.replace(
        district.evaluation,
        scores=district.evaluation.scores.assign(
            grade=district.evaluation.scores["grade"].map(names)
        ),
    )
    d = dataclasses.replace(district, framework=fw, evaluation=ev)
    page = next(s for s in summary.summary_html(d) if 'id="ranking"' in s)
    for r in ev.scores.itertuples():
        kind = "good" if list(names.values()).index(r.grade) < len(grades) // 2 else "bad"
        assert f'<span class="badge badge-{kind}">{r.grade}</span>' in page
    top = ev.scores.sort_values("rank")["township"].iloc[0]
    ov = render.overview_html(d, top)
    g = ev.scores.set_index("township").loc[top, "grade"]
    assert f"等级为“{g}”" in ov
