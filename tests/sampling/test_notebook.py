"""notebooks/survey_design.ipynb runs clean under papermill on the sample district."""

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "survey_design.ipynb"


@pytest.mark.slow
def test_notebook_runs_clean(run_notebook):
    nb = run_notebook(NOTEBOOK, timeout=180)
    text = "\n".join(
        o.get("data", {}).get("text/plain", "") for c in nb.cells for o in c.get("outputs", [])
    )
    assert "sat_overall_top2" in text and "households_drawn" in text and "抽样框户数" in text
