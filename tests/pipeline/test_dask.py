"""``--executor dask`` on a one-worker local cluster: same results, failures retried/reported."""

from __future__ import annotations

from .conftest import manifest


def test_dask_executor_local_cluster(run_reports, tmp_path, monkeypatch):
    monkeypatch.setenv("COMMEVAL_TEST_FAULT", "error:乙镇")
    code = run_reports(executor="dask", jobs=1, townships=["甲镇", "乙镇"], run_name="d")
    assert code == 1
    m = manifest(tmp_path / "out")
    assert m["townships"]["甲镇"]["status"] == "ok"
    assert m["townships"]["乙镇"]["status"] == "failed"
    assert m["townships"]["乙镇"]["attempts"] == 2
    assert m["index"]["status"] == "ok"
    page = (tmp_path / "out" / "d" / "townships" / "甲镇.html").read_text(encoding="utf-8")
    assert "<h2>甲镇</h2>" in page
