"""``DesignBase``: what Taylor-linearisation and replicate-weight designs share.

Every estimator of the package — mean, total, ratio, proportion, quantile — is a ratio of
domain totals ``sum w y / sum w x`` (``x = 1`` for means, shares and the CDF of quantiles; no
denominator for totals). The front-ends here (argument handling, ``by=`` domains, missing
values, tidy result frames, ``small_cell``) are written once, in ``estimators``,
``proportion`` and ``quantile``; a design class only says how to get the variance of such a
ratio and the degrees of freedom of a domain:

* :class:`~commeval.survey.design.SurveyDesign`: linearised scores and the design variance of
  their totals (strata, PSUs, SSUs, FPCs, calibration);
* :class:`~commeval.survey.replicate.ReplicateDesign`: the ratio recomputed under every set of
  replicate weights and the replicate variance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .columns import numeric_column

if TYPE_CHECKING:  # pragma: no cover
    from .glm import GLMResult
    from .olr import OLRResult


def _with_cv(frame: pd.DataFrame, cv: bool) -> pd.DataFrame:
    """Add ``cv = se / estimate`` (R's ``cv()``) and ``cv_pct`` (CV in %) when asked."""
    if cv and len(frame):
        with np.errstate(divide="ignore", invalid="ignore"):
            c = frame["se"].to_numpy(float) / frame["estimate"].to_numpy(float)
        pos = frame.columns.get_loc("n")
        frame.insert(pos, "cv", c)
        frame.insert(pos + 1, "cv_pct", 100 * c)
    return frame


class DesignBase:
    """Estimator front-ends over ``data``, ``weights``, ``domain`` and ``min_n``.

    A subclass provides :meth:`_ratio_variance`, :meth:`_ratio_covariance`, :meth:`_domain_df`, :meth:`_domain_nrows`,
    :meth:`degf`, :meth:`_with_domain`, :meth:`_with_data` and :meth:`_glm`; it may refine
    :meth:`_ratio_logit_se` and :meth:`_quasibinomial_dispersion`.
    """

    data: pd.DataFrame
    weights: np.ndarray
    domain: np.ndarray
    min_n: int
    #: columns the design is built from (weights, strata, PSUs, FPCs): not replaceable by update
    design_columns: tuple[str, ...] = ()

    # ------------------------------------------------------------------ subclass contract
    def _ratio_variance(
        self,
        we: np.ndarray,
        y: np.ndarray,
        x: np.ndarray | None,
        est: np.ndarray,
        col: np.ndarray,
        G: int,
    ) -> np.ndarray:
        """Variance (G,) of the domain ratios ``est = sum(we y) / sum(we x)`` per domain code
        ``col`` (``x=None``: the totals ``sum(we y)``). ``we`` is the weight of rows counted (0
        elsewhere); ``y``, ``x`` are 0 where ``we`` is."""
        raise NotImplementedError

    def _ratio_covariance(self, we, y, x, est, col, G) -> np.ndarray:
        """Covariance (G, G) of the domain ratios of :meth:`_ratio_variance`."""
        raise NotImplementedError

    def _ratio_logit_se(self, we, y, x, est, col, G) -> np.ndarray | None:
        """SE of ``logit(est)`` for logit intervals of shares; ``None``: the delta method."""
        return None

    def _domain_df(self, codes: np.ndarray, valid: np.ndarray, G: int) -> np.ndarray:
        """Degrees of freedom (G,) of each domain's t quantiles (proportions, quantiles)."""
        raise NotImplementedError

    def _domain_nrows(
        self, codes: np.ndarray, G: int, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Rows (among ``rows``, default all) of each domain's design (the Korn–Graubard
        effective sample size, the profile likelihood's model frame)."""
        raise NotImplementedError

    def _quasibinomial_dispersion(self, n, w_answered, kept, w_rows, rows) -> np.ndarray:
        """Dispersion R's ``summary(svyglm(y ~ 1, family=quasibinomial))`` reports for a 0/1
        ``y`` per domain: ``svyvar`` of the Pearson residuals (``n`` answered rows with weight),
        which R scales by the mean weight of the design without unanswered rows (``kept``
        rows, weight ``w_answered``) over that of the domain's design (``rows``, ``w_rows``)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return n / (n - 1) * (w_answered / kept) / (w_rows / rows)

    def degf(self, mask: np.ndarray | None = None) -> int:
        raise NotImplementedError

    def _with_domain(self, domain: np.ndarray):
        raise NotImplementedError

    def _with_data(self, data: pd.DataFrame):
        raise NotImplementedError

    def _glm(self, formula: str, family: str) -> GLMResult:
        raise NotImplementedError

    # ------------------------------------------------------------------ structure
    @property
    def n(self) -> int:
        """Rows in the design's domain."""
        return int(self.domain.sum())

    def analysis_weights(self) -> np.ndarray:
        """Weights with zero outside the design's domain."""
        return np.where(self.domain, self.weights, 0.0)

    def variable(self, col: str) -> np.ndarray:
        return numeric_column(self.data, col)

    def subset(self, mask: Any):
        """A domain of the design (keeps every PSU for variance, like R's ``subset()``).

        ``mask`` is a boolean array/Series aligned to the data (missing = False) or a
        string expression evaluated with ``DataFrame.eval``.
        """
        if isinstance(mask, str):
            mask = self.data.eval(mask)
        if isinstance(mask, pd.Series):
            mask = mask.fillna(False).to_numpy(dtype=bool)
        mask = np.asarray(mask)
        if mask.shape != (len(self.data),):
            raise ValueError(
                f"subset mask has shape {mask.shape}, expected ({len(self.data)},) rows"
            )
        if mask.dtype != bool:
            mask = pd.Series(mask).fillna(False).to_numpy(dtype=bool)
        return self._with_domain(self.domain & mask)

    def update(self, **columns: Any):
        """The same design (rows, weights, domain, calibration, replicates) over its data with
        columns added or replaced — R's ``update(design, newvar = ...)``.

        Values are as for ``DataFrame.assign``: arrays (one value per row), Series (aligned on
        the data's index), scalars, or callables of the data frame. The columns the design is
        built from (weights, strata, PSUs, FPCs) cannot be replaced: build a new design.
        """
        fixed = sorted(set(columns) & set(self.design_columns))
        if fixed:
            raise ValueError(
                f"update: {fixed} define the design (weights, strata, PSUs, FPCs) and cannot "
                "be replaced; build a new design instead"
            )
        if not columns:
            return self._with_data(self.data)
        return self._with_data(self.data.assign(**columns))

    # ------------------------------------------------------------------ estimators
    def mean(
        self,
        variables: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        deff: bool | str = False,
        level: float = 0.95,
        na_rm: bool = True,
        min_n: int | None = None,
        cv: bool = False,
    ) -> pd.DataFrame:
        """Design-based means (R ``svymean``/``svyby``); CI uses the normal quantile.

        ``deff=True``: design effect vs SRS without replacement; ``"replace"``: with
        replacement (R's ``deff="replace"``). ``cv=True`` adds ``cv`` and ``cv_pct``."""
        from .estimators import mean_total

        return _with_cv(mean_total(self, variables, by, "mean", deff, level, na_rm, min_n), cv)

    def total(
        self,
        variables: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        deff: bool | str = False,
        level: float = 0.95,
        na_rm: bool = True,
        min_n: int | None = None,
        cv: bool = False,
    ) -> pd.DataFrame:
        """Design-based totals (R ``svytotal``); CI uses the normal quantile."""
        from .estimators import mean_total

        return _with_cv(mean_total(self, variables, by, "total", deff, level, na_rm, min_n), cv)

    def ratio(
        self,
        numerator: str | Sequence[str],
        denominator: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        min_n: int | None = None,
        cv: bool = False,
    ) -> pd.DataFrame:
        """Ratio of totals (R ``svyratio``); CI uses the normal quantile."""
        from .estimators import ratio

        return _with_cv(ratio(self, numerator, denominator, by, level, min_n), cv)

    def proportion(
        self,
        variable: str,
        by: str | Sequence[str] | None = None,
        method: str = "logit",
        level: float = 0.95,
        min_n: int | None = None,
        cv: bool = False,
    ) -> pd.DataFrame:
        """Share of each category with R ``svyciprop`` CIs (t with the design df of the
        domain): ``method`` = "logit", "asin", "beta", "mean" (or "wald"), "xlogit"."""
        from .proportion import proportion

        return _with_cv(proportion(self, variable, by, method, level, min_n), cv)

    def quantile(
        self,
        variable: str | Sequence[str],
        quantiles: float | Sequence[float] = (0.25, 0.5, 0.75),
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        min_n: int | None = None,
        cv: bool = False,
        qrule: str = "math",
        interval: str = "mean",
    ) -> pd.DataFrame:
        """Quantiles (R ``svyquantile``: ``qrule`` "math", "school", "hf1"–"hf9"; ``interval``
        = R's interval.type: Woodruff "mean", "beta", "xlogit", "asin", "score" on Taylor
        designs, "quantile" on replicate designs; t with the design df)."""
        from .quantile import quantile

        return _with_cv(quantile(self, variable, quantiles, by, level, min_n, qrule, interval), cv)

    def var(
        self,
        variables: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        min_n: int | None = None,
        cv: bool = False,
    ) -> pd.DataFrame:
        """Population variance of each variable (R ``svyvar``): the mean of
        ``n/(n-1) (y - ybar)^2`` with its SE (``ybar`` held fixed, as R)."""
        from .estimators import variance

        return _with_cv(variance(self, variables, by, level, min_n), cv)

    svyvar = var

    def compare_domains(
        self, variable: str, by: str, a: Any, b: Any, level: float = 0.95
    ) -> pd.DataFrame:
        """Difference of means between domains ``by == a`` and ``by == b`` (design t-test,
        R ``svyttest``)."""
        from .estimators import compare_domains

        return compare_domains(self, variable, by, a, b, level)

    svyttest = compare_domains

    def glm(self, formula: str, family: str = "gaussian") -> GLMResult:
        """Design-based GLM (R ``svyglm``): gaussian, binomial/quasibinomial (logit) or
        poisson/quasipoisson (log; exp(coefficient) = prevalence or rate ratio)."""
        from .glm import FAMILIES

        if family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
        return self._glm(formula, family)

    def olr(
        self, formula: str, levels: Sequence | None = None, method: str = "logistic"
    ) -> OLRResult:
        """Cumulative-link ordinal regression (R ``svyolr``; ``method`` "logistic" — proportional
        odds —, "probit", "cloglog", "loglog", "cauchit"), e.g.
        ``d.olr("q1 ~ C(township) + age")``. The response's order is ``levels``, else the
        categories of an (ordered) categorical column, else its sorted values (1..5)."""
        from .olr import svyolr, svyolr_replicate

        if hasattr(self, "factors"):
            return svyolr_replicate(self, formula, levels, method)
        return svyolr(self, formula, levels, method)

    svyolr = olr

    def svyranktest(self, variable: str, group: str, test: str = "wilcoxon"):
        """Design-based rank test of ``variable`` across the groups of ``group`` (R
        ``svyranktest(variable ~ group, design, test=)``): "wilcoxon"/"KruskalWallis",
        "vanderWaerden", "median"."""
        from .ranktest import svyranktest

        return svyranktest(self, variable, group, test)
