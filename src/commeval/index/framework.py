"""The assessment framework (评估指标体系): YAML loading and validation.

A framework has a ``version``, grade cut-offs, step settings, uncertainty settings and
dimensions → indicators. Every validation error names the file, the key and the value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from commeval.data.contract import Contract
from commeval.data.contract import contract as packaged_contract
from commeval.index.aggregation import AGGREGATIONS, WITHIN
from commeval.index.errors import FrameworkError
from commeval.index.formulas import Formula, FormulaError, parse_formula, unit_dependencies
from commeval.index.normalise import METHODS as NORMALISATIONS
from commeval.index.scorecard import Rule, parse_rule
from commeval.index.weights import (
    CR_LIMIT,
    RANDOM_INDEX,
    ConsistencyWarning,
    ahp,
    parse_ratio,
    reciprocity_violation,
)

DIRECTIONS = ("benefit", "cost")
WEIGHTINGS = ("fixed", "ahp", "entropy", "critic", "combined")
IMPUTATIONS = ("none", "mean", "median", "group_median")
MISSING = ("impute", "not_applicable")
SCORINGS = ("composite", "points")
WEIGHT_TOL = 1e-6

DEFAULT_STEPS: dict[str, dict[str, Any]] = {
    "imputation": {"method": "median"},
    "outliers": {"method": "none", "skew": 2.0, "kurtosis": 3.5, "max_points": 5},
    "normalisation": {"method": "target"},
    "aggregation": {"method": "arithmetic", "within": "arithmetic", "floor": 1.0},
}
DEFAULT_UNCERTAINTY: dict[str, Any] = {
    "weight_noise": 0.25,
    "normalisations": ["target", "minmax"],
    "aggregations": ["arithmetic", "geometric"],
    "survey_error": True,
}
_TOP = {
    "version",
    "name",
    "description",
    "grades",
    "steps",
    "uncertainty",
    "dimension_weighting",
    "dimensions",
    "scoring",
    "bonus_cap",
    "veto",
    "base_score",
}
_VETO = {"when", "label", "grade"}
_DIM = {"label", "weight", "weighting", "indicators", "description", "not_applicable"}
#: How a dimension that does not apply to a township is treated (docs/framework.md):
#: ``renormalise`` (its weight spread over the township's other dimensions — the default),
#: ``neutral`` (it counts at the mean of the townships it applies to), ``separate`` (it is
#: reported beside the composite and left out of every township's composite).
NOT_APPLICABLE = ("renormalise", "neutral", "separate")
_IND = {
    "label",
    "unit",
    "source",
    "direction",
    "target",
    "weight",
    "missing",
    "goalposts",
    "description",
    "scoring",
    "bonus",
    "standard",
    "assessment",
}
_POINTS_ONLY = ("scoring", "bonus")


@dataclass(frozen=True)
class Indicator:
    """One indicator of the framework."""

    name: str
    dimension: str
    label: str
    unit: str
    source: str
    formula: Formula = field(repr=False)
    direction: str
    target: float
    weight: float | None
    missing: str = "impute"
    goalposts: tuple[float, float] | None = None
    #: scorecards (``scoring: points``): the item's rule (分值 and 评分标准), bonus item (加分项),
    #: the standard's own wording (评分标准 as written) and 考核方式 / 数据来源
    scoring: Rule | None = None
    bonus: bool = False
    standard: str = ""
    assessment: str = ""

    @property
    def benefit(self) -> bool:
        return self.direction == "benefit"


@dataclass(frozen=True)
class Veto:
    """一票否决: when ``when`` holds, the grade becomes ``grade`` (the points stay)."""

    when: Formula
    label: str
    grade: str


@dataclass(frozen=True)
class Dimension:
    """A dimension (一级指标) and its indicators."""

    name: str
    label: str
    weight: float | None
    weighting: dict[str, Any]
    indicators: tuple[Indicator, ...]
    not_applicable: str = "renormalise"  # of NOT_APPLICABLE


@dataclass(frozen=True)
class Framework:
    """A validated framework."""

    version: str
    name: str
    source: str
    grades: tuple[tuple[str, float], ...]
    steps: dict[str, dict[str, Any]]
    uncertainty: dict[str, Any]
    dimension_weighting: dict[str, Any]
    dimensions: tuple[Dimension, ...]
    order: tuple[str, ...]  # indicators in evaluation (topological) order
    #: the data contract the formulas were checked against (a project's, with its fields.yaml)
    contract: Contract | None = field(default=None, repr=False, compare=False)
    #: "composite" (distance to target) or "points" (a scorecard: the total of item points)
    scoring: str = "composite"
    bonus_cap: float | None = None
    veto: tuple[Veto, ...] = ()
    #: 以100分为基础分: the total is base_score minus the points lost, plus the bonus
    base_score: float | None = None
    #: the district level (区/县/市) that ``{level}`` in the file's names and labels became
    wording: str = "区"

    @property
    def points(self) -> bool:
        return self.scoring == "points"

    @property
    def indicators(self) -> dict[str, Indicator]:
        return {i.name: i for d in self.dimensions for i in d.indicators}

    @property
    def dimension_of(self) -> dict[str, str]:
        return {i.name: d.name for d in self.dimensions for i in d.indicators}

    def groups(self) -> dict[str, list[str]]:
        return {d.name: [i.name for i in d.indicators] for d in self.dimensions}

    @property
    def survey_items(self) -> set[str]:
        return {s for i in self.indicators.values() for s in i.formula.survey_items}

    def __repr__(self) -> str:
        n = sum(len(d.indicators) for d in self.dimensions)
        dims = ", ".join(f"{d.label}" for d in self.dimensions)
        return (
            f"<Framework {self.name} {self.version}: {len(self.dimensions)} dimensions, "
            f"{n} indicators{self._scoring_note}; grades "
            f"{', '.join(f'{g} ≥{m:g}' for g, m in self.grades)}; from {self.source}>\n"
            f"  dimensions: {dims}"
        )

    @property
    def _scoring_note(self) -> str:
        return " (points scorecard)" if self.scoring == "points" else ""

    def _repr_html_(self) -> str:
        """Dimensions and indicators with their Chinese labels, units, targets and weights."""
        from commeval.display import fmt, html_table

        rows = [
            (d.name, d.label, i.name, i.label, i.unit or "", i.target, i.weight, i.direction)
            for d in self.dimensions
            for i in d.indicators
        ]
        dims = html_table(
            ["dimension", "label", "weight", "indicators"],
            [(d.name, d.label, d.weight, len(d.indicators)) for d in self.dimensions],
            f"Framework {self.name} {self.version}{self._scoring_note}",
            index_columns=1,
            note="grades: " + ", ".join(f"{g} ≥ {fmt(m)}" for g, m in self.grades),
        )
        cols = ["dimension", "dimension label", "indicator", "label", "unit", "target",
                "weight", "direction"]  # fmt: skip
        return dims + html_table(cols, rows, "indicators", index_columns=1)


def load_framework(
    path: str | Path | None = None, contract: Contract | None = None, level: str = "区"
) -> Framework:
    """Load and validate a framework YAML (the packaged default when ``path`` is None); its
    formulas may name the fields of ``contract`` (default: the packaged contract; a project's
    extended by its fields.yaml). ``{level}`` in its texts (names, labels) is the district's
    level, ``level`` (区/县/市): "{level}直部门结对帮扶村比例" reads 县直部门… in a county."""
    if path is None:
        res = resources.files("commeval") / "config" / "framework.yaml"
        text, source = res.read_text(encoding="utf-8"), "commeval/config/framework.yaml"
    else:
        source = str(path)
        text = Path(path).read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FrameworkError(source, "<document>", None, f"not valid YAML: {exc}") from None
    return parse_framework(doc, source, contract, level=level)


def _worded(value: Any, level: str) -> Any:
    """``value`` with ``{level}`` in every text replaced by ``level`` (区/县/市)."""
    if isinstance(value, str):
        return value.replace("{level}", level)
    if isinstance(value, dict):
        return {k: _worded(v, level) for k, v in value.items()}
    if isinstance(value, list):
        return [_worded(v, level) for v in value]
    return value


def _num(source: str, key: str, value: Any, what: str = "a number") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise FrameworkError(source, key, value, f"must be {what}")
    return float(value)


def _method(source: str, key: str, spec: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if isinstance(spec, str):
        spec = {"method": spec}
    if not isinstance(spec, dict) or spec.get("method") not in allowed:
        value = spec.get("method") if isinstance(spec, dict) else spec
        raise FrameworkError(source, f"{key}.method", value, f"must be one of {list(allowed)}")
    return dict(spec)


def _ahp_matrix(source: str, key: str, m: Any, n: int) -> list[list[float]]:
    if not isinstance(m, list) or len(m) != n or any(not isinstance(r, list) for r in m):
        raise FrameworkError(source, key, m, f"must be an {n}×{n} list of lists")
    rows = []
    for i, row in enumerate(m):
        if len(row) != n:
            raise FrameworkError(source, f"{key}[{i}]", row, f"row must have {n} entries")
        vals = []
        for j, v in enumerate(row):
            try:
                vals.append(parse_ratio(v))
            except (ValueError, ZeroDivisionError):
                raise FrameworkError(source, f"{key}[{i}][{j}]", v, "not a ratio") from None
        rows.append(vals)
    a = np.array(rows)
    if n > len(RANDOM_INDEX):
        raise FrameworkError(source, key, f"{n}×{n}", "Saaty's RI table covers n ≤ 10")
    bad = reciprocity_violation(a)
    if bad is not None:
        i, j = bad
        raise FrameworkError(
            source,
            f"{key}[{i}][{j}]",
            m[i][j],
            f"AHP matrix is not reciprocal: a[{i}][{j}]·a[{j}][{i}] = {a[i, j] * a[j, i]:.4g} ≠ 1",
        )
    return rows


def _weighting(source: str, key: str, spec: Any, n: int) -> dict[str, Any]:
    w = _method(source, key, spec if spec is not None else "fixed", WEIGHTINGS)
    subj = w.get("subjective", "fixed") if w["method"] == "combined" else w["method"]
    if w["method"] == "combined":
        if subj not in ("fixed", "ahp"):
            raise FrameworkError(source, f"{key}.subjective", subj, "must be fixed or ahp")
        if w.get("objective", "entropy") not in ("entropy", "critic"):
            raise FrameworkError(
                source, f"{key}.objective", w.get("objective"), "must be entropy or critic"
            )
        if w.get("rule", "additive") not in ("additive", "multiplicative"):
            raise FrameworkError(source, f"{key}.rule", w.get("rule"), "additive/multiplicative")
        alpha = _num(source, f"{key}.alpha", w.get("alpha", 0.5))
        if not 0 <= alpha <= 1:
            raise FrameworkError(source, f"{key}.alpha", alpha, "must be in [0, 1]")
    if subj == "ahp":
        w["matrix"] = _ahp_matrix(source, f"{key}.matrix", w.get("matrix"), n)
        strict = w.get("strict", False)
        if not isinstance(strict, bool):
            raise FrameworkError(source, f"{key}.strict", strict, "must be true or false")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConsistencyWarning)
            res = ahp(w["matrix"])
        if res.cr >= CR_LIMIT:
            why = f"AHP consistency ratio CR = {res.cr:.3f} ≥ {CR_LIMIT} (λmax = {res.lambda_max:.4f})"
            if strict:
                raise FrameworkError(source, f"{key}.matrix", w["matrix"], why)
            warnings.warn(f"{source}: key {key}.matrix: {why}", ConsistencyWarning, stacklevel=4)
    return w


def _check_weights(source: str, key: str, items: list[tuple[str, Any]]) -> None:
    total = 0.0
    for name, v in items:
        k = key.format(name)
        total += _num(source, k, v, "a non-negative weight")
        if v < 0:
            raise FrameworkError(source, k, v, "weights must be non-negative")
    if abs(total - 1.0) > WEIGHT_TOL:
        raise FrameworkError(source, key.format("*"), round(total, 10), "weights must sum to 1")


def _columns_known(source: str, key: str, text: str, f: Formula, c: Contract) -> None:
    declared = "" if not c.extensions else f"（{'、'.join(s for s, _ in c.extensions)}）"
    for table, col in sorted(f.columns):
        if col not in c[table].fields or c[table].fields[col].personal:
            raise FrameworkError(
                source, key, text,
                f"数据约定{declared}中没有字段 {col!r}"
                f"（表 {table}；拼写错误？新字段请在项目的 config/fields.yaml 中声明）"
                f" (unknown column {table}.{col})",
            )  # fmt: skip
    likert = set(c["survey"].group("likert"))
    yesno = set(c["survey"].group("participation"))
    for item in sorted(f.survey_items):
        base = item.removesuffix("_top2")
        if item in yesno:
            continue  # a yes/no item: the share answering 是 (0–1)
        if base not in likert:
            raise FrameworkError(
                source, key, text,
                f"问卷中没有题目 {item!r}：数据约定{declared}中没有这道李克特量表题或是否题。"
                "提示：survey() 接受李克特题（均值 1–5）及其 _top2（满意率），和是否题（答“是”的"
                "比例 0–1）；新题请在 config/fields.yaml 的 survey: 下以 kind: likert 或 "
                f"kind: yesno 声明 (unknown survey item {item!r})",
            )  # fmt: skip


def parse_framework(  # noqa: C901
    doc: Any, source: str = "<framework>", contract: Contract | None = None, level: str = "区"
) -> Framework:
    """Validate a parsed framework document and build a :class:`Framework`; formulas are checked
    against ``contract`` (default: the packaged contract); ``{level}`` in its texts becomes
    ``level`` (the district's 区/县/市)."""
    c = contract or packaged_contract()
    if not isinstance(doc, dict):
        raise FrameworkError(source, "<document>", type(doc).__name__, "must be a mapping")
    doc = _worded(doc, level)
    unknown = sorted(set(doc) - _TOP)
    if unknown:
        raise FrameworkError(source, unknown[0], doc[unknown[0]], "unknown key")
    version = doc.get("version")
    if version is None or isinstance(version, bool) or str(version).strip() == "":
        raise FrameworkError(source, "version", version, "a framework needs a version")

    grades_doc = doc.get("grades")
    if not isinstance(grades_doc, dict) or len(grades_doc) < 2:
        raise FrameworkError(source, "grades", grades_doc, "needs ≥ 2 grades: {name: min score}")
    grades = [(str(g), _num(source, f"grades.{g}", v)) for g, v in grades_doc.items()]
    grades.sort(key=lambda g: -g[1])  # best first
    mins = [m for _, m in grades]
    if len(set(mins)) != len(mins):
        raise FrameworkError(source, "grades", grades_doc, "cut-offs must be distinct")
    if mins[-1] > 0:
        low, cut = grades[-1]
        raise FrameworkError(
            source,
            "grades",
            grades_doc,
            f"等级划分有空档：低于{cut:g}分的得分没有等级（最低一档“{low}”从{cut:g}分起）。"
            f"提示：最低一档覆盖下一档分数线以下的全部得分（含负分），请加上它，如 不合格: 0 "
            f"(the grades leave a gap below {cut:g}: add a lowest grade with cut-off 0)",
        )
    scoring = doc.get("scoring", "composite")
    if scoring not in SCORINGS:
        raise FrameworkError(source, "scoring", scoring, f"must be one of {list(SCORINGS)}")
    points = scoring == "points"
    for k in ("bonus_cap", "veto", "base_score"):
        if k in doc and not points:
            raise FrameworkError(source, k, doc[k], "only for scoring: points (scorecards)")
    bonus_cap = None
    if doc.get("bonus_cap") is not None:
        bonus_cap = _num(source, "bonus_cap", doc["bonus_cap"])
        if bonus_cap < 0:
            raise FrameworkError(source, "bonus_cap", bonus_cap, "must be ≥ 0")

    base_score = None
    if doc.get("base_score") is not None:
        base_score = _num(source, "base_score", doc["base_score"])
        if base_score <= 0:
            raise FrameworkError(source, "base_score", base_score, "must be > 0")

    steps = {k: dict(v) for k, v in DEFAULT_STEPS.items()}
    sdoc = doc.get("steps") or {}
    if not isinstance(sdoc, dict):
        raise FrameworkError(source, "steps", sdoc, "must be a mapping")
    allowed = {
        "imputation": IMPUTATIONS,
        "outliers": ("none", "winsorise"),
        "normalisation": NORMALISATIONS,
        "aggregation": AGGREGATIONS,
    }
    for k, v in sdoc.items():
        if k not in allowed:
            raise FrameworkError(source, f"steps.{k}", v, f"unknown step; use {list(allowed)}")
        steps[k] |= _method(source, f"steps.{k}", v, allowed[k])
    if steps["aggregation"].get("within", "arithmetic") not in WITHIN:
        raise FrameworkError(
            source, "steps.aggregation.within", steps["aggregation"]["within"], f"use {WITHIN}"
        )

    unc = dict(DEFAULT_UNCERTAINTY)
    udoc = doc.get("uncertainty") or {}
    for k, v in udoc.items():
        if k == "thresholds" and points:
            if not isinstance(v, bool):
                raise FrameworkError(source, "uncertainty.thresholds", v, "must be true or false")
            unc[k] = v
            continue
        if k not in unc:
            raise FrameworkError(source, f"uncertainty.{k}", v, "unknown key")
        unc[k] = v
    noise = _num(source, "uncertainty.weight_noise", unc["weight_noise"])
    if not 0 <= noise < 1:
        raise FrameworkError(source, "uncertainty.weight_noise", noise, "must be in [0, 1)")
    for k, ok in (
        ("normalisations", ("minmax", "target", "rank", "goalposts")),
        ("aggregations", WITHIN),
    ):
        vals = unc[k]
        if not isinstance(vals, list) or not vals or any(v not in ok for v in vals):
            raise FrameworkError(source, f"uncertainty.{k}", vals, f"must be a list from {ok}")

    dims_doc = doc.get("dimensions")
    if not isinstance(dims_doc, dict) or not dims_doc:
        raise FrameworkError(source, "dimensions", dims_doc, "needs at least one dimension")
    dw = _weighting(source, "dimension_weighting", doc.get("dimension_weighting"), len(dims_doc))
    if points:
        pass  # a scorecard has no weights: the points are the weights
    elif dw["method"] not in ("fixed", "ahp"):
        raise FrameworkError(
            source, "dimension_weighting.method", dw["method"], "dimensions: fixed or ahp"
        )
    if dw["method"] == "fixed" and not points:
        _check_weights(
            source,
            "dimensions.{}.weight",
            [
                (d, (s or {}).get("weight") if isinstance(s, dict) else None)
                for d, s in dims_doc.items()
            ],
        )

    formulas: dict[str, Formula] = {}
    keys: dict[str, str] = {}
    raw: dict[str, tuple[str, dict[str, Any]]] = {}
    for dname, dspec in dims_doc.items():
        dkey = f"dimensions.{dname}"
        if not isinstance(dspec, dict):
            raise FrameworkError(source, dkey, dspec, "must be a mapping")
        bad = sorted(set(dspec) - _DIM)
        if bad:
            raise FrameworkError(source, f"{dkey}.{bad[0]}", dspec[bad[0]], "unknown key")
        if not dspec.get("label"):
            raise FrameworkError(source, f"{dkey}.label", dspec.get("label"), "needs a label")
        inds = dspec.get("indicators")
        if not isinstance(inds, dict) or not inds:
            raise FrameworkError(source, f"{dkey}.indicators", inds, "needs ≥ 1 indicator")
        for iname, ispec in inds.items():
            ikey = f"{dkey}.indicators.{iname}"
            if iname in raw:
                raise FrameworkError(source, ikey, iname, "indicator names must be unique")
            if not isinstance(ispec, dict):
                raise FrameworkError(source, ikey, ispec, "must be a mapping")
            bad = sorted(set(ispec) - _IND)
            if bad:
                raise FrameworkError(source, f"{ikey}.{bad[0]}", ispec[bad[0]], "unknown key")
            for k in _POINTS_ONLY:
                if k in ispec and not points:
                    raise FrameworkError(
                        source, f"{ikey}.{k}", ispec[k], "only for scoring: points (scorecards)"
                    )
            required = (
                ("source", "scoring")
                if points
                else ("label", "unit", "source", "direction", "target")
            )
            for req in required:
                if req not in ispec:
                    raise FrameworkError(source, f"{ikey}.{req}", None, "is required")
            text = ispec["source"]
            try:
                f = parse_formula(text)
            except FormulaError as exc:
                raise FrameworkError(source, f"{ikey}.source", text, str(exc)) from None
            _columns_known(source, f"{ikey}.source", text, f, c)
            formulas[iname], keys[iname] = f, f"{ikey}.source"
            raw[iname] = (dname, ispec)

    for iname, f in formulas.items():
        for ref in sorted(f.refs):
            if ref not in formulas:
                raise FrameworkError(source, keys[iname], f.text, _unknown_ref(ref, formulas, c))
    try:
        order = unit_dependencies(formulas)
    except FormulaError as exc:
        first = exc.why.split(": ", 1)[1].split(" → ")[0]
        raise FrameworkError(source, keys[first], formulas[first].text, str(exc)) from None

    dims = []
    for dname, dspec in dims_doc.items():
        dkey = f"dimensions.{dname}"
        inds = dspec["indicators"]
        w = _weighting(source, f"{dkey}.weighting", dspec.get("weighting"), len(inds))
        subj = w.get("subjective", "fixed") if w["method"] == "combined" else w["method"]
        if subj == "fixed" and not points:
            _check_weights(
                source,
                f"{dkey}.indicators.{{}}.weight",
                [(i, s.get("weight")) for i, s in inds.items()],
            )
        built = []
        for iname, ispec in inds.items():
            ikey = f"{dkey}.indicators.{iname}"
            direction = ispec.get("direction", "benefit")
            if direction not in DIRECTIONS:
                raise FrameworkError(source, f"{ikey}.direction", direction, f"use {DIRECTIONS}")
            rule = None
            if points:
                rule = parse_rule(source, f"{ikey}.scoring", ispec["scoring"])
                if rule.when is not None:
                    _when_known(source, f"{ikey}.scoring.when", rule.when, formulas, c)
                bonus = ispec.get("bonus", False)
                if not isinstance(bonus, bool):
                    raise FrameworkError(source, f"{ikey}.bonus", bonus, "must be true or false")
            target = (
                _num(source, f"{ikey}.target", ispec["target"])
                if "target" in ispec or not points
                else _rule_target(rule, direction)
            )
            if direction == "benefit" and target <= 0 and not points:
                raise FrameworkError(source, f"{ikey}.target", target, "benefit target must be > 0")
            if target < 0 and not points:
                raise FrameworkError(source, f"{ikey}.target", target, "target must be ≥ 0")
            missing = ispec.get("missing", "impute")
            if missing not in MISSING:
                raise FrameworkError(source, f"{ikey}.missing", missing, f"use {MISSING}")
            gp = ispec.get("goalposts")
            if gp is not None:
                if not isinstance(gp, list) or len(gp) != 2:
                    raise FrameworkError(source, f"{ikey}.goalposts", gp, "must be [lower, upper]")
                lo = _num(source, f"{ikey}.goalposts", gp[0])
                hi = _num(source, f"{ikey}.goalposts", gp[1])
                if not lo < hi:
                    raise FrameworkError(source, f"{ikey}.goalposts", gp, "lower < upper needed")
                gp = (lo, hi)
            wt = ispec.get("weight")
            built.append(
                Indicator(
                    name=iname,
                    dimension=dname,
                    label=str(ispec.get("label", iname)),
                    unit=str(ispec.get("unit", "")),
                    source=str(ispec["source"]),
                    formula=formulas[iname],
                    direction=direction,
                    target=target,
                    weight=None if wt is None else float(wt),
                    missing=missing,
                    goalposts=gp,
                    scoring=rule,
                    bonus=bool(ispec.get("bonus", False)),
                    standard=str(ispec.get("standard", "") or ""),
                    assessment=str(ispec.get("assessment", "") or ""),
                )
            )
        dweight = dspec.get("weight")
        na = dspec.get("not_applicable", "renormalise")
        if na not in NOT_APPLICABLE:
            raise FrameworkError(source, f"{dkey}.not_applicable", na, f"use {NOT_APPLICABLE}")
        dims.append(
            Dimension(
                dname,
                str(dspec["label"]),
                None if dweight is None else float(dweight),
                w,
                tuple(built),
                na,
            )
        )
    vetoes = _vetoes(source, doc.get("veto"), formulas, c, [g for g, _ in grades]) if points else ()
    if points and not any(not i.bonus for d in dims for i in d.indicators):
        raise FrameworkError(
            source, "dimensions", "…", "a scorecard needs ≥ 1 item that is not a bonus"
        )
    if steps["normalisation"]["method"] == "goalposts" or "goalposts" in unc["normalisations"]:
        for d in dims:
            for i in d.indicators:
                if i.goalposts is None:
                    raise FrameworkError(
                        source,
                        f"dimensions.{d.name}.indicators.{i.name}.goalposts",
                        None,
                        "goalposts normalisation needs goalposts for every indicator",
                    )
    return Framework(
        version=str(version),
        name=str(doc.get("name", "")),
        source=source,
        grades=tuple(grades),
        steps=steps,
        uncertainty=unc,
        dimension_weighting=dw,
        dimensions=tuple(dims),
        order=tuple(order),
        contract=c,
        scoring=scoring,
        bonus_cap=bonus_cap,
        veto=tuple(vetoes),
        base_score=base_score,
        wording=level,
    )


def _unknown_ref(ref: str, formulas: dict[str, Formula], c: Contract) -> str:
    """Why a bare name outside an aggregation is unknown, with a hint of what was meant."""
    import difflib

    from commeval.index.errors import AGG_HINT

    en = f"unknown indicator or function {ref!r}"
    for table in ("villages", "communities"):
        if ref in c[table].fields:
            col = ref if table == "villages" else f"communities.{ref}"
            return (
                f"{ref} 是{c[table].label}的字段（每{'村' if table == 'villages' else '个社区'}一个值），"
                f"不能直接用在乡镇一级：{AGG_HINT.replace('(x)', f'({col})')} ({en})"
            )
    if ref in c["townships"].fields:
        return f"{ref} 是乡镇表的字段：请写 townships.{ref} ({en})"
    if ref in c["survey"].fields:
        return f"{ref} 是问卷题：请写 survey({ref}) ({en})"
    close = difflib.get_close_matches(ref, list(formulas), n=2)
    hint = f"；是不是 {'、'.join(close)}？" if close else ""
    return f"{ref} 不是本框架的指标名，也不是字段或函数{hint} ({en})"


def _rule_target(rule: Rule, direction: str) -> float:
    """The value at full points (the 达标 line of a scorecard item)."""
    if rule.rule == "tiers":
        best = max(p for _, p in rule.tiers)
        th = [t for t, p in rule.tiers if p == best]
        return float(min(th) if direction == "benefit" else max(th))
    if rule.rule == "linear":
        return float(rule.full_at)
    if rule.rule in ("deduct", "units"):
        return float(rule.start)
    return 1.0


def _when_known(
    source: str, key: str, f: Formula, formulas: dict[str, Formula], c: Contract
) -> None:
    """A ``when:`` formula is township-level: indicators, townships.x, survey(item)."""
    for ref in sorted(f.refs):
        if ref not in formulas:
            raise FrameworkError(source, key, f.text, f"unknown indicator {ref!r}")
    _columns_known(source, key, f.text, f, c)


def _vetoes(
    source: str, spec: Any, formulas: dict[str, Formula], c: Contract, grades: list[str]
) -> list[Veto]:
    if spec is None:
        return []
    if not isinstance(spec, list):
        raise FrameworkError(source, "veto", spec, "must be a list of {when, label, grade}")
    out = []
    for j, v in enumerate(spec):
        key = f"veto[{j}]"
        if not isinstance(v, dict):
            raise FrameworkError(source, key, v, "must be a mapping {when, label, grade}")
        bad = sorted(set(v) - _VETO)
        if bad:
            raise FrameworkError(source, f"{key}.{bad[0]}", v[bad[0]], "unknown key")
        if "when" not in v:
            raise FrameworkError(source, f"{key}.when", None, "is required")
        try:
            f = parse_formula(v["when"])
        except FormulaError as exc:
            raise FrameworkError(source, f"{key}.when", v["when"], str(exc)) from None
        _when_known(source, f"{key}.when", f, formulas, c)
        g = str(v.get("grade", grades[-1]))
        if g not in grades:
            raise FrameworkError(source, f"{key}.grade", g, f"must be one of {grades}")
        out.append(Veto(f, str(v.get("label") or f.text), g))
    return out
