"""Every research notebook runs for every survey year of the sample district and for both kinds
of framework (composite index, points scorecard), with few Monte Carlo draws."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "src" / "commeval" / "notebooks" / "research").glob("*.ipynb"))
POINTS = ROOT / "tests" / "report" / "fixtures" / "points_framework.yaml"
YEARS = (2011, 2012)  # the sample district's survey years (checked below)
#: notebooks that read the evaluation run under both kinds of framework; the survey-design
#: notebook plans the next survey from a year's design and reads no framework
FRAMEWORK_NOTEBOOKS = {"index_analysis", "survey_analysis"}
CASES = [
    (nb, year, kind)
    for nb in NOTEBOOKS
    for year in YEARS
    for kind in (("composite", "points") if nb.stem in FRAMEWORK_NOTEBOOKS else ("design",))
]


def outputs(nb) -> str:
    text = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            text.append(o.get("text", ""))
            text.append(str(o.get("data", {}).get("text/plain", "")))
    return "\n".join(text)


def test_the_matrix_covers_every_notebook_and_year():
    import pandas as pd

    assert {p.stem for p in NOTEBOOKS} == FRAMEWORK_NOTEBOOKS | {"survey_design"}
    raw = ROOT / "data" / "raw" / "sample_district" / "survey.csv"
    years = pd.read_csv(raw, usecols=["调查年度"], encoding="utf-8-sig")["调查年度"]
    assert tuple(sorted(years.unique())) == YEARS


@pytest.mark.slow
@pytest.mark.parametrize(
    ("notebook", "year", "kind"), CASES, ids=[f"{n.stem}-{y}-{k}" for n, y, k in CASES]
)
def test_research_notebook_runs(run_notebook, notebook, year, kind):
    params = {"data_dir": ROOT / "data" / "raw" / "sample_district", "year": year}
    if kind != "design":
        params["mc_draws"] = 20
    if kind == "points":
        params["framework"] = POINTS
    nb = run_notebook(notebook, timeout=300, **params)
    text = outputs(nb)
    assert f"{year}" in text
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    if notebook.stem == "index_analysis":
        if kind == "points":
            assert "评分门槛：" in text and "总分" in text  # threshold sensitivity, item points
            assert images == 0  # the composite's weight and scenario charts are not drawn
        else:
            assert "综合指数" in text and images == 4
    elif notebook.stem == "survey_design":
        assert "sat_overall_top2" in text and "households_drawn" in text and "抽样框户数" in text
    else:
        assert "官方加权：design" in text and images == 4
        if year == 2012:  # the year-on-year comparison with its joint test
            assert "Wald F" in text and "全区" in text
        else:
            assert "之前没有调查数据" in text


@pytest.mark.slow
def test_survey_notebook_uses_the_projects_own_items(run_notebook, tmp_path):
    """A project whose fields.yaml adds a satisfaction item: the survey notebook analyses it
    (satisfaction table, reliability) under its Chinese label, as the project's raked
    weighting says."""
    import numpy as np
    import yaml

    from commeval.data.contract import contract, extend_contract
    from commeval.synthetic import generate_district, write_raw

    root = tmp_path / "proj"
    (root / "config").mkdir(parents=True)
    fields = {"survey": {"sat_clinic": {"label": "对村卫生室的满意度", "kind": "likert"}}}
    fields_file = root / "config" / "fields.yaml"
    fields_file.write_text(yaml.safe_dump(fields, allow_unicode=True), encoding="utf-8")
    tables = generate_district(townships=4, villages_per_township=8, respondents_per_village=15,
                               sampled_villages=4, seed=7)  # fmt: skip
    s = tables["survey"]
    s["sat_clinic"] = np.random.default_rng(1).choice([1, 2, 3, 4, 5, 9], len(s))
    raw = write_raw(
        tables, root / "data" / "raw", contract=extend_contract(contract(), fields_file)
    )
    (root / "commeval.yaml").write_text(
        f"name: p\ndataset: {raw}\nreport:\n  mc_draws: 10\nsurvey:\n  weighting: raked\n",
        encoding="utf-8",
    )
    nb = run_notebook(NOTEBOOKS[1], timeout=300, project=root)
    text = outputs(nb)
    assert "sat_clinic" in text and "对村卫生室的满意度" in text
    assert "官方加权：raked" in text
