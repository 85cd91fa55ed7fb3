"""The plan (how many villages and households in each township) and the sampling frames.

:func:`plan_survey` turns a margin of error for each township's proportion into villages and
households per township: the design effect next year is Kish's deffK of last year's weights
times ``1 + (m - 1) rho`` with ``rho`` estimated from last year's survey by the survey engine
(:func:`~.size.design_effects`) and ``m`` the households interviewed per village; the number
of interviews is :func:`~.size.sample_size` with the township's households as N, inflated for
the expected response rate; villages = interviews / m, rounded up (at least 2, so the
township's variance can be estimated; at most all of them). With ``total=`` the interviews are
instead allocated across townships (:func:`~.size.allocate`).

The sampling frame (villages with their households) and the household lists are read by
:func:`read_frame` / :func:`read_household_lists` — outside ingestion: household lists hold
names, which never reach processed data or reports.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .size import allocate, deff_cluster, margin_of_error, sample_size

FRAME_HEADERS = {
    "township": ("乡镇", "乡镇名称", "所属乡镇", "township"),
    "village": ("行政村", "村", "村名", "village"),
    "households": ("户数", "总户数", "村户数", "households"),
}
LIST_HEADERS = {
    "township": FRAME_HEADERS["township"],
    "village": FRAME_HEADERS["village"],
    "household_no": ("样本户编号", "户编号", "户号", "住户编号", "household_no"),
}


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(f"找不到文件 {path}")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(path, dtype=str, engine="openpyxl")
        try:
            return pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        except UnicodeDecodeError:
            return pd.read_csv(path, dtype=str, encoding="gb18030")
    except Exception as e:
        raise ValueError(f"{path.name} 无法读取（{type(e).__name__}）") from None


def _map(df: pd.DataFrame, headers: dict[str, tuple[str, ...]], name: str) -> pd.DataFrame:
    found: dict[str, str] = {}
    for field, options in headers.items():
        for h in df.columns:
            if str(h).strip() in options:
                found[str(h)] = field
                break
        else:
            raise ValueError(f"{name} 缺少“{options[0]}”列（可用列名：{'、'.join(options)}）")
    return df.rename(columns=found)


def read_frame(path: str | Path) -> pd.DataFrame:
    """The village frame: 乡镇、行政村、户数 (CSV or Excel, one row per village). Errors name
    the file, the row as Excel shows it, the column and the value."""
    path = Path(path)
    df = _map(_read_table(path), FRAME_HEADERS, path.name)
    df["township"] = df["township"].str.strip()
    df["village"] = df["village"].str.strip()
    hh = pd.to_numeric(df["households"], errors="coerce")
    bad = hh.isna() | (hh <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{path.name} 第 {i + 2} 行“户数”列的值“{df['households'].iloc[i]}”不是正整数"
            f"（共 {int(bad.sum())} 行）"
        )
    df["households"] = hh.astype(int)
    dup = df.duplicated(["township", "village"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise ValueError(
            f"{path.name} 第 {i + 2} 行：村“{df['township'].iloc[i]}{df['village'].iloc[i]}”重复"
        )
    return df


def read_household_lists(path: str | Path) -> pd.DataFrame:
    """The household lists: 乡镇、行政村、样本户编号 (or 户编号/户号) in list order, with any other
    columns (e.g. 户主姓名) kept for the fieldwork lists only."""
    path = Path(path)
    df = _map(_read_table(path), LIST_HEADERS, path.name)
    for c in ("township", "village", "household_no"):
        df[c] = df[c].astype(str).str.strip()
    dup = df.duplicated(["township", "village", "household_no"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise ValueError(f"{path.name} 第 {i + 2} 行：户编号“{df['household_no'].iloc[i]}”重复")
    return df


def plan_survey(
    frame: pd.DataFrame,
    moe: float,
    households_per_village: int,
    deff_kish: float = 1.0,
    rho: float = 0.0,
    p: float = 0.5,
    response_rate: float = 1.0,
    level: float = 0.95,
    total: int | None = None,
    allocation: str = "proportional",
) -> pd.DataFrame:
    """Villages and households per township (see the module docstring): columns township,
    villages_in_frame, households_in_frame, deff, interviews, villages, households_per_village,
    expected_moe (of the township proportion with the interviews completed)."""
    m = int(households_per_village)
    if m < 1:
        raise ValueError("每村抽户数须至少为 1")
    deff = deff_kish * deff_cluster(m, rho)
    g = frame.groupby("township", sort=False).agg(
        villages_in_frame=("village", "size"), households_in_frame=("households", "sum")
    )
    if total is not None:
        n_h = allocate(int(total), g["households_in_frame"], allocation)
    else:
        n_h = pd.Series(
            {
                t: sample_size(
                    moe,
                    p,
                    deff,
                    N=int(r.households_in_frame),
                    response_rate=response_rate,
                    level=level,
                )  # fmt: skip
                for t, r in g.iterrows()
            }
        )
    rows = []
    for t, r in g.iterrows():
        k = int(r.villages_in_frame)
        v = min(k, max(2 if k >= 2 else 1, math.ceil(n_h[t] / m)))
        done = v * m * response_rate
        rows.append(
            dict(
                township=t,
                villages_in_frame=k,
                households_in_frame=int(r.households_in_frame),
                deff=deff,
                interviews=int(n_h[t]),
                villages=v,
                households_per_village=m,
                expected_moe=margin_of_error(
                    done, p, deff, N=float(r.households_in_frame), level=level
                ),
            )
        )
    return pd.DataFrame(rows)
