"""Cronbach's alpha: design-weighted (R ``svycralpha``), raw and standardized."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commeval.data.contract import contract as _contract
from commeval.display import frame_html

from .columns import numeric_column


@dataclass
class AlphaResult:
    """``alpha`` (design-weighted), ``raw_alpha``/``std_alpha`` (unweighted) and per-item
    ``items`` (corrected item-total correlation, weighted alpha if the item is deleted)."""

    alpha: float
    raw_alpha: float
    std_alpha: float
    n: int
    items: pd.DataFrame

    def __repr__(self) -> str:
        return (
            f"Cronbach alpha = {self.alpha:.3f} (design-weighted), raw {self.raw_alpha:.3f}, "
            f"standardized {self.std_alpha:.3f}, n = {self.n}\n{self.items.round(3)}"
        )

    def _repr_html_(self) -> str:
        items = self.items.copy()
        if "item" in items:
            items.insert(1, "label", [label(str(i)) for i in items["item"]])
        three = {c: "{:.3f}".format for c in ("item_total_r", "alpha_if_deleted")}
        return frame_html(
            items,
            f"Cronbach's α = {self.alpha:.3f} (design-weighted)",
            three,
            note=f"raw α {self.raw_alpha:.3f}, standardized α {self.std_alpha:.3f}, "
            f"n = {self.n} complete cases",
            max_rows=None,
        )


def _alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def _wcov(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    m = (w[:, None] * X).sum(0) / w.sum()
    D = X - m
    return (D * w[:, None]).T @ D / w.sum()


def cronbach_alpha(design, items: Sequence[str], dont_know: float | None = None) -> AlphaResult:
    """Complete cases on ``items`` within the design's domain (``dont_know`` codes excluded)."""
    items = list(items)
    if len(items) < 2:
        raise ValueError("cronbach_alpha needs at least two items")
    X = np.column_stack([numeric_column(design.data, c) for c in items])
    ok = design.domain & ~np.isnan(X).any(axis=1) & (design.weights > 0)
    if dont_know is not None:
        ok &= ~(X == dont_know).any(axis=1)
    X, w = X[ok], design.weights[ok]
    C = _wcov(X, w)
    raw = np.cov(X, rowvar=False)
    R = np.corrcoef(X, rowvar=False)
    k = len(items)
    std = float(
        k * R[np.triu_indices(k, 1)].mean() / (1 + (k - 1) * R[np.triu_indices(k, 1)].mean())
    )
    rows = []
    for j, name in enumerate(items):
        others = [i for i in range(k) if i != j]
        rest = X[:, others].sum(axis=1)
        cj = _wcov(np.column_stack([X[:, j], rest]), w)
        r_it = cj[0, 1] / np.sqrt(cj[0, 0] * cj[1, 1])
        a_del = _alpha(C[np.ix_(others, others)]) if k > 2 else float("nan")
        rows.append({"item": name, "item_total_r": r_it, "alpha_if_deleted": a_del})
    return AlphaResult(_alpha(C), _alpha(raw), std, int(ok.sum()), pd.DataFrame(rows))


def label(column: str) -> str:
    """The contract's Chinese label of a survey column (the column itself when it has none)."""
    f = _contract()["survey"].fields.get(column)
    return f.label if f is not None else column
