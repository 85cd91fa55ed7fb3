"""Replicate-weight designs: jackknife (JK1, JKn) and Rao–Wu/Canty–Davison bootstrap.

Replicate weights are stored compactly as PSU-level factors ``A`` (replicates x PSUs): the
weight of row i in replicate r is ``w_i * A[r, psu(i)]``. Estimates that are ratios of
totals are then computed for all replicates at once from PSU totals (``A @ T``).
Variance: ``scale * sum_r rscales_r (theta_r - center)^2`` with ``center`` the mean of the
replicates (R's default ``mse=FALSE``) or the full-sample estimate (``mse=True``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import logit

from .base import DesignBase
from .glm import GLMResult, _model_matrices, base_family, fit_irls
from .variance import DomainScores, unit_totals

TYPES = ("jk1", "jkn", "bootstrap", "brr", "fay")


def sylvester(n_strata: int) -> np.ndarray:
    """0/1 Sylvester–Hadamard matrix of the smallest order 2^k > ``n_strata`` (1 for +1), which
    is R's ``hadamard(n_strata)`` whenever R's choice is a power of 2 (e.g. 3, 7, 15, 31 strata,
    and 13–15, 29–31 ...)."""
    H = np.ones((1, 1))
    while H.shape[0] < n_strata + 1:
        H = np.block([[H, H], [H, -H]])
    return (H == 1).astype(int)


BRR_SMALL = ("fail", "split", "merge")
BRR_LARGE = ("split", "merge", "fail")


def _brr_pseudo_strata(design, small: str, large: str) -> tuple[np.ndarray, np.ndarray, int]:
    """R ``brrweights``' pseudo-strata: for each PSU its two 0/1 half-sample columns (P, 2)
    and its pseudo-stratum (1-based, the row of the Hadamard matrix), and their number."""
    s1 = design._stage1
    n_h = s1.n_in_parent
    labels = design.strata_labels

    def show(hs):
        return [labels[h] for h in hs[:5]]

    few = [h for h in range(s1.n_parent) if n_h[h] < 2]
    many = [h for h in range(s1.n_parent) if n_h[h] > 2]
    if few and small == "fail":
        raise ValueError(
            f"BRR/Fay need exactly 2 PSUs per stratum: strata {show(few)} have fewer than 2 "
            "PSUs (R: 'Some strata have fewer than 2 PSUs'); pass small='merge' or 'split'"
        )
    if many and large == "fail":
        raise ValueError(
            f"BRR/Fay need exactly 2 PSUs per stratum: strata {show(many)} have more than 2 "
            "PSUs (R: 'Some strata have more than 2 PSUs'); pass large='split' or 'merge'"
        )
    # strata in the order of their labels as text, PSUs by first appearance
    order = sorted(range(s1.n_parent), key=lambda h: str(labels[h]))
    first_row = np.full(s1.n_units, len(s1.codes))
    np.minimum.at(first_row, s1.codes, np.arange(len(s1.codes)))
    by_first = np.argsort(first_row, kind="stable")
    units: dict[int, list[int]] = {h: [] for h in range(s1.n_parent)}
    for j in by_first:
        units[int(s1.parent[j])].append(int(j))
    half = np.zeros(s1.n_units)  # column 1 of R's weights; column 2 is 1 - column 1
    pstrat = np.zeros(s1.n_units, dtype=np.int64)
    upto = 0
    lone = np.zeros(s1.n_units, dtype=bool)  # small="split": 0.5 in both columns (factor 1)
    small_h = [h for h in order if n_h[h] == 1]
    if small_h and small == "split":
        psus = [int(j) for j in by_first if n_h[s1.parent[j]] == 1]
        lone[psus] = True
        pstrat[psus] = np.arange(1, len(psus) + 1)
        upto = len(psus)
    elif small_h:  # merge: halves alternate; pseudo-strata 1..k//2 twice (odd k: 1 first)
        if len(small_h) == 1:
            raise ValueError("Can't merge with a single small stratum (as R); use small='split'")
        psus = [units[h][0] for h in small_h]
        k, m = len(psus), len(psus) // 2
        half[psus] = np.arange(k) % 2
        seq = np.tile(np.arange(1, m + 1), 2)
        pstrat[psus] = seq if k % 2 == 0 else np.concatenate([[1], seq])
        upto = m
    large_h = [h for h in order if n_h[h] > 2]
    if large_h and large == "split":
        odd = [h for h in large_h if n_h[h] % 2 == 1]
        if odd:
            raise ValueError(
                "BRR/Fay need exactly 2 PSUs per (pseudo-)stratum: large='split' cannot split "
                f"strata {show(odd)} with an odd number of PSUs (R: 'Can't split with odd "
                "numbers of PSUs in a stratum'); pass large='merge'"
            )
        for h in large_h:  # consecutive pairs of PSUs
            psus = units[h]
            half[psus] = np.arange(len(psus)) % 2
            pstrat[psus] = upto + 1 + np.arange(len(psus)) // 2
            upto += len(psus) // 2
    elif large_h:  # merge: one pseudo-stratum per stratum, its first n//2 PSUs vs the rest
        for h in large_h:
            psus = units[h]
            half[psus] = np.arange(len(psus)) >= len(psus) // 2
            upto += 1
            pstrat[psus] = upto
    for h in order:
        if n_h[h] == 2:
            upto += 1
            half[units[h]] = [0.0, 1.0]
            pstrat[units[h]] = upto
    halves = np.column_stack([half, 1 - half])
    halves[lone] = 0.5
    return halves, pstrat, upto


def brr_factors(
    design,
    rho: float = 0.0,
    hadamard: np.ndarray | None = None,
    small: str = "fail",
    large: str = "split",
) -> np.ndarray:
    """Half-sample factors (replicates x PSUs) as R's ``brrweights``: strata in the order of
    their labels as text, PSUs in a stratum in the order they first appear; replicate ``i``
    takes from (pseudo-)stratum ``k`` its first half where row ``k + 1`` of the Hadamard
    matrix is 1, else its second (factor ``2 - rho``; the other half ``rho``).

    Strata with other than 2 PSUs as R's ``small=`` / ``large=``: ``small="merge"`` pairs the
    single-PSU strata (as R: the j-th with the (k/2 + j)-th; an odd count puts 3 in the first
    pair), ``"split"`` keeps each at factor 1; ``large="split"`` cuts a stratum with an even
    number of PSUs into consecutive pairs, ``"merge"`` halves it (first n//2 PSUs vs the
    rest); ``"fail"`` raises. ``hadamard`` as R's ``hadamard.matrix=`` (its first value
    counts as 0), else :func:`sylvester`."""
    if small not in BRR_SMALL:
        raise ValueError(f"small must be one of {BRR_SMALL}, got {small!r}")
    if large not in BRR_LARGE:
        raise ValueError(f"large must be one of {BRR_LARGE}, got {large!r}")
    halves, pstrat, upto = _brr_pseudo_strata(design, small, large)
    if hadamard is None:
        Hm = sylvester(upto)
    else:
        M = np.asarray(hadamard)
        first = M.ravel(order="F")[0]
        Hm = np.where(M == first, 0, 1)
        if Hm.shape[0] < upto + 1:
            raise ValueError(f"hadamard must have at least {upto + 1} rows (strata + 1)")
    pick = Hm[pstrat, :].T  # (replicates, P): R's column index - 1 into the halves
    P = halves.shape[0]
    wa = halves[np.arange(P)[None, :], pick]
    wb = halves[np.arange(P)[None, :], 1 - pick]
    return wa * (2 - rho) + wb * rho


def as_replicate(
    design,
    type: str = "jkn",
    replicates: int = 50,
    seed: int | None = 12345,
    rho: float | None = None,
    hadamard: np.ndarray | None = None,
    small: str = "fail",
    large: str = "split",
) -> ReplicateDesign:
    """Replicate-weight version of ``design`` (R ``as.svrepdesign``); ``small``/``large``
    (BRR/Fay only) as R's ``brrweights`` for strata with fewer/more than 2 PSUs."""
    t = type.lower()
    if t not in TYPES:
        raise ValueError(f"replicate type must be one of {TYPES}, got {type!r}")
    if t in ("brr", "fay"):
        if t == "fay" and rho is None:
            raise ValueError("type='fay' needs rho (R's fay.rho), e.g. 0.3")
        r = 0.0 if t == "brr" else float(rho)
        if not 0 <= r < 1:
            raise ValueError(f"rho must lie in [0, 1), got {r}")
        A = brr_factors(design, r, hadamard, small, large)
        R = A.shape[0]
        degf = int(np.linalg.matrix_rank(A)) - 1
        return ReplicateDesign(design, A, 1.0 / (R * (1 - r) ** 2), np.ones(R), t, degf)
    s1 = design._stage1
    P, H = s1.n_units, s1.n_parent
    n_h = s1.n_in_parent
    f_h = s1.frac
    if t == "jk1":
        if H > 1:
            raise ValueError("JK1 needs an unstratified design; use 'jkn' for stratified designs")
        n = P
        A = np.full((n, n), n / (n - 1))
        np.fill_diagonal(A, 0.0)
        scale = (n - 1) / n * (1 - f_h[0])
        rscales = np.ones(n)
        degf = n - 1
    elif t == "jkn":
        psus = [j for j in range(P) if n_h[s1.parent[j]] > 1]
        A = np.ones((len(psus), P))
        rscales = np.empty(len(psus))
        for r, j in enumerate(psus):
            h = s1.parent[j]
            same = s1.parent == h
            A[r, same] = n_h[h] / (n_h[h] - 1)
            A[r, j] = 0.0
            rscales[r] = (n_h[h] - 1) / n_h[h] * (1 - f_h[h])
        scale = 1.0
        degf = design.degf()
    else:
        rng = np.random.default_rng(seed)
        A = np.ones((replicates, P))
        for h in range(H):
            units = np.flatnonzero(s1.parent == h)
            m = len(units)
            if m < 2:
                continue
            draws = rng.integers(0, m, size=(replicates, m - 1))
            counts = np.zeros((replicates, m))
            np.add.at(counts, (np.arange(replicates)[:, None], draws), 1.0)
            A[:, units] = counts * m / (m - 1)
        scale = 1.0 / (replicates - 1)
        rscales = np.ones(replicates)
        degf = int(np.linalg.matrix_rank(A)) - 1
    return ReplicateDesign(design, A, float(scale), rscales, t, int(degf))


class ReplicateDesign(DesignBase):
    """A design with replicate weights; the estimators of :class:`DesignBase` (mean, total,
    ratio, proportion, quantile, glm), with replicate variances.

    ``factors`` (replicates x PSUs), ``scale``, ``rscales`` and ``replicate_weights()``
    expose the replicates (e.g. to propagate sampling error into a Monte Carlo).
    """

    def __init__(self, design, factors, scale, rscales, type, degf, mse: bool = False):
        self.design = design
        self.factors = factors
        self.scale = scale
        self.rscales = rscales
        self.type = type
        self._degf = degf
        self.mse = mse
        self.min_n = design.min_n

    # the rows, weights and domain are those of the full-sample design
    @property
    def data(self) -> pd.DataFrame:
        return self.design.data

    @property
    def weights(self) -> np.ndarray:
        return self.design.weights

    @property
    def domain(self) -> np.ndarray:
        return self.design.domain

    @property
    def design_columns(self) -> tuple[str, ...]:
        return self.design.design_columns

    @property
    def n_replicates(self) -> int:
        return self.factors.shape[0]

    def degf(self, mask=None) -> int:
        """Degrees of freedom of the replicates (the same for every domain, as R's)."""
        return self._degf

    def replicate_weights(self) -> np.ndarray:
        """Full (n x replicates) matrix of replicate analysis weights (large for big data)."""
        w = self.design.analysis_weights()
        return w[:, None] * self.factors[:, self.design._stage1.codes].T

    def _rewrap(self, design) -> ReplicateDesign:
        return ReplicateDesign(
            design, self.factors, self.scale, self.rscales, self.type, self._degf, self.mse
        )

    def _with_domain(self, domain: np.ndarray) -> ReplicateDesign:
        return self._rewrap(self.design._with_domain(domain))

    def _with_data(self, data: pd.DataFrame) -> ReplicateDesign:
        return self._rewrap(self.design._with_data(data))

    def _replicate_row_weights(self, w: np.ndarray):
        """Row weights ``w`` times each replicate's factors (one array per replicate)."""
        codes = self.design._stage1.codes
        for a in self.factors:
            yield w * a[codes]

    def variance(self, thetas: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Replicate variance of estimates ``thetas`` (replicates x K) around ``theta``."""
        ok = ~np.isnan(thetas)
        if ok.all():
            center = theta[None, :] if self.mse else thetas.mean(axis=0, keepdims=True)
            d = thetas - center
            return self.scale * np.einsum("r,rk->k", self.rscales, d * d)
        # as R's svrVar: replicates without a value (e.g. no rows in a domain) are discarded
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(ok, thetas, 0.0).sum(axis=0) / ok.sum(axis=0)
        center = theta if self.mse else mean
        d = np.where(ok, thetas - center[None, :], 0.0)
        return self.scale * np.einsum("r,rk->k", self.rscales, d * d)

    def covariance(self, thetas: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Replicate covariance (K, K) of estimates ``thetas`` (replicates x K) around the
        replicate mean (``mse=True``: around ``theta``)."""
        center = theta[None, :] if self.mse else thetas.mean(axis=0, keepdims=True)
        d = thetas - center
        return self.scale * (d * self.rscales[:, None]).T @ d

    # ------------------------------------------------------------------ variance (DesignBase)
    def _psu_totals(self, z: np.ndarray, col: np.ndarray, G: int) -> np.ndarray:
        s1 = self.design._stage1
        return unit_totals(DomainScores(z, col, G), s1.codes, s1.n_units)

    def _replicate_ratios(self, we, y, x, col, G) -> np.ndarray:
        """The domain ratios (totals for ``x=None``) under every replicate: (replicates, G)."""
        Ty = self._psu_totals(we * y, col, G)
        if x is None:
            return self.factors @ Ty
        Tx = self._psu_totals(we * x, col, G)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.factors @ Ty) / (self.factors @ Tx)

    def _replicate_svyvar(
        self, we: np.ndarray, dev: np.ndarray, nobs: np.ndarray, col: np.ndarray, G: int
    ) -> np.ndarray:
        """R's ``svyvar`` under every replicate (``svyvar.svyrep.design``): the replicate's
        weighted variance around its own weighted mean, times ``n/(n-1)`` — (replicates, G).
        ``dev`` is ``y`` minus the full-sample domain mean (0 outside), which leaves the
        variance unchanged and keeps the sums of squares small."""
        A = self.factors
        W = A @ self._psu_totals(we, col, G)
        S1 = A @ self._psu_totals(we * dev, col, G)
        S2 = A @ self._psu_totals(we * dev * dev, col, G)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = S1 / W
            return (S2 / W - m * m) * (nobs / (nobs - 1))[None, :]

    def _ratio_variance(self, we, y, x, est, col, G) -> np.ndarray:
        return self.variance(self._replicate_ratios(we, y, x, col, G), est)

    def _ratio_covariance(self, we, y, x, est, col, G) -> np.ndarray:
        return self.covariance(self._replicate_ratios(we, y, x, col, G), est)

    def _ratio_logit_se(self, we, y, x, est, col, G) -> np.ndarray:
        """Replicate SE of logit(p) (R ``svyciprop(method="logit")`` on replicate designs)."""
        reps = self._replicate_ratios(we, y, x, col, G)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sqrt(self.variance(logit(reps), logit(est)))

    def _domain_df(self, codes, valid, G) -> np.ndarray:
        """R's ``degf(subset(design, domain))``: the rank of the domain's replicate weights
        minus 1 (a domain inside one stratum of a JKn design has that stratum's PSUs - 1)."""
        if G == 1 and self.design.domain.all() and (codes >= 0).all():
            return np.full(G, float(self._degf))
        s1 = self.design._stage1
        inset = (codes >= 0) & self.design.domain & (self.design.weights != 0)
        out = np.empty(G)
        for g in range(G):
            psus = np.unique(s1.codes[inset & (codes == g)])
            if len(psus) == 0:
                out[g] = np.nan
                continue
            A = self.factors[:, psus]
            out[g] = float(np.linalg.matrix_rank(A, tol=1e-5 * np.abs(A).max())) - 1
        return out

    def _domain_nrows(self, codes, G, rows: np.ndarray | None = None) -> np.ndarray:
        """Rows (among ``rows``, default all) of each domain (R's subset drops the others)."""
        keep = codes >= 0 if rows is None else (codes >= 0) & rows
        return np.bincount(codes[keep], minlength=G).astype(float)

    def _quasibinomial_dispersion(self, n, w_answered, kept, w_rows, rows) -> np.ndarray:
        """R's ``summary.svrepglm``: the weighted mean of the squared Pearson residuals over
        the answered rows, divided by the weight of all the domain's rows."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return w_answered / w_rows

    def _glm(self, formula: str, family: str) -> GLMResult:
        """Refit the GLM with each replicate's weights (R ``svyglm`` on a replicate design)."""
        d = self.design
        fam = base_family(family)
        yk, Xk, rows = _model_matrices(d, formula)
        keep = np.zeros(len(d.data), dtype=bool)
        keep[rows] = True
        keep &= d.domain
        X = np.zeros((len(d.data), Xk.shape[1]))
        X[rows] = Xk.to_numpy(float)
        y = np.zeros(len(d.data))
        y[rows] = yk
        w = np.where(keep, d.weights, 0.0)
        # R: full-sample weights scaled to mean 1 over the design's rows; each replicate fit
        # with weights scaled to sum 1, started from the full-sample coefficients
        w = w / d.weights[d.domain].mean()
        beta = fit_irls(X, y, w, fam)[0]
        reps = []
        for wr in self._replicate_row_weights(w):
            reps.append(fit_irls(X, y, wr / wr.sum(), fam, start=beta)[0])
        V = self.covariance(np.array(reps), beta)
        names = list(Xk.columns)
        result = GLMResult(
            formula,
            family,
            pd.Series(beta, index=names),
            pd.DataFrame(V, index=names, columns=names),
            float(self._degf + 1 - len(names)),
            int(keep.sum()),
        )
        result.design = self  # for regTermTest(method="LRT"), which refits without terms
        return result

    def cell_covariance(self, we: np.ndarray, cell: np.ndarray, K: int) -> np.ndarray:
        """Replicate covariance (K, K) of the shares ``sum(we [cell == k]) / sum(we)``."""
        s1 = self.design._stage1
        T = unit_totals(DomainScores(we, cell, K), s1.codes, s1.n_units)
        T = T.toarray() if hasattr(T, "toarray") else np.asarray(T)
        counts = self.factors @ T
        reps = counts / counts.sum(axis=1, keepdims=True)
        return self.covariance(reps, T.sum(axis=0) / T.sum())

    def crosstab(self, row: str, col: str):
        """Weighted two-way table with Rao–Scott tests on the replicate covariance of the cell
        shares and the replicate df (R ``svychisq`` on a replicate design)."""
        from .crosstab import crosstab

        return crosstab(self, row, col)

    def __repr__(self) -> str:
        return (
            f"ReplicateDesign ({self.type}, {self.n_replicates} replicates, scale "
            f"{self.scale:.4g}, df {self._degf}) of\n{self.design!r}"
        )

    def _repr_html_(self) -> str:
        return (
            f"<p>ReplicateDesign ({self.type}, {self.n_replicates} replicates, df "
            f"{self._degf})</p>" + self.design._repr_html_()
        )


__all__: Sequence[str] = ["ReplicateDesign", "as_replicate"]
