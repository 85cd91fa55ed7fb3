"""End-to-end ingestion of the synthetic raw dataset."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from commeval.data.contract import contract
from commeval.data.ingest import IngestError, ingest
from commeval.data.processed import ProcessedDataError, load_processed
from commeval.data.schema import pandas_dtype, processed_columns
from commeval.data.validate import validate_dir


def test_sample_validates_without_errors(raw_dir):
    problems = validate_dir(raw_dir)
    assert list(problems.columns) == [
        "severity", "file", "sheet", "row", "column", "field", "value", "rule", "message",
    ]  # fmt: skip
    assert not (problems["severity"] == "error").any(), problems.to_string()


def test_ingest_writes_contract_tables_and_manifest(raw_dir, tmp_path, small_tables, tree_hashes):
    before = tree_hashes(raw_dir)
    out = tmp_path / "processed"
    result = ingest(raw_dir, out)
    assert tree_hashes(raw_dir) == before  # raw files untouched
    tables, meta = load_processed(out)
    c = contract()
    assert set(tables) == set(c.tables)
    for name, df in tables.items():
        t = c[name]
        assert list(df.columns) == processed_columns(t)
        for col in df.columns:
            want = "boolean" if col.endswith("_dk") else pandas_dtype(t.fields[col])
            assert str(df[col].dtype) == want, (name, col)
        pd.testing.assert_frame_equal(df, result.tables[name])
        assert len(df) == len(small_tables[name])
    assert meta["schema_version"] == c.schema_version
    assert meta["dataset"]["synthetic"] is True
    assert {s["table"] for s in meta["sources"]} == set(c.tables)
    assert all(len(s["sha256"]) == 64 for s in meta["sources"])
    assert set(result.sources.columns) == {"table", "file", "sha256", "bytes", "modified"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["tables"]) == set(c.tables)


def test_no_personal_data_reaches_processed(raw_dir, tmp_path, small_tables):
    out = tmp_path / "processed"
    ingest(raw_dir, out)
    survey = small_tables["survey"]
    blob = b"".join(p.read_bytes() for p in out.iterdir())
    for col in ("phone", "id_number"):
        for v in survey[col].head(30):
            assert v.encode() not in blob
    tables, _ = load_processed(out)
    s = tables["survey"]
    assert not {"name", "phone", "id_number", "address"} & set(s.columns)
    assert not set(s["respondent_id"]) & set(survey["respondent_id"])
    assert s["respondent_id"].is_unique
    assert not s["suggestion"].str.contains(r"1[3-9]\d{9}", regex=True).fillna(False).any()


def test_pseudonyms_are_stable_for_a_salt(raw_dir, tmp_path):
    a = ingest(raw_dir, tmp_path / "a").tables["survey"]["respondent_id"]
    b = ingest(raw_dir, tmp_path / "b").tables["survey"]["respondent_id"]
    pd.testing.assert_series_equal(a, b)
    salt = tmp_path / "other_salt"
    c = ingest(raw_dir, tmp_path / "c", salt_path=salt).tables["survey"]["respondent_id"]
    assert not set(a) & set(c)
    assert (salt.stat().st_mode & 0o777) == 0o600


def test_error_means_nothing_written(raw_dir, tmp_path):
    path = raw_dir / "townships.csv"
    path.write_bytes(path.read_bytes().replace("户籍人口".encode(), b"X"))
    with pytest.raises(IngestError) as exc:
        ingest(raw_dir, tmp_path / "processed")
    assert (exc.value.problems["rule"] == "missing_column").any()
    assert not (tmp_path / "processed").exists() or not any((tmp_path / "processed").iterdir())


def test_partial_processed_set_is_detected(raw_dir, tmp_path):
    out = tmp_path / "processed"
    ingest(raw_dir, out)
    (out / "manifest.json").unlink()  # as after an interrupted run
    with pytest.raises(ProcessedDataError, match="manifest"):
        load_processed(out)
    ingest(raw_dir, out)
    (out / "villages.parquet").write_bytes(b"PAR1 broken")
    with pytest.raises(ProcessedDataError, match="哈希"):
        load_processed(out)


def test_pandera_guard_reports_contract_violations(raw_dir, tmp_path):
    from commeval.data.ingest import schema_problems

    result = ingest(raw_dir, tmp_path / "p")
    assert schema_problems(result.tables).empty
    bad = dict(result.tables)
    s = bad["survey"].copy()
    s.loc[0, "age"] = 7
    s.loc[1, "sat_overall"] = 7
    bad["survey"] = s
    p = schema_problems(bad)
    assert set(p["field"]) == {"age", "sat_overall"}
    assert (p["severity"] == "error").all()


def test_interrupted_write_is_detected(raw_dir, tmp_path, monkeypatch):
    """A crash while renaming tables into place leaves a set load_processed refuses."""
    import os

    from commeval import files

    out = tmp_path / "processed"
    ingest(raw_dir, out)
    real = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", flaky)
    with pytest.raises(OSError):
        ingest(raw_dir, out)
    monkeypatch.setattr(files.os, "replace", real)
    with pytest.raises(ProcessedDataError):
        load_processed(out)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # temp files cleaned up


def test_dataset_structure_problems(tmp_path, raw_dir):
    p = validate_dir(tmp_path / "nope")
    assert p["rule"].tolist() == ["dir_missing"]
    (raw_dir / "dataset.yaml").unlink()  # falls back to file names, with a warning
    p = validate_dir(raw_dir)
    assert "dataset_yaml_missing" in set(p["rule"])
    assert not (p["severity"] == "error").any()
    (raw_dir / "population.csv").unlink()
    p = validate_dir(raw_dir)
    assert "table_missing" in set(p.query("severity == 'error'")["rule"])


def test_unmapped_column_is_reported_not_silently_dropped(raw_dir):
    path = raw_dir / "townships.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines = [lines[0] + ",备注"] + [line + ",无" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    p = validate_dir(raw_dir)
    hit = p[p["rule"] == "unmapped_column"]
    assert hit["column"].tolist() == ["备注"] and (hit["severity"] == "warning").all()


def test_corrupt_sav_is_reported(raw_dir):
    (raw_dir / "population.sav").write_bytes(b"$FL2@(#) truncated")
    (raw_dir / "population.csv").unlink()
    import yaml

    meta = yaml.safe_load((raw_dir / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"]["population"] = {"path": "population.sav"}
    (raw_dir / "dataset.yaml").write_text(
        yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8"
    )
    p = validate_dir(raw_dir)
    assert "corrupt_file" in set(p["rule"])


def test_salt_must_live_outside_the_data(raw_dir, tmp_path):
    with pytest.raises(ValueError, match="盐值文件"):
        ingest(raw_dir, tmp_path / "p", salt_path=tmp_path / "p" / "salt")
    assert not (tmp_path / "p").exists()


def test_dont_know_is_a_flag_in_processed_data(raw_dir, tmp_path):
    """Every Likert column holds 1–5 or missing; 说不清 is in <item>_dk; a user's own estimator
    on the processed table is right by default (equals the weighted mean of the raw 1–5s)."""
    from commeval.survey.design import SurveyDesign
    from commeval.survey.questionnaire import likert_items

    tables = ingest(raw_dir, tmp_path / "processed").tables
    s = tables["survey"]
    raw = pd.read_csv(raw_dir / "survey.csv", dtype=str, encoding="utf-8-sig")
    for item in likert_items():
        assert s[item].dropna().isin([1, 2, 3, 4, 5]).all(), item
        label = contract()["survey"].fields[item].label
        codes = pd.to_numeric(raw[label])
        assert (s[item + "_dk"].to_numpy(dtype=bool) == (codes == 9).to_numpy()).all(), item
    year = int(s["year"].max())
    rows = s[s["year"] == year].reset_index(drop=True)
    est = SurveyDesign(rows, weights="weight", strata="stratum", psu="psu", fpc="fpc",
                       lonely_psu="adjust").mean("sat_overall")  # fmt: skip
    r = raw[pd.to_numeric(raw["调查年度"]) == year]
    x = pd.to_numeric(r["对农村社区建设的总体满意度"])
    w = pd.to_numeric(r["抽样权数"])
    ok = x <= 5
    expected = float((x[ok] * w[ok]).sum() / w[ok].sum())
    got = float(est["estimate"].iloc[0]) if hasattr(est, "iloc") else float(est.estimate)
    assert abs(got - expected) < 1e-9


def test_processed_data_of_the_old_schema_is_re_made(raw_dir, tmp_path):
    out = tmp_path / "processed"
    ingest(raw_dir, out)
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    m["schema_version"] = 1
    (out / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    from commeval.data.freshness import is_current

    assert not is_current(raw_dir, out)  # stale: ensure_processed re-ingests
    with pytest.raises(ProcessedDataError):
        load_processed(out)
