from __future__ import annotations

from pathlib import Path

import pytest

from commeval.synthetic import generate_district, write_raw

XSS = "<img src=x onerror=alert(1)>"


def _make_district(root: Path, **kw) -> Path:
    """Write a small generated district (raw layout) under ``root`` and return its folder."""
    tables = generate_district(**kw)
    return write_raw(tables, root / "raw" / "district")


@pytest.fixture
def make_district():
    return _make_district


@pytest.fixture(scope="session")
def small_district(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("small")
    tables = generate_district(
        townships=["甲镇", "乙镇", "丙乡"],
        villages_per_township=6,
        respondents_per_village=12,
        sampled_villages=4,
        seed=11,
    )
    v, s = tables["villages"], tables["survey"]
    old = s.loc[s["township"] == "乙镇", "village"].iloc[0]  # a sampled village
    v.loc[(v["township"] == "乙镇") & (v["village"] == old), "village"] = XSS
    s.loc[(s["township"] == "乙镇") & (s["village"] == old), "village"] = XSS
    return write_raw(tables, root / "raw" / "district")


@pytest.fixture(scope="session")
def district(small_district):
    from commeval.district import load_district

    return load_district(small_district, small_district.parent.parent / "processed")
