"""Consistency at ``validate``: what ``reports`` would find out late — an indicator missing for
every township of the assessment year (a survey of another year, an item answered only 说不清,
a village field blank everywhere), a survey design that cannot be built, a township without
survey — is an error of ``commeval validate`` naming the file, column and field, in the same
Chinese words ``commeval reports`` then stops with (exit 2, no traceback). Both run the
district's one evaluation check (``commeval.district.check_evaluation``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from returns_helpers import copy, read, write

from commeval.cli import main
from commeval.data.checks import check_dataset
from commeval.data.schema import cast_table
from commeval.district import EvaluationDataError, check_evaluation, load_district
from commeval.index import load_framework


def project(base: Path, root: Path, year: int = 2012) -> Path:
    """A project folder over a copy of the base dataset (``raw``), assessment year ``year``."""
    copy(base, root / "raw")
    (root / "commeval.yaml").write_text(
        f"name: 测试\ndataset: raw\nyear: {year}\nreport:\n  mc_draws: 10\n", encoding="utf-8"
    )
    return root


def validate(root: Path) -> tuple[int, pd.DataFrame]:
    rc = main(["validate", "--project", str(root), "--report-dir", str(root / "rep")])
    p = pd.read_csv(root / "rep" / "validation_report.csv", encoding="utf-8-sig", dtype=str)
    return rc, p


def reports(root: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["reports", "--project", str(root), "--jobs", "1", "--format", "html"])
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err + cap.out
    return rc, cap.err


def test_a_survey_of_another_year(base_raw: Path, tmp_path: Path, capsys):
    root = project(base_raw, tmp_path / "p")
    s = read(root / "raw", "survey")
    s["调查年度"] = s["调查年度"].replace({"2012": "2013"})
    write(root / "raw", "survey", s)
    rc, p = validate(root)
    assert rc == 2
    hit = p[p["规则"] == "evaluation:indicator_missing"]
    assert len(hit) == 1
    row = hit.iloc[0]
    assert (row["文件"], row["字段"], row["列（原表头）"]) == ("survey.csv", "year", "调查年度")
    msg = row["说明"]
    assert msg.startswith("指标“总体满意度（加权均值，1–5分）”（overall_satisfaction）")
    assert "问卷（survey.csv）没有 2012 年的问卷（问卷年度：2011、2013）" in msg
    assert "(indicator 'overall_satisfaction'" in msg  # the English after the Chinese
    assert (p["规则"] == "year:survey").any()  # the years rule says it too
    rc, err = reports(root, capsys)
    assert rc == 2 and msg in err


def test_an_item_answered_only_dont_know(base_raw: Path, tmp_path: Path):
    root = project(base_raw, tmp_path / "p")
    s = read(root / "raw", "survey")
    this = s["调查年度"] == "2012"
    s.loc[this, "对农村社区建设的总体满意度"] = "说不清"
    write(root / "raw", "survey", s)
    rc, p = validate(root)
    assert rc == 2
    hit = p[p["规则"] == "evaluation:indicator_missing"]
    assert len(hit) == 1
    row = hit.iloc[0]
    assert (row["文件"], row["字段"]) == ("survey.csv", "sat_overall")
    assert row["列（原表头）"] == "对农村社区建设的总体满意度"
    first = int(np.flatnonzero(this.to_numpy())[0]) + 2  # the year's first row, as Excel shows
    assert int(row["行"]) == first
    n = int(this.sum())
    assert row["值"] == f"空白 0，说不清 {n}"
    msg = row["说明"]
    # both indicators made of the item, one reason
    assert "（overall_satisfaction）、“总体满意率（比较满意+非常满意）”（overall_top2）" in msg
    assert f"在 2012 年的 {n} 份问卷中没有有效回答（空白 0 份、“说不清” {n} 份）" in msg
    with pytest.raises(EvaluationDataError) as info:  # what `reports` loads (no kernels here)
        load_district(project=root)
    assert str(info.value) == msg


def test_a_township_without_survey_in_the_year(base_raw: Path, tmp_path: Path):
    root = project(base_raw, tmp_path / "p")
    s = read(root / "raw", "survey")
    town = s.loc[0, "乡镇"]
    write(root / "raw", "survey", s[~((s["乡镇"] == town) & (s["调查年度"] == "2012"))])
    rc, p = validate(root)
    assert rc == 2
    hit = p[p["规则"] == "evaluation:no_survey"]
    assert list(hit["值"]) == [town] and list(hit["文件"]) == ["townships.csv"]
    towns = read(root / "raw", "townships")
    assert int(hit.iloc[0]["行"]) == int(np.flatnonzero(towns["乡镇"] == town)[0]) + 2
    assert f"乡镇“{town}”在问卷（survey.csv）中没有 2012 年的问卷" in hit.iloc[0]["说明"]
    # run anyway, that township's page fails with the same cause in Chinese (no KeyError)
    from commeval.report.township import satisfaction

    d = load_district(project=root)
    with pytest.raises(ValueError, match=f"乡镇“{town}”在问卷中没有 2012 年的问卷"):
        satisfaction(d, town)


def test_valid_data_pass_the_evaluation_check(base_raw: Path, tmp_path: Path):
    root = project(base_raw, tmp_path / "p")
    rc, p = validate(root)
    assert rc == 0
    assert not p["规则"].str.startswith("evaluation:").any()


@pytest.fixture(scope="module")
def checked(base_raw: Path):
    ch = check_dataset(base_raw)
    assert ch.ok
    tables = {n: cast_table(df, ch.contract[n]) for n, df in ch.tables.items()}
    return tables, load_framework(contract=ch.contract), ch


FILES = {t: f"{t}.csv" for t in ("townships", "villages", "communities", "survey", "population")}


def test_a_village_field_blank_everywhere_names_table_file_and_field(checked):
    tables, fw, _ = checked
    v = tables["villages"].copy()
    v["has_library"] = v["has_library"].astype("boolean")
    v.loc[v["year"] == 2012, "has_library"] = pd.NA
    with pytest.raises(EvaluationDataError) as info:
        check_evaluation({**tables, "villages": v}, fw, 2012, files=FILES)
    msg = str(info.value)
    assert msg.startswith(
        "指标“村村有图书室（有图书室的村比例）”（library_share）、"
    )  # and the checklist
    assert "行政村表（villages.csv）的“图书室”（has_library）在 2012 年全部为空" in msg
    assert "missing: not_applicable" in msg
    assert {"table": "villages", "field": "has_library", "value": "（空）", "year": 2012,
            "rule": "indicator_missing"} in info.value.where  # fmt: skip
    returns = {**FILES, "villages": "、".join(f"乡镇{i}.xlsx" for i in range(1, 39))}
    with pytest.raises(EvaluationDataError) as info:  # one file per township: a few named
        check_evaluation({**tables, "villages": v}, fw, 2012, files=returns)
    assert "行政村表（乡镇1.xlsx、乡镇2.xlsx 等 38 个文件）的“图书室”" in str(info.value)


def test_a_design_the_survey_engine_refuses_is_chinese_first(checked):
    tables, fw, _ = checked
    s = tables["survey"].copy()
    s["weight"] = s["weight"].astype("float64")
    s.loc[s.index[:3], "weight"] = np.nan  # past the table checks (as a bug could let it)
    with pytest.raises(EvaluationDataError) as info:
        check_evaluation({**tables, "survey": s}, fw, 2012, files=FILES)
    msg = str(info.value)
    assert re.match(r"问卷的抽样设计无法建立——问卷（survey\.csv）的", msg)
    assert "“抽样权数”（weight）有 3 个空值" in msg
    assert "weights column 'weight' has 3 missing values" in msg  # the English kept after
    assert info.value.where[0]["field"] == "weight"


def test_the_year_must_be_in_the_villages_table(checked):
    tables, fw, _ = checked
    with pytest.raises(
        EvaluationDataError, match=r"评估年度 2010 不在数据中.*行政村表（villages\.csv）"
    ):
        check_evaluation(tables, fw, 2010, files=FILES)


def test_a_defect_in_the_evaluation_is_a_problem_not_a_crash(checked, monkeypatch):
    import commeval.district as D

    _, fw, ch = checked
    assert D.evaluation_problems(ch, fw, 2012).empty  # the valid base data evaluate

    def broken(*a, **k):
        raise TypeError("boom")

    monkeypatch.setattr(D, "check_evaluation", broken)
    p = D.evaluation_problems(ch, fw, 2012)
    assert list(p["rule"]) == ["evaluation:unexpected"]
    assert "意外错误" in p.iloc[0]["message"] and "TypeError: boom" in p.iloc[0]["message"]


def test_a_district_of_one_township_cannot_be_compared(tmp_path: Path):
    """The report compares each township with the rest of the district: with one township the
    survey engine refuses — validate says so in Chinese, naming the survey file and column."""
    from commeval.district import evaluation_problems
    from commeval.synthetic import generate_district, write_raw

    tables = generate_district(townships=1, villages_per_township=3, respondents_per_village=4)
    ch = check_dataset(write_raw(tables, tmp_path / "raw"))
    assert ch.ok
    p = evaluation_problems(ch, load_framework(contract=ch.contract), None)
    assert list(p["rule"]) == ["evaluation:summaries"]
    row = p.iloc[0]
    assert (row["file"], row["column"], row["field"]) == ("survey.csv", "乡镇", "township")
    assert row["message"].startswith(
        "问卷汇总无法完成——问卷（survey.csv）的“乡镇”（township）只有一个取值"
    )
    assert "（compare_to_rest: column 'township' needs at least two levels）" in row["message"]
