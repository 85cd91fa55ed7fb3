"""The scipy.special distribution functions equal scipy.stats' (the reference), edge cases
included, and rendering a report never imports scipy.stats."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from commeval.survey import distributions as dist

RNG = np.random.default_rng(20121)
X = RNG.normal(size=300) * 4
Q = RNG.uniform(1e-4, 1 - 1e-4, 300)
DF = np.concatenate([RNG.uniform(0.3, 500, 296), [np.inf, 1.0, 0.0, -2.0]])


def _same(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300, equal_nan=True)


def test_t_and_normal():
    _same(dist.t_sf(X, DF), stats.t.sf(X, DF))
    _same(dist.t_ppf(Q, DF), stats.t.ppf(Q, DF))
    _same(dist.norm_ppf(Q), stats.norm.ppf(Q))


def test_beta_quantile_including_invalid_shapes():
    a = np.concatenate([RNG.uniform(0.05, 80, 297), [0.0, -1.0, 3.0]])
    b = np.concatenate([RNG.uniform(0.05, 80, 297), [2.0, 2.0, 0.0]])
    _same(dist.beta_ppf(Q, a, b), stats.beta.ppf(Q, a, b))


@pytest.mark.parametrize("x", [0.0, 0.3, 1.0, 2.5, 11.0])
def test_f_and_chi2(x):
    assert dist.f_sf(x, 3.0, 27.5) == pytest.approx(stats.f.sf(x, 3.0, 27.5), rel=1e-12)
    assert dist.chi2_sf(x, 4.0) == pytest.approx(stats.chi2.sf(x, 4.0), rel=1e-12)
    assert np.isnan(dist.f_sf(x, 0.0, 5.0)) and np.isnan(dist.chi2_sf(x, 0.0))


def test_report_rendering_does_not_import_scipy_stats(tmp_path):
    """What a warm kernel does for a report (load, evaluate, every section) leaves scipy.stats
    unimported: it would cost every report process ~0.5 s of start-up."""
    from commeval.synthetic import generate_district, write_raw

    tables = generate_district(
        townships=["东镇", "西乡"], villages_per_township=4, respondents_per_village=8, seed=5
    )
    small_district = write_raw(tables, tmp_path / "raw")
    code = f"""
import sys
from commeval.report.notebook import township_report
r = township_report({str(small_district)!r}, "东镇", processed_dir={str(tmp_path / "p")!r})
for name in ("header", "overview", "indicators", "villages", "communities", "satisfaction",
             "problems", "provenance"):
    getattr(r, name)()
print("scipy.stats" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout
