"""Taylor-linearization variance of estimated totals of influence scores.

Every linearized estimator reduces to a matrix of *scores* ``Z`` (one row per respondent,
one column per estimate, already multiplied by the weights) whose estimated total has the
same variance, to first order, as the estimator. This module turns scores into design
variances for a stratified multistage design with optional finite population corrections:

``V = sum_h (1 - f_h) n_h / (n_h - 1) sum_j (z_hj - mean_h z)^2``
``    + sum_h f_h sum_j (1 - f_hj) m_hj / (m_hj - 1) sum_k (z_hjk - mean_hj z)^2``

(Särndal, Swensson & Wretman 1992, sec. 4.3; the second-stage term only when the first stage
has a finite population correction, as R's default ``survey.ultimate.cluster = FALSE``).
Calibrated designs replace scores by residuals of the calibration regression; that happens
here in the space of cluster totals so domain estimates never need dense ``n x K`` arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass
class DomainScores:
    """Scores in compact domain form: ``Z[i, col[i]] = z[i]`` and zero elsewhere (K columns)."""

    z: np.ndarray
    col: np.ndarray
    K: int

    def scaled(self, r: np.ndarray) -> DomainScores:
        return DomainScores(self.z * r, self.col, self.K)


Scores = np.ndarray | DomainScores


@dataclass
class Stage:
    """One sampling stage: unit codes per row and the grouping of units into parents.

    At stage 1 parents are strata; at stage 2 parents are the PSUs.
    """

    codes: np.ndarray  # (n,) unit code of each row
    n_units: int
    parent: np.ndarray  # (n_units,) parent code of each unit
    n_parent: int
    n_in_parent: np.ndarray  # (n_parent,) units sampled in each parent (whole design)
    frac: np.ndarray  # (n_parent,) sampling fraction, 0 without fpc
    has_fpc: bool
    #: (n_units,) inclusion probability of each unit: Brewer's PPS approximation scales each
    #: unit by 1 - pi_i instead of its parent's 1 - f (None: equal-probability stage)
    unit_prob: np.ndarray | None = None
    _ind: sp.csr_matrix | None = field(default=None, repr=False)
    _pind: sp.csr_matrix | None = field(default=None, repr=False)

    @property
    def indicator(self) -> sp.csr_matrix:
        """Sparse (n_units x n) matrix summing rows into units."""
        if self._ind is None:
            n = self.codes.shape[0]
            self._ind = sp.csr_matrix(
                (np.ones(n), (self.codes, np.arange(n))), shape=(self.n_units, n)
            )
        return self._ind

    @property
    def parent_indicator(self) -> sp.csr_matrix:
        if self._pind is None:
            self._pind = sp.csr_matrix(
                (np.ones(self.n_units), (self.parent, np.arange(self.n_units))),
                shape=(self.n_parent, self.n_units),
            )
        return self._pind


@dataclass
class CalibrationStep:
    """A calibration (post-stratification, raking, GREG) applied to the weights.

    Variance uses residuals ``z - w_after * X b`` with ``b`` the regression of the scores
    divided by ``w_after`` on ``X`` with weights ``metric`` (the weights before calibration).
    """

    X: np.ndarray  # (n, q)
    metric: np.ndarray  # (n,)
    w_after: np.ndarray  # (n,)
    description: str
    _gram_pinv: np.ndarray | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def gram_pinv(self) -> np.ndarray:
        if self._gram_pinv is None:
            G = self.X.T @ (self.X * self.metric[:, None])
            self._gram_pinv = np.linalg.pinv(G, rcond=1e-10)
        return self._gram_pinv


#: Domain score totals larger than this many cells are kept sparse (many domains, e.g. every
#: township of a province, each touching only its own stratum's PSUs).
SPARSE_CELLS = 2_000_000


def unit_totals(scores: Scores, codes: np.ndarray, n_groups: int, indicator=None):
    """Sum scores within groups: returns (n_groups, K), as a sparse matrix for domain scores
    whose dense form would exceed :data:`SPARSE_CELLS` cells."""
    if isinstance(scores, DomainScores):
        if n_groups * scores.K > SPARSE_CELLS:
            return sp.csr_matrix(
                (scores.z, (codes.astype(np.int64), scores.col)), shape=(n_groups, scores.K)
            )
        idx = codes.astype(np.int64) * scores.K + scores.col
        out = np.bincount(idx, weights=scores.z, minlength=n_groups * scores.K)
        return out.reshape(n_groups, scores.K)
    Z = scores if scores.ndim == 2 else scores[:, None]
    if Z.shape[1] <= 3 or indicator is None:
        return np.column_stack(
            [np.bincount(codes, weights=Z[:, k], minlength=n_groups) for k in range(Z.shape[1])]
        ).reshape(n_groups, Z.shape[1])
    return np.asarray(indicator @ Z)


def _cross(X: np.ndarray, r: np.ndarray, scores: Scores) -> np.ndarray:
    """``X' diag(r) Z`` -> (q, K)."""
    if isinstance(scores, DomainScores):
        return np.vstack(
            [
                np.bincount(scores.col, weights=scores.z * r * X[:, j], minlength=scores.K)
                for j in range(X.shape[1])
            ]
        )
    Z = scores if scores.ndim == 2 else scores[:, None]
    return X.T @ (Z * r[:, None])


def _calibration_coefs(steps: list[CalibrationStep], scores: Scores) -> list[np.ndarray]:
    """Regression coefficients of each calibration step applied in sequence."""
    coefs: list[np.ndarray] = []
    for k, st in enumerate(steps):
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(st.w_after > 0, st.metric / st.w_after, 0.0)
        rhs = _cross(st.X, r, scores)
        for j in range(k):
            prev = steps[j]
            key = ("x", j)
            if key not in st._cache:
                st._cache[key] = st.X.T @ (prev.X * (r * prev.w_after)[:, None])
            rhs = rhs - st._cache[key] @ coefs[j]
        coefs.append(st.gram_pinv @ rhs)
    return coefs


def stage_totals(design, scores: Scores, stage: Stage, coefs: list[np.ndarray]) -> np.ndarray:
    """Totals of (calibration-residualized) scores within the units of one stage."""
    T = unit_totals(scores, stage.codes, stage.n_units, stage.indicator)
    if sp.issparse(T) and design._calibration:
        T = T.toarray()
    for st, b in zip(design._calibration, coefs):
        key = ("t", id(stage))
        if key not in st._cache:
            st._cache[key] = unit_totals(
                st.X * st.w_after[:, None], stage.codes, stage.n_units, stage.indicator
            )
        T = T - st._cache[key] @ b
    return T


def _within_parent_sparse(T: sp.spmatrix, stage: Stage, scale: np.ndarray, lonely: str):
    """The variances of :func:`_within_parent` for sparse unit totals, from
    ``sum_u (T_u - m_p)^2 = sum_u T_u^2 - S_p^2 / n_p`` per parent (no dense n_units x K)."""
    T = sp.csr_matrix(T)
    n_par = stage.n_in_parent.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_par = np.where(n_par > 1, scale * n_par / (n_par - 1), 0.0)
        inv_n = np.where(n_par > 0, 1.0 / n_par, 0.0)
    S = sp.csr_matrix(stage.parent_indicator @ T)
    V = np.asarray(T.multiply(T).T @ c_par[stage.parent]).ravel()
    V = V - np.asarray(S.multiply(S).T @ (c_par * inv_n)).ravel()
    if lonely == "adjust":
        single = (n_par == 1).astype(float)
        if single.any():
            # a lonely PSU is centred at zero (R's "adjust"): scale * T^2
            V = V + np.asarray(T.multiply(T).T @ (scale * single)[stage.parent]).ravel()
    return np.maximum(V, 0.0)


def _within_parent(
    T, stage: Stage, scale: np.ndarray, full: bool, lonely: str, present=None, unit_scale=None
):
    """sum over parents of scale * n/(n-1) * sum of squared deviations from the parent mean.

    ``present`` (n_units x K, bool) marks the units holding rows of each estimate's design
    (R's subset design); ``None``: the units with a nonzero total. Only ``"average"`` uses it.
    ``unit_scale`` (n_units,) replaces the parent's ``scale`` unit by unit (Brewer's PPS).
    """
    if sp.issparse(T):
        if not full and lonely != "average" and unit_scale is None:
            return _within_parent_sparse(T, stage, scale, lonely)
        T = T.toarray()
    sums = np.asarray(stage.parent_indicator @ T)
    n_par = stage.n_in_parent.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = sums / n_par[:, None]
    D = T - means[stage.parent]
    n_u = n_par[stage.parent]
    su = scale[stage.parent] if unit_scale is None else unit_scale
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n_u > 1, su * n_u / (n_u - 1), 0.0)
    single = n_u == 1
    if single.any() and lonely == "adjust":
        # a lonely PSU is centred at zero, the population mean of the scores (R's "adjust")
        D[single] = T[single]
        c[single] = su[single]
    if full:
        V = (D * c[:, None]).T @ D
    else:
        V = (c[:, None] * D * D).sum(axis=0)
    if lonely == "average" and single.any():
        # variance scaled by strata / strata with >1 PSU, counting only strata that the
        # estimate's domain reaches (R drops strata without rows when subsetting)
        nz = T != 0 if present is None else present
        if full:
            nz = nz.any(axis=1, keepdims=True)
        present_par = (np.asarray(stage.parent_indicator @ nz.astype(float)) > 0).astype(float)
        lonely_strata = ((stage.n_in_parent == 1) & (stage.frac < 1)).astype(float)
        n_present = present_par.sum(axis=0)
        n_ok = n_present - lonely_strata @ present_par
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(n_ok > 0, n_present / n_ok, np.nan)
        V = V * (factor[0] if full else factor)
    return V


def _presence(design, scores: Scores, members: Scores | None, stage: Stage) -> np.ndarray:
    """(n_units, K) bool: the units of ``stage`` holding rows of each estimate's design.

    ``members`` is nonzero on those rows (``None``: the rows with a nonzero score). On
    calibrated designs every unit counts, as R keeps all rows of a calibrated design when it
    subsets (weights set to zero)."""
    if isinstance(scores, DomainScores):
        K = scores.K
    else:
        K = 1 if scores.ndim == 1 else scores.shape[1]
    if design._calibration:
        return np.ones((stage.n_units, K), dtype=bool)
    if members is None:
        if isinstance(scores, DomainScores):
            members = DomainScores((scores.z != 0).astype(float), scores.col, K)
        else:
            members = (scores != 0).astype(float)
    M = unit_totals(members, stage.codes, stage.n_units, stage.indicator)
    M = M.toarray() if sp.issparse(M) else np.asarray(M)
    return M.reshape(stage.n_units, K) != 0


def design_variance(
    design, scores: Scores, full: bool = False, members: Scores | None = None
) -> np.ndarray:
    """Design variance of the estimated totals of ``scores``.

    Returns variances (K,) or, with ``full=True``, the (K, K) covariance matrix. ``members``
    (same form as ``scores``, nonzero on the rows in each estimate's domain) tells which
    strata and PSUs an estimate reaches under ``lonely_psu="average"``; without it, the rows
    with a nonzero score. Under ``"average"`` a PSU with one sampled SSU makes the variance of
    every estimate reaching it NaN (the whole matrix with ``full=True``), as R's
    ``svyrecvar``, whose stage-2 average over no stratum with several units is 0/0.
    """
    coefs = _calibration_coefs(design._calibration, scores) if design._calibration else []
    s1: Stage = design._stage1
    average = design.lonely_psu == "average"
    T1 = stage_totals(design, scores, s1, coefs)
    dcheck = getattr(design, "_pps_dcheck", None)
    if dcheck is not None:
        return pps_matrix_variance(T1, dcheck, full)
    P1 = _presence(design, scores, members, s1) if average else None
    unit_scale = None if s1.unit_prob is None else 1.0 - s1.unit_prob
    V = _within_parent(T1, s1, 1.0 - s1.frac, full, design.lonely_psu, P1, unit_scale)
    s2: Stage | None = design._stage2
    if s2 is not None and (s1.has_fpc or s1.unit_prob is not None):
        T2 = stage_totals(design, scores, s2, coefs)
        # stage-2 parents are PSUs; each scaled by the first-stage sampling fraction (by the
        # PSU's inclusion probability in a PPS design)
        first = s1.frac[s1.parent] if s1.unit_prob is None else s1.unit_prob
        scale2 = (1.0 - s2.frac) * first
        # a PSU with one sampled SSU: 0 (R's "remove"/"certainty"), or centred at 0 under
        # "adjust", as R applies survey.lonely.psu at stage 2 ("fail" stops at construction)
        lonely2 = "adjust" if design.lonely_psu == "adjust" else "certainty"
        V = V + _within_parent(T2, s2, scale2, full, lonely2)
        single = (s2.n_in_parent == 1) & (s2.frac < 1)
        if average and single.any():
            # R: the PSU's stage-2 variance averages over its strata with several units —
            # none — 0 * 1/0 = NaN, which reaches every estimate whose rows touch the PSU
            reach = P1[single].any(axis=0)
            V = np.where(reach.any(), np.nan, V) if full else np.where(reach, np.nan, V)
    return V


def pps_matrix_variance(T, dcheck: np.ndarray, full: bool = False) -> np.ndarray:
    """``T' D T`` of PSU totals ``T`` (n_psu x K) and a PSU x PSU matrix ``D`` — R's
    ``htvar.matrix``: the Horvitz–Thompson variance with ``D_ij = (pi_ij - pi_i pi_j) / pi_ij``
    (Overton's approximation or a joint-probability matrix); the Yates–Grundy form is the same
    with ``D - diag(colSums(D))`` (R's ``ygvar.matrix``), see ``SurveyDesign(pps=...)``."""
    T = T.toarray() if sp.issparse(T) else np.asarray(T)
    if full:
        return T.T @ dcheck @ T
    return np.einsum("ik,ik->k", T, dcheck @ T)


def ratio_scores(we, y, x, est, col, G) -> DomainScores:
    """Linearised scores of domain ratios ``sum(we y) / sum(we x)``: ``we (y - est x) /
    sum(we x)`` in the row's domain ``col`` (``we y`` for totals, ``x=None``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if x is None:
            z = we * y
        else:
            X = np.bincount(col, weights=we * x, minlength=G)
            z = we * (y - est[col] * x) / X[col]
    return DomainScores(np.nan_to_num(z), col, G)


def ratio_variance(design, we, y, x, est, col, G, full: bool = False) -> np.ndarray:
    """Taylor variance (G,) — with ``full=True`` covariance (G, G) — of domain ratios; the
    rows counted (``we != 0``) are each domain's rows for ``lonely_psu="average"``."""
    members = DomainScores((we != 0).astype(float), col, G)
    return design_variance(design, ratio_scores(we, y, x, est, col, G), full=full, members=members)
