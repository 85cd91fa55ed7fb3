"""Keeping a project current (issue 21, item 6): ``commeval templates`` rewrites the blank data
templates from the project's current fields (a new field appears with its drop-down list; a
filled file is never touched), ``--per-township`` writes one pre-filled villages file per
township; blank cells of optional project fields are missing, not zero — ``validate`` warns,
``blank: 否`` in fields.yaml says otherwise, and each indicator carries its denominator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from commeval import cli
from commeval.data.checks import check_dataset
from commeval.data.contract import contract, extend_contract
from commeval.errors import EXIT_OK
from commeval.files import sha256_file
from commeval.index import evaluate, parse_framework
from commeval.scaffold import LISTS_SHEET, is_blank_template
from commeval.synthetic import generate_district, write_raw


@pytest.fixture
def blank(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "county", "--district", "某县"]) == EXIT_OK
    return tmp_path / "county"


def dropdown(wb, header: str) -> list[str] | None:
    ws = wb.worksheets[0]
    col = [c.value for c in ws[1]].index(header) + 1
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list" and any(r.min_col == col for r in dv.sqref.ranges):
            ref = dv.formula1.split("!")[1].replace("$", "")
            start, end = ref.split(":")
            lists = wb[LISTS_SHEET]
            return [c.value for row in lists[start:end] for c in row]
    return None


def test_templates_add_a_new_field_and_leave_filled_files_alone(blank, capsys):
    raw = blank / "data" / "raw" / "county"
    # the team has filled the townships table already
    wb = load_workbook(raw / "townships.xlsx")
    wb.worksheets[0].cell(2, 1, "东风镇")
    wb.save(raw / "townships.xlsx")
    filled = sha256_file(raw / "townships.xlsx")
    assert not is_blank_template(raw / "townships.xlsx")
    assert is_blank_template(raw / "villages.xlsx") and is_blank_template(raw / "villages.csv")
    (blank / "config" / "fields.yaml").write_text(
        yaml.safe_dump({
            "villages": {"has_clinic": {"label": "标准化村卫生室", "dtype": "bool"}},
            "townships": {"service_staff": {"label": "社区服务专职人员数", "dtype": "int"}},
        }, allow_unicode=True),
        encoding="utf-8",
    )  # fmt: skip
    capsys.readouterr()
    assert cli.main(["templates", "--project", str(blank)]) == EXIT_OK
    out = capsys.readouterr().out
    wb = load_workbook(raw / "villages.xlsx")
    assert "标准化村卫生室" in [c.value for c in wb.worksheets[0][1]]
    assert dropdown(wb, "标准化村卫生室") == ["是", "否"]
    assert "标准化村卫生室" in (raw / "villages.csv").read_text("utf-8-sig").splitlines()[0]
    assert sha256_file(raw / "townships.xlsx") == filled  # untouched
    assert "townships.xlsx：已填写，未改动；表头缺少新字段：社区服务专职人员数" in out
    assert "villages.xlsx：已按当前字段重写" in out
    # one table only
    assert cli.main(["templates", "--project", str(blank), "--table", "survey"]) == EXIT_OK
    assert "villages" not in capsys.readouterr().out


def test_per_township_returns_list_each_townships_villages(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "demo", "--sample"]) == EXIT_OK
    root = tmp_path / "demo"
    capsys.readouterr()
    code = cli.main(["templates", "--project", str(root), "--per-township", "--year", "2013"])
    assert code == EXIT_OK, capsys.readouterr()
    files = sorted((root / "returns").glob("*.xlsx"))
    assert len(files) == 8  # the sample district's townships
    from commeval.tables import load_tables

    v = load_tables(root)["villages"]
    v = v[v["year"] == v["year"].max()]
    f = next(p for p in files if p.name.startswith("裴城镇"))
    ws = load_workbook(f).worksheets[0]
    head = [c.value for c in ws[1]]
    rows = [dict(zip(head, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    rows = [r for r in rows if r.get("乡镇")]
    assert [r["行政村"] for r in rows] == v.loc[v["township"] == "裴城镇", "village"].tolist()
    assert {r["年度"] for r in rows} == {2013} and {r["乡镇"] for r in rows} == {"裴城镇"}
    pilot = contract()["villages"].fields["is_pilot"].label
    assert dropdown(load_workbook(f), pilot) == ["是", "否"]
    assert f.name == "裴城镇_行政村情况.xlsx"


FIELDS = {
    "villages": {
        "has_clinic": {"label": "标准化村卫生室", "dtype": "bool"},
        "has_canteen": {"label": "老年食堂", "dtype": "bool", "blank": "否"},
    }
}


def dataset(tmp_path):
    t = generate_district(townships=["东风镇", "红旗乡"], villages_per_township=6,
                          respondents_per_village=5, sampled_villages=3, seed=5)  # fmt: skip
    v = t["villages"]
    v["has_clinic"] = pd.array([True, False] * (len(v) // 2), dtype="boolean")
    v["has_canteen"] = pd.array([True] * len(v), dtype="boolean")
    latest = v["year"] == v["year"].max()
    first = v.index[latest & (v["township"] == "东风镇")]
    v.loc[first[:1], "has_clinic"] = pd.NA  # 1 blank of 6 in 东风镇's latest year
    v.loc[first[1:3], "has_canteen"] = pd.NA  # blanks meaning 否
    c = extend_contract(contract(), FIELDS)
    write_raw(t, tmp_path / "raw", contract=c)
    return t, c


def test_blank_cells_are_warned_and_denominators_carried(tmp_path):
    t, c = dataset(tmp_path)
    checked = check_dataset(tmp_path / "raw", contract=c)
    assert checked.ok, checked.problems
    warn = checked.problems[checked.problems["rule"] == "blank_cells"]
    assert warn["field"].tolist() == ["has_clinic"]  # has_canteen declares blank: 否
    assert warn["severity"].tolist() == ["warning"]
    n_rows = len(t["villages"])
    assert warn["value"].tolist() == [f"1/{n_rows}"]
    assert "blank: 否" in warn["message"].iloc[0] and "分母" in warn["message"].iloc[0]
    tables = checked.tables
    canteen = tables["villages"]["has_canteen"]
    assert canteen.notna().all() and int((~canteen.astype(bool)).sum()) == 2  # blank → 否

    doc = {
        "version": "t", "grades": {"好": 60, "差": 0},
        "dimensions": {"d": {"label": "卫生", "weight": 1, "indicators": {
            "clinic": {"label": "卫生室覆盖率", "unit": "%", "source": "100 * share(has_clinic)",
                       "direction": "benefit", "target": 100, "weight": 0.5},
            "canteen": {"label": "老年食堂覆盖率", "unit": "%",
                        "source": "100 * share(has_canteen)", "direction": "benefit",
                        "target": 100, "weight": 0.5}}}},
    }  # fmt: skip
    ev = evaluate(tables, parse_framework(doc, contract=c), mc_draws=0)
    ind = ev.indicators.set_index(["township", "indicator"])
    v = t["villages"][t["villages"]["year"] == t["villages"]["year"].max()]
    dong = v[v["township"] == "东风镇"]
    yes = int(dong["has_clinic"].fillna(False).astype(bool).sum())
    answered = int(dong["has_clinic"].notna().sum())
    assert answered == 5
    row = ind.loc[("东风镇", "clinic")]
    assert (row["numerator"], row["answered"], row["blank"]) == (yes, 5, 1)  # 3/5（1村未填）
    assert row["value"] == pytest.approx(100 * yes / 5)  # not yes / 6
    row = ind.loc[("东风镇", "canteen")]
    assert (row["numerator"], row["answered"], row["blank"]) == (4, 6, 0)
    assert np.isclose(row["value"], 100 * 4 / 6)


def test_blank_key_is_validated(tmp_path):
    from commeval.data.contract import ContractError

    bad = {"villages": {"x": {"label": "某字段", "dtype": "text", "blank": 0}}}
    with pytest.raises(ContractError, match="blank"):
        extend_contract(contract(), bad)
