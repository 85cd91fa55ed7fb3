"""A 问卷星 multiple-choice question exported in one column (options joined by ┋)."""

from __future__ import annotations

import pandas as pd

from commeval.data.ingest import ingest
from commeval.data.validate import validate_dir


def _at_least_one_need(raw_dir):
    path = raw_dir / "survey.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    need_cols = [c for c in df.columns if c.startswith("最需要的服务：")]
    none = (df[need_cols] == "否").all(axis=1)
    df.loc[none, need_cols[0]] = "是"
    df.to_csv(path, index=False, encoding="utf-8-sig")


def _combine(raw_dir, extra_answer=None):
    path = raw_dir / "survey.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    need_cols = [c for c in df.columns if c.startswith("最需要的服务：")]
    picked = df[need_cols].apply(
        lambda r: "┋".join(c.split("：")[1] for c in need_cols if r[c] == "是"), axis=1
    )
    df = df.drop(columns=need_cols)
    df["8、您最需要的服务："] = picked.replace("", "(跳过)")
    if extra_answer:
        df.loc[0, "8、您最需要的服务："] = extra_answer
    df.to_csv(path, index=False, encoding="utf-8-sig")


def test_combined_column_becomes_one_bool_per_option(raw_dir, tmp_path):
    _at_least_one_need(raw_dir)
    ref = ingest(raw_dir, tmp_path / "a").tables["survey"]
    _combine(raw_dir)
    got = ingest(raw_dir, tmp_path / "b").tables["survey"]
    pd.testing.assert_frame_equal(got, ref)


def test_skipped_required_question_is_an_error(raw_dir):
    _combine(raw_dir, extra_answer="(跳过)")
    p = validate_dir(raw_dir)
    bad = p[(p["rule"] == "required") & (p["column"] == "8、您最需要的服务：")]
    assert 2 in bad["row"].tolist()


def test_unknown_option_is_an_error(raw_dir):
    _at_least_one_need(raw_dir)
    _combine(raw_dir, extra_answer="养老服务┋心理辅导")
    p = validate_dir(raw_dir)
    bad = p[(p["severity"] == "error") & (p["column"] == "8、您最需要的服务：")]
    assert bad["row"].tolist() == [2]
    assert "未知选项" in bad["message"].iloc[0]
