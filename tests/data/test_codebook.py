"""Codebook: default mappings, 问卷星 headers, user extensions, errors naming file/key/value."""

from __future__ import annotations

import pytest

from commeval.data.codebook import CodebookError, default_codebook, load_codebook, norm_header
from commeval.data.contract import contract


def test_every_contract_label_and_name_maps_to_itself():
    cb = default_codebook()
    for tname, t in contract().tables.items():
        for f in t.fields.values():
            for h in (f.name, f.label):
                m = cb.match_header(tname, h)
                assert m.field == f.name, (tname, h, m)
                assert m.kind == ("personal" if f.personal else "field")


@pytest.mark.parametrize(
    ("header", "kind", "field"),
    [
        ("1、您的性别：", "field", "gender"),
        ("Q3. 您的年龄", "field", "age"),
        ("12、您对医疗卫生服务的满意度：", "field", "sat_health"),
        ("20、您是否参加过志愿服务？", "field", "volunteered"),
        ("8、您最需要的服务：(养老服务)", "option", "need_elderly_care"),
        ("8、您最需要的服务：（医疗卫生）", "option", "need_medical"),
        ("8、您最需要的服务：", "multi", ""),
        ("来自IP", "personal", ""),
        ("提交答卷时间", "ignore", ""),
        ("社区服务中心建筑面积（平方米）", "field", "service_center_m2"),
        ("警务室（综治室）", "field", "has_police_room"),
        ("不知道是什么", "unmapped", ""),
    ],
)
def test_header_variants(header, kind, field):
    table = "villages" if "面积" in header or "警务" in header else "survey"
    m = default_codebook().match_header(table, header)
    assert (m.kind, m.field) == (kind, field)


def test_answer_texts():
    cb = default_codebook()
    assert cb.value_map("survey", "sat_overall")["非常满意"] == 5
    assert cb.value_map("survey", "sat_overall")["说不清"] == 9
    assert cb.value_map("villages", "affairs_demo_level")["区级"] == "district"
    assert cb.value_map("population", "age_group")["16-29岁"] == "16-29"
    assert cb.bool_values["是"] is True and cb.bool_values["未选中"] is False


def test_norm_header():
    assert norm_header(" 8、您最需要的服务：（养老服务） ") == "您最需要的服务:(养老服务)"
    assert norm_header("Q12.性别【单选题】") == "性别"


def test_user_codebook_extends_default(tmp_path):
    path = tmp_path / "my.yaml"
    path.write_text(
        "headers:\n  survey:\n    age: [受访者岁数]\nvalues:\n  fields:\n    gender: {男士: 1}\n",
        encoding="utf-8",
    )
    cb = load_codebook(path)
    assert cb.match_header("survey", "受访者岁数").field == "age"
    assert cb.match_header("survey", "您的性别").field == "gender"  # default kept
    assert cb.value_map("survey", "gender")["男士"] == 1


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("colour: red\n", "colour", "red"),
        ("headers:\n  farms: {}\n", "headers.farms", "farms"),
        ("headers:\n  survey:\n    shoe_size: [鞋码]\n", "headers.survey.shoe_size", "shoe_size"),
        ("values:\n  fields:\n    gender: {男士: 3}\n", "values.fields.gender.男士", "3"),
        ("header_patterns: ['([']\n", "header_patterns[0]", "(["),
        ("header_patterns: ['^(.+)$']\n", "header_patterns[0]", "^(.+)$"),
        ("headers:\n  survey:\n    age: [性别]\n", "headers.survey.age", "性别"),
    ],
)
def test_codebook_errors_name_file_key_and_value(tmp_path, text, key, value):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as exc:
        load_codebook(path)
    msg = str(exc.value)
    assert str(path) in msg and key in msg and value in msg
