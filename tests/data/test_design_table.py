"""The dataset's design table: ingestion fills the survey's stratum, PSU, weight and FPC from
the selection's design file, village by village, and warns on respondents outside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from commeval.data.ingest import ingest


def _with_design(raw_dir, drop_village: str | None = None, typed: bool = False):
    """Remove the typed design columns from the survey (or keep them, ``typed``) and add a
    design file covering the survey's villages (all but ``drop_village``)."""
    survey = pd.read_csv(raw_dir / "survey.csv", encoding="utf-8-sig", dtype=str)
    villages = survey[["乡镇", "行政村"]].drop_duplicates()
    rows = []
    for i, (t, v) in enumerate(villages.itertuples(index=False)):
        if v == drop_village:
            continue
        for k in range(3):
            rows.append(dict(township=t, village=v, household_no=f"{k + 1:04d}", reserve=0,
                             village_prob=0.5, household_prob=0.01, weight=200.0 + i,
                             fpc=6, fpc2=300))  # fmt: skip
        rows.append(dict(township=t, village=v, household_no="0099", reserve=1,
                         village_prob=0.5, household_prob=0.01, weight=200.0 + i, fpc=6,
                         fpc2=300))  # fmt: skip
    pd.DataFrame(rows).to_csv(raw_dir / "design.csv", index=False, encoding="utf-8-sig")
    if not typed:
        survey = survey.drop(columns=["抽样层", "初级抽样单元（村）", "抽样权数", "层内村总数"])
        survey.to_csv(raw_dir / "survey.csv", index=False, encoding="utf-8-sig")
    meta = yaml.safe_load((raw_dir / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"]["design"] = {"path": "design.csv"}
    (raw_dir / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    return pd.DataFrame(rows)


def test_design_fills_the_survey_design_columns(raw_dir, tmp_path):
    design = _with_design(raw_dir)
    res = ingest(raw_dir, tmp_path / "processed")
    s = res.tables["survey"]
    w = design.groupby(["township", "village"])["weight"].first()
    expect = w.reindex(pd.MultiIndex.from_arrays([s["township"], s["village"]])).to_numpy()
    np.testing.assert_allclose(s["weight"].to_numpy(), expect)
    assert (s["stratum"] == s["township"]).all()
    assert (s["psu"] == s["township"] + "/" + s["village"]).all()
    assert (s["fpc"] == 6).all()
    assert not (res.problems["rule"] == "design_outside").any()
    # a design file without a year over a questionnaire of several years: said so
    assert s["year"].nunique() > 1
    assert (res.problems["rule"] == "design_no_year").sum() == 1


def test_respondents_outside_the_selection_are_warned(raw_dir, tmp_path):
    survey = pd.read_csv(raw_dir / "survey.csv", encoding="utf-8-sig", dtype=str)
    dropped = survey["行政村"].iloc[0]
    _with_design(raw_dir, drop_village=dropped, typed=True)
    res = ingest(raw_dir, tmp_path / "processed")
    out = res.problems[res.problems["rule"] == "design_outside"]
    assert len(out) == int((survey["行政村"] == dropped).sum())
    assert (out["severity"] == "warning").all()
    assert out["row"].min() == 2  # the first data row, as Excel shows it
    # typed values differ from the design elsewhere: replaced, and said so
    assert (res.problems["rule"] == "design_overrides").any()
    s = res.tables["survey"]
    kept = s[s["village"] == dropped]
    typed = pd.to_numeric(survey.loc[survey["行政村"] == dropped, "抽样权数"]).to_numpy()
    np.testing.assert_allclose(kept["weight"].to_numpy(), typed)


def test_a_design_file_missing_is_an_error(raw_dir, tmp_path):
    meta = yaml.safe_load((raw_dir / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"]["design"] = {"path": "nothing.csv"}
    (raw_dir / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    from commeval.data.ingest import IngestError

    try:
        ingest(raw_dir, tmp_path / "processed")
    except IngestError as e:
        assert (e.problems["rule"] == "design_missing").any()
    else:  # pragma: no cover
        raise AssertionError("ingest should fail")
    assert not (tmp_path / "processed").exists()


def test_a_year_design_fills_that_year_and_the_probabilities(raw_dir, tmp_path):
    """A design file with a year column (`survey draw --year`) is that year's selection: its
    rows get the design's columns and the villages' and households' probabilities (for THE
    year design's PPS variance); rows of other years keep what was typed, with a warning."""
    survey = pd.read_csv(raw_dir / "survey.csv", encoding="utf-8-sig", dtype=str)
    year = int(survey["调查年度"].astype(int).max())
    design = _with_design(raw_dir, typed=True)
    design.insert(0, "year", year)
    design["village_prob"] = 0.25 + 0.01 * design.groupby(["township", "village"]).ngroup()
    design.to_csv(raw_dir / "design.csv", index=False, encoding="utf-8-sig")
    res = ingest(raw_dir, tmp_path / "processed")
    s = res.tables["survey"]
    now = (s["year"] == year).to_numpy()
    assert now.any() and (~now).any()
    key = pd.MultiIndex.from_arrays([s["township"], s["village"]])
    by_village = design.groupby(["township", "village"])
    np.testing.assert_allclose(
        s.loc[now, "weight"], by_village["weight"].first().reindex(key[now]).to_numpy()
    )
    np.testing.assert_allclose(
        s.loc[now, "village_prob"], by_village["village_prob"].first().reindex(key[now]).to_numpy()
    )
    assert (s.loc[now, "household_prob"] == 0.01).all()
    assert s.loc[~now, ["village_prob", "household_prob"]].isna().all().all()
    typed = pd.to_numeric(survey["抽样权数"]).to_numpy()
    np.testing.assert_allclose(s.loc[~now, "weight"], typed[~now])
    other = res.problems[res.problems["rule"] == "design_other_years"]
    assert len(other) == 1 and f"{int((~now).sum())} 行" in other["message"].iloc[0]
    assert not (res.problems["rule"] == "design_no_year").any()
