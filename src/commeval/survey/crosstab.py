"""Two-way tables with design-based tests of independence (R ``svychisq``).

``design.crosstab(row, col)`` returns a :class:`CrosstabResult`; its ``test`` holds the
Rao–Scott F and first-order chi-square, and ``test_for(statistic)`` any of R's statistics
``"F"``, ``"Chisq"``, ``"Wald"``, ``"adjWald"``, ``"lincom"``, ``"saddlepoint"`` as a
:class:`ChisqTest` (``tests()``: all of them in one frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from commeval.data.contract import contract as _contract
from commeval.display import fmt, fmt_p, frame_html

from .chisqsum import pfsum
from .distributions import chi2_sf, f_sf
from .proportion import categories
from .variance import design_variance


@dataclass(frozen=True)
class RaoScottTest:
    """Pearson X^2 with Rao–Scott corrections.

    ``statistic``/``ndf``/``ddf``/``p_value``: second-order correction as an F test
    (R ``svychisq(statistic="F")``); ``chisq``/``chisq_df``/``chisq_p_value``: first-order
    correction, X^2 divided by the mean generalized design effect, on (r-1)(c-1) df
    (``statistic="Chisq"``, whose printed statistic is ``pearson``, the uncorrected X^2 on
    ``n`` rows).
    """

    statistic: float
    ndf: float
    ddf: float
    p_value: float
    chisq: float
    chisq_df: int
    chisq_p_value: float
    pearson: float

    def __repr__(self) -> str:
        return (
            f"Rao-Scott F = {fmt(self.statistic)} on {fmt(self.ndf)} and {fmt(self.ddf)} df, "
            f"p = {fmt_p(self.p_value)}; first-order chi-square = {fmt(self.chisq)} on "
            f"{self.chisq_df} df, p = {fmt_p(self.chisq_p_value)} (Pearson X² {fmt(self.pearson)})"
        )

    def _repr_html_(self) -> str:
        return frame_html(
            self.to_frame(),
            "Rao–Scott test of independence (R svychisq)",
            {"p_value": fmt_p},
            note=f"uncorrected Pearson X² = {fmt(self.pearson)}",
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "test": ["Rao-Scott F", "Rao-Scott chi-square"],
                "statistic": [self.statistic, self.chisq],
                "df1": [self.ndf, float(self.chisq_df)],
                "df2": [self.ddf, np.inf],
                "p_value": [self.p_value, self.chisq_p_value],
            }
        )


#: R's ``svychisq(statistic=)`` choices that :meth:`CrosstabResult.test_for` accepts
STATISTICS = ("F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint")

_METHODS = {
    "F": "Rao-Scott F",
    "Chisq": "Rao-Scott chi-square",
    "Wald": "Wald F",
    "adjWald": "adjusted Wald F",
    "lincom": "Pearson X², exact distribution",
    "saddlepoint": "Pearson X², saddlepoint approximation",
}


@dataclass(frozen=True)
class ChisqTest:
    """One design-based test of independence, as R ``svychisq(statistic=kind)``.

    ``kind``: R's statistic name; ``method``: what was computed. ``statistic`` is referred to
    the distribution of ``p_value``:

    * ``F``: X²/tr(Δ) on ``ndf`` = tr(Δ)²/tr(Δ²) and ``ddf`` = ndf·degf (Rao–Scott 2nd order);
    * ``Chisq``: X²/mean(δ) on ``ndf`` = (r-1)(c-1), ``ddf`` = inf (R prints the raw X²);
    * ``Wald``/``adjWald``: the Wald statistic W of no interaction, ``N_ij - N_i. N_.j / N``
      over the cells with both levels past the first, W/ndf on (ndf, degf) or
      W·(degf-ndf+1)/(ndf·degf) on (ndf, degf-ndf+1), ndf = (r-1)(c-1);
    * ``lincom``/``saddlepoint``: the Pearson X² against ``sum_j weights_j chi2(1)``, divided by
      ``chi2(ddf)/ddf`` with ``ddf`` = tr(Δ)²/tr(Δ²)·degf on Taylor designs (R's ``pFsum``; inf
      on replicate designs, R's ``pchisqsum``), exactly (Imhof inversion) or by Kuonen's
      saddlepoint; ``ndf`` is NaN and ``weights`` are the eigenvalues δ of Δ.
    """

    kind: str
    method: str
    statistic: float
    ndf: float
    ddf: float
    p_value: float
    weights: tuple[float, ...] = ()

    def __repr__(self) -> str:
        if self.kind in ("lincom", "saddlepoint"):
            ref = "sum of " + ", ".join(fmt(w) for w in self.weights) + " x chi2(1)"
            if np.isfinite(self.ddf):
                ref += f" / (chi2({fmt(self.ddf)})/df)"
            df = f"vs {ref}"
        elif np.isfinite(self.ddf):
            df = f"on {fmt(self.ndf)} and {fmt(self.ddf)} df"
        else:
            df = f"on {fmt(self.ndf)} df"
        return f"{self.method} = {fmt(self.statistic)} {df}, p = {fmt_p(self.p_value)}"

    def _repr_html_(self) -> str:
        return frame_html(
            self.to_frame(),
            f"Test of independence (R svychisq, statistic={self.kind!r})",
            {"p_value": fmt_p},
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "svychisq": [self.kind],
                "test": [self.method],
                "statistic": [self.statistic],
                "df1": [self.ndf],
                "df2": [self.ddf],
                "p_value": [self.p_value],
            }
        )


@dataclass(frozen=True)
class _TableStats:
    """What the tests of one table need: X², the eigenvalues of Δ, df and the Wald form."""

    pearson: float
    delta: np.ndarray
    d0: float
    degf: float
    k: int
    replicate: bool
    wald: float


@dataclass
class CrosstabResult:
    """``table``: weighted counts; ``proportions``: cell shares with ``se``; ``test``: the
    Rao–Scott tests; :meth:`test_for` / :meth:`tests`: every ``svychisq`` statistic."""

    row: str
    col: str
    table: pd.DataFrame
    proportions: pd.DataFrame
    test: RaoScottTest
    _stats: _TableStats | None = field(default=None, repr=False, compare=False)

    def test_for(self, statistic: str = "F") -> ChisqTest:
        """The test of independence R's ``svychisq(statistic=statistic)`` gives, one of
        :data:`STATISTICS`."""
        if statistic not in STATISTICS:
            raise ValueError(f"statistic must be one of {STATISTICS}, not {statistic!r}")
        st = self._stats
        if st is None:
            raise ValueError("this CrosstabResult carries no test ingredients")
        k, nu, x2 = st.k, st.degf, st.pearson
        name = _METHODS[statistic]
        if statistic == "F":
            t = self.test
            return ChisqTest(statistic, name, t.statistic, t.ndf, t.ddf, t.p_value)
        if statistic == "Chisq":
            t = self.test
            return ChisqTest(statistic, name, t.chisq, float(t.chisq_df), np.inf, t.chisq_p_value)
        if statistic in ("Wald", "adjWald"):
            w = st.wald
            ddf = nu if statistic == "Wald" else nu - k + 1
            f = w / k if statistic == "Wald" else w * ddf / (k * nu)
            return ChisqTest(statistic, name, f, float(k), float(ddf), f_sf(f, k, ddf))
        ddf = np.inf if st.replicate else st.d0 * nu
        method = "integration" if statistic == "lincom" else "saddlepoint"
        p = pfsum(x2, st.delta, ddf, method)
        return ChisqTest(statistic, name, x2, np.nan, ddf, p, tuple(st.delta.tolist()))

    def tests(self, statistics: Sequence[str] = STATISTICS) -> pd.DataFrame:
        """One row per ``svychisq`` statistic (:meth:`ChisqTest.to_frame`)."""
        return pd.concat([self.test_for(s).to_frame() for s in statistics], ignore_index=True)

    def __repr__(self) -> str:
        return (
            f"Crosstab {self.row} x {self.col} (weighted counts)\n"
            f"{self.table.round(1)}\n{self.test!r}"
        )

    def _repr_html_(self) -> str:
        title = f"{label(self.row)} × {label(self.col)}: weighted counts"
        table = frame_html(self.table, title, index=True)
        return table + self.test._repr_html_()


def crosstab(design, row: str, col: str) -> CrosstabResult:
    data = design.data
    for c in (row, col):
        if c not in data.columns:
            raise ValueError(f"unknown column {c!r} for crosstab")
    a, b = data[row], data[col]
    valid = design.domain & a.notna().to_numpy() & b.notna().to_numpy()
    ra = [x for x in categories(design, row) if (a[valid] == x).any()]
    cb = [x for x in categories(design, col) if (b[valid] == x).any()]
    r, c = len(ra), len(cb)
    if r < 2 or c < 2:
        raise ValueError(f"crosstab needs at least 2 levels in {row!r} and {col!r}")
    ia = pd.Categorical(a, categories=ra).codes.astype(np.int64)
    ib = pd.Categorical(b, categories=cb).codes.astype(np.int64)
    we = np.where(valid, design.weights, 0.0)
    cell = np.where(valid, ia * c + ib, 0)
    W = we.sum()
    counts = np.bincount(cell, weights=we, minlength=r * c)
    p = counts / W
    # scores of the cell proportions (a mean of cell indicators)
    Z = -np.outer(we, p) / W
    Z[np.arange(len(we)), cell] += we / W
    if hasattr(design, "cell_covariance"):  # replicate designs (R's svychisq.svyrep.design)
        V = design.cell_covariance(we, cell, r * c)
    else:
        V = design_variance(design, Z, full=True)
    # R's svychisq scales the table to the design's rows (answered or not): all rows of a
    # calibrated design, the domain's rows otherwise
    N = float(len(data)) if getattr(design, "_calibration", None) else float(design.domain.sum())
    pr = p.reshape(r, c).sum(axis=1)
    pc = p.reshape(r, c).sum(axis=0)
    expected = np.outer(pr, pc).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(N * np.nansum((p - expected) ** 2 / expected))
    # contrasts spanning the interaction space: orthogonal complement of main effects
    ri, ci = np.divmod(np.arange(r * c), c)
    X1 = np.column_stack(
        [np.ones(r * c)]
        + [(ri == i).astype(float) for i in range(1, r)]
        + [(ci == j).astype(float) for j in range(1, c)]
    )
    X12 = np.column_stack(
        [((ri == i) & (ci == j)).astype(float) for i in range(1, r) for j in range(1, c)]
    )
    beta = np.linalg.lstsq(X1, X12, rcond=None)[0]
    C = X12 - X1 @ beta
    with np.errstate(divide="ignore"):
        dinv = np.where(p > 0, 1.0 / p, 0.0)
    denom = C.T @ (C * (dinv / N)[:, None])
    numr = (C * dinv[:, None]).T @ V @ (C * dinv[:, None])
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    tr2 = float(np.trace(delta @ delta))
    d0 = tr**2 / tr2
    df_design = design.degf(valid)
    F = pearson / tr
    ddf = d0 * df_design
    k = (r - 1) * (c - 1)
    chisq = pearson / (tr / k)
    test = RaoScottTest(
        statistic=F,
        ndf=d0,
        ddf=ddf,
        p_value=f_sf(F, d0, ddf),
        chisq=chisq,
        chisq_df=k,
        chisq_p_value=chi2_sf(chisq, k),
        pearson=pearson,
    )
    # Δ is similar to a symmetric matrix: real eigenvalues (R's eigen(Delta)$values)
    delta = np.sort(np.linalg.eigvals(delta).real)[::-1]
    stats = _TableStats(
        pearson,
        delta,
        d0,
        float(df_design),
        k,
        hasattr(design, "cell_covariance"),
        _wald_form(design, we, cell, counts, r, c),
    )
    table = pd.DataFrame(counts.reshape(r, c), index=pd.Index(ra, name=row), columns=cb)
    table.columns.name = col
    se = np.sqrt(np.maximum(np.diag(V), 0))
    props = pd.DataFrame(
        {
            row: [ra[i] for i in ri],
            col: [cb[j] for j in ci],
            "estimate": p,
            "se": se,
            "n": np.bincount(cell[valid], minlength=r * c),
        }
    )
    props["small_cell"] = props["n"] < design.min_n
    return CrosstabResult(row, col, table, props, test, stats)


def _wald_form(design, we, cell, counts, r: int, c: int) -> float:
    """R's Wald form of no interaction: ``Y = N_ij - N_i. N_.j / N`` over the cells past the
    first row and column, ``Y' V_Y^-1 Y`` with ``V_Y`` by the delta method from the design
    covariance of the cell totals (R takes it from the totals of cells, rows, columns and 1,
    all linear in the cell totals)."""
    K = r * c
    V = design._ratio_covariance(we, np.ones(len(we)), None, counts, cell, K)
    T = counts.reshape(r, c)
    R, C, N = T.sum(axis=1), T.sum(axis=0), T.sum()
    Y = (T - np.outer(R, C) / N).ravel()
    ri, ci = np.divmod(np.arange(K), c)
    same_r = ri[:, None] == ri[None, :]
    same_c = ci[:, None] == ci[None, :]
    J = (
        np.eye(K)
        - (same_r * C[ci][:, None] + same_c * R[ri][:, None]) / N
        + (R[ri] * C[ci] / N**2)[:, None]
    )
    use = (ri > 0) & (ci > 0)
    Ju = J[use]
    Vy = Ju @ V @ Ju.T
    try:
        return float(Y[use] @ np.linalg.solve(Vy, Y[use]))
    except np.linalg.LinAlgError:  # R's solve() stops; the Wald tests are NaN here
        return float("nan")


def label(column: str) -> str:
    """The contract's Chinese label of a survey column (the column itself when it has none)."""
    f = _contract()["survey"].fields.get(column)
    return f.label if f is not None else column
