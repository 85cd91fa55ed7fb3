"""Two-way tables with Rao–Scott corrected Pearson tests (R ``svychisq``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from commeval.data.contract import contract as _contract
from commeval.display import fmt, fmt_p, frame_html

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


@dataclass
class CrosstabResult:
    """``table``: weighted counts; ``proportions``: cell shares with ``se``; ``test``."""

    row: str
    col: str
    table: pd.DataFrame
    proportions: pd.DataFrame
    test: RaoScottTest

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
    return CrosstabResult(row, col, table, props, test)


def label(column: str) -> str:
    """The contract's Chinese label of a survey column (the column itself when it has none)."""
    f = _contract()["survey"].fields.get(column)
    return f.label if f is not None else column
