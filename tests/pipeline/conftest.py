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

from commeval import cli
from commeval.pipeline.config import Notebooks, RunConfig

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

    def input_hashes(self, townships: list[str]) -> dict[str, str]:
        return {t: self.input_hash(t) for t in townships}

    @property
    def district_key(self) -> str:
        return hashlib.sha256(json.dumps(self.versions, sort_keys=True).encode()).hexdigest()


@dataclass
class FakeDistricts:
    """The run's :class:`~commeval.pipeline.run.Districts`: one fake district, processed folder
    ``processed``; records each load's year. Its kernel warm-up records that it ran and leaves a
    name behind (the reset before the first report must remove it, as after any report)."""

    district: FakeDistrict
    processed: Path
    warm_log: Path
    loads: list = field(default_factory=list)

    def ensure_processed(self, data_dir, processed_dir):
        return self.processed

    def load(self, data_dir, processed_dir, year):
        self.loads.append(year)
        if year not in (None, self.district.year):
            raise ValueError(f"评估年度 {year} 不在数据中")
        return self.district

    def warmup(self, data_dir, processed_dir, year):
        log = str(self.warm_log)
        return f"leaked = 'warm-up'\nwith open({log!r}, 'a') as f:\n    f.write('w')\n"


@pytest.fixture
def fake_district(tmp_path):
    """A stand-in district; bump ``.versions[name]`` (and call ``.touch()``) to change its data."""
    d = FakeDistrict(list(TOWNSHIPS))
    processed = tmp_path / "processed"
    processed.mkdir()

    def touch() -> None:
        tables = {"t": {"sha256": d.district_key}}
        (processed / "manifest.json").write_text(json.dumps({"tables": tables}))

    touch()
    d.touch = touch
    d.processed = processed
    d.data = tmp_path / "raw"
    d.data.mkdir()
    d.warm_log = tmp_path / "warm.log"
    d.source = FakeDistricts(d, processed, d.warm_log)
    d.loads = d.source.loads
    return d


@pytest.fixture
def run_reports(fake_district, tmp_path):
    """``commeval reports`` (:func:`commeval.cli.reports`) on the fake district and the test
    notebooks; keywords are :class:`RunConfig` fields (``township_notebook``,
    ``summary_notebook`` for its notebooks). Returns the exit code."""

    def call(**kw):
        nbs = Notebooks(
            Path(kw.pop("township_notebook", TOWNSHIP_NB)),
            Path(kw.pop("summary_notebook", SUMMARY_NB)),
        )
        args = dict(
            data_dir=fake_district.data,
            processed_dir=fake_district.processed,
            out_dir=tmp_path / "out",
            jobs=2,
            timeout=60,
            notebooks=nbs,
        )
        args.update(kw)
        return cli.reports(RunConfig(**args), districts=fake_district.source)

    return call


def manifest(out: Path, run: str = "latest") -> dict:
    return json.loads((out / run / "manifest.json").read_text(encoding="utf-8"))
