"""Points-based scorecards (考核评分表): the scoring rules of ``scoring: points`` frameworks.

An item (indicator) carries ``scoring: {points: 分值, rule: ...}``:

* ``tiers`` — the points of the highest threshold the value reaches (value ≥ threshold; for an
  indicator with ``direction: cost``: the lowest threshold with value ≤ threshold); 0 below all.
* ``linear`` — points × clip((v − zero_at) / (full_at − zero_at), 0, 1).
* ``yesno`` — the points when the value is true / non-zero, or when the optional ``when:``
  formula holds; 0 otherwise.
* ``deduct`` — points − deduct × max(0, from − v) / per, clipped to [0, points] (cost
  indicators: max(0, v − from)); ``whole_units: true`` deducts per whole unit only.

* ``units`` — counting rules (每户扣1分, 每少1个扣5分、每增1个加2分, 每个加1分、最多加3分):
  base + add × (units above ``from``) − deduct × (units below ``from``), a unit being ``per``
  (cost indicators: deduct above, add below); ``base`` defaults to the points when the rule
  deducts, else 0; the result is at least 0 (扣完为止) unless ``floor: false``, and at most the
  points — or base + ``max_add`` (最多加M分 / 累计加分不超过M分), or unbounded with
  ``uncapped: true`` (上不封顶).

``per: village`` scores each village by the rule (the source is then evaluated per village)
and gives the township the mean of its villages' points (``combine: mean``, the default) or
the points × the share of villages at full points (``combine: full_share``). A missing value
scores 0 (无数据). Points are capped only as the rules say. Bonus items (``bonus: true``) add
beyond the base total, at most ``bonus_cap``; a veto (``veto:``) sets the grade.

This module holds the rules and the arithmetic on arrays (any leading shape: Monte Carlo draws
× townships); :mod:`commeval.index.evaluation` assembles the evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from commeval.index.errors import FrameworkError
from commeval.index.formulas import Formula, FormulaError, parse_formula

RULES = ("tiers", "linear", "yesno", "deduct", "units")
COMBINE = ("mean", "full_share")
_KEYS = {
    "points",
    "rule",
    "tiers",
    "full_at",
    "zero_at",
    "when",
    "from",
    "per",
    "deduct",
    "whole_units",
    "combine",
    "step",
    "add",
    "base",
    "max_add",
    "uncapped",
    "floor",
}
_NEEDS = {
    "tiers": {"tiers"},
    "linear": {"full_at", "zero_at"},
    "yesno": set(),
    "deduct": {"from", "deduct"},
    "units": set(),
}
_ALLOWED = {
    "tiers": {"tiers"},
    "linear": {"full_at", "zero_at"},
    "yesno": {"when"},
    "deduct": {"from", "per", "deduct", "whole_units"},
    "units": {"from", "per", "deduct", "add", "base", "max_add", "uncapped", "floor"},
}
TOL = 1e-9


@dataclass(frozen=True)
class Rule:
    """One item's scoring rule (validated ``scoring:`` mapping)."""

    points: float
    rule: str
    tiers: tuple[tuple[float, float], ...] = ()  # (threshold, points), as written
    full_at: float | None = None
    zero_at: float | None = None
    when: Formula | None = None
    start: float | None = None  # the YAML key ``from``
    per: float = 1.0
    deduct: float = 0.0
    whole_units: bool = False
    village: bool = False  # per: village
    combine: str = "mean"
    step: float | None = None  # threshold perturbation step for the uncertainty analysis
    add: float = 0.0  # units: points added per unit beyond ``from``
    base: float | None = None  # units: the points at ``from``
    max_add: float | None = None  # units: at most this many points added (beyond base)
    uncapped: bool = False  # units: no upper bound (上不封顶)
    floor: bool = True  # units: never below 0 (扣完为止); false: deductions may exceed the points

    @property
    def base_points(self) -> float:
        """units: the points at ``from`` (``base``, default the points when the rule deducts)."""
        if self.base is not None:
            return float(self.base)
        return float(self.points) if self.deduct > 0 else 0.0

    @property
    def upper(self) -> float:
        """units: the most the item can score (inf when uncapped)."""
        if self.uncapped:
            return float("inf")
        if self.max_add is not None:
            return self.base_points + float(self.max_add)
        return max(float(self.points), self.base_points)

    def to_dict(self) -> dict[str, Any]:
        """The ``scoring:`` mapping (YAML keys), canonical: only the keys that matter."""
        d: dict[str, Any] = {"points": _plain(self.points), "rule": self.rule}
        if self.rule == "tiers":
            d["tiers"] = [[_plain(t), _plain(p)] for t, p in self.tiers]
        elif self.rule == "linear":
            d["full_at"], d["zero_at"] = _plain(self.full_at), _plain(self.zero_at)
        elif self.rule == "yesno":
            if self.when is not None:
                d["when"] = self.when.text
        elif self.rule == "units":
            if self.start:
                d["from"] = _plain(self.start)
            if self.per != 1:
                d["per"] = _plain(self.per)
            if self.deduct:
                d["deduct"] = _plain(self.deduct)
            if self.add:
                d["add"] = _plain(self.add)
            if self.base is not None:
                d["base"] = _plain(self.base)
            if self.max_add is not None:
                d["max_add"] = _plain(self.max_add)
            if self.uncapped:
                d["uncapped"] = True
            if not self.floor:
                d["floor"] = False
        else:
            d["from"] = _plain(self.start)
            if self.village:
                d["per"] = "village"
            else:
                d["per"] = _plain(self.per)
            d["deduct"] = _plain(self.deduct)
            if self.whole_units:
                d["whole_units"] = True
        if self.village and self.rule != "deduct":
            d["per"] = "village"
        if self.village and self.combine != "mean":
            d["combine"] = self.combine
        if self.step is not None:
            d["step"] = _plain(self.step)
        return d

    def threshold_step(self) -> float:
        """± one step of the standard's own units (the Monte Carlo threshold perturbation):
        ``step`` if given; deduct: ``per``; tiers: the smallest gap between adjacent thresholds
        (one threshold: a tenth of it, at least 1); linear: a tenth of |full_at − zero_at|;
        yesno: 0 (nothing to perturb)."""
        if self.step is not None:
            return float(self.step)
        if self.rule == "deduct":
            return float(self.per)
        if self.rule == "units":
            return float(self.per) if self.start else 0.0  # counts from 0: nothing to shift
        if self.rule == "tiers":
            th = sorted({t for t, _ in self.tiers})
            if len(th) > 1:
                return float(min(b - a for a, b in zip(th, th[1:])))
            return max(abs(th[0]) / 10, 1.0)
        if self.rule == "linear":
            return abs(self.full_at - self.zero_at) / 10
        return 0.0


def _plain(x: float | None) -> float | int | None:
    if x is None:
        return None
    x = float(x)
    return int(x) if x.is_integer() else x


def _num(source: str, key: str, v: Any, what: str = "a number") -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
        raise FrameworkError(source, key, v, f"must be {what}")
    return float(v)


def parse_rule(source: str, key: str, spec: Any) -> Rule:  # noqa: C901
    """Validate a ``scoring:`` mapping at ``key`` of ``source``."""
    if not isinstance(spec, dict):
        raise FrameworkError(source, key, spec, "must be a mapping {points: …, rule: …}")
    bad = sorted(set(spec) - _KEYS)
    if bad:
        raise FrameworkError(
            source, f"{key}.{bad[0]}", spec[bad[0]], f"unknown key; use {sorted(_KEYS)}"
        )
    rule = spec.get("rule")
    if rule not in RULES:
        raise FrameworkError(source, f"{key}.rule", rule, f"must be one of {list(RULES)}")
    if "points" not in spec:
        raise FrameworkError(source, f"{key}.points", None, "is required (分值)")
    points = _num(source, f"{key}.points", spec["points"])
    if points <= 0:
        raise FrameworkError(source, f"{key}.points", points, "must be > 0")
    missing = sorted(_NEEDS[rule] - set(spec))
    if missing:
        raise FrameworkError(source, f"{key}.{missing[0]}", None, f"is required by rule {rule}")
    per = spec.get("per", 1)
    village = per == "village"
    allowed = _ALLOWED[rule] | {"points", "rule", "step", "per"}
    if village:
        allowed |= {"combine"}
    extra = sorted(set(spec) - allowed)
    if extra:
        raise FrameworkError(
            source, f"{key}.{extra[0]}", spec[extra[0]], f"is not a key of rule {rule}"
        )
    kw: dict[str, Any] = {"points": points, "rule": rule, "village": village}
    if rule == "tiers":
        tiers = spec["tiers"]
        if not isinstance(tiers, list) or not tiers:
            raise FrameworkError(source, f"{key}.tiers", tiers, "must be [[threshold, points], …]")
        out = []
        for j, t in enumerate(tiers):
            if not isinstance(t, list) or len(t) != 2:
                raise FrameworkError(source, f"{key}.tiers[{j}]", t, "must be [threshold, points]")
            th = _num(source, f"{key}.tiers[{j}][0]", t[0])
            p = _num(source, f"{key}.tiers[{j}][1]", t[1])
            if p < 0:
                raise FrameworkError(source, f"{key}.tiers[{j}][1]", t[1], "points must be ≥ 0")
            out.append((th, p))
        if len({t for t, _ in out}) != len(out):
            raise FrameworkError(source, f"{key}.tiers", tiers, "thresholds must be distinct")
        kw["tiers"] = tuple(out)
    elif rule == "linear":
        kw["full_at"] = _num(source, f"{key}.full_at", spec["full_at"])
        kw["zero_at"] = _num(source, f"{key}.zero_at", spec["zero_at"])
        if kw["full_at"] == kw["zero_at"]:
            raise FrameworkError(
                source, f"{key}.zero_at", spec["zero_at"], "must differ from full_at"
            )
    elif rule == "units":
        kw.update(_units(source, key, spec, per, village))
    elif rule == "yesno":
        if "when" in spec:
            try:
                kw["when"] = parse_formula(spec["when"])
            except FormulaError as exc:
                raise FrameworkError(source, f"{key}.when", spec["when"], str(exc)) from None
    else:
        kw["start"] = _num(source, f"{key}.from", spec["from"])
        kw["deduct"] = _num(source, f"{key}.deduct", spec["deduct"])
        if kw["deduct"] <= 0:
            raise FrameworkError(source, f"{key}.deduct", spec["deduct"], "must be > 0")
        if not village:
            kw["per"] = _num(source, f"{key}.per", per)
            if kw["per"] <= 0:
                raise FrameworkError(source, f"{key}.per", per, "must be > 0 (or village)")
        wu = spec.get("whole_units", False)
        if not isinstance(wu, bool):
            raise FrameworkError(source, f"{key}.whole_units", wu, "must be true or false")
        kw["whole_units"] = wu
    if not village and (isinstance(per, bool) or not isinstance(per, int | float)):
        raise FrameworkError(source, f"{key}.per", per, "must be a number (deduct) or village")
    if not village and rule not in ("deduct", "units") and "per" in spec:
        raise FrameworkError(source, f"{key}.per", per, "only village (or a number for deduct)")
    if village:
        comb = spec.get("combine", "mean")
        if comb not in COMBINE:
            raise FrameworkError(source, f"{key}.combine", comb, f"must be one of {list(COMBINE)}")
        kw["combine"] = comb
    if "step" in spec:
        kw["step"] = _num(source, f"{key}.step", spec["step"])
        if kw["step"] < 0:
            raise FrameworkError(source, f"{key}.step", spec["step"], "must be ≥ 0")
    return Rule(**kw)


def _units(source: str, key: str, spec: dict[str, Any], per: Any, village: bool) -> dict:
    kw: dict[str, Any] = {"start": _num(source, f"{key}.from", spec.get("from", 0))}
    if not village:
        kw["per"] = _num(source, f"{key}.per", per)
        if kw["per"] <= 0:
            raise FrameworkError(source, f"{key}.per", per, "must be > 0 (or village)")
    for k in ("deduct", "add"):
        kw[k] = _num(source, f"{key}.{k}", spec.get(k, 0))
        if kw[k] < 0:
            raise FrameworkError(source, f"{key}.{k}", spec[k], "must be ≥ 0")
    if not kw["deduct"] and not kw["add"]:
        raise FrameworkError(
            source, f"{key}.deduct", None,
            "rule units needs deduct (每…扣N分) or add (每…加N分), or both",
        )  # fmt: skip
    if "base" in spec:
        kw["base"] = _num(source, f"{key}.base", spec["base"])
    if "max_add" in spec:
        kw["max_add"] = _num(source, f"{key}.max_add", spec["max_add"])
        if kw["max_add"] < 0:
            raise FrameworkError(source, f"{key}.max_add", spec["max_add"], "must be ≥ 0")
    for k, default in (("uncapped", False), ("floor", True)):
        v = spec.get(k, default)
        if not isinstance(v, bool):
            raise FrameworkError(source, f"{key}.{k}", v, "must be true or false")
        kw[k] = v
    if kw["uncapped"] and "max_add" in kw:
        raise FrameworkError(source, f"{key}.uncapped", True, "conflicts with max_add")
    return kw


def rule_points(
    rule: Rule,
    value: np.ndarray,
    cost: bool = False,
    when: np.ndarray | None = None,
    shift: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Points of ``value`` (any shape) under ``rule``; ``shift`` moves every threshold
    (tiers, full_at / zero_at, from) by that many units (broadcast against ``value``).
    A missing value scores 0."""
    v = np.asarray(value, dtype=float)
    shift = np.asarray(shift, dtype=float)
    P = rule.points
    if rule.rule == "yesno":
        x = v if (when is None or rule.when is None) else np.asarray(when, dtype=float)
        return np.where(np.isnan(x) | (x == 0), 0.0, P) + 0 * shift
    out = np.zeros(np.broadcast(v, shift).shape)
    vv = np.broadcast_to(v, out.shape)
    if rule.rule == "tiers":
        tiers = sorted(rule.tiers, key=lambda t: t[0], reverse=cost)
        for th, p in tiers:  # later (more demanding) tiers override
            t = th + shift
            hit = vv <= t + TOL if cost else vv >= t - TOL
            out = np.where(hit, p, out)
    elif rule.rule == "linear":
        z, f = rule.zero_at + shift, rule.full_at + shift
        with np.errstate(invalid="ignore"):
            out = P * np.clip((vv - z) / (f - z), 0.0, 1.0)
    elif rule.rule == "units":
        start = rule.start + shift
        above, below = np.maximum(0.0, vv - start), np.maximum(0.0, start - vv)
        if cost:
            above, below = below, above
        out = rule.base_points + (rule.add * above - rule.deduct * below) / rule.per
        out = np.minimum(out, rule.upper)
        if rule.floor:
            out = np.maximum(out, 0.0)
    else:
        start = rule.start + shift
        gap = np.maximum(0.0, vv - start) if cost else np.maximum(0.0, start - vv)
        units = gap / rule.per
        if rule.whole_units:
            units = np.floor(units + TOL)
        out = np.clip(P - rule.deduct * units, 0.0, P)
    return np.where(np.isnan(vv), 0.0, out)


def village_points(
    rule: Rule,
    values: np.ndarray,
    codes: np.ndarray,
    n_towns: int,
    cost: bool = False,
    shift: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Township points of a ``per: village`` item from village values ``values`` (…, V) with
    township positions ``codes`` (V,): the mean of the villages' points, or (``combine:
    full_share``) the points × the share of villages at full points. No village: NaN."""
    shift = np.asarray(shift, dtype=float)
    pts = rule_points(rule, values, cost, shift=shift[..., None] if shift.ndim else shift)
    ok = codes >= 0
    M = np.zeros((len(codes), n_towns))
    M[np.flatnonzero(ok), codes[ok]] = 1.0
    n = M.sum(axis=0)
    if rule.combine == "full_share":
        pts = np.where(pts >= rule.points - TOL, rule.points, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (pts @ M) / np.where(n > 0, n, 1), np.nan)


def total_points(
    points: np.ndarray,
    max_points: np.ndarray,
    bonus: np.ndarray,
    bonus_cap: float | None,
    base_score: float | None = None,
) -> dict[str, np.ndarray]:
    """Totals from item points (…, T, K) — NaN where the item is not applicable — their 分值
    (K,) and the bonus flags (K,): base points, base maximum, bonus points (capped at
    ``bonus_cap``), total = base + bonus. With ``base_score`` (以100分为基础分) the base is
    base_score minus the points each applicable item lost (分值 − points; more when an item
    deducts without a floor) and the maximum is base_score."""
    p = np.asarray(points, dtype=float)
    applicable = ~np.isnan(p)
    pz = np.nan_to_num(p)
    base = (pz * ~bonus).sum(axis=-1)
    mx = (np.where(applicable, max_points, 0.0) * ~bonus).sum(axis=-1)
    if base_score is not None:
        base = base_score - (mx - base)
        mx = np.full(np.shape(base), float(base_score))
    b = (pz * bonus).sum(axis=-1)
    if bonus_cap is not None:
        b = np.minimum(b, bonus_cap)
    return {"base": base, "max": mx, "bonus": b, "total": base + b}


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None or not np.isfinite(x):
        return "—"
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{s}{'' if unit in ('', '是=1') else unit}"


def lost_reason(rule: Rule, value: float, points: float, unit: str = "", cost: bool = False) -> str:
    """扣分原因: why an item scored below its 分值 (empty at full points)."""
    P = rule.points
    if points >= P - TOL:
        return ""
    if value is None or not np.isfinite(value):
        return "无数据，不得分"
    v = _fmt(value, unit)
    got = _fmt(points)
    if rule.rule == "tiers":
        better = [(t, p) for t, p in rule.tiers if p > points + TOL]
        t, p = min(better, key=lambda tp: tp[1]) if better else (None, P)
        cmp = "高于" if cost else "未达"
        return f"{v}{cmp}{_fmt(t, unit)}（该档{_fmt(p)}分），得{got}分"
    if rule.rule == "linear":
        return (
            f"{v}，{'高于' if rule.full_at < rule.zero_at else '低于'}满分值{_fmt(rule.full_at, unit)}，"
            f"按比例得{got}分"
        )
    if rule.rule == "yesno":
        return "条件未满足，不得分" if rule.when is not None else "未达到（无），不得分"
    if rule.rule == "units":
        gap = (value - rule.start) if cost else (rule.start - value)
        n = _fmt(abs(gap) / rule.per)
        if gap > 0 and rule.deduct:
            what = f"{n}个单位" if rule.start else f"{v}"
            return f"{what}，每{_fmt(rule.per, unit) or '个'}扣{_fmt(rule.deduct)}分，得{got}分"
        return f"{v}，得{got}分"
    gap = (value - rule.start) if cost else (rule.start - value)
    word = "高" if cost else "低"
    return (
        f"{v}，比{_fmt(rule.start, unit)}{word}{_fmt(gap)}，每{word}{_fmt(rule.per)}扣"
        f"{_fmt(rule.deduct)}分，得{got}分"
    )
