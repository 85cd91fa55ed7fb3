"""Survey platforms as exported: 问卷星 "其他〖…〗" answers keep the option and move the text to
free text (then redacted); 腾讯问卷 exports, whose platform columns (编号, 昵称, 起答时间 …) never
collide with the questionnaire's; Excel's "Unicode 文本" (UTF-16, tab-separated) read as such."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from returns_helpers import copy, files, read

from commeval.data.checks import check_dataset


def _errors(checked) -> pd.DataFrame:
    p = checked.problems
    return p[p["severity"] == "error"]


def test_wjx_other_text_moves_to_free_text(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    s = read(raw, "survey")
    s["职业"] = s["职业"].astype(str)
    s.loc[0, "职业"] = "其他〖在家带孩子〗"
    s.loc[1, "职业"] = "其他（请注明）〖打零工，电话13812345678〗"
    s.loc[0, "意见建议"] = "希望修路"
    s.loc[1, "意见建议"] = ""
    s.to_csv(raw / "wjx.csv", index=False, encoding="utf-8-sig")
    (raw / "survey.csv").unlink()
    files(raw, "survey", {"path": "wjx.csv", "format": "wjx"})
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    got = checked.tables["survey"]
    assert list(got["occupation"].iloc[:2]) == [7, 7]
    assert got["suggestion"].iloc[0] == "希望修路；（职业·其他）在家带孩子"
    assert got["suggestion"].iloc[1] == "（职业·其他）打零工，电话［已隐去］"
    warn = checked.problems[checked.problems["rule"] == "other_text"]
    assert len(warn) == 1 and "2 个" in warn.iloc[0]["message"]


PLATFORM = [
    "编号",
    "用户类型",
    "用户标识",
    "昵称",
    "起答时间",
    "提交时间",
    "答题时长",
    "地理位置省",
]


@pytest.mark.parametrize("own_id", ["问卷编号", "编号"])
def test_tencent_export_platform_columns_do_not_collide(base_raw, tmp_path: Path, own_id: str):
    raw = copy(base_raw, tmp_path / "raw")
    s = read(raw, "survey").rename(columns={"问卷编号": own_id})
    n = len(s)
    lead = pd.DataFrame(
        {"编号": [str(i + 1) for i in range(n)], "用户类型": "微信用户",
         "用户标识": [f"o_{i:08d}" for i in range(n)], "昵称": "小马哥",
         "起答时间": "2012/11/3 9:01:00", "提交时间": "2012/11/3 9:09:00", "答题时长": "480秒",
         "地理位置省": "河南"}
    )  # fmt: skip
    out = pd.concat([lead, s], axis=1)
    out.columns = PLATFORM + list(s.columns)
    out.to_csv(raw / "tencent.csv", index=False, encoding="utf-8-sig")
    (raw / "survey.csv").unlink()
    files(raw, "survey", "tencent.csv")  # recognised by its header block
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    got = checked.tables["survey"]
    assert list(got["respondent_id"]) == list(s[own_id])  # the questionnaire's own id
    assert {"用户标识", "昵称"} <= set(checked.personal_dropped["survey"])
    assert "小马哥" not in checked.problems.to_csv()


def test_tencent_without_own_id_uses_the_platform_number(base_raw, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    s = read(raw, "survey").drop(columns=["问卷编号"])
    lead = pd.DataFrame({"编号": [str(i + 1) for i in range(len(s))], "用户标识": "x",
                         "起答时间": "2012/11/3", "答题时长": "480秒"})  # fmt: skip
    pd.concat([lead, s], axis=1).to_csv(raw / "tencent.csv", index=False, encoding="utf-8-sig")
    (raw / "survey.csv").unlink()
    files(raw, "survey", {"path": "tencent.csv", "format": "tencent"})
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    assert list(checked.tables["survey"]["respondent_id"]) == [str(i + 1) for i in range(len(s))]


@pytest.mark.parametrize("name", ["villages.txt", "villages.xls", "villages.csv"])
def test_unicode_text_utf16_tab_separated(base_raw: Path, tmp_path: Path, name: str):
    raw = copy(base_raw, tmp_path / "raw")
    v = read(raw, "villages")
    text = v.to_csv(index=False, sep="\t", lineterminator="\r\n")
    (raw / "villages.csv").unlink()
    (raw / name).write_bytes("\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    files(raw, "villages", name)
    checked = check_dataset(raw)
    assert _errors(checked).empty, _errors(checked).to_string()
    assert len(checked.tables["villages"]) == len(v)
    assert checked.tables["villages"]["village"].iloc[0] == v["行政村"].iloc[0]
