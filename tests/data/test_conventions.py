"""The questionnaire and design conventions are defined once (commeval.data.conventions) and
every layer reads the same values."""

import numpy as np

from commeval.data import conventions as cv
from commeval.data import schema
from commeval.data.contract import contract
from commeval.survey import questionnaire as q
from commeval.synthetic import _AGE_BOUNDS


def test_one_definition():
    for name in ("DONT_KNOW", "SCALE", "DK_SUFFIX"):
        assert getattr(schema, name) is getattr(cv, name)
    for name in ("DONT_KNOW", "SCALE", "TOP2", "AGE_BREAKS", "DESIGN", "LONELY_PSU",
                 "DK_SUFFIX", "TOP2_SUFFIX"):  # fmt: skip
        assert getattr(q, name) is getattr(cv, name)


def test_age_groups_agree_with_the_contract():
    levels = contract()["population"].fields["age_group"].allowed
    b = cv.AGE_BREAKS
    expected = [f"{lo}-{hi - 1}" for lo, hi in zip(b, b[1:], strict=False)] + [f"{b[-1]}+"]
    assert list(levels) == expected
    assert [lo for lo, _ in _AGE_BOUNDS] == list(b)
    groups = q.age_group([15, 16, 29, 30, 59, 60, 90])
    assert groups.isna().tolist() == [True] + [False] * 6
    assert groups.iloc[1:].astype(str).tolist() == [
        "16-29",
        "16-29",
        "30-44",
        "45-59",
        "60+",
        "60+",
    ]


def test_design_columns_are_the_contracts():
    fields = contract()["survey"].fields
    assert set(cv.DESIGN.values()) <= set(fields)
    assert cv.psu_id("城关镇", "王堂") == "城关镇/王堂"


def test_codes_and_ranges():
    x = np.array([1.0, 5.0, 9.0, np.nan, 7.0])
    answered, dk, valid = cv.split_codes(x)
    assert answered.tolist() == [True, True, True, False, True]
    assert dk.tolist() == [False, False, True, False, False]
    assert valid.tolist() == [True, True, False, False, False]
    assert cv.indicator_range("sat_overall_top2") == (0.0, 1.0)
    assert cv.indicator_range("sat_overall") == (1.0, 5.0)
