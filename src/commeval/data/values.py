"""Parsing raw text cells into contract values (取值解析), vectorised.

Each column is factorised; only its distinct texts are parsed in Python, and results are
broadcast back by code. Problem rows are built only for failing cells.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from commeval.data.codebook import Codebook, norm_value
from commeval.data.contract import Field

DATE_LIKE = re.compile(r"^\d{4}([-/.年])\d{1,2}([-/.月])\d{1,2}日?([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

# Outcome of parsing one distinct text.
OK, MISSING, BAD_TYPE, BAD_DATE, BAD_CODE, NOT_INT = 0, 1, 2, 3, 4, 5
#: "—", "/", "不适用" in a numeric field (missing, reported); "无" in a count (0, reported)
NOT_APPLICABLE, NONE_ZERO = 6, 7
#: texts saying "not applicable" in a numeric cell (after NFKC; dashes of any width)
NOT_APPLICABLE_TEXTS = frozenset(
    ["-", "--", "---", "—", "——", "–", "―", "─", "/", "//", "\\", "不适用", "无此项", "不涉及",
     "暂无", "无数据", "不详", "未统计"]
)  # fmt: skip
NONE_TEXTS = frozenset(["无", "没有", "无。"])
#: units of counts (a "无" there is 0)
COUNT_UNITS = frozenset("个件次人户套期栋名所处项家座场支")
_YEAR = re.compile(r"^(\d{4})\s*年(度|份)?$")


@dataclass
class Parsed:
    """A parsed column: an outcome per row and the values — ``num`` (float64, NaN when missing)
    for numeric, bool and category fields, ``values`` (object, None when missing) for levels."""

    status: np.ndarray  # OK / MISSING / BAD_* per row
    num: np.ndarray | None = None
    values: pd.Series | None = None


def factorize(raw: pd.Series) -> tuple[np.ndarray, list[Any]]:
    codes, uniq = pd.factorize(raw, use_na_sentinel=True)
    return codes, list(uniq)


def parse_number(text: str, percent_unit: bool = False) -> tuple[float | None, int]:
    """A number from a text cell: thousands separators and full-width digits accepted. A
    percentage (``60.5%``, as Excel shows a percent-formatted cell) is 60.5 in a field whose
    unit is ``%`` (``percent_unit``), else the fraction 0.605."""
    s = text.strip().replace(",", "")
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s).replace(",", "").strip()
    if s.endswith("%") and NUMBER.match(s[:-1].strip()):
        v = float(s[:-1].strip())
        return (v if percent_unit else v / 100), OK
    if NUMBER.match(s):
        return float(s), OK
    if DATE_LIKE.match(s):
        return None, BAD_DATE
    return None, BAD_TYPE


def parse_unique(text: Any, f: Field, vmap: dict[str, Any], cb: Codebook) -> tuple[Any, int]:
    """Parse one distinct cell text for field ``f``; returns (value, outcome)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None, MISSING
    s = str(text).strip()
    if s in cb.missing_values:
        return None, MISSING
    if f.dtype == "string":
        return s, OK
    if f.dtype == "bool":
        v = cb.bool_values.get(norm_value(s))
        if v is None:
            num, st = parse_number(s)
            if st == OK and num in (0.0, 1.0):
                return bool(num), OK
            return None, BAD_TYPE
        return v, OK
    if f.dtype in ("category", "level"):
        key = norm_value(s)
        if key in vmap:
            return vmap[key], OK
        if f.dtype == "category":
            num, st = parse_number(s)
            if st != OK:
                return None, BAD_CODE if st == BAD_TYPE else st
            if num is not None and num.is_integer() and int(num) in (f.codes or {}):
                return int(num), OK
            return None, BAD_CODE
        return None, BAD_CODE
    if f.dtype in ("int", "float"):
        key = unicodedata.normalize("NFKC", s).strip()
        if key in NOT_APPLICABLE_TEXTS:
            return None, NOT_APPLICABLE
        if key in NONE_TEXTS:
            return (0, NONE_ZERO) if is_count(f) else (None, NOT_APPLICABLE)
        if is_year(f):
            m = _YEAR.match(key)
            if m:
                return int(m.group(1)), OK
    pct = (f.unit or "").strip() in ("%", "％")
    if not pct and s.endswith(("%", "％")) and not (f.max is not None and f.max <= 1):
        return None, BAD_TYPE  # a percentage where a count or amount belongs: never guessed
    num, st = parse_number(s, percent_unit=pct)
    if st != OK:
        return None, st
    if f.dtype == "int":
        if not float(num).is_integer():
            return None, NOT_INT
        return int(num), OK
    return num, OK


def is_count(f: Field) -> bool:
    """An integer field counting things (unit 个, 件, 次, 人, 户…): "无" there is 0."""
    return f.dtype == "int" and bool(f.unit) and str(f.unit).strip() in COUNT_UNITS


def is_year(f: Field) -> bool:
    """A year field (``year`` or labelled 年度/年份): "2011年", "2011年度" are 2011."""
    return f.dtype == "int" and (f.name == "year" or str(f.label).endswith(("年度", "年份")))


def parse_column(raw: pd.Series, f: Field, table: str, cb: Codebook) -> Parsed:
    """Parse a raw text column for field ``f`` of ``table``."""
    codes, uniq = factorize(raw)
    vmap = cb.value_map(table, f.name)
    vals = np.empty(len(uniq) + 1, dtype=object)
    stat = np.empty(len(uniq) + 1, dtype=np.int8)
    vals[-1], stat[-1] = None, MISSING  # code -1: NA
    if f.dtype in ("int", "float") and len(uniq) > 1000:
        vals[:-1], stat[:-1] = _numbers_fast(uniq, cb, f, vmap)
    else:
        for i, u in enumerate(uniq):
            vals[i], stat[i] = parse_unique(u, f, vmap, cb)
    if f.dtype == "int":  # 12.5 in an integer field
        whole = np.array([v is None or float(v).is_integer() for v in vals])
        stat = np.where((stat == OK) & ~whole, NOT_INT, stat).astype(np.int8)
    if f.dtype == "level":
        vals[stat != OK] = None
        return Parsed(stat[codes], values=pd.Series(vals[codes], index=raw.index, dtype=object))
    num = np.array([np.nan if v is None else float(v) for v in vals], dtype=np.float64)
    num[(stat != OK) & (stat != NONE_ZERO)] = np.nan
    return Parsed(stat[codes], num=num[codes])


def _numbers_fast(
    uniq: list[Any], cb: Codebook, f: Field, vmap: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Many distinct numeric texts: parse with pandas, fall back per text only where that fails."""
    s = pd.Series(uniq, dtype=object).astype(str).str.strip()
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    vals = num.astype(object)
    stat = np.where(np.isnan(num), BAD_TYPE, OK).astype(np.int8)
    for i in np.flatnonzero(np.isnan(num)):
        vals[i], stat[i] = parse_unique(s.iat[i], f, vmap, cb)
    return vals, stat
