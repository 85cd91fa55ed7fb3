"""report.max_cv: survey shares whose coefficient of variation exceeds the project's threshold
are printed as not reportable (statistical offices' rule); off by default."""

from __future__ import annotations

import dataclasses

import numpy as np

from commeval.project import ReportOptions
from commeval.report import render
from commeval.report import township as T


def test_shares_above_the_cv_threshold_are_suppressed(district):
    t = district.townships[0]
    plain = T.satisfaction(district, t)
    assert not plain.items["top2_suppressed"].any()  # default: off
    strict = dataclasses.replace(district, options=ReportOptions(max_cv=0.15))
    sat = T.satisfaction(strict, t)
    for frame in (sat.needs, sat.participation):
        cv = frame["se"] / frame["estimate"]
        base = T.satisfaction(district, t)
        ref = base.needs if frame is sat.needs else base.participation
        expected = ref["small_cell"].to_numpy() | ((cv > 0.15) & (frame["estimate"] > 0)).to_numpy()
        assert np.array_equal(frame["small_cell"].to_numpy(), expected)
    top2_cv = sat.items["top2_se"] / sat.items["top2"]
    assert np.array_equal(
        sat.items["top2_suppressed"].to_numpy(),
        ((top2_cv > 0.15) & (sat.items["top2"] > 0)).to_numpy(),
    )
    assert sat.items["top2_suppressed"].any() or (top2_cv <= 0.15).all()
    html = render.satisfaction_html(strict, t, sat)
    assert "变异系数超过15%" in html


def test_the_threshold_bites_on_the_test_district(district):
    strict = dataclasses.replace(district, options=ReportOptions(max_cv=0.15))
    t = district.townships[0]
    base, sat = T.satisfaction(district, t), T.satisfaction(strict, t)
    newly = sat.needs["small_cell"].sum() - base.needs["small_cell"].sum()
    # some 最需要的服务 shares of a small test district are too imprecise to print
    assert newly > 0
