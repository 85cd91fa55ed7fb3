"""The validation engine (数据校验): read every raw file of a dataset, map headers and values
through the codebook, and collect ALL problems in one pass (no early exit per row or per file).

:func:`check_dataset` returns the canonical tables (personal columns dropped, personal numbers in
text redacted; respondent IDs still raw) together with the problems table and source hashes;
``validate.validate_dir`` and ``ingest.ingest`` are thin layers on top.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commeval.data import problems as P
from commeval.data import values as V
from commeval.data.blanks import blank_warnings, fill_blanks
from commeval.data.codebook import Codebook, MultiChoice, norm_value, resolve_codebook
from commeval.data.contract import Contract, Field, Table
from commeval.data.contract import contract as packaged
from commeval.data.dataset import contained, load_dataset
from commeval.data.design_table import join_design
from commeval.data.privacy import REDACTED, find_personal, redact, redact_values
from commeval.data.readers import RawFrame, ReadError, detect_format, file_info, read_source
from commeval.data.rules import Located, design, plausibility, references, unique_key

log = logging.getLogger("commeval.data")
MAY_BE_EMPTY = {"communities"}  # a district may have no new residential community yet
_SPLIT = re.compile(r"[┋|,;、/]")


@dataclass
class Checked:
    """Everything validation learned about a raw dataset."""

    tables: dict[str, pd.DataFrame]
    located: dict[str, Located]
    problems: pd.DataFrame
    sources: pd.DataFrame
    dataset: dict[str, Any]
    personal_dropped: dict[str, list[str]] = field(default_factory=dict)
    contract: Contract | None = None
    codebook: Codebook | None = None
    #: per table: file, rows_in (data rows in the file), rows_kept, rows_reported (not read,
    #: each reported with its row number); rows_in == rows_kept + rows_reported
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not P.has_errors(self.problems)


def check_dataset(
    raw_dir: str | Path,
    codebook: Codebook | str | Path | None = None,
    *,
    contract: Contract | None = None,
) -> Checked:
    """Validate a raw dataset directory; never raises for bad data (problems are collected).

    ``contract`` (default: the packaged one; a project's :func:`~commeval.data.contract.
    extend_contract`) says which fields there are; ``codebook`` (a project's codebook) is
    extended by the dataset's own (``dataset.yaml: codebook:``)."""
    raw_dir = Path(raw_dir)
    c = contract or (codebook.contract if isinstance(codebook, Codebook) else packaged())
    probs: list[pd.DataFrame] = []
    meta, specs, dprobs = load_dataset(raw_dir, c)
    probs.append(P.frame(dprobs))
    try:
        cb = dataset_codebook(raw_dir, meta, codebook, c)
    except ValueError as e:
        probs.append(P.frame([P.one(P.ERROR, "codebook", str(e), file=str(codebook))]))
        return Checked({}, {}, P.sort(P.concat(probs)), _sources([]), meta, contract=c)
    located: dict[str, Located] = {}
    sources = []
    dropped: dict[str, list[str]] = {}
    counts: dict[str, dict[str, Any]] = {}
    for table, spec in specs.items():
        path = raw_dir / str(spec["path"])  # inside raw_dir: checked by load_dataset
        if not path.is_file():
            probs.append(
                P.frame(
                    [
                        P.one(
                            P.ERROR,
                            "file_missing",
                            f"找不到文件（表 {table}）",
                            file=str(spec["path"]),
                        )
                    ]
                )
            )
            continue
        data = None
        if detect_format(path, spec.get("format")) != "sav":
            with open(path, "rb") as fh:  # read-only; the same bytes are hashed and parsed
                data = fh.read()
        info = file_info(path, data)
        sources.append({"table": table, **info.__dict__})
        try:
            raw = read_source(path, spec, _scorer(cb, table), data)
        except ReadError as e:
            probs.append(P.frame([e.problem]))
            continue
        except Exception as e:  # a reader library's own failure: this file is reported
            probs.append(P.frame([_unexpected(e, path.name, "读取")]))
            continue
        del data
        if table == "survey":  # design fields from the dataset's design table, if any
            probs.append(P.frame(join_design(raw, raw_dir, meta, cb)))
        counts[table] = {
            "file": raw.file,
            "rows_in": int(raw.rows_in),
            "rows_kept": len(raw.data),
            "rows_reported": len(raw.rows_dropped),
        }
        if len(raw.data) == 0 and not raw.rows_dropped:
            sev = P.WARNING if table in MAY_BE_EMPTY else P.ERROR
            probs.append(
                P.frame([P.one(sev, "no_data_rows", "文件只有表头，没有数据行", file=raw.file,
                               sheet=raw.sheet, row=raw.header_row or None)])
            )  # fmt: skip
        try:
            loc, tprobs, personal = _check_table(c[table], raw, cb)
        except Exception as e:  # never a traceback for one file's content
            probs.append(P.frame([_unexpected(e, raw.file, "检查")]))
            continue
        rprobs = P.frame(raw.problems)  # reading problems get the canonical field name
        by_header = {h: f for f, h in loc.headers.items()}
        mapped = rprobs["column"].map(by_header).fillna("").astype(str)
        rprobs["field"] = rprobs["field"].where(rprobs["field"] != "", mapped)
        probs += [rprobs, tprobs]
        dropped[table] = personal
        located[table] = loc
    probs.append(references(located))
    probs.append(design(located))  # sampling-design rules (PSU/strata, weights, names)
    probs.append(blank_warnings(located, c))  # blank is missing, not zero (data/blanks.py)
    fill_blanks(located, c)  # blank: 否 / 0 declared in fields.yaml
    problems = _redact_values(P.sort(P.concat(probs)))
    tables = {t: loc.df for t, loc in located.items()}
    return Checked(tables, located, problems, _sources(sources), meta, dropped, c, cb, counts)


def _unexpected(e: Exception, file: str, what: str) -> dict[str, Any]:
    """An unexpected failure on one file: an error naming the file (its content never shown);
    the traceback goes to the ``commeval.data`` log only."""
    log.error("%s %s 时出错", what, file, exc_info=e)
    return P.one(
        P.ERROR,
        "unreadable",
        f"{what}该文件时出现意外错误（{type(e).__name__}），文件可能已损坏或格式特殊；"
        "请用 Excel/WPS 打开后另存为 .xlsx 或 UTF-8 CSV 再试",
        file=file,
    )


def dataset_codebook(
    raw_dir: Path, meta: dict[str, Any], codebook: Codebook | str | Path | None, c: Contract
) -> Codebook:
    """The codebook a dataset is read with: the packaged one, extended by ``codebook`` (a
    project's), extended by the dataset's own (``dataset.yaml: codebook:``), built for ``c``."""
    own = contained(raw_dir, meta["codebook"]) if meta.get("codebook") else None
    if own is None:  # none, or one outside the folder (reported by load_dataset, never read)
        return resolve_codebook(codebook, contract=c)
    return resolve_codebook(own, contract=c, base=codebook)


def _redact_values(problems: pd.DataFrame) -> pd.DataFrame:
    """Problem values never show an ID or mobile number (e.g. a phone typed into the age column)."""
    if problems.empty:
        return problems
    hit = find_personal(problems["value"])
    if hit.any():
        problems = problems.copy()
        problems.loc[hit, "value"] = problems.loc[hit, "value"].map(redact)
    return problems


def _sources(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["table", "file", "sha256", "bytes", "modified"])


def _scorer(cb: Codebook, table: str):
    def score(cells: list[str]) -> int:
        return sum(
            cb.match_header(table, h).kind in ("field", "option", "multi") for h in cells if h
        )

    return score


def _check_table(t: Table, raw: RawFrame, cb: Codebook) -> tuple[Located, pd.DataFrame, list[str]]:
    """Map headers, parse every field, check cells and table rules."""
    probs: list[pd.DataFrame] = []
    notes: list[dict[str, Any]] = []
    where = dict(file=raw.file, sheet=raw.sheet)
    hrow = raw.header_row or None
    cols: dict[str, int] = {}  # field → column position
    multi: dict[int, int] = {}  # question → column position
    options: dict[str, int] = {}  # field of an option sub-column → its question
    personal: list[str] = []
    personal_cols: list[int] = []
    for j, h in enumerate(raw.headers):
        m = cb.match_header(t.name, h)
        if m.kind == "unmapped" and j < len(raw.alt_headers) and raw.alt_headers[j]:
            m = cb.match_header(t.name, raw.alt_headers[j])
        shown = (
            h if not raw.alt_headers or not raw.alt_headers[j] else f"{h}（{raw.alt_headers[j]}）"
        )
        if m.kind == "option":
            options[m.field] = m.question
        if m.kind in ("field", "option"):
            if m.field in cols:
                prev = raw.headers[cols[m.field]]
                notes.append(
                    P.one(P.ERROR, "duplicate_column", f"与列“{prev}”对应同一字段，无法确定用哪一列",
                          row=hrow, column=shown, field=m.field, **where)
                )  # fmt: skip
            else:
                cols[m.field] = j
        elif m.kind == "multi":
            multi[m.question] = j
        elif m.kind == "personal":
            personal.append(h)
            personal_cols.append(j)
        elif m.kind == "ignore":
            notes.append(
                P.one(P.WARNING, "ignored_column", "问卷平台元数据列，已忽略（不进入处理后数据）",
                      row=hrow, column=shown, **where)
            )  # fmt: skip
        elif h == "":
            if raw.data[f"c{j}"].notna().any():
                notes.append(
                    P.one(P.WARNING, "unmapped_column", "该列没有表头，已忽略", row=hrow,
                          column=f"第 {j + 1} 列", **where)
                )  # fmt: skip
        else:
            notes.append(
                P.one(P.WARNING, "unmapped_column", "未识别的列，已忽略（如需使用，请在代码本 codebook 中添加"
                      "表头映射）", row=hrow, column=shown, **where)
            )  # fmt: skip
    n = len(raw.data)
    out: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}
    multi_vals = _split_multi(t, raw, cb, multi, probs)
    for f in t.fields.values():
        if f.personal:
            continue
        if f.name in cols:
            h = raw.headers[cols[f.name]]
            headers[f.name] = h
            col = raw.data[f"c{cols[f.name]}"]
            if f.name in options:
                col = _option_cells(col, f.name, cb.multi_choice[t.name][options[f.name]], cb)
            out[f.name] = _field_column(t, f, col, raw, h, cb, probs)
        elif f.name in multi_vals:
            headers[f.name], out[f.name] = multi_vals[f.name]
        else:
            if f.required:
                notes.append(
                    P.one(P.ERROR, "missing_column", f"缺少必填列“{f.label}”（{f.name}）", row=hrow,
                          column=f.label, field=f.name, **where)
                )  # fmt: skip
            elif f.source != "built-in":  # declared by the project: say so, the header may be off
                notes.append(
                    P.one(P.WARNING, "missing_column", f"缺少 {f.source} 中声明的列“{f.label}”"
                          f"（{f.name}），该字段全部为空", row=hrow, column=f.label, field=f.name,
                          **where)
                )  # fmt: skip
            out[f.name] = pd.Series(pd.NA, index=range(n), dtype=_loose_dtype(f))
    personal_cols += [cols[f.name] for f in t.fields.values() if f.personal and f.name in cols]
    if personal_cols:
        _redact_own(t, out, headers, raw, personal_cols, probs)
    df = pd.DataFrame(out, index=pd.RangeIndex(n))
    loc = Located(df, raw.rows, raw.file, raw.sheet, headers)
    labels = {f.name: f.label for f in t.fields.values()}
    probs.append(unique_key(loc, list(t.key), labels))
    probs.append(plausibility(t.name, loc))
    return loc, P.concat([P.frame(notes), *probs]), personal


def _redact_own(
    t: Table, out: dict[str, pd.Series], headers: dict[str, str], raw: RawFrame,
    personal_cols: list[int], probs: list[pd.DataFrame],
) -> None:  # fmt: skip
    """The row's own personal values (its name, phone, address… from the dropped columns)
    found inside its free text are redacted too (a respondent signing their suggestion)."""
    own = [raw.data[f"c{j}"] for j in personal_cols]
    for f in t.fields.values():
        if f.dtype != "string" or f.personal or f.name == "respondent_id" or f.name not in out:
            continue
        col = out[f.name]
        idx = np.flatnonzero(col.notna().to_numpy())
        if not len(idx):
            continue
        texts = col.to_numpy(dtype=object)
        hit = np.zeros(len(col), dtype=bool)
        for i in idx:
            vals = [str(p.iat[i]).strip() for p in own if isinstance(p.iat[i], str)]
            vals = [v for v in vals if len(v) >= 2]
            if vals and any(v in texts[i] for v in vals):
                texts[i] = redact_values(texts[i], vals)
                hit[i] = True
        if hit.any():
            out[f.name] = pd.Series(texts, dtype="string")
            probs.append(
                P.cells(hit, severity=P.WARNING, rule="personal_in_text",
                        message=f"“{f.label}”中含有本人的姓名、电话或住址，已隐去（{REDACTED}）",
                        values=pd.Series(texts), file=raw.file, sheet=raw.sheet, rows=raw.rows,
                        column=headers.get(f.name, f.label), field=f.name)
            )  # fmt: skip


def _loose_dtype(f: Field) -> str:
    """Nullable dtype used while validating (cells that failed are missing)."""
    return {"string": "string", "level": "string", "int": "Int64", "category": "Int64",
            "float": "Float64", "bool": "boolean"}[f.dtype]  # fmt: skip


def _allowed_text(f: Field) -> str:
    if f.codes:
        return "、".join(f"{k}={v}" for k, v in f.codes.items())
    if f.allowed_labels:
        return "、".join(f.allowed_labels)
    return "、".join(f.allowed or ())


def _message(f: Field, status: int) -> str:
    if status == V.BAD_DATE:
        return f"“{f.label}”应为数值，却是日期（Excel 可能把数字自动显示成了日期，请把单元格格式改为“常规”）"
    if status == V.NOT_INT:
        return f"“{f.label}”应为整数，不能有小数"
    if status == V.BAD_CODE:
        return f"“{f.label}”的取值不在允许范围内（允许：{_allowed_text(f)}）"
    if f.dtype == "bool":
        return f"“{f.label}”应为“是”或“否”"
    if f.dtype == "int":
        return f"“{f.label}”应为整数，不能是文本"
    return f"“{f.label}”应为数值，不能是文本"


def _field_column(
    t: Table, f: Field, col: pd.Series, raw: RawFrame, header: str, cb: Codebook,
    probs: list[pd.DataFrame],
) -> pd.Series:  # fmt: skip
    where = dict(file=raw.file, sheet=raw.sheet, rows=raw.rows, column=header, field=f.name)
    if f.dtype == "string":
        s, status = _text_column(f, col, cb, where, scan=f.name != "respondent_id", probs=probs)
    else:
        parsed = V.parse_column(col, f, t.name, cb)
        status = parsed.status
        for st in (V.BAD_TYPE, V.BAD_DATE, V.BAD_CODE, V.NOT_INT):
            mask = status == st
            if mask.any():
                rule = {V.BAD_TYPE: f"type:{f.dtype}", V.BAD_DATE: "date_in_number",
                        V.BAD_CODE: "allowed", V.NOT_INT: "type:int"}[st]  # fmt: skip
                probs.append(P.cells(mask, severity=P.ERROR, rule=rule, message=_message(f, st),
                                     values=col, **where))  # fmt: skip
        s = _typed(parsed, f)
        if parsed.num is not None:
            probs.append(_range(parsed.num, f, col, where))
    if f.required:
        missing = status == V.MISSING
        for i, j in raw.formula_cells:  # already reported as formula_cell
            if raw.headers[j] == header:
                missing[i] = False
        probs.append(
            P.cells(missing, severity=P.ERROR, rule="required",
                    message=f"必填项“{f.label}”为空", values=col, **where)
        )  # fmt: skip
    return s


def _typed(parsed: V.Parsed, f: Field) -> pd.Series:
    if f.dtype == "level":
        return parsed.values.astype("string")
    num = parsed.num
    missing = np.isnan(num)
    if f.dtype == "float":
        return pd.Series(pd.arrays.FloatingArray(num, missing))
    if f.dtype == "bool":
        return pd.Series(pd.arrays.BooleanArray(num == 1.0, missing))
    return pd.Series(pd.arrays.IntegerArray(np.where(missing, 0, num).astype(np.int64), missing))


def _range(x: np.ndarray, f: Field, raw: pd.Series, where: dict[str, Any]) -> pd.DataFrame:
    if f.dtype not in ("int", "float") or (f.min is None and f.max is None):
        return P.empty()
    unit = f.unit or ""
    out = []
    with np.errstate(invalid="ignore"):
        if f.min is not None:
            low = x < f.min
            msg = (f"“{f.label}”不能为负数" if f.min == 0
                   else f"“{f.label}”小于最小值 {f.min:g}{unit}")  # fmt: skip
            out.append(
                P.cells(low, severity=P.ERROR, rule="range:min", message=msg, values=raw, **where)
            )
        if f.max is not None:
            high = x > f.max
            msg = f"“{f.label}”超过最大值 {f.max:g}{unit}"
            out.append(
                P.cells(high, severity=P.ERROR, rule="range:max", message=msg, values=raw, **where)
            )
    return P.concat(out)


def _text_column(
    f: Field, col: pd.Series, cb: Codebook, where: dict[str, Any], scan: bool,
    probs: list[pd.DataFrame],
) -> tuple[pd.Series, np.ndarray]:  # fmt: skip
    """A text field: stripped, missing tokens → NA; with ``scan``, ID and mobile numbers inside
    the text are replaced by ［已隐去］ and formula-like text is flagged (both warnings).
    Works on the distinct texts only."""
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    u = pd.Series(uniq, dtype=object).astype(str).str.strip()
    u_missing = u.isin(list(cb.missing_values)).to_numpy(dtype=bool)
    text = np.append(np.where(u_missing, None, u.to_numpy(dtype=object)), None)
    status = np.append(np.where(u_missing, V.MISSING, V.OK), V.MISSING).astype(np.int8)[codes]
    if scan and len(uniq):
        hit = np.append(find_personal(u.where(~u_missing)), False)
        for i in np.flatnonzero(hit):
            text[i] = redact(text[i])
        formula = np.array(
            [isinstance(x, str) and x[:1] in ("=", "+", "@") for x in text], dtype=bool
        )
        if hit.any():
            probs.append(
                P.cells(hit[codes], severity=P.WARNING, rule="personal_in_text",
                        message=f"“{f.label}”中含有身份证号或手机号等个人信息，已隐去（{REDACTED}）",
                        values=text[codes], **where)
            )  # fmt: skip
        if formula.any():
            probs.append(
                P.cells(formula[codes], severity=P.WARNING, rule="formula_like_text",
                        message=f"“{f.label}”以 = + @ 开头，像公式；按文本保存，导出时会加 ' 转义",
                        values=text[codes], **where)
            )  # fmt: skip
    return pd.Series(text[codes], dtype="string"), status


def _option_cells(col: pd.Series, name: str, mc: MultiChoice, cb: Codebook) -> pd.Series:
    """A 问卷星 option sub-column: an empty cell is "not ticked" (0; a question with no option
    ticked is "none chosen", not missing), the option's own text is "ticked" (1); ``(跳过)``,
    ``(空)`` and the other missing tokens stay missing."""
    texts = {t for t, f in mc.options.items() if f == name}
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    mapped = []
    for u in uniq:
        v = str(u).strip()
        mapped.append("0" if v == "" else "1" if norm_value(v) in texts else v)
    vals = np.append(np.array(mapped, dtype=object), "0")[codes]
    return pd.Series(vals, index=col.index, dtype=object)


def _split_multi(
    t: Table, raw: RawFrame, cb: Codebook, multi: dict[int, int], probs: list[pd.DataFrame]
) -> dict[str, tuple[str, pd.Series]]:
    """A multiple-choice question in one column (options separated by ┋ , ; 、 |) → one
    boolean field per option."""
    out: dict[str, tuple[str, pd.Series]] = {}
    for q, j in multi.items():
        mc = cb.multi_choice[t.name][q]
        header = raw.headers[j]
        col = raw.data[f"c{j}"]
        codes, uniq = pd.factorize(col, use_na_sentinel=True)
        fields = sorted(set(mc.options.values()))
        table = np.zeros((len(uniq) + 1, len(fields)), dtype=np.float64)
        bad = np.zeros(len(uniq) + 1, dtype=bool)
        order = mc.order
        table[-1, :] = 0.0  # an empty cell: no option ticked ("none chosen")
        for i, u in enumerate(uniq):
            text = str(u).strip()
            if text == "":
                table[i, :] = 0.0
                continue
            if text in cb.missing_values:
                table[i, :] = np.nan
                continue
            for part in _SPLIT.split(text):
                key = norm_value(part)
                if not key:
                    continue
                fname = mc.options.get(key)
                if fname is None and key.isdigit() and 1 <= int(key) <= len(order):
                    fname = order[int(key) - 1]  # an option code (问卷星 按序号 export)
                if fname is None:
                    bad[i] = True
                else:
                    table[i, fields.index(fname)] = 1.0
        u_missing = np.array(
            [(x := str(u).strip()) != "" and x in cb.missing_values for u in uniq] + [False]
        )
        skipped = u_missing[codes]
        if skipped.any() and any(t.fields[f].required for f in fields):
            probs.append(
                P.cells(skipped, severity=P.ERROR, rule="required", message="多选题未作答（必填）",
                        file=raw.file, sheet=raw.sheet, rows=raw.rows, column=header, field="",
                        values=col)
            )  # fmt: skip
        rows_bad = bad[codes]
        if rows_bad.any():
            probs.append(
                P.cells(rows_bad, severity=P.ERROR, rule="allowed",
                        message=f"多选题含未知选项（已知：{'、'.join(mc.options)}）", file=raw.file,
                        sheet=raw.sheet, rows=raw.rows, column=header, field="", values=col)
            )  # fmt: skip
        for k, fname in enumerate(fields):
            vals = table[codes, k]
            out[fname] = (header, pd.Series(vals).astype("Float64").astype("boolean"))
    return out
