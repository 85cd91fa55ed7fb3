"""Fixtures for the report pipeline tests: small test notebooks and a stand-in district.

The pipeline is tested with tests/pipeline/notebooks/*.ipynb (written by make_notebooks.py) and a
fake district, so these tests do not depend on the report content or the index engine.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from commeval.pipeline import run as run_mod

NOTEBOOKS = Path(__file__).parent / "notebooks"
TOWNSHIP_NB = NOTEBOOKS / "township.ipynb"
SUMMARY_NB = NOTEBOOKS / "summary.ipynb"
TOWNSHIPS = ["甲镇", "乙镇", "丙乡", "丁镇"]


@dataclass
class FakeDistrict:
    townships: list[str]
    year: int = 2012
    name: str = "测试区"
    synthetic: bool = True
    versions: dict[str, int] = field(default_factory=dict)

    def input_hash(self, township: str) -> str:
        return hashlib.sha256(f"{township}:{self.versions.get(township, 0)}".encode()).hexdigest()

    @property
    def district_key(self) -> str:
        return hashlib.sha256(json.dumps(self.versions, sort_keys=True).encode()).hexdigest()


@pytest.fixture
def fake_district(tmp_path, monkeypatch):
    """A stand-in district; bump ``.versions[name]`` (and call ``.touch()``) to change its data."""
    d = FakeDistrict(list(TOWNSHIPS))
    processed = tmp_path / "processed"
    processed.mkdir()
    loads = []

    def touch() -> None:
        tables = {"t": {"sha256": d.district_key}}
        (processed / "manifest.json").write_text(json.dumps({"tables": tables}))

    touch()
    d.touch = touch
    d.loads = loads
    d.processed = processed
    d.data = tmp_path / "raw"
    d.data.mkdir()
    monkeypatch.setattr(run_mod, "ensure_processed", lambda data_dir, processed_dir: processed)

    def load(data_dir, processed_dir, year):
        loads.append(year)
        if year not in (None, d.year):
            raise ValueError(f"评估年度 {year} 不在数据中")
        return d

    monkeypatch.setattr(run_mod, "load_district", load)
    # the kernels' district warm-up: record that it ran and leave a name behind (the reset
    # before the first report must remove it, as after any report)
    d.warm_log = tmp_path / "warm.log"

    def warmup(data_dir, processed_dir, year):
        return f"leaked = 'warm-up'\nwith open({str(d.warm_log)!r}, 'a') as f:\n    f.write('w')\n"

    monkeypatch.setattr(run_mod, "district_warmup", warmup)
    return d


@pytest.fixture
def run_reports(fake_district, tmp_path):
    """``run_reports`` on the fake district and the test notebooks (keywords override)."""

    def call(**kw):
        args = dict(
            data_dir=fake_district.data,
            processed_dir=fake_district.processed,
            out_dir=tmp_path / "out",
            jobs=2,
            timeout=60,
            township_notebook=TOWNSHIP_NB,
            summary_notebook=SUMMARY_NB,
        )
        args.update(kw)
        return run_mod.run_reports(**args)

    return call


def manifest(out: Path, run: str = "latest") -> dict:
    return json.loads((out / run / "manifest.json").read_text(encoding="utf-8"))
