"""Shared fixtures of the index tests."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from index.helpers import mini_doc, mini_tables


@pytest.fixture
def doc() -> dict:
    return copy.deepcopy(mini_doc())


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return mini_tables()


@pytest.fixture(scope="session")
def district() -> dict[str, pd.DataFrame]:
    from commeval.synthetic import generate_district

    return generate_district(seed=20121)
