"""Shared fixtures: one small generated district rendered end to end (reused by the end-to-end
and browser tests)."""

from __future__ import annotations

import pytest

from commeval.cli import main
from commeval.data.sample import generate_district, write_raw


@pytest.fixture(scope="session")
def e2e_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    tables = generate_district(
        townships=["东镇", "西乡", "南镇"],
        villages_per_township=5,
        respondents_per_village=10,
        sampled_villages=4,
        seed=2,
    )
    raw = write_raw(tables, root / "raw" / "e2e")
    processed, out = root / "processed", root / "outputs"
    rc = main(
        ["reports", "--data", str(raw), "--processed", str(processed), "--out", str(out),
         "--jobs", "1", "--run-name", "r1"]
    )  # fmt: skip
    return rc, raw, processed, out / "r1"
