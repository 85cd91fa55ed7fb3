"""问卷星 exports as 问卷星 writes them: option sub-columns headed ``22、(养老服务)`` or
``第22题(养老服务)``, ``(跳过)``/``(空)`` as missing, option codes or texts, 来自IP dropped, and a
multiple-choice question with no option ticked read as "none chosen" (all 0), not missing."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from commeval.data.checks import check_dataset
from commeval.data.contract import contract, extend_contract
from commeval.data.ingest import ingest
from commeval.data.validate import run_validate

NEED = "最需要的服务："


def _hashes(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


def _survey(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "survey.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _as_wjx(root: Path, style: str, cell=lambda v, opt: {"是": "1", "否": "0"}[v]) -> pd.DataFrame:
    """survey.csv with its need_* columns as 问卷星 option sub-columns of question 22, plus the
    platform columns and 来自IP; written as wjx_export.csv (format: wjx)."""
    df = _survey(root)
    need = [c for c in df.columns if c.startswith(NEED)]
    out = pd.DataFrame({"序号": range(1, len(df) + 1), "来自IP": "123.101.50.7(河南-漯河)"})
    for c in df.columns:
        if c in need:
            opt = c.split("：")[1]
            head = f"22、({opt})" if style == "num" else f"第22题({opt})"
            out[head] = [cell(v, opt) for v in df[c]]
        else:
            out[c] = df[c]
    (root / "survey.csv").unlink()
    out.to_csv(root / "wjx_export.csv", index=False, encoding="utf-8-sig")
    meta = yaml.safe_load((root / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"]["survey"] = {"path": "wjx_export.csv", "format": "wjx"}
    (root / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return out


@pytest.fixture
def raw(base_raw, tmp_path):
    root = tmp_path / "raw"
    shutil.copytree(base_raw, root)
    return root


@pytest.mark.parametrize("style", ["num", "di"])
def test_option_subcolumns_map_to_need_fields(base_raw, raw, tmp_path, style):
    ref = ingest(base_raw, tmp_path / "ref").tables["survey"]
    _as_wjx(raw, style)
    before = _hashes(raw)
    result = ingest(raw, tmp_path / "out")
    got = result.tables["survey"]
    need = [c for c in ref.columns if c.startswith("need_")]
    pd.testing.assert_frame_equal(got[need], ref[need])
    assert not (result.problems["rule"] == "unmapped_column").any()
    blob = b"".join(p.read_bytes() for p in (tmp_path / "out").iterdir())
    assert b"123.101.50.7" not in blob  # 来自IP is personal: dropped
    assert "来自IP" in result.manifest["personal_columns_dropped"]["survey"]
    assert _hashes(raw) == before


def test_option_texts_and_blank_cells(raw, tmp_path):
    """Cells holding the option's own text when ticked and empty when not (问卷星 按文本)."""
    _as_wjx(raw, "num", cell=lambda v, opt: opt if v == "是" else "")
    df = _survey_from(raw)
    ref = df.filter(like="(").map(lambda v: v != "")
    got = ingest(raw, tmp_path / "out").tables["survey"]
    assert got.filter(like="need_").to_numpy().sum() == ref.to_numpy().sum()


def _survey_from(root: Path) -> pd.DataFrame:
    return pd.read_csv(
        root / "wjx_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )


def test_none_chosen_is_all_zero_not_missing(raw, tmp_path):
    df = _as_wjx(raw, "num")
    opts = [c for c in df.columns if c.startswith("22、")]
    df.loc[0, opts] = "0"  # row 2: no option ticked
    df.loc[1, opts] = ""  # row 3: no option ticked, cells left empty
    df.to_csv(raw / "wjx_export.csv", index=False, encoding="utf-8-sig")
    result = ingest(raw, tmp_path / "out")
    assert not (result.problems["rule"] == "required").any()
    need = result.tables["survey"].filter(like="need_")
    assert not need.iloc[0].any() and not need.iloc[1].any()
    assert need.iloc[:2].notna().all().all()


@pytest.mark.parametrize("token", ["(跳过)", "(空)"])
def test_skipped_or_empty_is_missing(raw, tmp_path, token):
    df = _as_wjx(raw, "di")
    opts = [c for c in df.columns if c.startswith("第22题")]
    df.loc[3, opts] = token
    df.loc[4, "年龄"] = token
    df.to_csv(raw / "wjx_export.csv", index=False, encoding="utf-8-sig")
    before = _hashes(raw)
    p = check_dataset(raw).problems
    req = p[p["rule"] == "required"]
    assert set(req["row"]) == {5, 6}  # Excel rows: missing, reported as required (必填项为空)
    assert not (p["rule"].str.startswith("type:")).any()
    assert run_validate(raw, tmp_path / "rep", out=open(tmp_path / "log", "w")) == 2
    assert not (tmp_path / "out").exists() and _hashes(raw) == before


def test_combined_column_with_option_codes(raw, tmp_path, base_raw):
    ref = ingest(base_raw, tmp_path / "ref").tables["survey"]
    df = _survey(raw)
    need = [c for c in df.columns if c.startswith(NEED)]
    codes = df[need].apply(
        lambda r: "┋".join(str(k + 1) for k, c in enumerate(need) if r[c] == "是"), axis=1
    )
    df = df.drop(columns=need)
    df["22、您最需要的服务：【多选题】"] = codes  # blank = none chosen
    df.to_csv(raw / "survey.csv", index=False, encoding="utf-8-sig")
    result = ingest(raw, tmp_path / "out")
    cols = [c for c in ref.columns if c.startswith("need_")]
    pd.testing.assert_frame_equal(result.tables["survey"][cols], ref[cols])


def test_fields_yaml_multi_question_subcolumns(raw, tmp_path):
    fields = tmp_path / "fields.yaml"
    fields.write_text(
        "survey:\n  channel:\n    label: 了解政策的渠道\n    kind: multi\n"
        "    options: {a: 村广播, b: 微信群, c: 村务公开栏}\n",
        encoding="utf-8",
    )
    c = extend_contract(contract(), fields)
    df = _as_wjx(raw, "num")
    n = len(df)
    df["23、(村广播)"] = ["1", "0"] * (n // 2) + ["1"] * (n % 2)
    df["23、(微信群)"] = "(跳过)"
    df.loc[0, "23、(微信群)"] = "1"
    df["23、(村务公开栏)"] = "0"
    df.to_csv(raw / "wjx_export.csv", index=False, encoding="utf-8-sig")
    checked = check_dataset(raw, contract=c)
    s = checked.tables["survey"]
    names = [f.name for f in c["survey"].fields.values() if f.question == "channel"]
    assert len(names) == 3
    assert s[names[0]].iloc[0] and not s[names[0]].iloc[1]
    assert s[names[1]].iloc[0] and s[names[1]].iloc[1:].isna().all()
    assert not checked.problems["rule"].eq("unmapped_column").any()
