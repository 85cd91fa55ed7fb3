"""Round trips: the same dataset delivered as GBK CSV, as .xlsx with Chinese headers and a title
row, as SPSS .sav with value labels and as a 问卷星 export ingests to the same processed tables
as the canonical UTF-8 CSV files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml

from commeval.data.contract import contract
from commeval.data.ingest import ingest
from commeval.data.processed import load_processed
from commeval.synthetic import to_raw_frame


def _dataset_yaml(root: Path, files: dict, **extra) -> None:
    meta = {"name": "round trip", "synthetic": True, "files": files, **extra}
    (root / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def reference(raw_dir, tmp_path):
    ingest(raw_dir, tmp_path / "ref")
    return load_processed(tmp_path / "ref")[0]


def _assert_same(reference: dict[str, pd.DataFrame], processed_dir: Path) -> None:
    tables, _ = load_processed(processed_dir)
    assert set(tables) == set(reference)
    for name in reference:
        pd.testing.assert_frame_equal(tables[name], reference[name], obj=name)


def write_gbk(tables: dict[str, pd.DataFrame], root: Path) -> Path:
    root.mkdir(parents=True)
    files = {}
    for i, (name, df) in enumerate(tables.items()):
        to_raw_frame(name, df).to_csv(root / f"{name}.csv", index=False, encoding="gbk")
        # declared for some files, detected for the others
        files[name] = {"path": f"{name}.csv", **({"encoding": "gbk"} if i % 2 else {})}
    _dataset_yaml(root, files)
    return root


def write_xlsx(tables: dict[str, pd.DataFrame], root: Path) -> Path:
    """One workbook, a sheet per table: a merged title row, an empty row, Chinese headers,
    numbers as numbers, township cells merged vertically in the villages sheet."""
    root.mkdir(parents=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    files = {}
    for k, (name, df) in enumerate(tables.items()):
        raw = to_raw_frame(name, df)
        ws = wb.create_sheet(contract()[name].label[:20])
        ws.append([f"郾城区{contract()[name].label}统计表"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(raw.columns))
        ws.append([])
        ws.append(list(raw.columns))
        for rec in raw.itertuples(index=False):
            ws.append([None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v)
                       for v in rec])  # fmt: skip
        if name == "villages":  # merged township cells, as district offices like to do
            col = list(raw.columns).index("乡镇") + 1
            town = raw["乡镇"].to_numpy()
            start = 0
            for i in range(1, len(town) + 1):
                if i == len(town) or town[i] != town[start]:
                    if i - start > 1:
                        ws.merge_cells(start_row=4 + start, start_column=col,
                                       end_row=3 + i, end_column=col)  # fmt: skip
                    start = i
        files[name] = {"path": "district.xlsx", "sheet": ws.title if k % 2 else k}
    wb.save(root / "district.xlsx")
    _dataset_yaml(root, files)
    return root


def write_sav(tables: dict[str, pd.DataFrame], root: Path) -> Path:
    """SPSS files: canonical variable names, Chinese variable labels, value labels; gender coded
    0=男/1=女 and booleans 1=是/2=否 to show that labels (not codes) carry the meaning."""
    root.mkdir(parents=True)
    files = {}
    c = contract()
    for name, df in tables.items():
        t = c[name]
        out = {}
        value_labels = {}
        for col in df.columns:
            f = t.fields[col]
            s = df[col]
            if f.dtype == "bool":
                out[col] = np.where(s.astype(bool), 1.0, 2.0)
                value_labels[col] = {1.0: "是", 2.0: "否"}
            elif col == "gender":
                out[col] = s.astype(float) - 1
                value_labels[col] = {0.0: "男", 1.0: "女"}
            elif f.dtype == "category":
                out[col] = s.astype(float)
                value_labels[col] = {float(k): v for k, v in f.codes.items()}
            elif f.dtype in ("int", "float"):
                out[col] = pd.to_numeric(s, errors="coerce").astype(float)
            elif f.dtype == "level":
                out[col] = s.map(dict(zip(f.allowed, f.allowed_labels))).astype(object)
            else:
                out[col] = s.astype(object).where(s.notna(), "")
        frame = pd.DataFrame(out)
        labels = [t.fields[col].label for col in frame.columns]
        pyreadstat.write_sav(frame, str(root / f"{name}.sav"), column_labels=labels,
                             variable_value_labels=value_labels)  # fmt: skip
        files[name] = {"path": f"{name}.sav"}
    _dataset_yaml(root, files)
    return root


def wjx_frame(survey: pd.DataFrame) -> pd.DataFrame:
    """The raw survey as a 问卷星 export: platform columns, numbered questions, answer texts,
    one 1/0 column per option of the multiple-choice question."""
    t = contract()["survey"]
    raw = to_raw_frame("survey", survey)
    n = len(raw)
    out: dict[str, object] = {
        "序号": np.arange(1, n + 1),
        "提交答卷时间": "2012/10/8 9:30:15",
        "所用时间": "412秒",
        "来源": "手机提交",
        "来源详情": "直接访问",
        "来自IP": "123.101.50.7(河南-漯河)",
    }
    q = 0
    needs_q = None
    for col in survey.columns:
        f = t.fields[col]
        s = raw[f.label]
        if f.group == "needs":
            if needs_q is None:
                q += 1
                needs_q = q
            opt = f.label.split("：")[1]
            out[f"{needs_q}、您最需要的服务：({opt})"] = s.map({"是": 1, "否": 0})
            continue
        q += 1
        if f.dtype == "category":
            s = survey[col].map(f.codes)  # answer texts, e.g. 非常满意
        if col in ("gender", "age", "education", "occupation"):
            header = f"{q}、您的{f.label}："
        elif f.group == "likert" and col not in ("sat_overall", "willing_to_move"):
            header = f"{q}、您对{f.label}的满意度："
        elif col == "sat_overall":
            header = f"{q}、您对本村农村社区建设的总体满意度："
        elif col == "willing_to_move":
            header = f"{q}、您是否愿意入住新型农村社区？"
        elif f.group == "participation":
            header = f"{q}、您是否{f.label}？"
        elif col == "suggestion":
            header = f"{q}、您对农村社区建设还有什么意见和建议？"
            s = s.where(s.fillna("") != "", "(跳过)")
        else:
            header = f"{q}、{f.label}："
        out[header] = s
    return pd.DataFrame(out)


def write_wjx(tables: dict[str, pd.DataFrame], root: Path) -> Path:
    root.mkdir(parents=True)
    files = {}
    for name, df in tables.items():
        if name == "survey":
            wjx_frame(df).to_excel(root / "wjx_export.xlsx", index=False)
            files[name] = {"path": "wjx_export.xlsx", "format": "wjx"}
        else:
            to_raw_frame(name, df).to_csv(root / f"{name}.csv", index=False, encoding="utf-8-sig")
            files[name] = {"path": f"{name}.csv"}
    _dataset_yaml(root, files)
    return root


@pytest.mark.parametrize("writer", [write_gbk, write_xlsx, write_sav], ids=["gbk", "xlsx", "sav"])
def test_round_trip(writer, small_tables, reference, tmp_path):
    raw = writer(small_tables, tmp_path / "variant")
    result = ingest(raw, tmp_path / "out")
    assert not (result.problems["severity"] == "error").any()
    _assert_same(reference, tmp_path / "out")


def test_round_trip_wjx(small_tables, reference, tmp_path):
    raw = write_wjx(small_tables, tmp_path / "variant")
    result = ingest(raw, tmp_path / "out")
    _assert_same(reference, tmp_path / "out")
    warned = result.problems.query("rule == 'ignored_column'")["column"].tolist()
    assert warned == ["序号", "提交答卷时间", "所用时间", "来源", "来源详情"]
    assert b"123.101.50.7" not in b"".join(p.read_bytes() for p in (tmp_path / "out").iterdir())


def test_xlsx_problem_rows_are_excel_rows(small_tables, tmp_path):
    tables = dict(small_tables)
    v = tables["villages"].copy()
    v.loc[4, "service_center_m2"] = -5.0
    tables["villages"] = v
    raw = write_xlsx(tables, tmp_path / "x")
    from commeval.data.validate import validate_dir

    p = validate_dir(raw).query("severity == 'error'")
    assert len(p) == 1
    rec = p.iloc[0]
    assert rec["row"] == 3 + 4 + 1  # title row, empty row, header row, then data row 5
    assert rec["sheet"] == contract()["villages"].label[:20]
    assert rec["column"] == "社区服务中心建筑面积"
    assert "不能为负数" in rec["message"]
