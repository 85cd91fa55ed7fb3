"""The researcher's comparisons in one call: year on year (:func:`compare_years`) and between
townships (:func:`compare_townships`), each with its joint test.

"Did satisfaction change since last year, overall and in each township?" needs the two years'
samples in ONE design whose strata are year × stratum (``nest=True``: a village sampled in both
years is two PSUs), so that every township's difference has its SE, its own degrees of freedom
and a joint test that no township changed. :func:`pooled_design` builds it; :func:`compare_years`
asks it the questions, as R's ``svyttest`` and ``regTermTest`` would (tested against R:
tests/reference/survey/make_fixtures_years.R).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from commeval.display import fmt, fmt_p, frame_html

from .columns import as_list, as_year
from .comparisons import compare_pairs
from .contrasts import contrast, domain_vcov, joint_test
from .design import SurveyDesign
from .estimators import compare_domains

#: The columns of :attr:`Comparison.differences` (with the ``by`` column after ``variable``).
DIFFERENCE_COLUMNS = [
    "variable", "a", "b", "estimate_a", "estimate_b", "difference", "se", "ci_low", "ci_high",
    "t", "df", "p_value", "n_a", "n_b", "small_cell",
]  # fmt: skip
JOINT_COLUMNS = ["variable", "test", "F", "ndf", "ddf", "p_value"]


@dataclass
class Comparison:
    """Differences between domains with their joint test.

    ``differences``: one row per variable × domain — ``a``/``b`` the compared values (years for
    :func:`compare_years`: ``difference = estimate_b − estimate_a``, the later year minus the
    earlier), estimates, difference, SE, CI, t, df, p-value, respondents, ``small_cell``.
    ``overall``: the same for the whole district (year comparisons; empty otherwise).
    ``joint``: one row per variable — the Wald F test that all the domain differences are zero
    (``F``, ``ndf``, ``ddf``, ``p_value``); read it before the single rows.
    """

    kind: str  # "years" or "townships"
    by: str | None
    level: float
    differences: pd.DataFrame
    overall: pd.DataFrame
    joint: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The overall rows (``by`` value ``全区``) then the domain rows, in one frame."""
        if self.overall.empty or self.by is None:
            return self.differences if self.by is not None else self.overall
        overall = self.overall.assign(**{self.by: "全区"})
        return pd.concat([overall[self.differences.columns], self.differences], ignore_index=True)

    def __repr__(self) -> str:
        lines = [f"<Comparison ({self.kind}) by {self.by}>"]
        for _, r in self.joint.iterrows():
            lines.append(
                f"  {r['variable']}: joint F = {fmt(r['F'])} on {r['ndf']:g} and {r['ddf']:g} df, "
                f"p = {fmt_p(r['p_value'])}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        title = (
            "年度比较 (year on year)" if self.kind == "years" else "乡镇间比较 (between domains)"
        )
        return frame_html(self.joint, f"{title}: 联合检验 (joint test)", {"p_value": fmt_p}) + (
            frame_html(self.to_frame(), "差异 (differences)", {"p_value": fmt_p})
        )


def pooled_design(
    survey: pd.DataFrame,
    years: Sequence[Any],
    population: pd.DataFrame | None = None,
    min_n: int = 30,
    contract=None,
) -> SurveyDesign:
    """One design over the survey years ``years``: strata = year × stratum with PSUs nested
    (R ``svydesign(ids=~psu, strata=~interaction(year, stratum), nest=TRUE, ...)``), the
    Likert items prepared as in :func:`~commeval.survey.questionnaire.year_design`, lonely PSUs
    as there. With ``population`` (the population table), each year's weights are raked to
    that year's township × gender and township × age-group margins (one calibration of the
    pooled design on year-specific margins: the same weights as raking each year on its own,
    with the variance of the calibration).

    Each year keeps its own design (:func:`~commeval.survey.questionnaire.year_design`). When
    any year was drawn by PPS (:func:`~commeval.survey.questionnaire.is_pps_year`: its villages
    carry ``village_prob``), the pooled design is R's ``svydesign(..., fpc=~pooled_prob,
    pps="brewer")``: a PPS year's villages with their inclusion probabilities, a stratified
    SRS year's with ``n_h / N_h`` (sampled villages over the ``fpc`` villages of the stratum;
    Brewer's variance with equal probabilities is the SRS-without-replacement variance, and
    without an ``fpc`` column the with-replacement one, probability → 0). A year whose
    households carry ``household_prob`` (two stages, ``ssu = respondent_id``) keeps its second
    stage (``pooled_prob2``); the other years' is 1, which adds no variance — a one-stage
    design. Every year's estimates and SEs in the pooled design are those of its own
    ``year_design`` (tests/survey/test_compare_years.py, against R:
    tests/reference/survey/make_fixtures_years_pps.R)."""
    from . import questionnaire as q

    ys = sorted({as_year(y) for y in years})
    year_col = pd.to_numeric(survey["year"], errors="coerce")
    have = sorted(int(y) for y in year_col.dropna().unique())
    missing = [y for y in ys if y not in have]
    if missing:
        raise ValueError(f"调查年度 {missing} 不在问卷数据中（有 {have}）")
    rows = survey[year_col.isin(ys).to_numpy()].reset_index(drop=True)
    data = q.prepare(rows, contract=contract)
    data["year"] = pd.to_numeric(data["year"]).astype(int)
    stratum = data["stratum"] if "stratum" in data.columns else pd.Series("", index=data.index)
    data["year_stratum"] = data["year"].astype(str) + "|" + stratum.astype(str)
    spec = {k: v for k, v in q.DESIGN.items() if k != "strata" and (v in data.columns)}
    pps = _pps_columns(data, ys)
    if pps:
        spec = {k: v for k, v in spec.items() if k != "fpc"} | pps
    design = SurveyDesign(
        data,
        **spec,
        strata="year_stratum",
        nest=True,
        lonely_psu=q.LONELY_PSU,
        min_n=min_n,
        **({"pps": q.PPS_METHOD} if pps else {}),
    )
    if population is not None:
        from .analysis import rake_to_population

        pop = population.loc[:, [c for c in population.columns if c != "year"]]
        if "year" in population.columns:
            pop = population[pd.to_numeric(population["year"]).isin(ys)].copy()
            pop["year"] = pd.to_numeric(pop["year"]).astype(int)
        else:
            pop = pd.concat([pop.assign(year=y) for y in ys], ignore_index=True)
        design = rake_to_population(design, pop, by=("year", "township"))
    return design


#: the pooled design's probability columns when a year was drawn by PPS (:func:`pooled_design`)
POOLED_PROB, POOLED_PROB2 = "pooled_prob", "pooled_prob2"


def _pps_columns(data: pd.DataFrame, years: Sequence[int]) -> dict[str, str]:
    """The PPS arguments of the pooled design (adding its probability columns to ``data``),
    or {} when no year was drawn by PPS: every year then keeps the stratified SRS design."""
    from . import questionnaire as q

    fpc, ssu, fpc2 = (q.PPS_DESIGN[k] for k in ("fpc", "ssu", "fpc2"))
    in_year = {y: (data["year"] == y).to_numpy() for y in years}
    pps_years = [y for y in years if q.is_pps_year(data[in_year[y]])]
    if not pps_years:
        return {}
    prob = np.full(len(data), np.nan)
    prob2 = np.ones(len(data))
    two_stage = False
    for y in years:
        rows = in_year[y]
        part = data[rows]
        if y in pps_years:
            prob[rows] = pd.to_numeric(part[fpc]).to_numpy(float)
            if q._complete(part, fpc2) and ssu in part.columns:  # as year_design
                prob2[rows] = pd.to_numeric(part[fpc2]).to_numpy(float)
                two_stage = True
            continue
        sampled = part.groupby("year_stratum")["psu"].transform("nunique").to_numpy(float)
        if q.DESIGN["fpc"] in part.columns:
            f = pd.to_numeric(part[q.DESIGN["fpc"]]).to_numpy(float)
            prob[rows] = np.where(f <= 1, f, sampled / f)  # a fraction, or villages N_h
        else:  # sampled with replacement: Brewer's (1 - pi) -> 1
            prob[rows] = np.finfo(float).tiny
    data[POOLED_PROB] = prob
    out = {"fpc": POOLED_PROB}
    if two_stage:
        data[POOLED_PROB2] = prob2
        out |= {"ssu": ssu, "fpc2": POOLED_PROB2}
    return out


def _two_years(years: Sequence[Any]) -> tuple[int, int]:
    ys = [as_year(y) for y in years]
    if len(ys) != 2 or ys[0] == ys[1]:
        raise ValueError(f"years 须为两个不同的年度 (a, b)，得到 {years!r} (two different years)")
    return ys[0], ys[1]


def _joint_row(variable: str, test) -> dict[str, Any]:
    return {
        "variable": variable,
        "test": "Wald F",
        "F": test.statistic,
        "ndf": test.ndf,
        "ddf": test.ddf,
        "p_value": test.p_value,
    }


def compare_years(
    survey: pd.DataFrame,
    variables: str | Sequence[str],
    years: Sequence[Any],
    by: str | None = None,
    population: pd.DataFrame | None = None,
    level: float = 0.95,
    min_n: int = 30,
    contract=None,
) -> Comparison:
    """Year-on-year change of the means of ``variables`` between ``years = (a, b)``
    (``difference = b − a``), for the whole district and, with ``by`` (e.g. ``"township"``),
    for every domain — in one design pooling both years (:func:`pooled_design`).

    ``survey`` is the survey table as :func:`commeval.load_tables` returns it (design weights);
    with ``population`` (the population table) both years are raked to it first, as
    ``commeval.yaml``'s ``survey: weighting: raked`` does.

    As R on the pooled design: the overall difference is ``svyttest(y ~ year)``; a domain's
    is ``svyttest(y ~ year, subset(design, by == t))`` — its own SE and degrees of freedom
    (PSUs − strata of the domain in both years, minus 1); the joint test that no domain
    changed is ``regTermTest(svyglm(y ~ by + by:year), ~by:year)`` — the Wald F of all domain
    differences on (domains, degf − 2·domains + 1) df. Without ``by`` the joint test is the
    overall t test squared.
    """
    a, b = _two_years(years)
    design = pooled_design(survey, (a, b), population=population, min_n=min_n, contract=contract)
    variables = as_list(variables)
    overall, parts, joint = [], [], []
    for v in variables:
        o = compare_domains(design, v, "year", b, a, level)
        o = o.assign(a=a, b=b, estimate_a=o["estimate_b"], estimate_b=o["estimate_a"])
        overall.append(o[DIFFERENCE_COLUMNS])
        if by is None:
            t = float(o["t"].iloc[0])
            joint.append(
                {
                    "variable": v,
                    "test": "Wald F",
                    "F": t * t,
                    "ndf": 1,
                    "ddf": float(o["df"].iloc[0]),
                    "p_value": float(o["p_value"].iloc[0]),
                }
            )
            continue
        parts.append(_domain_changes(design, v, by, a, b, level))
        joint.append(_joint_row(v, _joint_change(design, v, by, a, b)))
    differences = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=DIFFERENCE_COLUMNS)
    )
    return Comparison(
        kind="years",
        by=by,
        level=level,
        differences=differences,
        overall=pd.concat(overall, ignore_index=True),
        joint=pd.DataFrame(joint, columns=JOINT_COLUMNS),
    )


def _domain_changes(design, v: str, by: str, a: int, b: int, level: float) -> pd.DataFrame:
    valid = design.data[[by, "year"]].assign(y=design.variable(v)).dropna()
    present = valid.groupby(by)["year"].agg(lambda s: {a, b} <= set(s.tolist()))
    domains = sorted(present.index[present.to_numpy(bool)].tolist(), key=str)
    pairs = [((d, b), (d, a)) for d in domains]
    r = compare_pairs(design, v, [by, "year"], pairs, level)
    out = pd.DataFrame(
        {
            "variable": v,
            by: domains,
            "a": a,
            "b": b,
            "estimate_a": r["estimate_b"].to_numpy(float),
            "estimate_b": r["estimate_a"].to_numpy(float),
        }
    )
    for c in DIFFERENCE_COLUMNS[5:]:
        out[c] = r[c].to_numpy()
    out["n_a"], out["n_b"] = r["n_b"].to_numpy(), r["n_a"].to_numpy()
    return out[["variable", by, *DIFFERENCE_COLUMNS[1:]]]


def _joint_change(design, v: str, by: str, a: int, b: int):
    """Wald F that every domain's b − a difference is zero, on the residual df of the
    saturated model ``y ~ by + by:year`` (R's ``regTermTest`` of ``by:year``)."""
    V, est = domain_vcov(design, v, [by, "year"])
    keys = list(est.index)
    domains = sorted({k[0] for k in keys if (k[0], a) in keys and (k[0], b) in keys}, key=str)
    L = np.zeros((len(domains), len(keys)))
    for i, d in enumerate(domains):
        L[i, keys.index((d, b))] = 1.0
        L[i, keys.index((d, a))] = -1.0
    ok = ~np.isnan(design.variable(v))
    cells = len({k for k in keys})
    ddf = design.degf(ok) - cells + 1
    return contrast(est, V, L, df=ddf).test


def compare_townships(
    design,
    variables: str | Sequence[str],
    by: str = "township",
    reference: Any = None,
    level: float = 0.95,
) -> Comparison:
    """Differences between the domains ``by`` of one design (e.g. a year's townships): every
    pair (default) or each domain against ``reference`` (``a`` = the domain, ``b`` = the
    reference), each as R's ``svyttest(y ~ by, subset(design, by %in% c(a, b)))``; and the
    joint test that all domain means are equal (``regTermTest(svyglm(y ~ factor(by)))``)."""
    variables = as_list(variables)
    parts, joint = [], []
    for v in variables:
        y = design.variable(v)
        vals = design.data[by]
        ok = ~np.isnan(y) & design.domain & vals.notna().to_numpy()
        levels = sorted(pd.unique(vals[ok]).tolist(), key=str)
        if reference is None:
            pairs = [((x,), (z,)) for i, x in enumerate(levels) for z in levels[i + 1 :]]
        else:
            if reference not in levels:
                raise ValueError(
                    f"compare_townships: {by} = {reference!r} 没有有效回答 (no answers)"
                )
            pairs = [((x,), (reference,)) for x in levels if x != reference]
        r = compare_pairs(design, v, [by], pairs, level)
        r["a"] = [p[0][0] for p in pairs]
        r["b"] = [p[1][0] for p in pairs]
        parts.append(r[DIFFERENCE_COLUMNS])
        joint.append(_joint_row(v, joint_test(design, v, by)))
    return Comparison(
        kind="townships",
        by=by,
        level=level,
        differences=pd.concat(parts, ignore_index=True),
        overall=pd.DataFrame(columns=DIFFERENCE_COLUMNS),
        joint=pd.DataFrame(joint, columns=JOINT_COLUMNS),
    )
