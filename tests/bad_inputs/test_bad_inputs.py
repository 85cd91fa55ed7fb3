"""Every bad input gives its Chinese message and exit code, writes no processed output and leaves
the raw files byte-identical."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest
from bad_input_cases import CASES, Case, build

from commeval.data.ingest import IngestError, ingest
from commeval.data.processed import load_processed
from commeval.data.validate import run_validate, validate_dir


def hashes(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


def test_base_dataset_is_valid(base_raw):
    p = validate_dir(base_raw)
    assert not (p["severity"] == "error").any(), p.to_string()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, base_raw: Path, tmp_path: Path):
    raw = build(case, base_raw, tmp_path / "raw")
    before = hashes(raw)

    out = io.StringIO()
    code = run_validate(raw, tmp_path / "report", out=out)
    assert code == case.exit_code
    problems = validate_dir(raw)
    hit = problems[(problems["rule"] == case.rule) & (problems["severity"] == case.severity)]
    assert len(hit) >= 1, problems.to_string()
    rec = hit.iloc[0]
    assert case.message in rec["message"], rec["message"]
    assert rec["file"] == case.file
    if case.row is not None:
        assert rec["row"] == case.row
    if case.name == "formula_cell":  # no follow-on "required" error for the same cell
        assert rec["field"] == "households"
        assert (problems["severity"] == "error").sum() == 1
    if case.name == "big_file_bad_last_row":
        assert (raw / "survey.csv").stat().st_size > 10 * 1024 * 1024
        n_rows = sum(1 for _ in open(raw / "survey.csv", encoding="utf-8-sig"))
        assert rec["row"] == n_rows  # the last line, as numbered in Excel
        assert (problems["severity"] == "error").sum() == 1
    text = out.getvalue()
    assert case.message in text or len(problems) > 50
    assert (tmp_path / "report" / "validation_report.html").is_file()
    report = pd.read_csv(tmp_path / "report" / "validation_report.csv", encoding="utf-8-sig")
    assert len(report) == len(problems)

    processed = tmp_path / "processed"
    if case.severity == "error":
        with pytest.raises(IngestError) as exc:
            ingest(raw, processed)
        assert (exc.value.problems["rule"] == case.rule).any()
        assert not processed.exists() or not any(processed.iterdir())
    else:
        ingest(raw, processed)
        tables, _ = load_processed(processed)
        assert "411199198001011234" not in " ".join(tables["survey"]["suggestion"].dropna())
        blob = b"".join(p.read_bytes() for p in processed.iterdir())
        assert b"411199198001011234" not in blob
    assert hashes(raw) == before


def test_all_problems_in_one_pass(base_raw, tmp_path):
    """Several broken files at once: every problem is reported, none hides another."""
    raw = tmp_path / "raw"
    for name in ("likert_7", "negative_area", "text_in_number", "formula_cell", "truncated_xlsx"):
        case = next(c for c in CASES if c.name == name)
        if not raw.exists():
            build(case, base_raw, raw)
        else:
            case.build(raw)
    rules = set(validate_dir(raw)["rule"])
    assert {"allowed", "formula_cell", "corrupt_file"} <= rules
