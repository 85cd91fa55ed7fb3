"""Returns, several files to a table: one file per township (and per year) named by a glob or a
list in dataset.yaml processes to the same tables as the one-file district; every problem names
its file, sheet and Excel row; the same village in two files is an error naming both; one 回执
workbook per submitted file; years checked at validate; output faults; long township names."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from returns_helpers import copy, files, read, workbook

from commeval.cli import main
from commeval.data.checks import check_dataset
from commeval.data.ingest import ingest
from commeval.data.validate import run_validate


def split_district(raw: Path) -> dict[str, list[str]]:
    """Rewrite the base dataset as returns: villages one .xlsx per township (title row above,
    sign-off rows below), survey one CSV per township and year; dataset.yaml with a glob and a
    list. Returns the file names per table."""
    out: dict[str, list[str]] = {"villages": [], "survey": []}
    (raw / "returns").mkdir()
    v = read(raw, "villages")
    for town, part in v.groupby("乡镇", sort=False):
        name = f"returns/{town}_行政村.xlsx"
        workbook(raw / name, part, title="行政村", above=[[f"{town}行政村情况"]],
                 below=[[], ["填表人：张三", None, "审核人：李四"]])  # fmt: skip
        out["villages"].append(name)
    (raw / "villages.csv").unlink()
    files(raw, "villages", "returns/*_行政村.xlsx")
    s = read(raw, "survey")
    for (town, year), part in s.groupby(["乡镇", "调查年度"], sort=False):
        name = f"returns/{town}_问卷_{year}.csv"
        part.to_csv(raw / name, index=False, encoding="utf-8-sig")
        out["survey"].append(name)
    (raw / "survey.csv").unlink()
    files(raw, "survey", [{"path": n} for n in out["survey"]])
    return out


def _sorted(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def test_one_file_per_township_gives_the_one_file_tables(base_raw: Path, tmp_path: Path):
    one = copy(base_raw, tmp_path / "one")
    many = copy(base_raw, tmp_path / "many")
    names = split_district(many)
    a = ingest(one, tmp_path / "p1")
    b = ingest(many, tmp_path / "p2")
    for t, key in [("villages", ["year", "township", "village"]), ("survey", ["respondent_id"]),
                   ("townships", ["township"])]:  # fmt: skip
        pd.testing.assert_frame_equal(_sorted(a.tables[t], key), _sorted(b.tables[t], key))
    assert set(b.sources["file"]) >= set(names["villages"]) | set(names["survey"])
    n = b.manifest["rows"]["villages"]
    assert [f["file"] for f in n["files"]] == sorted(names["villages"])
    assert n["rows_kept"] == len(a.tables["villages"]) and n["rows_reported"] == 3  # sign-offs


def test_problems_name_file_sheet_and_row_and_same_village_in_two_files(base_raw, tmp_path):
    raw = copy(base_raw, tmp_path / "raw")
    names = split_district(raw)
    first, second = names["villages"][0], names["villages"][1]
    wb = openpyxl.load_workbook(raw / first)
    ws = wb["行政村"]
    ws.cell(4, 5).value = "二千"  # 人口 as text, row 4 of the first township's file
    copied = [c.value for c in ws[3]]
    wb.save(raw / first)
    wb2 = openpyxl.load_workbook(raw / second)
    ws2 = wb2["行政村"]
    ws2.insert_rows(3)
    for j, v in enumerate(copied, start=1):  # the first file's village again, in another file
        ws2.cell(3, j).value = v
    wb2.save(raw / second)
    checked = check_dataset(raw)
    p = checked.problems
    bad = p[p["rule"] == "type:int"].iloc[0]
    assert (bad["file"], bad["sheet"], bad["row"], bad["column"]) == (first, "行政村", 4, "人口")
    dup = p[p["rule"] == "duplicate_key"]
    assert len(dup) == 1
    assert dup.iloc[0]["file"] == second and dup.iloc[0]["row"] == 3
    assert first in dup.iloc[0]["message"] and "第 3 行" in dup.iloc[0]["message"]


def test_a_glob_matching_nothing_and_a_new_return_makes_data_stale(base_raw, tmp_path):
    from commeval.data.freshness import is_current

    raw = copy(base_raw, tmp_path / "raw")
    split_district(raw)
    ingest(raw, tmp_path / "p")
    assert is_current(raw, tmp_path / "p")
    extra = read(raw, "townships").head(0)
    extra.to_csv(raw / "returns" / "新镇_问卷_2012.csv", index=False)
    files(raw, "survey", "returns/*_问卷_*.csv")
    assert not is_current(raw, tmp_path / "p")
    files(raw, "communities", "returns/*_社区.xlsx")
    p = check_dataset(raw).problems
    miss = p[p["rule"] == "file_missing"]
    assert "没有文件符合" in miss.iloc[0]["message"]


def test_feedback_workbook_per_submitted_file(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    names = split_district(raw)
    first = names["villages"][0]
    wb = openpyxl.load_workbook(raw / first)
    wb["行政村"].cell(5, 5).value = "-12"  # negative population at row 5
    wb.save(raw / first)
    out = io.StringIO()
    code = run_validate(raw, tmp_path / "report", out=out, feedback=tmp_path / "回执")
    assert code == 2
    made = sorted(p.name for p in (tmp_path / "回执").iterdir())
    submitted = [n for ns in names.values() for n in ns] + [
        f"{t}.csv" for t in ("townships", "communities", "population")
    ]
    assert len(made) == len(submitted)
    town = first.split("/")[1].split("_")[0]
    ws = openpyxl.load_workbook(tmp_path / "回执" / f"回执_returns_{town}_行政村.xlsx")["回执"]
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == f"数据校验回执：{first}"
    assert "共 2 个错误" in rows[2][0] and "须改正" in rows[2][0]  # range and 户数 ≤ 人口
    head = next(i for i, r in enumerate(rows) if r[0] == "序号")
    body = rows[head + 1 :]
    err = [r for r in body if r[1] == "错误" and r[7] == "range:min"]
    assert [(r[2], r[3], r[4], r[5]) for r in err] == [("行政村", 5, "人口", "'-12")]  # escaped
    assert "不能为负数" in err[0][6]
    listed = [r for r in body if r[7] == "signoff_row"]
    assert len(listed) == 1 and listed[0][5] in (None, "")  # listed, content not echoed
    text = "".join(str(c) for r in rows for c in r if c is not None)
    assert "张三" not in text and "李四" not in text
    clean = openpyxl.load_workbook(tmp_path / "回执" / "回执_townships.xlsx")["回执"]
    assert "共 0 个错误" in clean["A3"].value


def test_survey_year_outside_the_assessment_year_is_an_error_at_validate(base_raw, tmp_path):
    raw = copy(base_raw, tmp_path / "raw")
    s = read(raw, "survey")
    s["调查年度"] = s["调查年度"].replace({"2012": "2013"})
    s.to_csv(raw / "survey.csv", index=False, encoding="utf-8-sig")
    out = io.StringIO()
    assert run_validate(raw, tmp_path / "r", out=out, year=2012) == 2
    p = pd.read_csv(tmp_path / "r" / "validation_report.csv", encoding="utf-8-sig", dtype=str)
    hit = p[p["规则"] == "year:survey"]
    assert len(hit) == 1 and "2012" in hit.iloc[0]["说明"] and "2013" in hit.iloc[0]["说明"]
    assert (p["规则"] == "year:survey_extra").any()
    v = read(raw, "villages")
    town = v.loc[0, "乡镇"]
    v = v[~((v["乡镇"] == town) & (v["年度"] == "2012"))]
    v.to_csv(raw / "villages.csv", index=False, encoding="utf-8-sig")
    run_validate(raw, tmp_path / "r3", out=io.StringIO(), year=2012)
    p3 = pd.read_csv(tmp_path / "r3" / "validation_report.csv", encoding="utf-8-sig", dtype=str)
    assert list(p3.loc[p3["规则"] == "year:no_villages", "值"]) == [town]
    assert run_validate(raw, tmp_path / "r2", out=io.StringIO(), year=2010) == 2
    p2 = pd.read_csv(tmp_path / "r2" / "validation_report.csv", encoding="utf-8-sig", dtype=str)
    assert (p2["规则"] == "year:assessment").any()


@pytest.mark.parametrize(
    "err,expected",
    [(errno.ENOSPC, "磁盘空间不足"), (errno.EROFS, "无法写入"), (errno.EACCES, "无法写入")],
)
def test_output_faults_name_the_folder_and_publish_nothing(
    base_raw: Path, tmp_path: Path, monkeypatch, capsys, err: int, expected: str
):
    import commeval.files as F

    raw = copy(base_raw, tmp_path / "raw")
    report = tmp_path / "report"
    real = F.os.replace

    def failing(src, dst):
        if str(dst).startswith(str(report)):
            raise OSError(err, F.os.strerror(err))
        return real(src, dst)

    monkeypatch.setattr(F.os, "replace", failing)
    code = main(["validate", "--data", str(raw), "--report-dir", str(report)])
    captured = capsys.readouterr()
    assert code == 2
    assert expected in captured.err and str(report) in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert [p for p in report.iterdir()] == []  # no half-written report, no temp file


def test_dev_full_is_a_full_disk(capsys):
    """Writing to /dev/full fails with ENOSPC as a real full disk does."""
    import commeval.files as F
    from commeval.cli import output_fault

    with pytest.raises(OSError) as info:
        with open("/dev/full", "wb") as fh:
            fh.write(b"x" * 10)
            fh.flush()
    assert output_fault(F._fault(info.value, Path("/dev"))) == 2
    assert "磁盘空间不足" in capsys.readouterr().err


def test_names_unusable_as_file_names_are_accepted(base_raw: Path, tmp_path: Path):
    """A 135-character township name with a slash validates; its page name is cut safely."""
    from commeval.pipeline.plan import MAX_STEM_BYTES, township_href

    raw = copy(base_raw, tmp_path / "raw")
    town = read(raw, "townships").loc[0, "乡镇"]
    long = ("城关/镇" * 34)[:135]
    for table, col in [("townships", "乡镇"), ("villages", "乡镇"), ("survey", "乡镇"),
                       ("population", "乡镇"), ("communities", "乡镇")]:  # fmt: skip
        df = read(raw, table)
        df[col] = df[col].replace({town: long})
        df.to_csv(raw / f"{table}.csv", index=False, encoding="utf-8-sig")
    assert run_validate(raw, tmp_path / "r", out=io.StringIO()) == 0
    name = township_href(long).removeprefix("townships/").removesuffix(".html")
    assert "/" not in name and len(name.encode("utf-8")) <= MAX_STEM_BYTES


def test_legacy_xls_data_sheet_found_without_sheet_name(base_raw: Path, tmp_path: Path):
    """The .xls fixture's first sheet is 填表说明: without `sheet:` the data sheet is found."""
    raw = copy(base_raw, tmp_path / "raw")
    fixture = Path(__file__).parent / "fixtures" / "villages.xls"
    (raw / "villages.xls").write_bytes(fixture.read_bytes())
    (raw / "villages.csv").unlink()
    files(raw, "villages", "villages.xls")
    checked = check_dataset(raw)
    assert checked.located["villages"].sheet != "填表说明"
    assert len(checked.tables["villages"]) == 18


def test_the_same_return_sent_twice(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    names = split_district(raw)
    first = names["villages"][0]
    twin = first.replace("returns/", "returns/副本-")  # also matched by the glob
    (raw / twin).write_bytes((raw / first).read_bytes())
    p = check_dataset(raw).problems
    hit = p[p["rule"] == "duplicate_file"]
    assert len(hit) == 1
    other = twin if hit.iloc[0]["file"] == first else first
    assert hit.iloc[0]["file"] in (first, twin) and other in hit.iloc[0]["message"]
