"""The ``design`` table of a dataset: the survey's design from the selection, joined at ingestion.

``commeval survey draw`` writes the design file (``design.csv``: one row per drawn household —
township, village, household_no, reserve, village_prob, household_prob, weight, fpc, fpc2; no
names) and ``commeval survey weights`` its nonresponse-adjusted weights. Named in
``dataset.yaml`` as the ``design`` table::

    files:
      survey: {path: 问卷星导出.xlsx, format: wjx}
      design: {path: design.csv}

ingestion fills the returned questionnaire's stratum (抽样层 = township), PSU (初级抽样单元（村）
= township/village), weight (抽样权数) and FPC (层内村总数) from it, village by village, instead
of columns typed by hand: the design's value replaces a typed one (a warning counts the rows
where they differed), and a respondent whose village is not in the selection keeps what was
typed, with a warning naming the row. When the design file has them, the village's inclusion
probability (村入样概率, ``village_prob``) and the household's within-village probability
(户入样概率, ``household_prob``) are filled too (:data:`PROB_FIELDS`): THE year design then
analyses the villages as drawn (``survey.questionnaire.year_design``: PPS, Brewer's variance).
A design file with a ``year`` column (调查年度; ``commeval survey draw --year``) is one year's
selection: it fills the rows of that survey year only (rows of other years keep their own
columns, with a warning counting them); without one it fills every row. The design
columns are defined once, in :data:`DESIGN_FIELDS`; the raw files are never modified (the join
works on the rows read).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commeval.data import problems as P
from commeval.data.conventions import DESIGN, PPS_DESIGN, psu_id
from commeval.data.dataset import contained

DESIGN_TABLE = "design"
#: The survey's design fields (``conventions.DESIGN``: stratum = township, PSU =
#: township/village, weight, FPC = villages in the township), each filled from the design file.
DESIGN_FIELDS = {
    col: col for col in (DESIGN["strata"], DESIGN["psu"], DESIGN["weights"], DESIGN["fpc"])
}
#: The selection's probabilities (``conventions.PPS_DESIGN``): the village's inclusion
#: probability and the household's within-village probability, filled when the design file
#: has them — THE year design then analyses the villages as drawn (PPS, Brewer's variance).
PROB_FIELDS = {PPS_DESIGN["fpc"]: "village_prob", PPS_DESIGN["fpc2"]: "household_prob"}
#: Columns of the design file (commeval.sampling writes them; Chinese headers accepted too).
DESIGN_FILE_COLUMNS = {
    "year": "调查年度",
    "township": "乡镇",
    "village": "行政村",
    "household_no": "样本户编号",
    "reserve": "备用户序号",
    "village_prob": "村入样概率",
    "household_prob": "户入样概率",
    "weight": "设计权数",
    "fpc": "层内村总数",
    "fpc2": "村内户数",
}


def read_design_file(path: Path) -> pd.DataFrame:
    """A design file (CSV or Excel; English or Chinese headers) as a frame with the English
    column names; ``ValueError`` (Chinese) when a column is missing."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        df = pd.read_excel(path, dtype=str, engine="openpyxl")
    else:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    back = {zh: en for en, zh in DESIGN_FILE_COLUMNS.items()}
    df = df.rename(columns=lambda c: back.get(str(c).strip(), str(c).strip()))
    need = ["township", "village", "weight", "fpc"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(
            "抽样设计文件缺少列：" + "、".join(f"{DESIGN_FILE_COLUMNS[c]}（{c}）" for c in missing)
        )
    return df


def village_design(design: pd.DataFrame) -> pd.DataFrame:
    """One row per selected village: township, village, stratum, psu, weight, fpc (the weight of
    its sample households — equal within a village when it draws a fixed number of them), and
    village_prob / household_prob when the design file has them; ``attrs["years"]``: the
    survey years of its ``year`` column (empty without one)."""
    d = design.copy()
    if "reserve" in d.columns:
        r = pd.to_numeric(d["reserve"], errors="coerce").fillna(0)
        d = d[r == 0]
    d["weight"] = pd.to_numeric(d["weight"], errors="coerce")
    d["fpc"] = pd.to_numeric(d["fpc"], errors="coerce")
    years: list[int] = []
    if "year" in d.columns:
        years = sorted({int(y) for y in pd.to_numeric(d["year"], errors="coerce").dropna()})
    probs = [c for c in PROB_FIELDS.values() if c in d.columns]
    for c in probs:
        d[c] = pd.to_numeric(d[c], errors="coerce")
    g = d.groupby(["township", "village"], sort=False).agg(
        weight=("weight", "mean"), fpc=("fpc", "first"), **{c: (c, "first") for c in probs}
    )
    g = g.reset_index()
    g[DESIGN["strata"]] = g["township"]
    g[DESIGN["psu"]] = [psu_id(t, v) for t, v in zip(g["township"], g["village"], strict=True)]
    g.attrs["years"] = years
    return g


def join_design(raw, raw_dir: Path, meta: dict[str, Any], cb) -> list[dict[str, Any]]:
    """Fill the raw survey rows' design fields from the dataset's ``design`` table (in place on
    the rows read, never the file); returns the problems (warnings; an error when the design
    file cannot be read). Without a ``design`` table: nothing to do."""
    files = meta.get("files") if isinstance(meta, dict) else None
    spec = files.get(DESIGN_TABLE) if isinstance(files, dict) else None
    if spec is None:
        return []
    rel = spec.get("path") if isinstance(spec, dict) else spec
    path = contained(raw_dir, rel)
    if path is None or not path.is_file():
        return [
            P.one(P.ERROR, "design_missing", "dataset.yaml 指定的抽样设计文件（design）不存在或不在数据目录内",
                  file="dataset.yaml", field=DESIGN_TABLE, value=str(rel)[:80])
        ]  # fmt: skip
    try:
        villages = village_design(read_design_file(path))
    except (ValueError, OSError) as e:
        return [P.one(P.ERROR, "design_file", f"抽样设计文件无法读取：{e}", file=path.name)]
    where: dict[str, int] = {}
    for i, h in enumerate(raw.headers):
        m = cb.match_header("survey", h)
        if m.kind == "field" and m.field not in where:
            where[m.field] = i
    if "township" not in where or "village" not in where:
        return [
            P.one(P.WARNING, "design_no_keys", "问卷中没有“乡镇”“行政村”列，无法与抽样设计对应",
                  file=raw.file, sheet=raw.sheet)
        ]  # fmt: skip
    df = raw.data
    town = (
        df.iloc[:, where["township"]]
        .astype(object)
        .map(lambda x: str(x).strip() if x is not None else "")
    )
    vill = (
        df.iloc[:, where["village"]]
        .astype(object)
        .map(lambda x: str(x).strip() if x is not None else "")
    )
    key = pd.MultiIndex.from_arrays([town, vill])
    table = villages.set_index(["township", "village"])
    found = key.isin(table.index)
    probs: list[dict[str, Any]] = []
    other = _other_years(df, where, villages.attrs.get("years"))
    if other.any():
        probs.append(
            P.one(P.WARNING, "design_other_years",
                  f"{int(other.sum())} 行问卷不属于抽样设计（design）的调查年度"
                  f"（{'、'.join(str(y) for y in villages.attrs['years'])}）：这些行的抽样层、村、"
                  "权数和 FPC 未从设计填写",
                  file=raw.file, sheet=raw.sheet, field="year")
        )  # fmt: skip
    found &= ~other
    seen = _years_seen(df, where)
    if not villages.attrs.get("years") and len(seen) > 1:
        probs.append(
            P.one(P.WARNING, "design_no_year",
                  f"抽样设计（design）没有“调查年度”列，而问卷有 {len(seen)} 个年度"
                  f"（{'、'.join(str(y) for y in seen)}）：各年度抽中村的问卷都按这一次抽样填写；"
                  "请用 commeval survey draw --year 写明抽样所属年度",
                  file=raw.file, sheet=raw.sheet, field="year")
        )  # fmt: skip
    label = cb.contract["survey"].fields
    fields = DESIGN_FIELDS | {f: c for f, c in PROB_FIELDS.items() if c in table.columns}
    for fname, source in fields.items():
        values = table[source].reindex(key).to_numpy(dtype=object)
        text = np.array([_text(v) for v in values], dtype=object)
        if fname in where:
            col = df.columns[where[fname]]
            typed = df[col].astype(object).to_numpy()
            differ = found & np.array(
                [t is not None and str(t).strip() != "" and not _same(t, v)
                 for t, v in zip(typed, text, strict=True)]
            )  # fmt: skip
            if differ.any():
                probs.append(
                    P.one(P.WARNING, "design_overrides",
                          f"{int(differ.sum())} 行问卷中的“{label[fname].label}”与抽样设计不同，已按抽样设计填写",
                          file=raw.file, sheet=raw.sheet, column=raw.headers[where[fname]], field=fname)
                )  # fmt: skip
            df[col] = np.where(found, text, typed)
        else:
            col = f"c{len(raw.headers)}"
            df[col] = np.where(found, text, None)
            raw.headers.append(label[fname].label)
            if raw.alt_headers:
                raw.alt_headers.append("")
            where[fname] = len(raw.headers) - 1
    for i in np.flatnonzero(~found & ~other):
        probs.append(
            P.one(P.WARNING, "design_outside",
                  f"受访者所在村“{town.iloc[i]}{vill.iloc[i]}”不在抽样设计（design）中：不是抽中的村，"
                  "抽样层、村、权数和 FPC 未从设计填写",
                  file=raw.file, sheet=raw.sheet, row=int(raw.rows[i]), field="village",
                  value=f"{town.iloc[i]}{vill.iloc[i]}")
        )  # fmt: skip
    return probs


def _other_years(df: pd.DataFrame, where: dict[str, int], years: list[int] | None) -> np.ndarray:
    """Rows of a survey year the design file is not for (its ``year`` column; without one the
    design is for every row, as the questionnaire comes)."""
    if not years or "year" not in where:
        return np.zeros(len(df), dtype=bool)
    y = pd.to_numeric(df.iloc[:, where["year"]].astype(object), errors="coerce")
    return (~y.isin(years)).to_numpy(dtype=bool)


def _years_seen(df: pd.DataFrame, where: dict[str, int]) -> list[int]:
    if "year" not in where:
        return []
    y = pd.to_numeric(df.iloc[:, where["year"]].astype(object), errors="coerce").dropna()
    return sorted({int(v) for v in y})


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float | np.floating):
        return repr(float(v)) if not float(v).is_integer() else str(int(v))
    return str(v)


def _same(typed: Any, design: str | None) -> bool:
    if design is None:
        return True
    a, b = str(typed).strip(), design
    if a == b:
        return True
    try:
        return bool(np.isclose(float(a), float(b), rtol=1e-6))
    except ValueError:
        return False
