"""One official weighting: commeval.yaml says how the year's survey is weighted, and the
reports' overall satisfaction, the index's survey input and the research notebook's figure are
the same number under each option."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from commeval.district import load_district
from commeval.project import ProjectError, load_project
from commeval.report.summary import satisfaction_by_township
from commeval.survey import analysis as sa
from commeval.survey import questionnaire as q

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw" / "sample_district"


def project(tmp: Path, weighting: str | None) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    survey = f"survey:\n  weighting: {weighting}\n" if weighting else ""
    (tmp / "commeval.yaml").write_text(
        f"name: t\ndataset: {RAW}\nprocessed: {tmp / 'processed'}\n"
        f"report:\n  mc_draws: 20\n  interval_level: 0.8\n{survey}",
        encoding="utf-8",
    )
    return tmp


@pytest.fixture(scope="module")
def districts(tmp_path_factory):
    root = tmp_path_factory.mktemp("w")
    return {
        w: load_district(project=project(root / w, None if w == "design" else w))
        for w in ("design", "raked")
    }


@pytest.mark.parametrize("weighting", ["design", "raked"])
def test_one_number_everywhere(districts, weighting):
    d = districts[weighting]
    assert d.weighting == weighting
    report = satisfaction_by_township(d).set_index("township")
    est = d.survey_estimates
    index_input = est[(est["year"] == d.year) & (est["indicator"] == "sat_overall")]
    index_input = index_input.set_index("township")
    notebook = sa.satisfaction_by(d.designs[d.year], ["sat_overall"], by="township")
    notebook = notebook.set_index("township")
    towns = d.townships
    for col in ("estimate", "se"):
        a = report.loc[towns, col].to_numpy(float)
        b = index_input.loc[towns, col].to_numpy(float)
        c = notebook.loc[towns, col].to_numpy(float)
        assert np.allclose(a, b, rtol=1e-12) and np.allclose(a, c, rtol=1e-12)
    # the option is honoured: raked numbers are the design raked by hand, design numbers not
    base = q.year_design(d.survey, d.year)
    if weighting == "raked":
        base = sa.rake_to_population(base, d.tables["population"])
    hand = base.mean("sat_overall", by="township").set_index("township")
    assert np.allclose(report.loc[towns, "estimate"], hand.loc[towns, "estimate"], rtol=1e-10)
    assert np.allclose(report.loc[towns, "se"], hand.loc[towns, "se"], rtol=1e-10)
    assert d.evaluation.settings["uncertainty"]["level"] == 0.8  # report.interval_level


def test_the_options_differ(districts):
    a = districts["design"].design.mean("sat_overall")["estimate"].iloc[0]
    b = districts["raked"].design.mean("sat_overall")["estimate"].iloc[0]
    assert a == pytest.approx(3.662, abs=5e-4)  # the design-weighted 2012 figure
    assert abs(a - b) > 0.01
    assert districts["design"].district_key != districts["raked"].district_key


def test_bad_weighting_names_file_key_and_value(tmp_path):
    p = project(tmp_path, "calibrated-somehow")
    with pytest.raises(ProjectError, match="survey.weighting") as exc:
        load_project(p)
    assert "calibrated-somehow" in str(exc.value) and "commeval.yaml" in str(exc.value)
