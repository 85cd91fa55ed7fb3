"""Drawing next year's survey: villages by PPS within each township, households by systematic
selection from each selected village's household list, reserve households, and the design
(probabilities, weights, FPCs) the analysis reads.

The design is stratified two-stage: townships are strata; villages (PSUs) are drawn with
probability proportional to their number of households (:func:`~.select.inclusion_probabilities`,
certainty villages at 1) by systematic PPS (default, R's ``UPsystematic``), Brewer's method
(``"brewer"``) or simple random sampling (``"srs"``); within a selected village ``n``
households are drawn systematically from its list (probability ``n / M``). The household's
design weight is ``1 / (pi_village * n / M)``.

Reserve households (备用户) are drawn from the households not selected, by simple random
sampling, and numbered 1, 2, … in the order they are drawn: a fieldwork team replaces a
household that cannot be interviewed by the lowest-numbered reserve not yet used, so the
reserves actually used are a random subsample of the list. (Replacement keeps the number of
interviews; it does not remove nonresponse bias — the weights are adjusted for nonresponse
afterwards, :func:`commeval.sampling.weights.adjust_nonresponse`.)

Every draw is seeded: the seed, the methods and the sizes are recorded with the selection
(:attr:`Selection.record`); the same frame, sizes and seed give the same selection.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .select import (
    inclusion_probabilities,
    pps_brewer,
    pps_systematic,
    srs,
    systematic_positions,
)

VILLAGE_METHODS = ("systematic", "brewer", "srs")
#: Columns of the design table (the dataset's ``design`` table).
DESIGN_COLUMNS = [
    "township",
    "village",
    "household_no",
    "reserve",
    "village_prob",
    "household_prob",
    "weight",
    "fpc",
    "fpc2",
]


@dataclass
class Selection:
    """A drawn sample: ``villages`` (every village of the frame with its inclusion
    probability and ``selected``), ``households`` (selected and reserve households of the
    selected villages) and ``record`` (seed, methods, sizes)."""

    villages: pd.DataFrame
    households: pd.DataFrame
    record: dict[str, Any] = field(default_factory=dict)

    def design(self, year: int | None = None) -> pd.DataFrame:
        """The design table: per selected (and reserve) household its township (stratum),
        village (PSU), number, the village's inclusion probability, the household's
        within-village probability, the design weight and the FPCs (``fpc``: villages in the
        township; ``fpc2``: households in the village); with ``year`` a first column ``year``
        (the survey year the selection is for: ingestion joins it to that year's rows only)."""
        d = self.households[DESIGN_COLUMNS].reset_index(drop=True)
        if year is not None:
            d.insert(0, "year", int(year))
        return d


def _per_township(value: int | Mapping[str, int], towns: list[str], name: str) -> dict[str, int]:
    if isinstance(value, Mapping):
        missing = [t for t in towns if t not in value]
        if missing:
            raise ValueError(f"{name}: 缺少乡镇 {missing[:5]} 的样本量")
        return {t: int(value[t]) for t in towns}
    return {t: int(value) for t in towns}


def draw_villages(
    frame: pd.DataFrame,
    villages: int | Mapping[str, int],
    method: str = "systematic",
    seed: int = 1,
    size: str = "households",
) -> pd.DataFrame:
    """First stage: ``villages`` per township (a number or a mapping township → number) from
    the village frame (columns township, village, ``size``), in the frame's order within each
    township (the implicit stratification of systematic selection). Returns the frame with
    ``village_prob`` (inclusion probability), ``selected`` (bool), ``start`` (systematic
    start) and ``villages_in_township``."""
    if method not in VILLAGE_METHODS:
        raise ValueError(f"method = {method!r}: 抽村方法须为 {VILLAGE_METHODS} 之一")
    for col in ("township", "village", size):
        if col not in frame.columns:
            raise ValueError(f"村抽样框缺少列 {col!r} (the village frame needs {col!r})")
    rng = np.random.default_rng(seed)
    towns = list(dict.fromkeys(frame["township"].astype(str)))
    want = _per_township(villages, towns, "villages")
    parts = []
    for t in towns:
        sub = frame[frame["township"].astype(str) == t].copy()
        k = len(sub)
        m = want[t]
        if not 1 <= m <= k:
            raise ValueError(f"乡镇“{t}”有 {k} 个村，不能抽 {m} 个 (villages to draw: 1..{k})")
        sizes = pd.to_numeric(sub[size], errors="coerce").to_numpy(dtype=float)
        if np.isnan(sizes).any() or (sizes <= 0).any():
            raise ValueError(f"乡镇“{t}”的村规模（{size}）须为正数")
        start = np.nan
        if method == "srs":
            pik = np.full(k, m / k)
            s = srs(k, m, rng)
        else:
            pik = inclusion_probabilities(sizes, m)
            if method == "systematic":
                start = float(rng.random())
                s = pps_systematic(pik, start=start)
            else:
                s = pps_brewer(pik, rng=rng)
        sub["village_prob"] = pik
        sub["selected"] = s.astype(bool)
        sub["start"] = start
        sub["villages_in_township"] = k
        parts.append(sub)
    return pd.concat(parts).reset_index(drop=True)


def draw_households(
    villages: pd.DataFrame,
    households: int | Mapping[str, int],
    household_lists: pd.DataFrame | None = None,
    reserves: int = 0,
    seed: int = 1,
    size: str = "households",
) -> pd.DataFrame:
    """Second stage: ``households`` per selected village (a number or a mapping village →
    number) drawn systematically from its household list (``household_lists``: township,
    village, household_no in list order; without it the households are numbered 1..M from
    the frame's ``size``), plus ``reserves`` reserve households per village (numbered in
    draw order, see the module docstring). One row per drawn household: township, village,
    household_no, reserve (0 = sample, 1, 2, … = reserve order), village_prob,
    household_prob, weight, fpc, fpc2."""
    rng = np.random.default_rng(seed)
    chosen = villages[villages["selected"]].reset_index(drop=True)
    rows = []
    lists = None
    if household_lists is not None:
        for col in ("township", "village", "household_no"):
            if col not in household_lists.columns:
                raise ValueError(f"住户名单缺少列 {col!r} (the household list needs {col!r})")
        lists = {
            key: g["household_no"].astype(str).to_numpy()
            for key, g in household_lists.groupby(["township", "village"], sort=False)
        }
    for v in chosen.itertuples(index=False):
        t, name = str(v.township), str(v.village)
        if lists is not None:
            if (t, name) not in lists:
                raise ValueError(f"住户名单中没有“{t}{name}”的住户 (no household list for it)")
            ids = lists[(t, name)]
            M = len(ids)
        else:
            ids = None
            M = int(getattr(v, size))
        n = int(households[name] if isinstance(households, Mapping) else households)
        if n > M:
            raise ValueError(f"“{t}{name}”只有 {M} 户，不能抽 {n} 户")
        pos = systematic_positions(M, n, rng=rng)
        rest = np.setdiff1d(np.arange(M), pos)
        r = min(reserves, len(rest))
        res = rng.choice(rest, r, replace=False) if r else np.zeros(0, dtype=np.int64)
        p2 = n / M
        w = 1.0 / (v.village_prob * p2)
        for i, k in enumerate(np.concatenate([pos, res])):
            rows.append(
                dict(
                    township=t,
                    village=name,
                    household_no=ids[k] if ids is not None else f"{k + 1:04d}",
                    reserve=0 if i < n else i - n + 1,
                    village_prob=float(v.village_prob),
                    household_prob=p2,
                    weight=w,
                    fpc=int(v.villages_in_township),
                    fpc2=M,
                )
            )
    return pd.DataFrame(rows, columns=DESIGN_COLUMNS)


def draw(
    frame: pd.DataFrame,
    villages: int | Mapping[str, int],
    households: int | Mapping[str, int],
    household_lists: pd.DataFrame | None = None,
    method: str = "systematic",
    reserves: int = 0,
    seed: int = 1,
    size: str = "households",
) -> Selection:
    """Draw the two-stage sample (see the module docstring): villages per township, then
    households per selected village (+ reserves); seeded, with the seed, methods and sizes
    in :attr:`Selection.record`."""
    seq = np.random.SeedSequence(seed)
    s1, s2 = (int(x.generate_state(1)[0]) for x in seq.spawn(2))
    v = draw_villages(frame, villages, method, s1, size)
    h = draw_households(v, households, household_lists, reserves, s2, size)
    per_town = v.groupby("township", sort=False)["selected"].sum().astype(int).to_dict()
    record = {
        "seed": int(seed),
        "village_method": method,
        "household_method": "systematic",
        "reserve_method": "srs (draw order)",
        "size_measure": size,
        "villages": per_town,
        "households_per_village": households if isinstance(households, int) else dict(households),
        "reserves_per_village": int(reserves),
        "villages_in_frame": int(len(v)),
        "households_drawn": int((h["reserve"] == 0).sum()),
        "reserves_drawn": int((h["reserve"] > 0).sum()),
    }
    return Selection(v, h, record)
