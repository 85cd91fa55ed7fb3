"""commeval.load_tables: a project, a raw dataset folder or a processed folder → the canonical
tables; ingests when stale; ``import commeval`` stays light (the loader is imported lazily)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import commeval
from commeval.synthetic import generate_district, write_raw
from commeval.tables import TablesPathError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    tables = generate_district(
        townships=["东镇", "西乡"], villages_per_township=3, respondents_per_village=5,
        sampled_villages=2, seed=3,
    )  # fmt: skip
    return write_raw(tables, tmp_path_factory.mktemp("t") / "raw" / "small")


def test_import_commeval_is_light_and_load_tables_lazy():
    code = "import sys, commeval; assert 'pandas' not in sys.modules; commeval.load_tables; " \
        "assert 'commeval.tables' in sys.modules; print('ok')"  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "ok", out.stderr
    assert "load_tables" in dir(commeval)
    with pytest.raises(AttributeError):
        commeval.no_such_thing  # noqa: B018


def test_a_raw_folder_is_ingested_once_then_read(raw):
    tables = commeval.load_tables(raw)
    assert set(tables) >= {"townships", "villages", "survey"}
    processed = raw.parent.parent / "processed" / "small"
    manifest = processed / "manifest.json"
    assert manifest.is_file()
    before = manifest.stat().st_mtime_ns
    again = commeval.load_tables(raw)
    assert manifest.stat().st_mtime_ns == before  # current: not re-ingested
    assert again["survey"].equals(tables["survey"])
    # a processed folder is read as it is
    direct = commeval.load_tables(processed)
    assert direct["villages"].equals(tables["villages"])
    # a changed raw file makes it stale
    (raw / "townships.csv").write_text(
        (raw / "townships.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    commeval.load_tables(raw)
    assert manifest.stat().st_mtime_ns != before


def test_the_repository_project_and_the_working_directory(monkeypatch):
    by_path = commeval.load_tables(ROOT)
    monkeypatch.chdir(ROOT / "docs")  # found upward, as the commeval command finds it
    here = commeval.load_tables()
    assert set(by_path) == set(here)
    assert by_path["survey"].equals(here["survey"])
    assert commeval.load_tables(ROOT / "commeval.yaml")["villages"].equals(by_path["villages"])


def test_another_folder_is_an_input_error(tmp_path):
    with pytest.raises(TablesPathError, match="不是项目"):
        commeval.load_tables(tmp_path)
