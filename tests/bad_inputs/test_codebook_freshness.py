"""Editing the dataset's own codebook makes its processed tables stale: the next run re-ingests."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from commeval.data.freshness import is_current
from commeval.data.ingest import ingest


def test_editing_the_dataset_codebook_re_ingests(base_raw: Path, tmp_path: Path):
    raw = tmp_path / "raw"
    shutil.copytree(base_raw, raw)
    meta = yaml.safe_load((raw / "dataset.yaml").read_text("utf-8"))
    meta["codebook"] = "codebook.yaml"
    (raw / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    codebook = raw / "codebook.yaml"
    codebook.write_text("headers:\n  villages:\n    population: [户籍总人口]\n", "utf-8")
    ingest(raw, tmp_path / "processed")
    assert is_current(raw, tmp_path / "processed")
    codebook.write_text("headers:\n  villages:\n    population: [户籍总人口, 全村人口]\n", "utf-8")
    assert not is_current(raw, tmp_path / "processed")
    ingest(raw, tmp_path / "processed")
    assert is_current(raw, tmp_path / "processed")
