"""Table-level and cross-table rules (规则): unique keys, plausibility, referential integrity.

All rules are vectorised and return problem rows only for failing rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from commeval.data import problems as P

# (table, left, right, factor, message): left ≤ right × factor.
PLAUSIBILITY = [
    ("townships", "households", "population", 1.0, "户数不应超过人口数"),
    ("villages", "households", "population", 1.0, "户数不应超过人口数"),
    ("communities", "completed_units", "planned_units", 1.0, "已建成住房套数不应超过规划住房套数"),
    (
        "communities",
        "households_moved_in",
        "target_households",
        1.0,
        "已入住户数不应超过计划入住户数",
    ),
    (
        "communities",
        "land_reclaimed_mu",
        "land_reclaim_target_mu",
        1.5,
        "已置换复耕土地不应超过可置换复耕土地的 1.5 倍",
    ),
    ("communities", "phases_completed", "phases_planned", 1.0, "已完成期数不应超过计划建设期数"),
]
# (child table, child columns, parent table, parent columns, message template)
REFERENCES = [
    ("villages", ["township"], "townships", ["township"], "乡镇“{township}”不在乡镇表中"),
    ("communities", ["township"], "townships", ["township"], "乡镇“{township}”不在乡镇表中"),
    ("population", ["township"], "townships", ["township"], "乡镇“{township}”不在乡镇表中"),
    ("survey", ["township"], "townships", ["township"], "乡镇“{township}”不在乡镇表中"),
    (
        "survey",
        ["township", "village"],
        "villages",
        ["township", "village"],
        "行政村“{village}”（{township}）不在行政村表中",
    ),
]


@dataclass
class Located:
    """A canonical table with where its rows and columns came from."""

    df: pd.DataFrame
    rows: np.ndarray
    file: str
    sheet: str
    headers: dict[str, str]  # field → source header


def unique_key(t: Located, key: list[str], labels: dict[str, str]) -> pd.DataFrame:
    """Rows whose key repeats an earlier row."""
    cols = [k for k in key if k in t.df.columns]
    if len(cols) != len(key) or len(t.df) == 0:
        return P.empty()
    sub = t.df[cols]
    complete = sub.notna().all(axis=1).to_numpy()
    dup = sub.duplicated(keep="first").to_numpy() & complete
    if not dup.any():
        return P.empty()
    first = (
        pd.Series(t.rows)
        .groupby([sub[c].to_numpy() for c in cols], dropna=False)
        .transform("first")
    )
    vals = sub.astype(str).agg(" / ".join, axis=1).to_numpy()
    msg = np.array(
        [
            f"键重复（{'+'.join(labels.get(c, c) for c in cols)}）：与第 {r} 行相同"
            for r in first.to_numpy()
        ],
        dtype=object,
    )
    return P.cells(
        dup, severity=P.ERROR, rule="duplicate_key", message=msg, file=t.file, sheet=t.sheet,
        rows=t.rows, column=t.headers.get(cols[-1], cols[-1]), field="+".join(cols), values=vals,
    )  # fmt: skip


def plausibility(table: str, t: Located) -> pd.DataFrame:
    out = []
    for tname, left, right, factor, message in PLAUSIBILITY:
        if tname != table or left not in t.df or right not in t.df:
            continue
        lv = pd.to_numeric(t.df[left], errors="coerce").astype("float64").to_numpy()
        rv = pd.to_numeric(t.df[right], errors="coerce").astype("float64").to_numpy()
        with np.errstate(invalid="ignore"):
            bad = lv > rv * factor
        bad &= ~(np.isnan(lv) | np.isnan(rv))
        if bad.any():
            vals = np.array([f"{left}={a:g}，{right}={b:g}" for a, b in zip(lv, rv)], dtype=object)
            out.append(
                P.cells(
                    bad,
                    severity=P.ERROR,
                    rule=f"plausibility:{left}<={right}",
                    message=message,
                    file=t.file,
                    sheet=t.sheet,
                    rows=t.rows,
                    column=t.headers.get(left, left),
                    field=left,
                    values=vals,
                )  # fmt: skip
            )
    return P.concat(out)


def references(tables: dict[str, Located]) -> pd.DataFrame:
    """Every child key must exist in its parent table (checked only when both were read)."""
    out = []
    for child, ccols, parent, pcols, template in REFERENCES:
        if child not in tables or parent not in tables:
            continue
        c, p = tables[child], tables[parent]
        if not all(x in c.df for x in ccols) or not all(x in p.df for x in pcols):
            continue
        if child == "survey" and parent == "villages":
            # unknown townships are already reported against the townships table
            known_town = (
                set(tables["townships"].df["township"].dropna()) if "townships" in tables else None
            )
        else:
            known_town = None
        ck = pd.MultiIndex.from_frame(c.df[ccols].astype(object))
        pk = pd.MultiIndex.from_frame(p.df[pcols].astype(object).drop_duplicates())
        complete = c.df[ccols].notna().all(axis=1).to_numpy()
        bad = ~ck.isin(pk) & complete
        if known_town is not None:
            bad &= c.df["township"].isin(known_town).to_numpy()
        if not bad.any():
            continue
        sub = c.df[ccols].astype(object).to_numpy()
        msg = np.empty(len(bad), dtype=object)
        vals = np.empty(len(bad), dtype=object)
        for i in np.flatnonzero(bad):
            row = dict(zip(ccols, sub[i]))
            msg[i] = template.format(**row)
            vals[i] = str(sub[i][-1])
        out.append(
            P.cells(
                bad,
                severity=P.ERROR,
                rule=f"reference:{parent}",
                message=msg,
                file=c.file,
                sheet=c.sheet,
                rows=c.rows,
                column=c.headers.get(ccols[-1], ccols[-1]),
                field=ccols[-1],
                values=vals,
            )  # fmt: skip
        )
    return P.concat(out)
