"""Fixtures for the ingestion tests: a small synthetic raw dataset and a salt kept in tmp."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from commeval.synthetic import generate_district, write_raw


@pytest.fixture(autouse=True)
def _salt(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch ~/.config in tests: the salt file lives in a temp dir."""
    path = tmp_path_factory.getbasetemp() / "salt" / "salt"
    monkeypatch.setenv("COMMEVAL_SALT_FILE", str(path))
    return path


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pd.DataFrame]:
    return generate_district(
        townships=3, villages_per_township=6, respondents_per_village=6, seed=7
    )


@pytest.fixture(scope="session")
def _small_raw(tmp_path_factory: pytest.TempPathFactory, small_tables) -> Path:
    return write_raw(small_tables, tmp_path_factory.mktemp("raw") / "small")


@pytest.fixture
def raw_dir(tmp_path: Path, _small_raw: Path) -> Path:
    """A fresh copy of the small raw dataset (tests may corrupt it)."""
    dst = tmp_path / "raw"
    shutil.copytree(_small_raw, dst)
    return dst


def _tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def tree_hashes():
    """sha256 of every file under a directory (to prove raw files are left unchanged)."""
    return _tree_hashes
