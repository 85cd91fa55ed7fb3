"""`commeval` maps every InputError to exit code 2 with one message and no traceback — a corrupt
processed folder included (it is invalid input, not a failed evaluation)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from commeval.cli import main
from commeval.data.ingest import ingest
from commeval.errors import CommevalError, InputError
from commeval.synthetic import generate_district, write_raw

COMMEVAL = str(Path(sys.executable).with_name("commeval"))


@pytest.fixture
def processed_district(tmp_path):
    tables = generate_district(
        townships=2, villages_per_township=4, respondents_per_village=8, sampled_villages=3
    )
    raw = write_raw(tables, tmp_path / "raw" / "d")
    processed = tmp_path / "processed" / "d"
    ingest(raw, processed)
    return raw, processed


def reports(raw: Path, processed: Path, out: Path) -> subprocess.CompletedProcess:
    cmd = [COMMEVAL, "reports", "--data", str(raw), "--processed", str(processed),
           "--out", str(out), "--jobs", "1"]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=out.parent)


def test_corrupt_processed_parquet_is_invalid_input(processed_district, tmp_path):
    raw, processed = processed_district
    table = processed / "villages.parquet"
    data = bytearray(table.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\0" * 64  # damaged on disk
    table.write_bytes(bytes(data))
    res = reports(raw, processed, tmp_path / "out")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert "输入无效 (invalid input)" in res.stderr and "villages.parquet" in res.stderr
    assert not (tmp_path / "out" / "latest").exists()


def test_unreadable_parquet_with_matching_manifest_is_invalid_input(processed_district, tmp_path):
    """Even when the manifest's checksum matches (the file was written broken)."""
    from commeval.files import sha256_file

    raw, processed = processed_district
    table = processed / "survey.parquet"
    table.write_bytes(b"PAR1 this is not parquet PAR1")
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    manifest["tables"]["survey"]["sha256"] = sha256_file(table)
    (processed / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    res = reports(raw, processed, tmp_path / "out")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "survey.parquet" in res.stderr


def test_every_input_error_exits_2_in_process(tmp_path, capsys):
    assert main(["process", "--data", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("输入无效") and "Traceback" not in err
    assert main(["reports", "--data", str(tmp_path), "--run-name", "../x"]) == 2
    assert "用法错误 (usage error)" in capsys.readouterr().err
    assert issubclass(InputError, CommevalError)
