"""A county unlike the sample district, as a new user would bring it: `commeval init`, its own
township names, one extra village field, one extra satisfaction item and a yes/no item declared in
config/fields.yaml (the raw files carry them under their Chinese labels), its own framework
(dimensions, targets, weights, version) — through `commeval validate` and `commeval reports` to
published pages, without touching anything inside the installed package."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from commeval.data.contract import contract, extend_contract
from commeval.files import package_files, sha256_file
from commeval.synthetic import generate_district, write_raw

pytestmark = pytest.mark.slow

COMMEVAL = Path(sys.executable).with_name("commeval")
TOWNS = ["东风镇", "红旗乡", "向阳镇"]
FIELDS = {
    "villages": {"has_clinic": {"label": "标准化村卫生室", "dtype": "bool"}},
    "survey": {
        "sat_clinic": {"label": "对村卫生室的满意度", "kind": "likert"},
        "used_service_hall": {"label": "到便民服务大厅办过事", "kind": "yesno"},
    },
}
FRAMEWORK = {
    "version": "2013.7",
    "name": "测试县农村社区建设考核办法",
    "grades": {"达标": 75, "基本达标": 55, "未达标": 0},
    "steps": {
        "imputation": {"method": "median"},
        "outliers": {"method": "none"},
        "normalisation": {"method": "target"},
        "aggregation": {"method": "arithmetic", "within": "arithmetic", "floor": 1.0},
    },
    "uncertainty": {
        "weight_noise": 0.2,
        "normalisations": ["target", "minmax"],
        "aggregations": ["arithmetic"],
        "survey_error": True,
    },
    "dimension_weighting": {"method": "fixed"},
    "dimensions": {
        "health": {
            "label": "卫生服务",
            "weight": 0.6,
            "indicators": {
                "clinic_share": {
                    "label": "标准化村卫生室覆盖率",
                    "unit": "%",
                    "source": "100 * share(has_clinic)",
                    "direction": "benefit",
                    "target": 90,
                    "weight": 0.7,
                },
                "clinic_satisfaction": {
                    "label": "群众对村卫生室的满意度",
                    "unit": "分",
                    "source": "survey(sat_clinic)",
                    "direction": "benefit",
                    "target": 4.2,
                    "weight": 0.3,
                },
            },
        },
        "culture": {
            "label": "文化设施",
            "weight": 0.4,
            "indicators": {
                "library_share": {
                    "label": "有图书室的村比例",
                    "unit": "%",
                    "source": "100 * share(has_library)",
                    "direction": "benefit",
                    "target": 100,
                    "weight": 1.0,
                }
            },
        },
    },
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(COMMEVAL), *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_foreign_county_from_init_to_reports(tmp_path):
    files_before = {p: sha256_file(p) for p in package_files()}
    out = run("init", "county", "--name", "测试县评估", "--district", "测试县", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    project = tmp_path / "county"
    meta = yaml.safe_load((project / "commeval.yaml").read_text(encoding="utf-8"))
    raw = project / meta["dataset"]

    # the county's own data: other townships, an extra village field and an extra Likert item
    rng = np.random.default_rng(7)
    tables = generate_district(
        townships=TOWNS, villages_per_township=8, respondents_per_village=12,
        sampled_villages=5, seed=7,
    )  # fmt: skip
    v, s = tables["villages"], tables["survey"]
    v["has_clinic"] = rng.random(len(v)) < 0.6
    s["used_service_hall"] = rng.random(len(s)) < 0.4
    s["sat_clinic"] = rng.choice(
        [1, 2, 3, 4, 5, 9], size=len(s), p=[0.05, 0.1, 0.2, 0.35, 0.25, 0.05]
    )
    (project / "config" / "fields.yaml").write_text(
        yaml.safe_dump(FIELDS, allow_unicode=True), encoding="utf-8"
    )
    (project / "config" / "framework.yaml").write_text(
        yaml.safe_dump(FRAMEWORK, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    extended = extend_contract(contract(), FIELDS)
    write_raw(tables, raw, name="测试县", contract=extended)
    header = (raw / "villages.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "标准化村卫生室" in header.split(",")  # the Chinese label, no codebook entry
    assert "对村卫生室的满意度" in (raw / "survey.csv").read_text(encoding="utf-8-sig")

    out = run("validate", cwd=project)
    assert out.returncode == 0, out.stdout + out.stderr
    out = run("reports", "--jobs", "2", cwd=project)
    assert out.returncode == 0, out.stdout + out.stderr

    site = project / "outputs" / "latest"
    assert (site / "index.html").is_file()
    shares = {
        t: 100 * v.loc[(v["township"] == t) & (v["year"] == v["year"].max()), "has_clinic"].mean()
        for t in TOWNS
    }
    for t in TOWNS:
        page = (site / "townships" / f"{t}.html").read_text(encoding="utf-8")
        text = re.sub(r"<[^>]+>", " ", page)
        assert "标准化村卫生室覆盖率" in text  # the new indicator …
        assert f"{shares[t]:.1f}" in text  # … with its value
        assert "对村卫生室的满意度" in text  # the new Likert item (satisfaction table) …
        assert "到便民服务大厅办过事" in text  # … and the new yes/no item (awareness table)
        assert "2013.7" in text and "测试县农村社区建设考核办法" in text  # 数据说明
        assert "测试县" in text
        assert "裴城镇" not in text  # nothing of the sample district
    index = (site / "index.html").read_text(encoding="utf-8")
    assert all(t in index for t in TOWNS)
    # nothing inside the installed package changed
    assert {p: sha256_file(p) for p in package_files()} == files_before
