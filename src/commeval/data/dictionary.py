"""The data dictionary (数据字典) generated from the contract: the Markdown block of
``docs/data.md`` and, for a project (its fields.yaml included), a CSV or Excel table
(:func:`write_dictionary`, behind ``commeval dictionary``).

    .venv/bin/python -m commeval.data.dictionary docs/data.md   # rewrite the generated block

The block between the BEGIN/END markers is generated; everything else in the file is prose.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from commeval.data.contract import Contract, Field, contract
from commeval.data.safe_cells import escape_cells
from commeval.data.schema import pandas_dtype
from commeval.files import atomic_path

#: columns of :func:`dictionary_frame` → headers of the written file
COLUMNS = {
    "table": "表 table",
    "field": "字段 field",
    "label": "中文名 label",
    "dtype": "类型 dtype",
    "kind": "题型/声明 kind",
    "unit": "单位 unit",
    "allowed": "取值 allowed / range",
    "required": "必填 required",
    "personal": "个人信息 personal",
    "source": "来源 source",
}

BEGIN = (
    "<!-- BEGIN GENERATED: data dictionary (python -m commeval.data.dictionary docs/data.md) -->"
)
END = "<!-- END GENERATED: data dictionary -->"


def _allowed(f: Field) -> str:
    if f.codes:
        return "；".join(f"{k}={v}" for k, v in f.codes.items())
    if f.allowed:
        labels = f.allowed_labels or f.allowed
        return "；".join(f"`{a}`={lab}" for a, lab in zip(f.allowed, labels, strict=True))
    if f.dtype == "bool":
        return "是 / 否"
    if f.min is not None and f.max is not None:
        return f"{f.min:g} – {f.max:g}"
    if f.min is not None:
        return f"≥ {f.min:g}"
    if f.max is not None:
        return f"≤ {f.max:g}"
    return ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(c: Contract | None = None) -> str:
    """Markdown tables: one per contract table, one row per field."""
    c = c or contract()
    out = [f"数据约定版本 (schema_version)：**{c.schema_version}**", ""]
    for t in c.tables.values():
        out += [
            f"### `{t.name}` — {t.label}",
            "",
            f"键 (unique key)：{' + '.join(f'`{k}`' for k in t.key)}",
            "",
            "| 字段 field | 中文名 label | 类型 dtype (pandas) | 单位 unit | 取值 allowed / range "
            "| 必填 required | 个人信息 personal |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in t.fields.values():
            dtype = f"{f.dtype} (`{pandas_dtype(f)}`)" if not f.personal else f"{f.dtype} (删除)"
            note = "；自由文本 free text" if f.free_text else ""
            if f.group == "likert" and not f.personal:
                note += f"；处理后 1–5 或缺失，说不清在 `{f.name}_dk` (boolean)"
            out.append(
                f"| `{f.name}` | {_cell(f.label)} | {dtype} | {f.unit or ''} | {_cell(_allowed(f))} "
                f"| {'是' if f.required else '否'} | {'是（导入时删除）' if f.personal else '否'}{note} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def dictionary_frame(c: Contract | None = None) -> pd.DataFrame:
    """One row per field of every table: table, field, label, dtype (contract dtype and pandas
    dtype), kind (as a fields file declared it: bool/int/float/category/text or the survey kinds
    likert/yesno/multi/numeric; empty for built-in fields), unit, allowed values with their
    labels or the range, required, personal, source (``built-in`` or the fields file)."""
    c = c or contract()
    rows = []
    for t in c.tables.values():
        for f in t.fields.values():
            rows.append(
                {
                    "table": t.name,
                    "field": f.name,
                    "label": f.label,
                    "dtype": f"{f.dtype} ({pandas_dtype(f)})" if not f.personal else f.dtype,
                    "kind": f.kind or "",
                    "unit": f.unit or "",
                    "allowed": _allowed(f).replace("`", ""),
                    "required": "是" if f.required else "否",
                    "personal": "是（导入时删除）" if f.personal else "否",
                    "source": f.source,
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_dictionary(c: Contract | None, path: str | Path) -> Path:
    """Write the data dictionary of contract ``c`` (a project's, extra fields included) to
    ``path``: ``.xlsx`` as an Excel sheet, anything else as CSV (UTF-8 with BOM, for Excel).
    Cells that look like formulas are escaped. Returns the path."""
    path = Path(path)
    frame = escape_cells(dictionary_frame(c).rename(columns=COLUMNS))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                frame.to_excel(xw, sheet_name="数据字典", index=False)
        else:
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def update(path: str | Path) -> bool:
    """Rewrite the generated block of ``path``; True when the file changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = text[:start] + "\n\n" + render() + "\n" + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def generated_block(path: str | Path) -> str:
    text = Path(path).read_text(encoding="utf-8")
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip() + "\n"


if __name__ == "__main__":
    for p in sys.argv[1:] or ["docs/data.md"]:
        print(f"{p}: {'updated' if update(p) else 'up to date'}")
