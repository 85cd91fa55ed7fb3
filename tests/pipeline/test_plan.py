"""Planning a run without files: reuse, hrefs, the index's report list, the summary."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from commeval.errors import InputError, UsageError
from commeval.pipeline import plan as P
from commeval.pipeline.config import Notebooks, RunConfig


@dataclass
class R:  # the fields of tasks.Result that planning reads
    status: str
    seconds: float = 1.5
    error: str | None = None
    stderr: list = field(default_factory=list)
    attempt: int = 1
    error_kind: str | None = None


def previous(**townships) -> P.Previous:
    entries = {
        tw: {"status": status, "html": P.township_href(tw), "key": f"k-{tw}"}
        for tw, status in townships.items()
    }
    files = {e["html"] for e in entries.values()} | {"index.html"}
    manifest = {"run_key": "rk", "townships": entries, "index": {"status": "ok", "key": "ik"}}
    manifest.update(district="区", year=2012, synthetic=True)
    return P.Previous(manifest, frozenset(files))


def test_hrefs_are_safe_file_names():
    assert P.township_href("裴城镇") == "townships/裴城镇.html"
    assert P.township_href("a/b:c") == "townships/a_b_c.html"
    assert P.safe_filename("..") == "_"


def test_long_township_names_are_cut_with_a_hash():
    long = "城关镇" * 45  # 135 characters, 405 bytes in UTF-8: too long for a file name
    a = P.safe_filename(long)
    b = P.safe_filename(long[:-1] + "乡")
    assert len(a.encode("utf-8")) <= P.MAX_STEM_BYTES and a.startswith("城关镇城关镇")
    assert a != b  # distinct names stay distinct
    assert P.township_href(long) == f"townships/{a}.html"
    assert P.safe_filename("裴城镇") == "裴城镇"  # short names unchanged


def test_whole_run_reused_only_when_complete_successful_and_present():
    prev = previous(甲镇="ok", 乙镇="reused")
    assert P.whole_run_reusable(prev, "rk")
    assert not P.whole_run_reusable(prev, "other")
    assert not P.whole_run_reusable(None, "rk")
    assert not P.whole_run_reusable(prev, None)
    assert not P.whole_run_reusable(previous(甲镇="ok", 乙镇="failed"), "rk")
    gone = P.Previous(prev.manifest, prev.files - {"townships/乙镇.html"})
    assert not P.whole_run_reusable(gone, "rk")
    failed_index = P.Previous({**prev.manifest, "index": {"status": "failed"}}, prev.files)
    assert not P.whole_run_reusable(failed_index, "rk")
    entries, index, meta = P.reuse_whole_run(prev)
    assert {e["status"] for e in entries.values()} == {"reused"}
    assert index["status"] == "reused" and meta == {
        "district": "区",
        "year": 2012,
        "synthetic": True,
    }


def test_townships_reused_by_key_rendered_otherwise():
    prev = previous(甲镇="ok", 乙镇="ok", 丙乡="failed")
    keys = {"甲镇": ("h1", "k-甲镇"), "乙镇": ("h2", "changed"), "丙乡": ("h3", "k-丙乡")}
    keys["丁镇"] = ("h4", "k-丁镇")
    plan = P.plan_townships(["甲镇", "乙镇", "丙乡", "丁镇"], keys, prev)
    assert plan.reuse == {"甲镇": "townships/甲镇.html"}
    assert plan.render == ["乙镇", "丙乡", "丁镇"]  # changed key, failed before, new
    assert plan.entries["甲镇"]["status"] == "reused"
    assert plan.entries["乙镇"] == {
        "status": None,
        "html": "townships/乙镇.html",
        "seconds": 0.0,
        "input_hash": "h2",
        "key": "changed",
        "error": None,
        "stderr": [],
    }
    assert P.plan_townships(["甲镇"], keys, None).render == ["甲镇"]  # --force: no previous


def test_index_reports_expected_then_final():
    plan = P.plan_townships(["甲镇", "乙镇"], {"甲镇": ("a", "ka"), "乙镇": ("b", "kb")}, None)
    expected = P.expected_reports(plan.entries)
    assert [r["status"] for r in expected] == ["ok", "ok"]
    P.record_result(plan.entries["甲镇"], R("ok"))
    P.record_result(plan.entries["乙镇"], R("failed", error="x\nValueError: boom", attempt=2))
    final = P.final_reports(plan.entries)
    assert final[0] == expected[0]
    assert final[1] == {
        "township": "乙镇",
        "status": "failed",
        "href": None,
        "error": "x\nValueError: boom",
    }
    assert plan.entries["乙镇"]["html"] is None and plan.entries["乙镇"]["attempts"] == 2
    assert P.failures(plan.entries) == {"乙镇": "ValueError: boom"}
    assert P.summarise(plan.entries) == {"townships": 2, "rendered": 1, "reused": 0, "failed": 1}
    index = P.new_entry("index.html", "ik")
    P.record_result(index, R("failed"), keep_html=True)
    assert index["html"] == "index.html"
    assert P.index_reusable(previous(甲镇="ok"), "ik") and not P.index_reusable(None, "ik")
    assert not P.index_reusable(previous(甲镇="ok"), "other")


def test_run_config_checks_and_defaults(tmp_path):
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    nbs = Notebooks(nb, nb)
    c = RunConfig(data_dir="data/raw/x", notebooks=nbs, townships=["甲镇"]).resolved()
    assert c.data_dir.is_absolute() and c.processed_dir.parts[-3:] == ("data", "processed", "x")
    assert c.jobs >= 1 and c.run_name and c.townships == ("甲镇",)
    for bad in (
        {"run_name": "../x"},
        {"run_name": "latest"},
        {"jobs": 0},
        {"executor": "slurm"},
        {"timeout": 0},
    ):
        with pytest.raises(UsageError):
            RunConfig(notebooks=nbs, **bad).resolved()
    with pytest.raises(InputError, match="notebook"):
        RunConfig(notebooks=Notebooks(tmp_path / "missing.ipynb", nb)).resolved()
    with pytest.raises(AttributeError):
        c.jobs = 3  # frozen
