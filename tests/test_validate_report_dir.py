"""`commeval validate --report-dir D` writes its report to D and nowhere else (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

COMMEVAL = Path(sys.executable).with_name("commeval")


@pytest.mark.slow
def test_validation_report_goes_only_to_the_chosen_folder(tmp_path):
    out = subprocess.run(
        [str(COMMEVAL), "init", str(tmp_path / "p"), "--sample"], capture_output=True, timeout=300
    )
    assert out.returncode == 0
    project = tmp_path / "p"
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    report = tmp_path / "elsewhere"
    out = subprocess.run(
        [str(COMMEVAL), "validate", "--report-dir", str(report)],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted(p.name for p in report.iterdir()) == [
        "validation_report.csv",
        "validation_report.html",
    ]
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert after == before  # nothing written into the project (raw files byte-identical)
