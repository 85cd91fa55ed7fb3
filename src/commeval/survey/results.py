"""Tidy result frames and small statistical helpers shared by the estimators."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .columns import as_list, check_columns
from .distributions import norm_ppf, t_ppf, t_sf

RESULT_COLUMNS = ["variable", "level", "estimate", "se", "ci_low", "ci_high", "n"]


def z_quantile(level: float) -> float:
    return float(norm_ppf(0.5 + level / 2))


def t_quantiles(level: float, df: np.ndarray) -> np.ndarray:
    """Two-sided ``level`` t quantile per element of ``df``: the normal quantile where ``df`` is
    infinite or missing, NaN where it is ≤ 0."""
    df = np.asarray(df, dtype=float)
    q = 0.5 + level / 2
    return np.where(np.isfinite(df), t_ppf(q, df), norm_ppf(q))


def t_quantile(level: float, df: float) -> float:
    """:func:`t_quantiles` of one ``df``."""
    return float(t_quantiles(level, df))


def domain_codes(design, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer domain code per row (-1 outside the design's domain or with missing ``by``).

    Returns the codes and a frame of the ``by`` values, one row per code (sorted).
    """
    by = as_list(by)
    n = len(design.data)
    if not by:
        codes = np.where(design.domain, 0, -1).astype(np.int64)
        return codes, pd.DataFrame(index=range(1))
    check_columns(design.data, by, "by")
    if len(by) == 1:
        raw, uniques = pd.factorize(design.data[by[0]], sort=True)
        raw = raw.astype(np.int64)
        keys_all = pd.DataFrame({by[0]: uniques})
    else:
        ng = design.data.groupby(by, sort=True, dropna=True, observed=True).ngroup()
        raw = ng.fillna(-1).to_numpy(dtype=np.int64)
        keys_all = None
    raw = np.where(design.domain, raw, -1)
    present = np.zeros(int(raw.max()) + 2, dtype=bool)
    present[raw + 1] = True
    present = present[1:]
    remap = np.cumsum(present) - 1
    codes = np.where(raw >= 0, remap[np.maximum(raw, 0)], -1)
    if keys_all is None:
        idx = np.unique(raw[raw >= 0], return_index=True)[1]
        first_rows = np.flatnonzero(raw >= 0)[idx]
        keys = design.data[by].iloc[first_rows].reset_index(drop=True)
    else:
        keys = keys_all[present].reset_index(drop=True)
    assert n == len(codes)
    return codes, keys


def domains(design, by: str | Sequence[str] | None):
    """What every estimator derives from :func:`domain_codes`: ``(codes, keys, G, inside,
    col)`` — ``G`` domains, ``inside`` = rows in a domain, ``col`` = the domain code with 0 for
    rows outside (whose weight the estimators set to 0)."""
    codes, keys = domain_codes(design, by)
    inside = codes >= 0
    return codes, keys, len(keys), inside, np.where(inside, codes, 0)


def build_frame(
    variable: str | Sequence[str],
    keys: pd.DataFrame,
    estimate: np.ndarray,
    se: np.ndarray,
    ci_low: np.ndarray,
    ci_high: np.ndarray,
    n: np.ndarray,
    min_n: int,
    level_values: Sequence | None = None,
    deff: np.ndarray | None = None,
    extra: dict | None = None,
) -> pd.DataFrame:
    """One row per domain (× level): variable, by columns, [level], estimate, se, CI, n."""
    out = keys.reset_index(drop=True).copy()
    m = len(estimate)
    if len(out) != m:
        out = out.loc[np.zeros(m, dtype=int) if len(out) == 1 else slice(None)].reset_index(
            drop=True
        )
    out.insert(0, "variable", variable if isinstance(variable, str) else list(variable))
    if level_values is not None:
        out["level"] = list(level_values)
    out["estimate"] = np.asarray(estimate, dtype=float)
    out["se"] = np.asarray(se, dtype=float)
    out["ci_low"] = np.asarray(ci_low, dtype=float)
    out["ci_high"] = np.asarray(ci_high, dtype=float)
    out["n"] = np.asarray(n, dtype=np.int64)
    if deff is not None:
        out["deff"] = np.asarray(deff, dtype=float)
    for k, v in (extra or {}).items():
        out[k] = v
    out["small_cell"] = out["n"] < min_n
    return out


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=RESULT_COLUMNS + ["small_cell"])
    return pd.concat(frames, ignore_index=True)


class CoefficientTable:
    """What the model results (:class:`~commeval.survey.glm.GLMResult`,
    :class:`~commeval.survey.olr.OLRResult`) share: Wald intervals on the residual df, the tidy
    coefficient table and the text summary. A subclass has ``params``, ``bse``, ``tvalues``,
    ``pvalues`` and ``df_resid`` and says what heads its summary (:meth:`_summary_head`)."""

    #: the statistic's column in :meth:`to_frame`
    _statistic = "t"
    #: the reference distribution of :meth:`to_frame`'s tests and intervals: Student's t on
    #: ``df_resid`` (True) or the normal (False: ``df`` is ``inf``, the statistic a z)
    _t_reference = True

    def conf_int(self, alpha: float = 0.05, df: float | None = None) -> pd.DataFrame:
        """Wald intervals with the t quantile on ``df_resid`` (normal for infinite df; R's
        ``confint`` of survey models): columns ``ci_low``, ``ci_high``, one row per term."""
        df = self.df_resid if df is None else df
        q = norm_ppf(1 - alpha / 2) if np.isinf(df) else t_ppf(1 - alpha / 2, df)
        return pd.DataFrame(
            {"ci_low": self.params - q * self.bse, "ci_high": self.params + q * self.bse},
            index=self.params.index,
        )

    def _exponentiable(self) -> np.ndarray:
        """Which rows may be exponentiated (odds, prevalence or rate ratios); a subclass
        raises when its link has no ratio scale."""
        raise ValueError("exponentiate=True needs a log or logit link")

    def _coefficients(
        self, exponentiate: bool = False, level: float = 0.95, contract=None, **extra: Sequence
    ) -> pd.DataFrame:
        """term, label, the ``extra`` columns, estimate, se, t, df, p_value, ci_low, ci_high;
        with ``exponentiate`` the estimate and the interval of the ratio-scale rows are
        exponentiated (se, t and p stay on the model's scale, as R's ``broom`` does). A model
        with a normal reference (:attr:`_t_reference` false: ordinal models) names the statistic
        ``z``, has ``df`` = ``inf`` and takes p-values and intervals from the normal."""
        df = float(self.df_resid) if self._t_reference else np.inf
        ci = self.conf_int(alpha=1 - level, df=df)
        stat = self.tvalues.to_numpy(float)
        p = self.pvalues.to_numpy() if self._t_reference else 2 * t_sf(np.abs(stat), np.inf)
        est = self.params.to_numpy(float)
        lo, hi = ci["ci_low"].to_numpy(float), ci["ci_high"].to_numpy(float)
        if exponentiate:
            rows = self._exponentiable()
            est = np.where(rows, np.exp(est), est)
            lo = np.where(rows, np.exp(lo), lo)
            hi = np.where(rows, np.exp(hi), hi)
        return pd.DataFrame(
            {
                "term": self.params.index,
                "label": [term_label(t, contract) for t in self.params.index],
                **extra,
                "estimate": est,
                "se": self.bse.to_numpy(),
                self._statistic: stat,
                "df": df,
                "p_value": p,
                "ci_low": lo,
                "ci_high": hi,
            }
        )

    def _summary_head(self) -> str:
        raise NotImplementedError

    def summary(self) -> str:
        """The table as text (a ``str``) that shows as an HTML table in JupyterLab
        (:class:`commeval.display.TextSummary`)."""
        from commeval.display import TextSummary

        frame = self.to_frame().drop(columns=["label", "df"]).set_index("term")
        table = frame.to_string(float_format="{:.6g}".format)
        return TextSummary(self._summary_head() + table, self._repr_html_())

    def __repr__(self) -> str:
        return str(self.summary())


_FACTOR_TERM = re.compile(
    r"""^C\((?:Q\(['"](?P<q>[^'"]+)['"]\)|(?P<name>[^,()]+))(?:,[^\[]*)?\)\[(?:T\.)?(?P<level>.*)\]$"""
)


def _level_label(field, level: str) -> str:
    for value in (level, _as_number(level)):
        if value is None:
            continue
        text = field.level_label(value)
        if text != value and str(text) != str(value):
            return str(text)
    return str(_as_number(level) if _as_number(level) is not None else level)


def _as_number(text: str):
    try:
        x = float(text)
    except ValueError:
        return None
    return int(x) if x.is_integer() else x


def term_label(term: str, contract=None) -> str:
    """Chinese label of a model term from the survey fields of ``contract`` (default: the
    packaged contract): ``C(education)[T.2]`` → 文化程度：初中, ``age`` → 年龄, ``Intercept``
    → 截距, interactions joined with ×, thresholds ``1.0|2.0`` → ``1|2``; unknown names as
    they are."""
    from commeval.data.contract import contract as packaged

    fields = (packaged() if contract is None else contract)["survey"].fields
    if term in ("Intercept", "(Intercept)"):
        return "截距"
    if "|" in term and ":" not in term:
        return "|".join(
            str(_as_number(p) if _as_number(p) is not None else p) for p in term.split("|")
        )
    parts = []
    for part in term.split(":"):
        m = _FACTOR_TERM.match(part)
        if m:
            name = (m.group("q") or m.group("name")).strip()
            f = fields.get(name)
            level = m.group("level")
            if f is None:
                parts.append(f"{name}：{_level_label_plain(level)}")
            else:
                parts.append(f"{f.label}：{_level_label(f, level)}")
            continue
        f = fields.get(part)
        parts.append(f.label if f is not None else part)
    return " × ".join(parts)


def _level_label_plain(level: str) -> str:
    n = _as_number(level)
    return str(n) if n is not None else level
