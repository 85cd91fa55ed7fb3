"""``run_reports`` end to end on the test notebooks: faults, retries, reuse, lock, exit codes."""

from __future__ import annotations

import os
import time

from commeval.pipeline.lock import RunLock

from .conftest import TOWNSHIPS, manifest


def statuses(m: dict) -> dict[str, str]:
    return {k: v["status"] for k, v in m["townships"].items()}


def test_faults_are_contained_reported_and_redone(
    run_reports, fake_district, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    # one notebook error, one killed kernel, one killed worker process; one report is fine
    faults = {"甲镇": "error", "乙镇": "kill-kernel", "丙乡": "kill-worker"}
    monkeypatch.setenv("COMMEVAL_TEST_FAULT", ";".join(f"{k}:{t}" for t, k in faults.items()))
    assert run_reports(run_name="r1", townships=["甲镇", "乙镇", "丙乡", "丁镇"]) == 1
    m = manifest(out)
    assert statuses(m) == {"甲镇": "failed", "乙镇": "failed", "丙乡": "failed", "丁镇": "ok"}
    kinds = {k: v["error_kind"] for k, v in m["townships"].items()}
    assert kinds == {"甲镇": "error", "乙镇": "kernel", "丙乡": "worker", "丁镇": None}
    assert "injected failure for 甲镇" in m["townships"]["甲镇"]["error"]
    assert "\x1b[" not in m["townships"]["甲镇"]["error"]
    assert all(m["townships"][t]["attempts"] == 2 for t in faults)  # retried once
    assert m["townships"]["丁镇"]["stderr"]  # stderr kept in the manifest, not on the page
    index = (out / "r1" / "index.html").read_text(encoding="utf-8")
    assert "injected failure for 甲镇" in index and "status-failed" in index
    assert 'href="townships/丁镇.html"' in index
    assert (out / "r1" / "run.log").read_text(encoding="utf-8").count("failed") >= 3
    # the index rendered alongside expected every report to succeed: rendered again with failures
    assert "index again" in (out / "r1" / "run.log").read_text(encoding="utf-8")
    assert os.readlink(out / "latest") == "r1"
    assert not list(out.glob("*.tmp"))

    # faults gone: a re-run renders only what failed
    monkeypatch.delenv("COMMEVAL_TEST_FAULT")
    assert run_reports(run_name="r2") == 0
    m = manifest(out)
    assert statuses(m) == {"甲镇": "ok", "乙镇": "ok", "丙乡": "ok", "丁镇": "reused"}
    assert m["index"]["status"] == "ok"
    assert (out / "r2" / "townships" / "丁镇.html").stat().st_ino == (
        out / "r1" / "townships" / "丁镇.html"
    ).stat().st_ino  # hard-linked, not re-rendered


def test_unchanged_rerun_starts_nothing_and_changed_data_rerenders(run_reports, fake_district):
    assert run_reports(run_name="a", jobs=1) == 0
    loads = len(fake_district.loads)
    t0 = time.perf_counter()
    assert run_reports(run_name="b", jobs=1) == 0
    assert time.perf_counter() - t0 < 1.5
    assert len(fake_district.loads) == loads  # no district evaluation, hence no kernel either
    m = manifest(fake_district.processed.parent / "out")
    assert set(statuses(m).values()) == {"reused"} and m["index"]["status"] == "reused"

    fake_district.versions["乙镇"] = 1  # new data for one township
    fake_district.touch()
    assert run_reports(run_name="c", jobs=1) == 0
    m = manifest(fake_district.processed.parent / "out")
    assert statuses(m) == {t: "ok" if t == "乙镇" else "reused" for t in TOWNSHIPS}
    assert m["index"]["status"] == "ok"  # the ranking changed, so the index is re-rendered

    assert run_reports(run_name="d", jobs=1, force=True, townships=["甲镇"]) == 0
    assert statuses(manifest(fake_district.processed.parent / "out")) == {"甲镇": "ok"}


def test_workers_start_early_and_warm_up_before_the_first_report(
    run_reports, fake_district, tmp_path
):
    assert run_reports(run_name="w", jobs=2) == 0
    assert fake_district.warm_log.read_text() == "ww"  # each of the two kernels warmed once
    for tw in TOWNSHIPS:
        page = (tmp_path / "out" / "w" / "townships" / f"{tw}.html").read_text(encoding="utf-8")
        assert "上一份报告的变量可见：False" in page  # the warm-up's names are reset too
    # no report failed: the index, rendered alongside the townships, is not rendered again
    log = (tmp_path / "out" / "w" / "run.log").read_text(encoding="utf-8")
    assert log.count("汇总页 index: ok") == 1 and "index again" not in log


def test_timeout_fails_the_report_and_kernel_is_replaced(run_reports, monkeypatch, tmp_path):
    monkeypatch.setenv("COMMEVAL_TEST_FAULT", "sleep:甲镇")
    assert run_reports(run_name="t", townships=["甲镇", "乙镇"], jobs=1, timeout=2) == 1
    m = manifest(tmp_path / "out")
    assert m["townships"]["甲镇"]["error_kind"] == "timeout"
    assert m["townships"]["乙镇"]["status"] == "ok"


def test_exit_code_2_for_bad_input_and_locked_output(run_reports, tmp_path, capsys):
    assert run_reports(townships=["不存在镇"]) == 2
    assert "不存在镇" in capsys.readouterr().err
    assert run_reports(year=1999) == 2
    assert run_reports(run_name="../x") == 2
    assert run_reports(township_notebook=tmp_path / "missing.ipynb") == 2
    with RunLock(tmp_path / "out"):
        assert run_reports() == 2
    assert "locked" in capsys.readouterr().err
    assert not (tmp_path / "out" / "latest").exists()
