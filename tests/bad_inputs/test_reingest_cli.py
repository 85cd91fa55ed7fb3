"""Through the CLI, as a user meets it: after `commeval reports`, editing the dataset's
dataset.yaml (the district's name) or the project's codebook makes the next `commeval reports`
re-ingest the raw files and re-render every page, instead of serving the old processed tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from commeval.synthetic import generate_district, write_raw

pytestmark = pytest.mark.slow

COMMEVAL = Path(sys.executable).with_name("commeval")
TOWNS = ["东风镇", "红旗乡"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(COMMEVAL), *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def statuses(project: Path) -> dict[str, str]:
    m = json.loads((project / "outputs" / "latest" / "manifest.json").read_text("utf-8"))
    return {t: e["status"] for t, e in m["townships"].items()}


def processed(project: Path) -> dict:
    (manifest,) = (project / "data" / "processed").rglob("manifest.json")
    return json.loads(manifest.read_text("utf-8"))


def test_editing_dataset_yaml_or_codebook_re_ingests_on_reports(tmp_path):
    out = run("init", "county", "--name", "测试县评估", "--district", "测试县", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    project = tmp_path / "county"
    meta = yaml.safe_load((project / "commeval.yaml").read_text(encoding="utf-8"))
    raw = project / meta["dataset"]
    tables = generate_district(
        townships=TOWNS, villages_per_township=6, respondents_per_village=8,
        sampled_villages=4, seed=3,
    )  # fmt: skip
    write_raw(tables, raw, name="测试县")
    raw_bytes = {p: p.read_bytes() for p in raw.iterdir() if p.suffix == ".csv"}

    assert run("reports", "--jobs", "1", cwd=project).returncode == 0
    first = processed(project)
    out = run("reports", "--jobs", "1", cwd=project)
    assert set(statuses(project).values()) == {"reused"}, out.stdout + out.stderr  # unchanged

    # 1. dataset.yaml: the district's name
    ds = raw / "dataset.yaml"
    meta = yaml.safe_load(ds.read_text("utf-8"))
    meta["district"] = "新测试县"
    ds.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), "utf-8")
    out = run("reports", "--jobs", "1", cwd=project)
    assert out.returncode == 0, out.stdout + out.stderr
    assert set(statuses(project).values()) == {"ok"}
    second = processed(project)
    assert second["dataset_yaml_sha256"] != first["dataset_yaml_sha256"]
    assert second["dataset"]["district"] == "新测试县"  # the processed tables are the new ones

    # 2. the project's codebook: one more header alias (no file uses it; the mapping changed)
    codebook = project / "config" / "codebook.yaml"
    with codebook.open("a", encoding="utf-8") as f:
        f.write("headers:\n  villages:\n    population: [户籍总人口]\n")
    out = run("reports", "--jobs", "1", cwd=project)
    assert out.returncode == 0, out.stdout + out.stderr
    assert set(statuses(project).values()) == {"ok"}
    assert processed(project)["codebook"]["fingerprint"] != second["codebook"]["fingerprint"]
    assert {p: p.read_bytes() for p in raw_bytes} == raw_bytes  # raw data never modified
