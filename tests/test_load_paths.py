"""One way to load: every path to the processed tables — load_tables, load_district (the report
and research notebooks), the batch pipeline (the CLI's `reports`) — goes through the one
"ingest if stale", commeval.project.ensure_processed; the derived-result cache imports no class
by name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import commeval
from commeval import derived
from commeval import project as project_mod

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "commeval"
RAW = ROOT / "data" / "raw" / "sample_district"


@pytest.fixture
def calls(monkeypatch):
    seen: list[tuple] = []
    real = project_mod.ensure_processed

    def counting(data_dir, processed_dir=None, project=None):
        seen.append((Path(data_dir), processed_dir))
        return real(data_dir, processed_dir, project)

    monkeypatch.setattr(project_mod, "ensure_processed", counting)
    return seen


def test_every_path_goes_through_the_one_function(calls, tmp_path):
    from commeval.district import _LOADED, load_district
    from commeval.pipeline.run import ReportDistricts
    from commeval.report.notebook import load

    processed = tmp_path / "p"
    commeval.load_tables(RAW, processed_dir=processed)
    assert len(calls) == 1
    _LOADED.clear()
    load_district(RAW, processed, mc_draws=0)
    assert len(calls) == 2
    _LOADED.clear()
    load(str(RAW), None, str(processed))  # the report notebooks' load
    assert len(calls) == 3
    ReportDistricts().ensure_processed(RAW, processed)  # the pipeline (commeval reports)
    assert len(calls) == 4
    assert all(c[0] == RAW for c in calls)


def test_nothing_else_ingests_or_checks_freshness():
    """Outside the data layer only commeval.project.ensure_processed calls is_current() and
    ingest() — and `commeval process`, whose job is to ingest unconditionally."""
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("data/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
                if name in ("is_current", "ingest"):
                    found.append((rel, name))
    assert sorted(set(found)) == [
        ("cli.py", "ingest"), ("project.py", "ingest"), ("project.py", "is_current"),
    ]  # fmt: skip


def test_derived_cache_rebuilds_registered_classes_only(tmp_path):
    from commeval.district import SurveySummaries
    from commeval.index.evaluation import Evaluation  # noqa: F401  (registered by district)

    text = (SRC / "derived.py").read_text(encoding="utf-8")
    assert "importlib" not in text and "import_module" not in text
    assert "commeval.district:SurveySummaries" in derived._REGISTRY
    assert "commeval.index.evaluation:Evaluation" in derived._REGISTRY
    # a commeval dataclass nobody registered is neither stored nor rebuilt
    from commeval.survey.contrasts import WaldTest

    with pytest.raises(derived.UnstorableError, match="not registered"):
        derived.store(tmp_path, "w", WaldTest(("a",), 1.0, 1, 2.0, 0.5, 1.0))
    import json

    (tmp_path / "w2").mkdir()
    doc = {
        "format": derived.FORMAT,
        "value": {"$dataclass": "commeval.survey.contrasts:WaldTest", "fields": {}},
    }
    (tmp_path / "w2.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="not a registered class"):
        derived.load(tmp_path, "w2")
    s = SurveySummaries(2012, None, *[__import__("pandas").DataFrame()] * 5)
    derived.store(tmp_path, "s", s)
    assert type(derived.load(tmp_path, "s")) is SurveySummaries


def _load_in_process(raw: str, processed: str) -> str:
    from commeval.data.processed import load_processed
    from commeval.project import ensure_processed

    _, meta = load_processed(ensure_processed(raw, processed))
    return str(meta["run_id"])


def test_two_processes_on_one_stale_folder_ingest_once(tmp_path):
    """A notebook and a batch run starting together on the same (absent) processed folder: one
    ingests, the other waits and reads what it made — neither reads a half-rewritten folder."""
    import multiprocessing as mp

    processed = tmp_path / "p"
    with mp.get_context("spawn").Pool(2) as pool:
        runs = pool.starmap(_load_in_process, [(str(RAW), str(processed))] * 2)
    assert runs[0] == runs[1], runs  # one ingest, read by both
