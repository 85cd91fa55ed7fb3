"""The data dictionary (数据字典) generated from the contract, for ``docs/data.md``.

    .venv/bin/python -m commeval.data.dictionary docs/data.md   # rewrite the generated block

The block between the BEGIN/END markers is generated; everything else in the file is prose.
"""

from __future__ import annotations

import sys
from pathlib import Path

from commeval.data.contract import Contract, Field, contract
from commeval.data.schema import pandas_dtype

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
            out.append(
                f"| `{f.name}` | {_cell(f.label)} | {dtype} | {f.unit or ''} | {_cell(_allowed(f))} "
                f"| {'是' if f.required else '否'} | {'是（导入时删除）' if f.personal else '否'}{note} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


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
