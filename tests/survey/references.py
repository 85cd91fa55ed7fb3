"""Reading the R fixture files of tests/reference/survey (a plain module: test modules import it
by name, which a conftest cannot safely be)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"


def reference(name: str):
    """The values of an R fixture file ``fixtures_<name>.csv`` (long format: case, variable,
    domain, level, quantity, value) as ``get(case, quantity, variable="", domain="", level="")``;
    ``get.frame`` is the whole table."""
    fx = pd.read_csv(
        REF / f"fixtures_{name}.csv",
        keep_default_na=False,
        na_values=["NA"],
        dtype={"domain": str, "level": str, "variable": str, "case": str, "quantity": str},
    )
    idx = fx.set_index(["case", "quantity", "variable", "domain", "level"])["value"].sort_index()

    def get(case, quantity, variable="", domain="", level=""):
        return float(idx.loc[(case, quantity, variable, str(domain), str(level))])

    get.frame = fx
    return get
