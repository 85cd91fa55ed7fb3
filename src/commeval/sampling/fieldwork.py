"""Fieldwork: the selection lists teams take to the villages, monitoring returns from a 问卷星
export mid-fieldwork, and the nonresponse adjustment of the design weights.

* :func:`write_fieldwork_lists` — one xlsx workbook (a sheet per township, Chinese headers
  乡镇、行政村、样本户编号、备用户, plus the names of the household list when it has them) and a
  说明 sheet with the seed, methods and sizes. It is written to the project's ``fieldwork/``
  folder: it may hold names, so it never goes into processed data or reports.
* :func:`read_export` / :func:`monitor` — completes against targets per village, completion
  rates, implausibly short interviews (所用时间), duplicate submissions and straight-lining
  across the Likert items.
* :func:`adjust_nonresponse` — design weights divided by the weighted response rate of the
  village or of a weighting class, recorded in the design (``base_weight``, ``nr_class``,
  ``nr_factor``, ``responded``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commeval.files import atomic_path

from .draw import Selection

LIST_HEADERS = {
    "township": "乡镇",
    "village": "行政村",
    "household_no": "样本户编号",
    "reserve": "备用户",
}
#: Seconds below which an interview is implausibly short (a full questionnaire read aloud
#: takes far longer); ``monitor(min_seconds=)`` overrides it.
MIN_SECONDS = 300
DURATION_HEADERS = ("所用时间", "答题时长")
#: Headers of the household number in an export (the list's 样本户编号), when the questionnaire
#: asks for it: it tells sample households from reserves, hence the response rate.
HOUSEHOLD_HEADERS = ("样本户编号", "户编号", "户号", "住户编号")
#: Fewest Likert items answered before identical answers count as straight-lining.
MIN_STRAIGHT_ITEMS = 5


# ---------------------------------------------------------------------------- lists
def fieldwork_list(
    selection: Selection, household_lists: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The selection as the teams' list: 乡镇、行政村、样本户编号、备用户 (空 = 样本户, 备用1, 备用2 …
    in the order reserves are used) and the household list's other columns (e.g. 户主姓名)."""
    h = selection.households.copy()
    if household_lists is not None:
        extra = [
            c for c in household_lists.columns if c not in ("township", "village", "household_no")
        ]
        if extra:
            hl = household_lists.copy()
            hl["household_no"] = hl["household_no"].astype(str)
            h = h.merge(hl[["township", "village", "household_no", *extra]], how="left",
                        on=["township", "village", "household_no"])  # fmt: skip
    out = pd.DataFrame(
        {
            "乡镇": h["township"],
            "行政村": h["village"],
            "样本户编号": h["household_no"].astype(str),
            "备用户": np.where(h["reserve"] == 0, "", "备用" + h["reserve"].astype(str)),
        }
    )
    if household_lists is not None:
        for c in h.columns:
            if c not in (
                "township",
                "village",
                "household_no",
                "reserve",
                *selection.households.columns,
            ):
                out[str(c)] = h[c].to_numpy()
    return out


def record_frame(record: dict[str, Any]) -> pd.DataFrame:
    """The selection's record (seed, methods, sizes) as a two-column 说明 table."""
    labels = {
        "seed": "随机数种子",
        "year": "调查年度",
        "village_method": "抽村方法",
        "household_method": "抽户方法",
        "reserve_method": "备用户抽取",
        "size_measure": "村规模指标",
        "villages": "各乡镇抽村数",
        "households_per_village": "每村抽户数",
        "reserves_per_village": "每村备用户数",
        "villages_in_frame": "抽样框村数",
        "households_drawn": "样本户数",
        "reserves_drawn": "备用户数",
        "nonresponse": "无回答调整",
    }
    rows = [(labels.get(k, k), _plain(v)) for k, v in record.items()]
    rows.append(
        ("备用户使用规则", "某样本户无法访问时，按备用户序号从小到大使用同村尚未使用的备用户")
    )
    return pd.DataFrame(rows, columns=["项目", "内容"])


def _plain(v: Any) -> str:
    if isinstance(v, dict):
        return "；".join(f"{k}：{x}" for k, x in v.items())
    return str(v)


def write_fieldwork_lists(
    selection: Selection, path: str | Path, household_lists: pd.DataFrame | None = None
) -> Path:
    """Write the teams' lists (see the module docstring) atomically to ``path`` (.xlsx)."""
    path = Path(path)
    lists = fieldwork_list(selection, household_lists)
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for town, g in lists.groupby("乡镇", sort=False):
                g.to_excel(xw, sheet_name=_sheet_name(str(town)), index=False)
            record_frame(selection.record).to_excel(xw, sheet_name="说明", index=False)
    return path


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "乡镇"


# ---------------------------------------------------------------------------- monitoring
def parse_seconds(values: pd.Series) -> pd.Series:
    """问卷星's 所用时间 ("253秒", "4分13秒", "1小时2分", or a number of seconds) in seconds."""

    def one(x: Any) -> float:
        if x is None or (isinstance(x, float) and np.isnan(x)):
            return np.nan
        s = str(x).strip()
        try:
            return float(s)
        except ValueError:
            pass
        total, hit = 0.0, False
        for pat, k in ((r"(\d+(?:\.\d+)?)\s*(?:小时|时)", 3600), (r"(\d+(?:\.\d+)?)\s*分", 60),
                       (r"(\d+(?:\.\d+)?)\s*秒", 1)):  # fmt: skip
            m = re.search(pat, s)
            if m:
                total += float(m.group(1)) * k
                hit = True
        return total if hit else np.nan

    return values.map(one).astype(float)


def read_export(path: str | Path, codebook=None) -> pd.DataFrame:
    """A 问卷星 export (CSV or Excel) with its headers mapped to the survey's field names by
    the codebook (unmapped headers kept as they are) and ``duration_s`` from 所用时间. The file
    is only read. ``ValueError`` (Chinese) when it cannot be."""
    from commeval.data.codebook import resolve_codebook

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"找不到问卷星导出文件 {path.name}")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(path, dtype=str, engine="openpyxl")
        else:
            try:
                df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
            except UnicodeDecodeError:
                df = pd.read_csv(path, dtype=str, encoding="gb18030")
    except Exception as e:  # a reader library's failure: name the file, no traceback
        raise ValueError(f"问卷星导出文件 {path.name} 无法读取（{type(e).__name__}）") from None
    cb = resolve_codebook(codebook)
    names: dict[str, str] = {}
    duration = None
    for h in df.columns:
        text = str(h).strip()
        if text in DURATION_HEADERS and duration is None:
            duration = h
            continue
        if text in HOUSEHOLD_HEADERS and "household_no" not in names.values():
            names[h] = "household_no"
            continue
        m = cb.match_header("survey", h)
        if m.kind in ("field", "personal") and m.field not in names.values():
            names[h] = m.field
    out = df.rename(columns=names)
    out["duration_s"] = parse_seconds(df[duration]) if duration is not None else np.nan
    out.attrs["excel_row"] = np.arange(len(out)) + 2  # header on row 1
    return out


@dataclass
class Monitoring:
    """Fieldwork so far: ``villages`` (target, completes, completion rate, remaining),
    ``short`` (interviews under the minimum duration), ``duplicates`` (repeated submissions),
    ``straightlining`` (the same answer to every Likert item) and a ``summary``."""

    villages: pd.DataFrame
    short: pd.DataFrame
    duplicates: pd.DataFrame
    straightlining: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def monitor(
    export: pd.DataFrame,
    design: pd.DataFrame,
    likert: Sequence[str] | None = None,
    min_seconds: float = MIN_SECONDS,
) -> Monitoring:
    """Monitor fieldwork from a 问卷星 export (:func:`read_export`) against the design table
    (targets: its sample households, ``reserve == 0``, per village). ``likert``: the items
    checked for straight-lining (default: the contract's Likert items present). When the export
    carries the household number (样本户编号), each village also gets ``sample_interviewed``,
    ``reserves_used``, ``not_in_list`` and the ``response_rate`` (sample households
    interviewed / sample households); otherwise ``completion_rate`` (completes / target) is all
    there is."""
    for col in ("township", "village"):
        if col not in export.columns:
            raise ValueError(
                f"问卷星导出中没有“{'乡镇' if col == 'township' else '行政村'}”题，无法按村统计"
            )
    rows = export.attrs.get("excel_row", np.arange(len(export)) + 2)
    ex = export.assign(excel_row=rows)
    target = (
        design[design["reserve"] == 0]
        .groupby(["township", "village"], sort=False)
        .size()
        .rename("target")
    )
    done = ex.groupby(["township", "village"], sort=False).size().rename("completes")
    v = pd.concat([target, done], axis=1).fillna(0).astype(int).reset_index()
    v["in_selection"] = v.set_index(["township", "village"]).index.isin(target.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        v["completion_rate"] = np.where(v["target"] > 0, v["completes"] / v["target"], np.nan)
    v["remaining"] = (v["target"] - v["completes"]).clip(lower=0)
    if "household_no" in ex.columns:  # sample households vs reserves: the response rate
        hh = design.assign(household_no=design["household_no"].astype(str))
        got = ex[["township", "village"]].assign(household_no=ex["household_no"].astype(str))
        got = got.merge(hh[["township", "village", "household_no", "reserve"]], how="left",
                        on=["township", "village", "household_no"])  # fmt: skip
        by = got.groupby(["township", "village"], sort=False)
        counts = pd.DataFrame({
            "sample_interviewed": by["reserve"].apply(lambda r: int((r == 0).sum())),
            "reserves_used": by["reserve"].apply(lambda r: int((r > 0).sum())),
            "not_in_list": by["reserve"].apply(lambda r: int(r.isna().sum())),
        })  # fmt: skip
        v = v.merge(counts.reset_index(), how="left", on=["township", "village"])
        for c in ("sample_interviewed", "reserves_used", "not_in_list"):
            v[c] = v[c].fillna(0).astype(int)
        with np.errstate(divide="ignore", invalid="ignore"):
            v["response_rate"] = np.where(
                v["target"] > 0, v["sample_interviewed"] / v["target"], np.nan
            )
    dur = pd.to_numeric(ex.get("duration_s", pd.Series(np.nan, index=ex.index)), errors="coerce")
    short = ex.loc[dur < min_seconds, ["excel_row", "township", "village"]].assign(
        duration_s=dur[dur < min_seconds]
    )
    if likert is None:
        from commeval.survey.questionnaire import likert_items

        likert = [c for c in likert_items() if c in ex.columns]
    else:
        likert = [c for c in likert if c in ex.columns]
    answers = [c for c in ex.columns if c not in ("excel_row", "duration_s", "respondent_id")]
    answers = [c for c in answers if re.fullmatch(r"[a-z][a-z0-9_]*", str(c))]
    dup_answers = (
        ex.duplicated(subset=answers, keep="first") if answers else pd.Series(False, index=ex.index)
    )
    dup_id = (
        ex["respondent_id"].notna() & ex.duplicated(subset=["respondent_id"], keep="first")
        if "respondent_id" in ex.columns
        else pd.Series(False, index=ex.index)
    )
    dups = ex.loc[dup_answers | dup_id, ["excel_row", "township", "village"]].assign(
        reason=np.where(dup_id[dup_answers | dup_id], "问卷编号重复", "答案与前面一份完全相同")
    )
    if len(likert) >= MIN_STRAIGHT_ITEMS:
        L = ex[likert].astype(object).where(ex[likert].notna(), None)
        answered = L.notna().sum(axis=1)
        distinct = L.nunique(axis=1, dropna=True)
        flat = (answered >= MIN_STRAIGHT_ITEMS) & (distinct == 1)
        straight = ex.loc[flat, ["excel_row", "township", "village"]].assign(
            answer=L[flat].bfill(axis=1).iloc[:, 0] if flat.any() else pd.Series(dtype=object)
        )
    else:
        straight = pd.DataFrame(columns=["excel_row", "township", "village", "answer"])
    sel = v[v["in_selection"]]
    summary = {
        "completes": int(v["completes"].sum()),
        "target": int(sel["target"].sum()),
        "completion_rate": float(sel["completes"].sum() / sel["target"].sum())
        if len(sel)
        else np.nan,
        "villages_done": int((sel["completes"] >= sel["target"]).sum()),
        "villages": int(len(sel)),
        "outside_selection": int(v.loc[~v["in_selection"], "completes"].sum()),
        "short": int(len(short)),
        "duplicates": int(len(dups)),
        "straightlining": int(len(straight)),
        "min_seconds": float(min_seconds),
    }
    if "response_rate" in v.columns and len(sel):
        sel = v[v["in_selection"]]
        summary["response_rate"] = float(sel["sample_interviewed"].sum() / sel["target"].sum())
        summary["reserves_used"] = int(sel["reserves_used"].sum())
    return Monitoring(v, short.reset_index(drop=True), dups.reset_index(drop=True),
                      straight.reset_index(drop=True), summary)  # fmt: skip


# ---------------------------------------------------------------------------- weighting
def adjust_nonresponse(
    design: pd.DataFrame, completes: pd.DataFrame | pd.Series, by: str = "village"
) -> pd.DataFrame:
    """Nonresponse adjustment of the design weights: within each weighting class (``by`` =
    "village", or a column of the design such as "township"), the respondents' weights are
    multiplied by (sum of the sample households' weights) / (sum of the respondents' base
    weights) — the inverse of the weighted response rate. ``completes``: interviews per
    village (a frame with township, village, completes — e.g. ``monitor(...).villages`` — or a
    Series indexed by (township, village)). Returns the design with ``base_weight`` (the
    design weight), ``nr_class``, ``responded`` (completes of the village), ``nr_factor`` and
    ``weight`` = base_weight × nr_factor (what ingestion joins). Within a class the
    respondents' adjusted weights add up to the sample's design weights; a class without
    respondents gets factor 0 (nothing to carry its share: merge it into a wider class)."""
    d = design.copy()
    if "base_weight" not in d.columns:
        d["base_weight"] = pd.to_numeric(d["weight"], errors="raise")
    if isinstance(completes, pd.DataFrame):
        c = completes.set_index(["township", "village"])["completes"]
    else:
        c = completes
    key = pd.MultiIndex.from_arrays([d["township"], d["village"]])
    d["responded"] = c.reindex(key).fillna(0).astype(int).to_numpy()
    if by == "village":
        d["nr_class"] = d["township"].astype(str) + "/" + d["village"].astype(str)
    elif by in d.columns:
        d["nr_class"] = d[by].astype(str)
    else:
        raise ValueError(f"by = {by!r}: 加权调整类别须为 village 或设计表中的列")
    sample = d[d["reserve"] == 0]
    vil = sample.groupby(["township", "village"], sort=False).agg(
        nr_class=("nr_class", "first"),
        w=("base_weight", "first"),
        target=("base_weight", "size"),
        responded=("responded", "first"),
    )
    sampled_w = (vil["w"] * vil["target"]).groupby(vil["nr_class"]).sum()
    resp_w = (vil["w"] * vil["responded"]).groupby(vil["nr_class"]).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (sampled_w / resp_w).replace([np.inf], np.nan)
    d["nr_factor"] = d["nr_class"].map(factor).fillna(0.0).to_numpy()
    d["weight"] = d["base_weight"] * d["nr_factor"]
    return d


def nonresponse_record(adjusted: pd.DataFrame, by: str) -> dict[str, Any]:
    """What :func:`adjust_nonresponse` did, for the selection's record."""
    f = adjusted.drop_duplicates("nr_class")["nr_factor"]
    return {
        "by": by,
        "classes": int(len(f)),
        "factor_min": round(float(f.min()), 4),
        "factor_max": round(float(f.max()), 4),
        "classes_without_respondents": int((f == 0).sum()),
    }
