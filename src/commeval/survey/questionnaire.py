"""Questionnaire conventions: the don't-know code, the top-2 box, age groups (defined once in
:mod:`commeval.data.conventions`, re-exported here), the item lists, and THE design of one
survey year.

Every survey figure of the package — the index's satisfaction indicators and their sampling
error, each township page, the district summary, the research notebooks — comes from a design
built by :func:`year_design`, so one township's overall satisfaction has one standard error
wherever it is printed.

Likert items are answered 1–5, with 说不清 (don't know) coded :data:`DONT_KNOW`. :func:`prepare`
turns that into data that any estimator reads right by default: the item holds 1–5 or missing,
``<item>_dk`` is 1 where the answer was 说不清 (0 for a scale answer, missing for no answer)
and ``<item>_top2`` is 1 for 比较满意/非常满意 (4–5) among scale answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd

from commeval.data.conventions import (  # the conventions, defined once (data layer)
    AGE_BREAKS,
    DESIGN,
    DK_SUFFIX,
    LONELY_PSU,
    PPS_DESIGN,
    PPS_METHOD,
    SCALE,
    TOP2,
    TOP2_SUFFIX,
    split_codes,
)
from commeval.data.conventions import (
    DONT_KNOW as DONT_KNOW,  # re-exported: likert, analysis
)

from .base import DesignBase
from .columns import as_year
from .design import SurveyDesign


@cache
def _packaged_survey_fields():
    from commeval.data.contract import contract

    return contract()["survey"].fields


def _survey_fields(contract=None):
    """Fields of the survey table: of ``contract`` (a project's, extended by its fields.yaml),
    else of the packaged contract."""
    return _packaged_survey_fields() if contract is None else contract["survey"].fields


def _group(name: str, contract=None) -> list[str]:
    return [f.name for f in _survey_fields(contract).values() if f.group == name]


def likert_items(contract=None) -> list[str]:
    """Every Likert item of the contract (satisfaction items and willingness to move; with a
    project's ``contract`` its fields.yaml's ``kind: likert`` items too)."""
    return _group("likert", contract)


def sat_items(contract=None) -> list[str]:
    """The satisfaction items (``sat_overall`` first): the Likert items named ``sat_*``."""
    return [c for c in likert_items(contract) if c.startswith("sat_")]


def service_items(contract=None) -> list[str]:
    """Satisfaction with specific services: every ``sat_*`` item but ``sat_overall``."""
    return [c for c in sat_items(contract) if c != "sat_overall"]


def needs_items(contract=None) -> list[str]:
    """The multiple-response options of 最需要的服务."""
    return _group("needs", contract)


def participation_items(contract=None) -> list[str]:
    """Yes/no items on awareness and participation (with a project's ``contract`` its
    fields.yaml's ``kind: yesno`` items too)."""
    return _group("participation", contract)


def yesno_items(contract=None) -> list[str]:
    """The yes/no items (the same list as :func:`participation_items`)."""
    return participation_items(contract)


def multi_questions(contract=None) -> dict[str, list[str]]:
    """Multiple-response questions → their 0/1 option columns: ``needs`` (最需要的服务) and
    every ``kind: multi`` question of a project's fields.yaml (columns ``<question>_<key>``)."""
    out: dict[str, list[str]] = {}
    if needs_items(contract):
        out["needs"] = needs_items(contract)
    for f in _survey_fields(contract).values():
        if f.question:
            out.setdefault(f.question, []).append(f.name)
    return out


def question_label(question: str, contract=None) -> str:
    """Chinese text of a multiple-response question (``needs``: 最需要的服务)."""
    if question == "needs":
        return "最需要的服务"
    for f in _survey_fields(contract).values():
        if f.question == question and f.question_label:
            return f.question_label
    return question


def option_label(column: str, contract=None) -> str:
    """Answer text of a multiple-response option column (养老服务 for ``need_elderly_care``)."""
    f = _survey_fields(contract).get(column)
    if f is None:
        return column
    if f.option:
        return f.option
    return f.label.split("：", 1)[-1]


def numeric_items(contract=None) -> list[str]:
    """Numeric questions a project's fields.yaml declares (``kind: numeric``)."""
    return [f.name for f in _survey_fields(contract).values() if f.kind == "numeric"]


def label(column: str, contract=None) -> str:
    """Chinese label of a survey field; for ``<item>_top2``/``<item>_dk`` the item's label."""
    base = column.removesuffix(TOP2_SUFFIX).removesuffix(DK_SUFFIX)
    f = _survey_fields(contract).get(base)
    return f.label if f is not None else column


@cache
def age_groups() -> tuple[str, ...]:
    """The contract's age groups ("16-29", "30-44", "45-59", "60+")."""
    from commeval.data.contract import contract

    return tuple(contract()["population"].fields["age_group"].allowed)


@cache
def age_group_labels() -> tuple[str, ...]:
    """Chinese labels of :func:`age_groups` ("16–29岁" …)."""
    from commeval.data.contract import contract

    f = contract()["population"].fields["age_group"]
    return tuple(f.allowed_labels or f.allowed)


def age_group(age: pd.Series | Sequence[float], labels: bool = False) -> pd.Series:
    """Age in years → age group (ordered categorical; Chinese labels with ``labels=True``);
    under 16 or missing → NaN."""
    s = age if isinstance(age, pd.Series) else pd.Series(age)
    x = pd.to_numeric(s, errors="coerce").astype(float)
    return pd.cut(
        x,
        bins=[*AGE_BREAKS, np.inf],
        right=False,
        labels=list(age_group_labels() if labels else age_groups()),
        ordered=True,
    ).rename("age_group")


def recode_likert(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A raw Likert column → (answer 1–5 or NaN, don't-know flag 1/0/NaN)."""
    x = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").to_numpy(dtype=float)
    _, dk, valid = split_codes(x)
    return np.where(valid, x, np.nan), np.where(valid | dk, dk.astype(float), np.nan)


def prepare(
    survey: pd.DataFrame, items: Sequence[str] | None = None, contract=None
) -> pd.DataFrame:
    """The survey table with don't-know as data, not a number (see the module docstring).

    ``items`` default to the Likert items of ``contract`` (default: the packaged contract; a
    project's adds its fields.yaml's ``kind: likert`` items) present in the table. A table already
    prepared (``<item>_dk`` present) keeps its item and flag; ``<item>_top2`` is (re)derived.
    """
    items = [c for c in (likert_items(contract) if items is None else items) if c in survey.columns]
    cols: dict[str, np.ndarray] = {}
    for item in items:
        if item + DK_SUFFIX in survey.columns:
            x = pd.to_numeric(survey[item], errors="coerce").to_numpy(dtype=float)
            x = np.where(np.isin(x, SCALE), x, np.nan)
            dk = pd.to_numeric(survey[item + DK_SUFFIX], errors="coerce").to_numpy(dtype=float)
        else:
            x, dk = recode_likert(survey[item])
        cols[item] = x
        cols[item + DK_SUFFIX] = dk
        cols[item + TOP2_SUFFIX] = np.where(np.isnan(x), np.nan, np.isin(x, TOP2).astype(float))
    return survey.assign(**cols)


def survey_years(survey: pd.DataFrame) -> list[int]:
    return sorted(int(y) for y in survey["year"].dropna().unique())


def year_design(
    survey: pd.DataFrame,
    year: int | None = None,
    min_n: int = 30,
    contract=None,
    items: Sequence[str] | None = None,
) -> SurveyDesign:
    """THE design of one survey year (default: the latest) over the prepared survey table:
    strata = townships (``stratum``), PSUs = villages (``psu``), FPC = villages per stratum
    (``fpc``), base ``weight``; a stratum with one responding village is handled as R's
    ``survey.lonely.psu = "adjust"``. The Likert items prepared (``<item>_dk``, ``<item>_top2``)
    are ``items``, default those of ``contract`` (see :func:`prepare`).

    A year whose villages were drawn by PPS — every row carries its village's inclusion
    probability (``village_prob``, filled from the dataset's design table at ingestion) — is
    analysed as drawn: R's ``svydesign(ids=~psu+respondent_id, strata=~stratum,
    fpc=~village_prob+household_prob, weights=~weight, pps="brewer")`` (the second stage,
    households by systematic selection with probability ``household_prob``, when every row has
    it; else one stage). A year where only some rows carry it (respondents outside the
    selection) keeps the design above. See :func:`is_pps_year`."""
    years = survey_years(survey)
    if year is None:
        if not years:
            raise ValueError("问卷数据为空 (the survey table has no rows)")
        year = years[-1]
    year = as_year(year)  # 2012 or "2012" alike
    rows = survey[pd.to_numeric(survey["year"], errors="coerce") == year]
    if rows.empty:
        raise ValueError(f"调查年度 {year} 不在问卷数据中（有 {years}）")
    data = prepare(rows.reset_index(drop=True), items, contract)
    spec = {k: v for k, v in DESIGN.items() if v in data.columns or k == "weights"}
    if is_pps_year(data):
        spec["fpc"] = PPS_DESIGN["fpc"]
        if _complete(data, PPS_DESIGN["fpc2"]) and PPS_DESIGN["ssu"] in data.columns:
            spec |= {"ssu": PPS_DESIGN["ssu"], "fpc2": PPS_DESIGN["fpc2"]}
        return SurveyDesign(data, **spec, pps=PPS_METHOD, lonely_psu=LONELY_PSU, min_n=min_n)
    return SurveyDesign(data, **spec, lonely_psu=LONELY_PSU, min_n=min_n)


def _complete(data: pd.DataFrame, col: str) -> bool:
    if col not in data.columns or data.empty:
        return False
    return bool(pd.to_numeric(data[col], errors="coerce").notna().all())


def is_pps_year(rows: pd.DataFrame) -> bool:
    """Whether the survey rows of one year were drawn by PPS as far as the data tell: every row
    carries its village's inclusion probability (``village_prob``, from the design table), and
    the table has the PSUs and weights. :func:`year_design` then builds a Brewer PPS design."""
    return (
        _complete(rows, PPS_DESIGN["fpc"])
        and DESIGN["psu"] in rows.columns
        and DESIGN["weights"] in rows.columns
    )


def year_designs(
    survey: pd.DataFrame,
    min_n: int = 30,
    contract=None,
    items: Sequence[str] | None = None,
) -> dict[int, SurveyDesign]:
    """:func:`year_design` of every survey year."""
    return {
        y: year_design(survey, y, min_n=min_n, contract=contract, items=items)
        for y in survey_years(survey)
    }


def township_estimates(
    designs: dict[int, DesignBase] | DesignBase, items: Sequence[str]
) -> pd.DataFrame:
    """Per-township means of Likert items (1–5), their top-2-box shares (``<item>_top2``) and
    yes/no items (the share answering 是), from the year designs: columns township, year, indicator, estimate, se, n — the survey
    estimates the index takes (``commeval.index.evaluate(survey=...)``)."""
    if isinstance(designs, DesignBase):
        designs = {int(designs.data["year"].iloc[0]): designs}
    names = sorted({str(i) for i in items})
    parts = []
    for y, design in sorted(designs.items()) if names else ():  # no item asked: no estimate
        est = design.mean(names, by=["township"]).rename(columns={"variable": "indicator"})
        est["year"] = y
        parts.append(est)
    cols = ["township", "year", "indicator", "estimate", "se", "n"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["township"] = out["township"].astype(str)
    return out[cols]
