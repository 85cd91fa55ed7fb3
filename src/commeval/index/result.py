"""One protocol for an evaluation's result, whatever the scoring scheme.

A composite index (distance to target, weights, aggregation) and a points scorecard
(考核评分表: item points, bonus, veto) answer the same questions — each township's score with its
full marks, grade and rank interval; each item's contribution and the reason it fell short; the
dimension scores; last year's score and rank — in the same columns. Composition, notebooks and
renderers ask the result (:class:`EvaluationResult`), never ``framework.points``: what differs
between the schemes is the :class:`Scheme` the result carries (its name, the words a report uses
for its score, items and attainment, and whether items earn points).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pandas as pd

#: Columns of :meth:`EvaluationResult.totals`.
TOTALS_COLUMNS = (
    "township", "year", "score", "max_score", "base", "bonus", "grade", "grade_before_veto",
    "veto", "rank", "rank_low", "rank_high", "attainment",
)  # fmt: skip
#: Columns of :meth:`EvaluationResult.items` (one row per township and item).
ITEM_COLUMNS = (
    "township", "dimension", "indicator", "label", "unit", "value", "target", "attained",
    "applicable", "district_mean", "earned", "max", "bonus", "reason",
    "numerator", "answered", "blank", "counted_in",
)  # fmt: skip
#: Columns of :meth:`EvaluationResult.dimension_scores`.
DIMENSION_COLUMNS = ("township", "dimension", "label", "score", "max_score", "district_mean")


@dataclass(frozen=True)
class Scheme:
    """A scoring scheme as a report speaks of it. ``itemised``: the score is the sum of the
    items' points (a scorecard: items show 得分 / 分值 and a reason), else a composite index on
    0–100 (items show value against target)."""

    name: str
    itemised: bool
    score_label: str
    dimension_label: str
    item_label: str
    attainment_label: str
    attainment_short: str
    items_title: str
    shortfall: str


COMPOSITE = Scheme(
    "composite", False, "综合得分", "维度", "指标", "指标达标率", "达标率", "指标达标情况",
    "未达标",
)  # fmt: skip
POINTS = Scheme(
    "points", True, "得分", "一级指标", "考核内容", "满分项比例", "满分项比例", "考核评分",
    "未得满分",
)  # fmt: skip
SCHEMES = {s.name: s for s in (COMPOSITE, POINTS)}


@runtime_checkable
class EvaluationResult(Protocol):
    """What every evaluation answers (:class:`commeval.index.Evaluation` of either scheme)."""

    settings: dict[str, Any]

    @property
    def scheme(self) -> Scheme: ...

    def totals(self) -> pd.DataFrame: ...

    def items(self, township: str | None = None) -> pd.DataFrame: ...

    def dimension_scores(self, township: str | None = None) -> pd.DataFrame: ...

    def previous(self, township: str) -> tuple[float | None, int | None]: ...


def scheme_of(settings: dict[str, Any]) -> Scheme:
    """The scheme an evaluation's recorded settings name (composite when none is recorded)."""
    return SCHEMES[str(settings.get("scoring") or "composite")]


def totals(scores: pd.DataFrame) -> pd.DataFrame:
    """:data:`TOTALS_COLUMNS` of an evaluation's ``scores`` frame: a composite score has full
    marks 100, no bonus and no veto; a scorecard's its applicable items' 分值."""
    s = scores
    n = len(s)

    def col(name: str, default: Any) -> Any:
        return s[name].to_numpy() if name in s else [default] * n

    out = pd.DataFrame(
        {
            "township": s["township"].astype(str).to_numpy(),
            "year": col("year", None),
            "score": s["score"].to_numpy(dtype=float),
            "max_score": col("max_points", 100.0),
            "base": s["base_points"].to_numpy() if "base_points" in s else s["score"].to_numpy(),
            "bonus": col("bonus_points", 0.0),
            "grade": s["grade"].astype(str).to_numpy(),
            "grade_before_veto": (
                s["grade_before_veto"].to_numpy() if "grade_before_veto" in s
                else s["grade"].astype(str).to_numpy()
            ),
            "veto": [v if isinstance(v, str) else "" for v in col("veto", "")],
            "rank": s["rank"].to_numpy(),
            "rank_low": col("rank_low", None) if "rank_low" in s else s["rank"].to_numpy(),
            "rank_high": col("rank_high", None) if "rank_high" in s else s["rank"].to_numpy(),
            "attainment": s["attainment"].to_numpy(dtype=float),
        }
    )  # fmt: skip
    return out


def items(indicators: pd.DataFrame, change: pd.DataFrame | None) -> pd.DataFrame:
    """:data:`ITEM_COLUMNS` (plus ``change``: the value's change on last year) of an
    evaluation's ``indicators`` frame: a scorecard item earns its points of its 分值 with its
    reason; a composite indicator its normalised score of 100."""
    ind = indicators
    out = ind[[c for c in ITEM_COLUMNS if c in ind.columns and c not in ("earned", "max")]].copy()
    out["earned"] = ind["points"] if "points" in ind else ind["normalised"]
    out["max"] = ind["max_points"] if "max_points" in ind else 100.0
    if "bonus" not in out:
        out["bonus"] = False
    if "reason" not in out:
        out["reason"] = ""
    for c in ("numerator", "answered", "blank", "counted_in"):  # what a share stands on
        if c not in out:
            out[c] = float("nan")
    out = out[list(ITEM_COLUMNS)]
    if change is not None and len(change):
        c = change[change["kind"] == "indicator"][["township", "measure", "change"]]
        out = out.merge(
            c.rename(columns={"measure": "indicator"}), on=["township", "indicator"], how="left"
        )
    else:
        out["change"] = float("nan")
    return out.reset_index(drop=True)


def dimension_scores(dimensions: pd.DataFrame) -> pd.DataFrame:
    """:data:`DIMENSION_COLUMNS` of an evaluation's ``dimensions`` frame (a composite
    dimension's full marks are 100; a scorecard dimension's its items' 分值)."""
    d = dimensions.copy()
    if "max_points" in d:
        d["max_score"] = d["max_points"]
    else:
        d["max_score"] = 100.0
    d["district_mean"] = d.groupby("dimension", sort=False)["score"].transform("mean")
    return d[list(DIMENSION_COLUMNS)].reset_index(drop=True)


def previous(change: pd.DataFrame | None, township: str) -> tuple[float | None, int | None]:
    """Last year's score and rank of ``township`` from an evaluation's ``change`` frame."""
    if change is None or not len(change):
        return None, None
    mine = change[change["township"] == township]
    sc, rk = mine[mine["measure"] == "score"], mine[mine["measure"] == "rank"]
    score = float(sc["previous"].iloc[0]) if len(sc) and pd.notna(sc["previous"].iloc[0]) else None
    rank = int(rk["previous"].iloc[0]) if len(rk) and pd.notna(rk["previous"].iloc[0]) else None
    return score, rank
