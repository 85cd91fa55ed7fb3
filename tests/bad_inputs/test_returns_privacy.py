"""Personal data wherever it sits: columns holding names (recognised by header — 受访人, 户主,
联系人, 填表人 … — and, among unmapped columns, by content, never township or village names) are
removed and their values redacted from the row's free text; phones in every written form; no name
reaches processed data, the validation report or the feedback workbooks."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
from returns_helpers import copy, read, write

from commeval.data.checks import check_dataset
from commeval.data.ingest import ingest
from commeval.data.returns import looks_like_person, name_column
from commeval.data.validate import run_validate

NAMES = ["马静", "司马联络", "欧阳明月", "王建国", "李秀英", "张伟", "刘洋", "陈娟"]


def _people(raw: Path) -> list[str]:
    """Name-holding columns added to the survey and villages tables; returns every name used."""
    s = read(raw, "survey")
    n = len(s)
    s["受访人"] = [NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else str(i)) for i in range(n)]
    s["受访人"] = [v if v[-1].isdigit() is False else v.rstrip("0123456789") for v in s["受访人"]]
    s["户主"] = [NAMES[(i + 3) % len(NAMES)] for i in range(n)]
    s["备用"] = [NAMES[(i + 5) % len(NAMES)] for i in range(n)]  # unmapped: names by content
    s["意见建议"] = ""
    s.loc[0, "意见建议"] = f"我是{s.loc[0, '受访人']}，村里路灯坏了，电话+8618603951234"
    s.loc[1, "意见建议"] = f"户主{s.loc[1, '户主']}说希望多办文体活动，电话1860 395 1234"
    s.loc[2, "意见建议"] = f"找{s.loc[2, '备用']}联系"
    write(raw, "survey", s)
    v = read(raw, "villages")
    v["村支书"] = [NAMES[i % len(NAMES)] for i in range(len(v))]  # unmapped header, names
    v["联系人及电话"] = [f"村支书{NAMES[1]}联络 13912345678" for _ in range(len(v))]
    write(raw, "villages", v)
    return NAMES


def _all_text(root: Path) -> str:
    out = []
    for p in root.rglob("*"):
        if p.suffix == ".xlsx":
            wb = openpyxl.load_workbook(p)
            out += [str(c) for ws in wb for r in ws.iter_rows(values_only=True) for c in r]
        elif p.is_file():
            out.append(p.read_bytes().decode("utf-8", errors="ignore"))
    return "\n".join(out)


def test_no_name_reaches_processed_data_reports_or_feedback(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    names = _people(raw)
    checked = check_dataset(raw)
    assert checked.ok, checked.problems[checked.problems["severity"] == "error"].to_string()
    dropped = {h for hs in checked.personal_dropped.values() for h in hs}
    assert {"受访人", "户主", "备用", "村支书", "联系人及电话"} <= dropped
    s = checked.tables["survey"]
    assert s["suggestion"].iloc[0].startswith("我是［已隐去］")
    assert "18603951234" not in s["suggestion"].iloc[0]
    assert s["suggestion"].iloc[1] == "户主［已隐去］说希望多办文体活动，电话［已隐去］"
    res = ingest(raw, tmp_path / "processed")
    assert res.manifest is not None
    # a name typed into a number column: quoted in the reports only after redaction
    s2 = read(raw, "survey")
    s2.loc[5, "年龄"] = s2.loc[5, "受访人"]
    write(raw, "survey", s2)
    assert run_validate(raw, tmp_path / "report", out=io.StringIO(), feedback=tmp_path / "fb") == 2
    p = pd.read_csv(tmp_path / "report" / "validation_report.csv", encoding="utf-8-sig", dtype=str)
    age = p[p["规则"] == "type:int"]
    assert len(age) == 1 and age.iloc[0]["值"] == "［已隐去］"
    text = "\n".join([_all_text(tmp_path / "processed"), _all_text(tmp_path / "report"),
                      _all_text(tmp_path / "fb")])  # fmt: skip
    for name in [*names, "18603951234", "13912345678"]:
        assert name not in text, name


def test_place_names_are_never_taken_for_people(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    v = read(raw, "villages")
    v["所在片区"] = v["行政村"]  # an unmapped column of village names (王堂, 孟庙…)
    v["备注"] = [f"{t}" for t in v["乡镇"]]
    write(raw, "villages", v)
    checked = check_dataset(raw)
    assert not checked.personal_dropped.get("villages")
    assert set(checked.problems.loc[checked.problems["rule"] == "unmapped_column", "column"]) >= {
        "所在片区", "备注"
    }  # fmt: skip


def test_person_name_shapes():
    for n in ["马静", "司马联络", "欧阳明月", "王建国", "马静(户主)", "李 娜"]:
        assert looks_like_person(n), n
    for n in [
        "城关镇",
        "王堂村",
        "区民政局",
        "是",
        "非常满意",
        "养老服务站",
        "2011",
        "商桥镇中心社区",
    ]:
        assert not looks_like_person(n), n
    col = pd.Series(["王堂", "孟庙", "李庄"])
    assert not name_column(col, {"王堂", "孟庙"})
    assert name_column(pd.Series(["张伟", "李秀英", None, "王芳"]), set())


def test_what_is_kept_out_of_problems():
    from commeval.data.checks import _secret

    for v in [
        "马静",
        "司马联络",
        "+8618603951234",
        "城关镇王堂村3组",
        "村支书司马联络 13912345678",
    ]:
        assert _secret(v), v
    for v in ["没有", "经常", "是", "一般"]:  # answers of a column dropped for its header (手机)
        assert not _secret(v), v


def test_no_name_reaches_the_published_pages(base_raw: Path, tmp_path: Path):
    """A whole report run on data with name-holding columns: no name in any page or download."""
    import subprocess
    import sys
    import zipfile

    raw = copy(base_raw, tmp_path / "raw")
    names = _people(raw)
    ingest(raw, tmp_path / "processed")
    run = subprocess.run(
        [str(Path(sys.executable).with_name("commeval")), "reports", "--data", str(raw),
         "--processed", str(tmp_path / "processed"), "--out", str(tmp_path / "outputs"),
         "--jobs", "2"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert list((tmp_path / "outputs").rglob("townships/*.html"))
    blobs = [run.stdout, run.stderr]
    for p in (tmp_path / "outputs").rglob("*"):
        if p.suffix in (".xlsx", ".docx") and zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                blobs += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        elif p.is_file():
            blobs.append(p.read_bytes().decode("utf-8", "replace"))
    text = "\n".join(blobs)
    for name in [*names, "18603951234", "13912345678"]:
        assert name not in text, name
