"""Helpers for the township-returns tests: tables of the valid base dataset as frames, written
back as CSV or as workbooks made with openpyxl (hidden sheets, percent formats, formulas with
cached values, Excel tables with a totals row, sign-off rows under the table)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import yaml


def copy(base: Path, dst: Path) -> Path:
    shutil.copytree(base, dst)
    return dst


def read(root: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(
        root / f"{table}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )


def write(root: Path, table: str, df: pd.DataFrame) -> None:
    df.to_csv(root / f"{table}.csv", index=False, encoding="utf-8-sig")


def files(root: Path, table: str, entry: Any) -> None:
    """Set ``files.<table>`` of dataset.yaml."""
    meta = yaml.safe_load((root / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"][table] = entry
    (root / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")


def num(v: str) -> Any:
    """A CSV text as Excel would hold it (numbers as numbers)."""
    try:
        f = float(v)
    except ValueError:
        return v if v != "" else None
    return int(f) if f.is_integer() and "." not in v else f


def sheet_rows(df: pd.DataFrame) -> list[list[Any]]:
    return [list(df.columns)] + [[num(v) for v in rec] for rec in df.itertuples(index=False)]


def workbook(
    path: Path,
    df: pd.DataFrame,
    *,
    title: str = "数据",
    above: list[list[Any]] = (),
    below: list[list[Any]] = (),
    hidden_first: bool = False,
) -> openpyxl.Workbook:
    """``df`` as an xlsx sheet (rows ``above`` the header, ``below`` the data); with
    ``hidden_first`` a hidden drop-down-list sheet comes first. Returns the saved workbook."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if hidden_first:
        ws.title = "下拉选项"
        for v in ["是", "否", "区级", "市级"]:
            ws.append([v])
        ws.sheet_state = "hidden"
        ws = wb.create_sheet(title)
    else:
        ws.title = title
    for r in above:
        ws.append(list(r))
    for r in sheet_rows(df):
        ws.append(r)
    for r in below:
        ws.append(list(r))
    wb.save(path)
    return wb


def cache_values(path: Path, values: dict[str, Any], sheet: int = 1) -> None:
    """Give formula cells of sheet ``sheet`` (1-based part number) a cached value, as Excel does
    when it saves: ``{"D5": 12, "E7": "#DIV/0!"}`` (an error is stored with ``t="e"``).
    openpyxl writes formulas without results; this patches the sheet XML."""
    part = f"xl/worksheets/sheet{sheet}.xml"
    with zipfile.ZipFile(path) as z:
        items = {n: z.read(n) for n in z.namelist()}
    xml = items[part].decode("utf-8")
    for ref, v in values.items():
        pat = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f>(<v\s*/>|<v></v>)?</c>')
        m = pat.search(xml)
        assert m, f"no formula at {ref}"
        attrs = re.sub(r'\s*t="[^"]*"', "", m.group(1))
        if isinstance(v, str) and v.startswith("#"):
            attrs += ' t="e"'
        xml = (
            xml[: m.start()]
            + f'<c r="{ref}"{attrs}><f>{m.group(2)}</f><v>{v}</v></c>'
            + xml[m.end() :]
        )
    items[part] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in items.items():
            z.writestr(n, b)
