"""Table-level and cross-table rules (规则): unique keys, plausibility, referential integrity.

All rules are vectorised and return problem rows only for failing rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from commeval.data import problems as P
from commeval.data.conventions import DESIGN

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
    #: file and sheet of each row when the table was read from several files (returns)
    files: np.ndarray | None = None
    sheets: np.ndarray | None = None

    def file_per_row(self) -> np.ndarray:
        if self.files is not None:
            return self.files
        return np.full(len(self.df), self.file, dtype=object)

    def sheet_per_row(self) -> np.ndarray:
        if self.sheets is not None:
            return self.sheets
        return np.full(len(self.df), self.sheet, dtype=object)

    def at(self, i: int, field: str) -> dict:
        """Where row ``i``'s ``field`` stands, for :func:`problems.one`: file, sheet, Excel row,
        column (its header) and field."""
        return {
            "file": str(self.file_per_row()[i]), "sheet": str(self.sheet_per_row()[i]),
            "row": int(self.rows[i]), "column": self.headers.get(field, field), "field": field,
        }  # fmt: skip

    @property
    def where(self) -> dict:
        """``file`` and ``sheet`` for :func:`problems.cells` (per row when several files)."""
        return {
            "file": self.file if self.files is None else self.files,
            "sheet": self.sheet if self.sheets is None else self.sheets,
        }


def combine(parts: list[Located]) -> Located:
    """One table from several files (one return per township or per year): rows in file order,
    each keeping its file, sheet and Excel row."""
    if len(parts) == 1:
        return parts[0]
    headers: dict[str, str] = {}
    for p in parts:
        for k, v in p.headers.items():
            headers.setdefault(k, v)
    df = pd.concat([p.df for p in parts], ignore_index=True)
    return Located(
        df,
        np.concatenate([p.rows for p in parts]),
        "、".join(dict.fromkeys(p.file for p in parts)),
        parts[0].sheet,
        headers,
        files=np.concatenate([p.file_per_row() for p in parts]),
        sheets=np.concatenate([p.sheet_per_row() for p in parts]),
    )


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
    groups = [sub[c].to_numpy() for c in cols]
    first = pd.Series(t.rows).groupby(groups, dropna=False).transform("first")
    files = t.file_per_row()
    first_file = pd.Series(files).groupby(groups, dropna=False).transform("first").to_numpy()
    vals = sub.astype(str).agg(" / ".join, axis=1).to_numpy()
    what = "+".join(labels.get(c, c) for c in cols)
    msg = np.array(
        [
            f"键重复（{what}）：与第 {r} 行相同"
            if ff == f
            else f"键重复（{what}）：与文件 {ff} 第 {r} 行相同（同一对象出现在两个文件中）"
            for r, ff, f in zip(first.to_numpy(), first_file, files)
        ],
        dtype=object,
    )
    return P.cells(
        dup, severity=P.ERROR, rule="duplicate_key", message=msg, **t.where,
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
                    **t.where,
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
                **c.where,
                rows=c.rows,
                column=c.headers.get(ccols[-1], ccols[-1]),
                field=ccols[-1],
                values=vals,
            )  # fmt: skip
        )
    return P.concat(out)


#: weights whose township total is further than this from the population table's margin warn
MARGIN_TOLERANCE = 0.20


def _by_year(df: pd.DataFrame) -> list[str]:
    return ["year"] if "year" in df else []


def design(tables: dict[str, Located]) -> pd.DataFrame:
    """Sampling-design rules at ingestion (抽样设计): a PSU (village) in two strata (error), zero
    weights (warning), the same village name under two townships in one year (warning), weight
    totals per township far from the population table's margins (warning). Each problem names
    the file, Excel row, column and value."""
    out = []
    s = tables.get("survey")
    if s is not None and len(s.df):
        out += [_psu_strata(s), _zero_weights(s)]
        if "population" in tables:
            out.append(_margins(s, tables["population"]))
    for name in ("villages", "survey"):
        if name in tables and len(tables[name].df):
            out.append(_village_two_townships(tables[name]))
    return P.concat(out)


def _psu_strata(t: Located) -> pd.DataFrame:
    df = t.df
    psu, stratum = DESIGN["psu"], DESIGN["strata"]
    if psu not in df or stratum not in df:
        return P.empty()
    keys = [*_by_year(df), psu]
    sub = df[[*keys, stratum]].dropna()
    if sub.empty:
        return P.empty()
    first = sub.groupby(keys, sort=False)[stratum].transform("first")
    where = pd.Series(t.rows, index=df.index)[sub.index]
    first_row = where.groupby([sub[k] for k in keys], sort=False).transform("first")
    bad_idx = sub.index[(sub[stratum] != first).to_numpy()]
    if not len(bad_idx):
        return P.empty()
    bad = np.zeros(len(df), dtype=bool)
    bad[bad_idx] = True
    msg = np.empty(len(df), dtype=object)
    for i in bad_idx:
        msg[i] = (
            f"初级抽样单元（村）“{df.at[i, psu]}”同时属于两个抽样层：“{first[i]}”"
            f"（第 {first_row[i]} 行）和“{df.at[i, stratum]}”；一个村只能属于一个抽样层"
        )
    return P.cells(
        bad, severity=P.ERROR, rule="design:psu_in_two_strata", message=msg, **t.where,
        rows=t.rows, column=t.headers.get(stratum, stratum), field=stratum,
        values=df[stratum].astype(object).to_numpy(),
    )  # fmt: skip


def _zero_weights(t: Located) -> pd.DataFrame:
    if "weight" not in t.df:
        return P.empty()
    w = pd.to_numeric(t.df["weight"], errors="coerce").astype("float64").to_numpy()
    zero = w == 0
    if not zero.any():
        return P.empty()
    return P.cells(
        zero, severity=P.WARNING, rule="design:zero_weight",
        message="抽样权数为 0：该受访者在加权估计中不起作用，请核对", **t.where,
        rows=t.rows, column=t.headers.get("weight", "weight"), field="weight",
        values=np.where(zero, "0", ""),
    )  # fmt: skip


def _village_two_townships(t: Located) -> pd.DataFrame:
    df = t.df
    if "village" not in df or "township" not in df:
        return P.empty()
    keys = [*_by_year(df), "village"]
    sub = df[[*keys, "township"]].dropna()
    if sub.empty:
        return P.empty()
    first = sub.groupby(keys, sort=False)["township"].transform("first")
    where = pd.Series(t.rows, index=df.index)[sub.index]
    first_row = where.groupby([sub[k] for k in keys], sort=False).transform("first")
    differs = (sub["township"] != first).to_numpy()
    # one warning per (year, village, township): its first row
    cand = sub[differs].drop_duplicates([*keys, "township"])
    if cand.empty:
        return P.empty()
    bad = np.zeros(len(df), dtype=bool)
    bad[cand.index] = True
    msg = np.empty(len(df), dtype=object)
    for i in cand.index:
        year = f"{df.at[i, 'year']} 年" if "year" in df else ""
        msg[i] = (
            f"{year}同名行政村“{df.at[i, 'village']}”出现在两个乡镇：“{first[i]}”"
            f"（第 {first_row[i]} 行）和“{df.at[i, 'township']}”；如确为两个村请核对，"
            "如为录入错误请更正乡镇"
        )
    return P.cells(
        bad, severity=P.WARNING, rule="design:village_in_two_townships", message=msg,
        **t.where, rows=t.rows, column=t.headers.get("village", "village"),
        field="village", values=df["village"].astype(object).to_numpy(),
    )  # fmt: skip


def _margins(s: Located, pop: Located) -> pd.DataFrame:
    df, pdf = s.df, pop.df
    if not {"township", "weight"} <= set(df) or not {"township", "count"} <= set(pdf):
        return P.empty()
    margin = pd.to_numeric(pdf["count"], errors="coerce").groupby(pdf["township"]).sum()
    keys = [*_by_year(df), "township"]
    w = pd.to_numeric(df["weight"], errors="coerce").astype("float64")
    sub = df[keys].assign(_w=w, _row=s.rows).dropna(subset=keys)
    if sub.empty:
        return P.empty()
    agg = sub.groupby(keys, sort=False).agg(total=("_w", "sum"), row=("_row", "first"))
    bad = np.zeros(len(df), dtype=bool)
    msg = np.empty(len(df), dtype=object)
    vals = np.empty(len(df), dtype=object)
    first_idx = sub.groupby(keys, sort=False).head(1).index
    for (key, r), i in zip(agg.iterrows(), first_idx):
        town = key[-1] if isinstance(key, tuple) else key
        m = margin.get(town)
        if m is None or pd.isna(m) or m <= 0:
            continue
        total = float(r["total"])
        off = total / float(m) - 1
        if abs(off) > MARGIN_TOLERANCE:
            year = f"{key[0]} 年" if len(keys) == 2 else ""
            bad[i] = True
            vals[i] = f"{total:g}"
            msg[i] = (
                f"{year}乡镇“{town}”的抽样权数合计 {total:g}，与人口表（{pop.file}）的人口数 "
                f"{float(m):g} 相差 {off:+.0%}（超过 ±{MARGIN_TOLERANCE:.0%}）；请核对权数或人口表"
            )
    if not bad.any():
        return P.empty()
    return P.cells(
        bad, severity=P.WARNING, rule="design:weight_margin", message=msg, **s.where,
        rows=s.rows, column=s.headers.get("weight", "weight"), field="weight",
        values=vals,
    )  # fmt: skip


def _years_of(t: Located) -> list[int]:
    if "year" not in t.df:
        return []
    return sorted(int(y) for y in pd.unique(t.df["year"].dropna()))


def _townships_without(
    towns: Located, rows: Located, year: int, rule: str, consequence: str
) -> list[dict[str, Any]]:
    """A warning at each township of ``towns`` that has no row of ``rows`` in ``year``."""
    if "township" not in towns.df or "township" not in rows.df:
        return []
    have = set(rows.df.loc[(rows.df["year"] == year).fillna(False), "township"].dropna())
    return [
        P.one(
            P.WARNING,
            rule,
            f"乡镇“{town}”在评估年度 {year} {consequence}",
            **towns.at(i, "township"),
            value=str(town),
        )
        for i, town in enumerate(towns.df["township"])
        if pd.notna(town) and town not in have
    ]


def years(tables: dict[str, Located], year: int | None = None) -> pd.DataFrame:
    """What ``reports`` would otherwise find out late, checked at validation: the assessment year
    (the project's ``year``, else the latest year of the villages table) must be in the villages
    table and in the survey (else every survey indicator is missing for every township); survey
    and community years outside the villages table's years are reported; a township without
    survey rows in the assessment year is warned."""
    v = tables.get("villages")
    if v is None or not len(v.df) or "year" not in v.df:
        return P.empty()
    out = []
    vyears = _years_of(v)
    shown = "、".join(map(str, vyears))
    target = year if year is not None else vyears[-1]
    if year is not None and year not in vyears:
        out.append(
            P.one(P.ERROR, "year:assessment", f"项目的评估年度 {year} 不在行政村表中（表中年度：{shown}）；"
                  "请核对 commeval.yaml 的 year 或补报该年度的数据", file=v.file.split("、")[0],
                  column=v.headers.get("year", "year"), field="year", value=str(year))
        )  # fmt: skip
    t = tables.get("townships")
    if t is not None and target in vyears:
        out += _townships_without(t, v, target, "year:no_villages",
                                  "没有行政村数据，其村级指标将缺失")  # fmt: skip
    s = tables.get("survey")
    if s is not None and len(s.df) and "year" in s.df:
        syears = _years_of(s)
        if syears and target not in syears:
            first = int(np.argmax(s.df["year"].notna().to_numpy()))
            out.append(
                P.one(P.ERROR, "year:survey", f"问卷调查没有评估年度 {target} 年的数据（问卷年度："
                      f"{'、'.join(map(str, syears))}）：报告中所有满意度指标都将无法计算；请核对问卷的"
                      "调查年度，或项目的评估年度 year", **s.at(first, "year"),
                      value=str(syears[0]))
            )  # fmt: skip
        extra = [y for y in syears if y not in vyears]
        for y in extra:
            i = int(np.flatnonzero((s.df["year"] == y).fillna(False).to_numpy())[0])
            out.append(
                P.one(P.WARNING, "year:survey_extra", f"问卷调查年度 {y} 不在行政村表的年度中（{shown}），"
                      "该年度的问卷不会用于评估", **s.at(i, "year"), value=str(y))
            )  # fmt: skip
        if target in syears and "townships" in tables:
            out += _townships_without(tables["townships"], s, target, "year:no_survey",
                                      "没有问卷，其满意度指标将缺失")  # fmt: skip
    c = tables.get("communities")
    if c is not None and len(c.df) and "year" in c.df:
        for y in [y for y in _years_of(c) if y not in vyears]:
            i = int(np.flatnonzero((c.df["year"] == y).fillna(False).to_numpy())[0])
            out.append(
                P.one(P.WARNING, "year:communities_extra", f"社区表年度 {y} 不在行政村表的年度中"
                      f"（{shown}），该年度的社区数据不会用于评估", **c.at(i, "year"), value=str(y))
            )  # fmt: skip
    return P.frame(out)
