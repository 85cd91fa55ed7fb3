"""``SurveyDesign``: a stratified multistage sample design over a pandas DataFrame."""

from __future__ import annotations

import copy
import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .base import DesignBase
from .columns import check_columns, factor_codes, numeric_column
from .variance import CalibrationStep, Stage, ratio_variance

if TYPE_CHECKING:  # pragma: no cover
    from .crosstab import CrosstabResult
    from .glm import GLMResult
    from .replicate import ReplicateDesign

LONELY_PSU = ("fail", "remove", "adjust", "certainty", "average")
PPS = ("brewer", "overton")
#: R's ``ppsmat(tolerance=)``: entries of the Delta-check matrix below this are set to 0
PPS_TOLERANCE = 1e-4


def _pps_probabilities(
    data: pd.DataFrame, col: str, psu_codes: np.ndarray, n_psu: int
) -> np.ndarray:
    """Inclusion probability of each PSU from the ``fpc`` column of a PPS design."""
    v = numeric_column(data, col)
    if np.isnan(v).any():
        raise ValueError(f"fpc column {col!r} has {int(np.isnan(v).sum())} missing values")
    if ((v <= 0) | (v > 1)).any():
        raise ValueError(
            f"fpc column {col!r}: a PPS design needs the inclusion probabilities (0 < p <= 1) "
            f"in fpc ({int(((v <= 0) | (v > 1)).sum())} rows outside)"
        )
    lo = np.full(n_psu, np.inf)
    hi = np.full(n_psu, -np.inf)
    np.minimum.at(lo, psu_codes, v)
    np.maximum.at(hi, psu_codes, v)
    if not np.allclose(lo, hi):
        raise ValueError(
            f"fpc column {col!r} varies within {int((~np.isclose(lo, hi)).sum())} PSUs"
        )
    return lo


def _overton_dcheck(prob: np.ndarray, psu_stratum: np.ndarray, n_h: np.ndarray) -> np.ndarray:
    """Overton's approximation of the Delta-check matrix (R's ``overton2Dcheck``):
    ``1 - (n - (pi_i + pi_j) / 2) / (n - 1)`` within a stratum, ``1 - pi_i`` on the diagonal."""
    fbar = (prob[:, None] + prob[None, :]) / 2
    n = n_h[psu_stratum].astype(float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        D = 1 - (n - fbar) / (n - 1)
    D[(psu_stratum[:, None] != psu_stratum[None, :]) | (fbar == 1)] = 0.0
    np.fill_diagonal(D, 1 - prob)
    return D


def _joint_dcheck(pij: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Delta-check matrix ``(pi_ij - pi_i pi_j) / pi_ij`` of a joint-probability matrix (R's
    ``pi2Dcheck``; entries below :data:`PPS_TOLERANCE` in size set to 0)."""
    if not np.allclose(np.diag(pij), prob, atol=1e-6):
        raise ValueError(
            "pps: the diagonal of the joint-probability matrix differs from the inclusion "
            "probabilities in fpc"
        )
    if (pij <= 0).any():
        raise ValueError(
            f"pps: {int((pij <= 0).sum())} joint inclusion probabilities are not positive: "
            "the Horvitz–Thompson variance has no unbiased estimator (use pps='brewer')"
        )
    d = np.diag(pij)
    D = (pij - np.outer(d, d)) / pij
    D[np.abs(D) < PPS_TOLERANCE] = 0.0
    return D


def _fpc_fraction(
    data: pd.DataFrame, col: str, groups: np.ndarray, n_groups: int, n_sampled: np.ndarray
) -> np.ndarray:
    """Sampling fraction per group from a population count (N) or fraction (<= 1) column."""
    v = numeric_column(data, col)
    bad = np.isnan(v)
    if bad.any():
        raise ValueError(f"fpc column {col!r} has {int(bad.sum())} missing values")
    if (v <= 0).any():
        raise ValueError(f"fpc column {col!r} has {int((v <= 0).sum())} non-positive values")
    lo = np.full(n_groups, np.inf)
    hi = np.full(n_groups, -np.inf)
    np.minimum.at(lo, groups, v)
    np.maximum.at(hi, groups, v)
    varying = ~np.isclose(lo, hi)
    if varying.any():
        rows = int(varying[groups].sum())
        raise ValueError(
            f"fpc column {col!r} varies within {int(varying.sum())} strata/clusters "
            f"({rows} rows affected); it must be constant within each"
        )
    if (v <= 1).all():
        frac = lo
    elif (v >= 1).all():
        if (lo < n_sampled - 1e-9).any():
            k = int((lo < n_sampled - 1e-9).sum())
            raise ValueError(
                f"fpc column {col!r}: population size smaller than the number of sampled "
                f"units in {k} strata/clusters"
            )
        frac = n_sampled / lo
    else:
        raise ValueError(
            f"fpc column {col!r} mixes fractions (<= 1) and population sizes (> 1) "
            f"({int((v <= 1).sum())} rows <= 1)"
        )
    return frac


class SurveyDesign(DesignBase):
    """A design-based survey: weights, strata, clusters (PSUs, optional SSUs) and FPCs.

    Parameters mirror R's ``svydesign(ids = ~psu + ssu, strata = ~strata, weights = ~w,
    fpc = ~fpc + fpc2, nest = ...)``. ``weights=None`` means equal weights (1), ``psu=None``
    makes every row its own PSU, ``strata=None`` a single stratum. ``fpc``/``fpc2`` hold the
    population count (N) or the sampling fraction (all values <= 1). ``lonely_psu`` is R's
    ``options(survey.lonely.psu=)``. ``min_n`` sets the small-cell threshold of results.

    PPS without replacement, as R's ``svydesign(pps=)`` (``fpc`` then holds each PSU's
    inclusion probability; ``weights`` default to their inverse): ``pps="brewer"`` (Brewer's
    approximation, each PSU scaled by 1 - pi_i), ``pps="overton"`` (Overton's approximation
    of the joint probabilities) or ``pps=`` a PSU x PSU matrix of joint inclusion
    probabilities (R's ``ppsmat``; rows in the order of the sorted PSU ids — the data's rows
    when ``psu`` is None), with ``variance="HT"`` (Horvitz–Thompson) or ``"YG"``
    (Yates–Grundy; not with Brewer's, as R). Brewer's may have a second stage (``ssu``,
    ``fpc2`` as sampling fractions), whose variance is weighted by each PSU's pi_i, as R.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: str | None = None,
        strata: str | None = None,
        psu: str | None = None,
        ssu: str | None = None,
        fpc: str | None = None,
        fpc2: str | None = None,
        nest: bool = False,
        lonely_psu: str = "fail",
        min_n: int = 30,
        pps: str | np.ndarray | None = None,
        variance: str = "HT",
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        if lonely_psu not in LONELY_PSU:
            raise ValueError(f"lonely_psu must be one of {LONELY_PSU}, got {lonely_psu!r}")
        for role, col in [
            ("weights", weights),
            ("strata", strata),
            ("psu", psu),
            ("ssu", ssu),
            ("fpc", fpc),
            ("fpc2", fpc2),
        ]:
            if col is not None:
                check_columns(data, [col], role)
        if ssu is not None and psu is None:
            raise ValueError("ssu given without psu")
        if fpc2 is not None and ssu is None:
            raise ValueError("fpc2 given without ssu")
        if isinstance(pps, str):
            if pps not in PPS:
                raise ValueError(f"pps must be one of {PPS} or a joint-probability matrix")
            pps_kind: str | None = pps
        elif pps is None:
            pps_kind = None
        else:
            pps_kind = "matrix"
        if variance not in ("HT", "YG"):
            raise ValueError(f"variance must be 'HT' or 'YG', got {variance!r}")
        if variance == "YG" and pps_kind in (None, "brewer"):
            raise ValueError(
                "variance='YG' needs pps='overton' or a joint-probability matrix (as R)"
            )
        if pps_kind is not None and fpc is None:
            raise ValueError("a PPS design needs fpc= (the inclusion probabilities)")
        if pps_kind not in (None, "brewer") and ssu is not None:
            raise ValueError("multistage PPS designs are supported with pps='brewer' only (as R)")
        n = len(data)
        if n == 0:
            raise ValueError("data has no rows")
        self.data = data
        self.spec = dict(
            weights=weights, strata=strata, psu=psu, ssu=ssu, fpc=fpc, fpc2=fpc2, nest=nest
        )
        self.pps = pps_kind
        self.variance_method = variance
        self._pps_dcheck: np.ndarray | None = None
        self.lonely_psu = lonely_psu
        self.min_n = int(min_n)

        # weights
        if weights is None and pps_kind is not None:
            assert fpc is not None
            w = 1.0 / numeric_column(data, fpc)
            if fpc2 is not None:
                f2_rows = numeric_column(data, fpc2)
                if not ((f2_rows > 0) & (f2_rows <= 1)).all():
                    raise ValueError(
                        f"fpc2 column {fpc2!r}: a PPS design needs sampling fractions (<= 1)"
                    )
                w = w / f2_rows
        elif weights is None:
            w = np.ones(n)
        else:
            w = numeric_column(data, weights)
            nmiss = int(np.isnan(w).sum())
            if nmiss:
                raise ValueError(f"weights column {weights!r} has {nmiss} missing values")
            nneg = int((w < 0).sum())
            if nneg:
                raise ValueError(f"weights column {weights!r} has {nneg} negative values")
            w = w.copy()
        self._base_weights = w
        self.weights = w

        # strata
        for role, col in [("strata", strata), ("psu", psu), ("ssu", ssu)]:
            if col is not None:
                nmiss = int(data[col].isna().sum())
                if nmiss:
                    raise ValueError(f"{role} column {col!r} has {nmiss} missing values")
        if strata is None:
            h = np.zeros(n, dtype=np.int64)
            self.strata_labels = np.array([1])
        else:
            h, self.strata_labels = factor_codes(data[strata])
        H = len(self.strata_labels)
        _warn_pooled_years(data, h)

        # PSUs
        if psu is None:
            p = np.arange(n, dtype=np.int64)
        else:
            raw, _ = factor_codes(data[psu])
            pairs = h * (raw.max() + 1) + raw
            if not nest:
                upairs = np.unique(pairs)
                psu_of_pair = upairs % (raw.max() + 1)
                cnt = np.bincount(psu_of_pair, minlength=raw.max() + 1)
                multi = cnt > 1
                if multi.any():
                    rows = int(multi[raw].sum())
                    raise ValueError(
                        f"psu column {psu!r}: {int(multi.sum())} PSU ids appear in more than "
                        f"one stratum ({rows} rows affected); pass nest=True if PSU ids are "
                        "only unique within strata"
                    )
            p, _ = factor_codes(pairs)
        P = int(p.max()) + 1
        psu_stratum = np.zeros(P, dtype=np.int64)
        psu_stratum[p] = h
        n_h = np.bincount(psu_stratum, minlength=H)
        if pps_kind is not None:
            assert fpc is not None
            prob = _pps_probabilities(data, fpc, p, P)
            f1 = np.zeros(H)
            unit_prob = prob if pps_kind == "brewer" else None
            self._stage1 = Stage(p, P, psu_stratum, H, n_h, f1, False, unit_prob=unit_prob)
            if pps_kind == "overton":
                D = _overton_dcheck(prob, psu_stratum, n_h)
            elif pps_kind == "matrix":
                pij = np.asarray(pps, dtype=float)
                if pij.shape != (P, P):
                    raise ValueError(
                        f"pps: the joint-probability matrix is {pij.shape}, expected ({P}, {P}) "
                        "(one row and column per PSU)"
                    )
                D = _joint_dcheck(pij, prob)
            if pps_kind != "brewer":
                if variance == "YG":
                    D = D - np.diag(D.sum(axis=0))
                self._pps_dcheck = D
        elif fpc is not None:
            f1 = _fpc_fraction(data, fpc, h, H, n_h.astype(float))
            self._stage1 = Stage(p, P, psu_stratum, H, n_h, f1, True)
        else:
            f1 = np.zeros(H)
            self._stage1 = Stage(p, P, psu_stratum, H, n_h, f1, False)

        # lonely PSUs
        lonely = (n_h == 1) & (f1 < 1)
        if lonely.any() and lonely_psu == "fail":
            rows = int(lonely[h].sum())
            labels = list(self.strata_labels[lonely][:10])
            raise ValueError(
                f"{int(lonely.sum())} strata have only one PSU (lonely PSU; strata {labels}, "
                f"{rows} rows affected); choose lonely_psu='remove', 'adjust', 'certainty' "
                "or 'average'"
            )

        # second stage (always nested within PSUs)
        self._stage2 = None
        if ssu is not None:
            raw2, _ = factor_codes(data[ssu])
            s, _ = factor_codes(p * (raw2.max() + 1) + raw2)
            Q = int(s.max()) + 1
            ssu_psu = np.zeros(Q, dtype=np.int64)
            ssu_psu[s] = p
            m = np.bincount(ssu_psu, minlength=P)
            f2 = _fpc_fraction(data, fpc2, p, P, m.astype(float)) if fpc2 else np.zeros(P)
            self._stage2 = Stage(s, Q, ssu_psu, P, m, f2, fpc2 is not None)
            # R applies survey.lonely.psu at stage 2 too (when the first stage has an FPC)
            single = (m == 1) & (f2 < 1) & (f1[psu_stratum] > 0)
            if fpc is not None and single.any() and lonely_psu == "fail":
                rows = int(single[p].sum())
                raise ValueError(
                    f"{int(single.sum())} PSUs have only one sampled SSU (one PSU at stage 2; "
                    f"{rows} rows affected); choose lonely_psu='remove', 'adjust', "
                    "'certainty' or 'average'"
                )

        self.domain = np.ones(n, dtype=bool)
        self._calibration: list[CalibrationStep] = []
        self.calibration_log: list[str] = []

    # ------------------------------------------------------------------ structure
    def _derive(self, weights: np.ndarray | None = None, domain: np.ndarray | None = None):
        new = copy.copy(self)
        if weights is not None:
            new.weights = weights
        if domain is not None:
            new.domain = domain
        new._calibration = list(self._calibration)
        new.calibration_log = list(self.calibration_log)
        return new

    def _with_domain(self, domain: np.ndarray) -> SurveyDesign:
        return self._derive(domain=domain)

    def _with_data(self, data: pd.DataFrame) -> SurveyDesign:
        new = self._derive()
        new.data = data
        return new

    @property
    def design_columns(self) -> tuple[str, ...]:
        sp = self.spec
        return tuple(sp[k] for k in ("weights", "strata", "psu", "ssu", "fpc", "fpc2") if sp[k])

    @property
    def n_strata(self) -> int:
        return self._stage1.n_parent

    @property
    def n_psu(self) -> int:
        return self._stage1.n_units

    def degf(self, mask: np.ndarray | None = None) -> int:
        """Design degrees of freedom: PSUs minus strata among rows in the domain (R's degf)."""
        inset = self.domain & (self.weights != 0)
        if mask is not None:
            inset = inset & mask
        psus = np.unique(self._stage1.codes[inset])
        strata = np.unique(self._stage1.parent[psus])
        return int(len(psus) - len(strata))

    # ------------------------------------------------------------------ variance (DesignBase)
    def _ratio_variance(self, we, y, x, est, col, G) -> np.ndarray:
        return ratio_variance(self, we, y, x, est, col, G)

    def _ratio_covariance(self, we, y, x, est, col, G) -> np.ndarray:
        return ratio_variance(self, we, y, x, est, col, G, full=True)

    def _domain_df(self, codes: np.ndarray, valid: np.ndarray, G: int) -> np.ndarray:
        """Design df within each domain (PSUs minus strata among valid rows with weight)."""
        s1 = self._stage1
        inset = valid & (self.weights != 0) & (codes >= 0)
        key = codes[inset] * s1.n_units + s1.codes[inset]
        upsu = np.unique(key)
        dom = upsu // s1.n_units
        psu = upsu % s1.n_units
        n_psu = np.bincount(dom, minlength=G)
        ustr = np.unique(dom * s1.n_parent + s1.parent[psu])
        n_str = np.bincount(ustr // s1.n_parent, minlength=G)
        return (n_psu - n_str).astype(float)

    def _domain_nrows(
        self, codes: np.ndarray, G: int, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Rows (among ``rows``) of each domain's design, as R's ``nrow(subset(design))``
        counts them."""
        if self._calibration:  # R keeps all rows of calibrated designs when subsetting
            return np.full(G, float(len(self.data) if rows is None else rows.sum()))
        keep = codes >= 0 if rows is None else (codes >= 0) & rows
        return np.bincount(codes[keep], minlength=G).astype(float)

    def _glm(self, formula: str, family: str) -> GLMResult:
        from .glm import svyglm

        return svyglm(self, formula, family)

    # ------------------------------------------------------------------ estimators
    def crosstab(self, row: str, col: str) -> CrosstabResult:
        """Weighted two-way table with Rao–Scott tests (R ``svychisq``)."""
        from .crosstab import crosstab

        return crosstab(self, row, col)

    # ------------------------------------------------------------------ weights
    def poststratify(
        self, variables: str | Sequence[str], population: Mapping | pd.DataFrame | pd.Series
    ) -> SurveyDesign:
        """Post-stratify to population counts (R ``postStratify``)."""
        from .calibration import poststratify

        return poststratify(self, variables, population)

    def rake(
        self, margins: Mapping[str, Mapping[Any, float]], max_iter: int = 100, tol: float = 1e-10
    ) -> SurveyDesign:
        """Rake to marginal population counts (R ``rake``)."""
        from .calibration import rake

        return rake(self, margins, max_iter, tol)

    def calibrate(
        self,
        variables: Sequence[str],
        totals: Mapping[str, float],
        calfun: str = "linear",
        bounds: tuple[float, float] = (-np.inf, np.inf),
        epsilon: float = 1e-7,
        max_iter: int = 50,
        *,
        trim: tuple[float, float] | None = None,
        aggregate_stage: int | None = None,
        variance: str | Sequence[float] | np.ndarray | None = None,
        bounds_const: bool = False,
    ) -> SurveyDesign:
        """Calibration (R ``calibrate(calfun="linear"|"raking"|"logit", bounds=, trim=,
        aggregate.stage=, variance=, bounds.const=)``)."""
        from .calibration import calibrate

        return calibrate(
            self, variables, totals, calfun, bounds, epsilon, max_iter,
            trim=trim, aggregate_stage=aggregate_stage, variance=variance,
            bounds_const=bounds_const,
        )  # fmt: skip

    def trim_weights(
        self, lower: float | None = None, upper: float | None = None, strict: bool = False
    ) -> SurveyDesign:
        """Trim weights to [lower, upper], redistributing the excess (R ``trimWeights``)."""
        from .calibration import trim_weights

        return trim_weights(self, lower, upper, strict)

    def replicate(
        self,
        type: str = "jkn",
        replicates: int = 50,
        seed: int | None = 12345,
        rho: float | None = None,
        hadamard: np.ndarray | None = None,
        small: str = "fail",
        large: str = "split",
    ) -> ReplicateDesign:
        """Replicate-weight version of the design (R ``as.svrepdesign``): "jk1", "jkn",
        "bootstrap", or "brr"/"fay" (``rho``) half-samples from a Hadamard matrix (``hadamard``
        as R's ``hadamard.matrix``); strata without 2 PSUs as R's ``small=``/``large=``."""
        from .replicate import as_replicate

        return as_replicate(self, type, replicates, seed, rho, hadamard, small, large)

    # ------------------------------------------------------------------ display
    def _summary_items(self) -> list[tuple[str, str]]:
        w = self.analysis_weights()
        wpos = w[w > 0]
        sp = self.spec
        stages = "1" if self._stage2 is None else "2"
        items = [
            ("rows (in domain)", f"{self.n:,} of {len(self.data):,}"),
            ("strata", f"{self.n_strata:,}" + (f" ({sp['strata']})" if sp["strata"] else "")),
            ("PSUs", f"{self.n_psu:,}" + (f" ({sp['psu']})" if sp["psu"] else " (rows)")),
            ("stages", stages + (f" (ssu: {sp['ssu']})" if sp["ssu"] else "")),
            ("design df", f"{self.degf():,}"),
            ("weights", f"{sp['weights'] or 'equal'}"),
            (
                "weight range",
                f"{wpos.min():.4g} – {wpos.max():.4g} (sum {wpos.sum():,.6g})"
                if len(wpos)
                else "—",
            ),
            (
                "fpc",
                ", ".join(x for x in [sp["fpc"], sp["fpc2"]] if x) or "none (with replacement)",
            ),
            *([("pps", f"{self.pps} ({self.variance_method})")] if self.pps is not None else []),
            ("lonely PSU", self.lonely_psu),
            ("calibration", "; ".join(self.calibration_log) or "none"),
        ]
        return items

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}:"]
        lines += [f"  {k}: {v}" for k, v in self._summary_items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._summary_items()
        )
        return f"<table><caption>{type(self).__name__}</caption>{rows}</table>"


class PooledYearsWarning(UserWarning):
    """A design over several survey years whose strata do not separate the years."""


def _warn_pooled_years(data: pd.DataFrame, h: np.ndarray) -> None:
    """Warn when the rows hold several survey years (column ``year``) and a stratum holds more
    than one: the weights then add up to the population once per year and ``total()`` adds the
    years. Pooled designs are built by ``commeval.survey.compare_years`` (strata = year ×
    stratum) or estimate with ``by="year"``."""
    if "year" not in data.columns:
        return
    years = pd.factorize(data["year"])[0]
    if years.max(initial=-1) < 1:
        return
    per_stratum = pd.DataFrame({"h": h, "y": years}).groupby("h")["y"].nunique()
    if (per_stratum > 1).any():
        import warnings

        warnings.warn(
            f"设计包含多个调查年度（{sorted(pd.unique(data['year'].dropna()).tolist())}），"
            "但抽样层未按年度划分：权数按年度重复累计，total() 会把各年相加。"
            "请用 commeval.survey.compare_years（层 = 年度 × 抽样层），或估计时用 by='year' "
            "(a design over several survey years whose strata do not separate the years; "
            "estimate by='year' or pool with compare_years)",
            PooledYearsWarning,
            stacklevel=3,
        )
