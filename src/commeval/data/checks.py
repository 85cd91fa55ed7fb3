"""The validation engine (数据校验): read every raw file of a dataset, map headers and values
through the codebook, and collect ALL problems in one pass (no early exit per row or per file).

:func:`check_dataset` returns the canonical tables (personal columns dropped, personal numbers in
text redacted; respondent IDs still raw) together with the problems table and source hashes;
``validate.validate_dir`` and ``ingest.ingest`` are thin layers on top.
"""

from __future__ import annotations

import logging
import re
import unicodedata
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
from commeval.data.guard import GuardError, check_regular, read_regular
from commeval.data.privacy import REDACTED, find_personal, has_personal, redact, redact_values
from commeval.data.readers import RawFrame, ReadError, detect_format, file_info, read_source
from commeval.data.returns import (
    looks_like_person,
    name_column,
    name_header,
    norm_name,
    skip_nondata,
    unify_names,
)
from commeval.data.rules import (
    Located,
    combine,
    design,
    plausibility,
    references,
    unique_key,
    years,
)

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
    year: int | None = None,
    consistency: bool = False,
) -> Checked:
    """Validate a raw dataset directory; never raises for bad data (problems are collected).

    ``contract`` (default: the packaged one; a project's :func:`~commeval.data.contract.
    extend_contract`) says which fields there are; ``codebook`` (a project's codebook) is
    extended by the dataset's own (``dataset.yaml: codebook:``). ``year``: the project's
    assessment year (default: the latest year of the villages table), checked against the
    tables' years with ``consistency`` (:func:`~commeval.data.rules.years`; ``validate`` does).
    """
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
    secrets: set[str] = set()  # personal values met anywhere: never quoted in a problem
    places: set[str] = set()  # township and village names read so far (never people's names)
    for table, entries in specs.items():
        parts: list[Located] = []
        per_file: list[dict[str, Any]] = []
        for spec in entries:
            rel = str(spec["path"])
            got = _read_one(raw_dir, table, spec, cb, probs, sources)
            if got is None:
                continue
            raw = got
            try:
                skipped, words = skip_nondata(raw)  # totals, sign-off and note rows
            except Exception as e:  # never a traceback for one file's content
                probs.append(P.frame([_unexpected(e, rel, "检查")]))
                continue
            secrets |= words
            if table == "survey":  # design fields from the dataset's design table, if any
                probs.append(P.frame(join_design(raw, raw_dir, meta, cb)))
            per_file.append(
                {"file": raw.file, "rows_in": int(raw.rows_in), "rows_kept": len(raw.data),
                 "rows_reported": len(raw.rows_dropped)}
            )  # fmt: skip
            if len(raw.data) == 0 and len(raw.rows_dropped) == len(skipped):
                sev = P.WARNING if table in MAY_BE_EMPTY else P.ERROR
                what = "，只有合计/签字等非数据行" if skipped else ""
                probs.append(
                    P.frame([P.one(sev, "no_data_rows", f"文件只有表头，没有数据行{what}",
                                   file=raw.file, sheet=raw.sheet, row=raw.header_row or None)])
                )  # fmt: skip
            try:
                loc, tprobs, personal, own = _check_table(c[table], raw, cb, places)
            except Exception as e:  # never a traceback for one file's content
                probs.append(P.frame([_unexpected(e, rel, "检查")]))
                continue
            secrets |= own
            rprobs = P.frame(raw.problems + skipped)  # reading problems get the field name
            by_header = {h: f for f, h in loc.headers.items()}
            mapped = rprobs["column"].map(by_header).fillna("").astype(str)
            rprobs["field"] = rprobs["field"].where(rprobs["field"] != "", mapped)
            probs += [rprobs, tprobs]
            dropped.setdefault(table, [])
            dropped[table] += [h for h in personal if h not in dropped[table]]
            parts.append(loc)
        if per_file:
            counts[table] = {
                "file": "、".join(n["file"] for n in per_file),
                **{
                    k: sum(n[k] for n in per_file)
                    for k in ("rows_in", "rows_kept", "rows_reported")
                },
            }
            if len(per_file) > 1:
                counts[table]["files"] = per_file
        if parts:
            located[table] = combine(parts)
            for f in ("township", "village", "community", "psu"):
                if f in located[table].df:
                    places |= {norm_name(v) for v in pd.unique(located[table].df[f].dropna())}
    seen: dict[tuple[str, str], str] = {}
    for src in sources:  # the same return sent twice (城关镇.xlsx, 城关镇(1).xlsx)
        key = (src["table"], src["sha256"])
        if key in seen:
            probs.append(
                P.frame([P.one(P.ERROR, "duplicate_file", f"与文件 {seen[key]} 内容完全相同（同一份"
                               "报表报送了两次）：请删去其中一个，或从 dataset.yaml 中去掉", file=src["file"])])
            )  # fmt: skip
        else:
            seen[key] = src["file"]
    probs.append(P.frame(unify_names(located)))  # 王堂（东） and 王堂(东) are one village
    for table, loc in located.items():
        t = c[table]
        labels = {f.name: f.label for f in t.fields.values()}
        probs.append(unique_key(loc, list(t.key), labels))
        probs.append(plausibility(table, loc))
    probs.append(references(located))
    probs.append(design(located))  # sampling-design rules (PSU/strata, weights, names)
    probs.append(blank_warnings(located, c))  # blank is missing, not zero (data/blanks.py)
    fill_blanks(located, c)  # blank: 否 / 0 declared in fields.yaml
    if consistency:
        probs.append(years(located, year))  # what reports would otherwise find out later
    problems = P.sort(P.concat(probs))
    # which personal values are secrets is asked only of those a problem quotes (a survey of
    # 1,000,000 respondents has ~10⁶ such values; its problems quote a handful)
    quoted = _quoted(problems, secrets)
    secrets = {v for v in quoted if _secret(v) and norm_name(v) not in places}
    problems = _redact_values(problems, secrets)
    tables = {t: loc.df for t, loc in located.items()}
    return Checked(tables, located, problems, _sources(sources), meta, dropped, c, cb, counts)


def _secret(value: str) -> bool:
    """Whether a value met in a personal column or sign-off row is kept out of every problem:
    a person's name, a number or id, a longer text (an address); not a short common word of a
    column taken for personal by its header (是否使用手机: 没有, 经常), nor a place name."""
    v = value.strip()
    return len(v) >= 2 and (looks_like_person(v) or has_personal(v) or len(v) >= 5)


def _read_one(
    raw_dir: Path, table: str, spec: dict[str, Any], cb: Codebook, probs: list[pd.DataFrame],
    sources: list[dict[str, Any]],
) -> RawFrame | None:  # fmt: skip
    """Read one file of a table (a regular file within the limits); its problems are added to
    ``probs``, its hash to ``sources``; None when it cannot be read."""
    rel = str(spec["path"])
    path = raw_dir / rel  # inside raw_dir: checked by load_dataset
    try:
        check_regular(path)
    except FileNotFoundError:
        probs.append(
            P.frame([P.one(P.ERROR, "file_missing", f"找不到文件（表 {table}）", file=rel)])
        )
        return None
    except GuardError as e:
        probs.append(P.frame([P.one(P.ERROR, e.rule, e.message, file=rel)]))
        return None
    except OSError as e:
        probs.append(P.frame([_unexpected(e, rel, "读取")]))
        return None
    data = None
    try:
        if detect_format(path, spec.get("format")) != "sav":
            data = read_regular(path)  # read-only; the same bytes are hashed and parsed
        info = file_info(path, data)
    except GuardError as e:
        probs.append(P.frame([P.one(P.ERROR, e.rule, e.message, file=rel)]))
        return None
    except OSError as e:  # permission denied, I/O error: this file is reported
        probs.append(P.frame([_unexpected(e, rel, "读取")]))
        return None
    sources.append({"table": table, **info.__dict__, "file": rel})
    try:
        return read_source(path, spec, _scorer(cb, table), data, name=rel)
    except ReadError as e:
        probs.append(P.frame([e.problem]))
    except Exception as e:  # a reader library's own failure: this file is reported
        probs.append(P.frame([_unexpected(e, rel, "读取")]))
    return None


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


def _redact_values(problems: pd.DataFrame, secrets: set[str] | None = None) -> pd.DataFrame:
    """Problem values never show an ID or mobile number (e.g. a phone typed into the age column),
    nor any value of a personal column or sign-off row (``secrets``: names, phones, addresses)
    — in the value or the message."""
    if problems.empty:
        return problems
    problems = problems.copy()
    hit = find_personal(problems["value"])
    if hit.any():
        problems.loc[hit, "value"] = problems.loc[hit, "value"].map(redact)
    secrets = {v for v in (secrets or ()) if 2 <= len(v) <= 60}
    if secrets:
        lengths = sorted({len(v) for v in secrets}, reverse=True)
        for col in ("value", "message"):
            uniq = pd.unique(problems[col])
            fixed = {u: redact_known(u, secrets, lengths) for u in uniq}
            changed = {u: f for u, f in fixed.items() if f != u}
            if changed:
                problems[col] = problems[col].replace(changed)
    return problems


def _quoted(problems: pd.DataFrame, values: set[str]) -> set[str]:
    """The ``values`` (2–60 characters) occurring in a problem's value or message."""
    values = {v for v in values if 2 <= len(v) <= 60}
    if problems.empty or not values:
        return set()
    lengths = sorted({len(v) for v in values})
    out: set[str] = set()
    for col in ("value", "message"):
        for text in pd.unique(problems[col]):
            if isinstance(text, str):
                out |= occurring(text, values, lengths)
    return out


def occurring(text: str, values: set[str], lengths: list[int]) -> set[str]:
    """The ``values`` (of the given ``lengths``) that occur in ``text`` as substrings."""
    return {
        text[i : i + n]
        for n in lengths
        if n <= len(text)
        for i in range(len(text) - n + 1)
        if text[i : i + n] in values
    }


def redact_known(text: str, secrets: set[str], lengths: list[int]) -> str:
    """``text`` with every occurrence of a known personal value replaced (longest first)."""
    if not text:
        return text
    found = occurring(text, secrets, lengths)
    return redact_values(text, sorted(found, key=len, reverse=True)) if found else text


def _sources(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["table", "file", "sha256", "bytes", "modified"])


def _scorer(cb: Codebook, table: str):
    def score(cells: list[str]) -> int:
        return sum(
            cb.match_header(table, h).kind in ("field", "option", "multi") for h in cells if h
        )

    return score


def _check_table(
    t: Table, raw: RawFrame, cb: Codebook, places: set[str] | None = None
) -> tuple[Located, pd.DataFrame, list[str], set[str]]:
    """Map headers, parse every field, check cells. Returns the located table, its problems,
    the personal headers dropped and the personal values met (never to be quoted). Columns
    holding people's names — by the codebook, by an unmapped header (受访人, 户主, 联系人 …) or,
    among unmapped columns, by content (never township or village names: ``places``) — are
    dropped like personal columns and their values redacted from the row's free text."""
    probs: list[pd.DataFrame] = []
    notes: list[dict[str, Any]] = []
    where = dict(file=raw.file, sheet=raw.sheet)
    hrow = raw.header_row or None
    cols: dict[str, int] = {}  # field → column position
    multi: dict[int, int] = {}  # question → column position
    options: dict[str, int] = {}  # field of an option sub-column → its question
    personal: list[str] = []
    personal_cols: list[int] = []
    platform = platform_columns(raw, cb, t.name)
    for j, h in enumerate(raw.headers):
        m = cb.match_header(t.name, h)
        if m.kind == "unmapped" and j < len(raw.alt_headers) and raw.alt_headers[j]:
            m = cb.match_header(t.name, raw.alt_headers[j])
        if j in platform:  # a survey platform's own column (腾讯问卷 编号, 昵称, 起答时间 …)
            m = platform[j]
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
        elif _holds_names(h, raw.data[f"c{j}"], raw, cb, t, places):
            personal.append(h or f"第 {j + 1} 列")
            personal_cols.append(j)
            notes.append(
                P.one(P.WARNING, "personal_column", "该列是人名等个人信息（按表头或内容识别），已删除，"
                      "不进入处理后数据；其内容也从同一行的文字中隐去", row=hrow,
                      column=h or f"第 {j + 1} 列", **where)
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
    _other_texts(t, raw, cb, cols, multi, notes)  # 问卷星 其他〖…〗 → option + free text
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
    own: set[str] = set()
    if personal_cols:
        _redact_own(t, out, headers, raw, personal_cols, probs)
        for j in personal_cols:
            own |= set(_stripped(raw.data[f"c{j}"]).dropna().unique().tolist()) - {""}
    df = pd.DataFrame(out, index=pd.RangeIndex(n))
    loc = Located(df, raw.rows, raw.file, raw.sheet, headers)
    return loc, P.concat([P.frame(notes), *probs]), personal, own


#: 腾讯问卷 (Tencent Questionnaire) export columns before the questions; personal ones dropped
TENCENT_COLUMNS = {
    "编号": "id", "用户类型": "ignore", "用户标识": "personal", "昵称": "personal",
    "起答时间": "ignore", "开始答题时间": "ignore", "开始时间": "ignore", "提交时间": "ignore",
    "结束答题时间": "ignore", "答题时长": "ignore", "地理位置国家和地区": "ignore",
    "地理位置(国家)": "ignore", "地理位置省": "ignore", "地理位置(省)": "ignore",
    "地理位置市": "ignore", "地理位置(市)": "ignore", "地理位置": "ignore", "自定义字段": "ignore",
    "来源": "ignore", "渠道": "ignore", "状态": "ignore", "答卷状态": "ignore", "ip": "personal",
    "ip地址": "personal", "提交ip": "personal", "openid": "personal", "设备": "ignore",
    "浏览器": "ignore", "操作系统": "ignore", "总分": "ignore", "得分": "ignore",
}  # fmt: skip
_TENCENT_SIGNS = {"用户标识", "起答时间", "答题时长", "地理位置省", "地理位置(省)", "用户类型"}


def platform_columns(raw: RawFrame, cb: Codebook, table: str) -> dict[int, Any]:
    """The leading platform columns of a 腾讯问卷 export (``format: tencent``, or recognised by
    its header block: 编号, 用户标识, 起答时间, 答题时长…): ignored, personal ones dropped; its
    编号 is the respondent id only when no questionnaire column is (so it never collides)."""
    from commeval.data.codebook import HeaderMatch

    heads = [unicodedata.normalize("NFKC", h).replace(" ", "").lower() for h in raw.headers]
    if raw.fmt != "tencent" and len(_TENCENT_SIGNS & set(heads)) < 2:
        return {}
    out: dict[int, Any] = {}
    seen: set[str] = set()
    for j, h in enumerate(heads):
        kind = TENCENT_COLUMNS.get(h)
        if kind is None or h in seen:
            break  # the questions begin (a second 编号 is the questionnaire's own)
        seen.add(h)
        out[j] = kind
    own_id = any(
        cb.match_header(table, raw.headers[j]).field == "respondent_id"
        for j in range(len(heads)) if j not in out
    )  # fmt: skip
    return {
        j: HeaderMatch("field", "respondent_id") if k == "id" and not own_id
        else HeaderMatch("ignore") if k in ("id", "ignore") else HeaderMatch("personal")
        for j, k in out.items()
    }  # fmt: skip


_OTHER = re.compile(r"^(?P<opt>[^〖]*?)\s*〖(?P<text>.*)〗\s*$", re.S)


def _other_texts(
    t: Table, raw: RawFrame, cb: Codebook, cols: dict[str, int], multi: dict[int, int],
    notes: list[dict[str, Any]],
) -> None:  # fmt: skip
    """问卷星 writes an "other, please specify" answer as ``其他〖在家带孩子〗``: the option is
    kept (``其他``) and the text moved to the table's free-text field (appended, so it is
    redacted like any free text); a warning per column says how many."""
    fields = [cols[f.name] for f in t.fields.values()
              if f.dtype in ("category", "level") and f.name in cols]  # fmt: skip
    targets = fields + list(multi.values())
    free = next((f for f in t.fields.values() if f.free_text and f.name in cols), None)
    for j in targets:
        col = raw.data[f"c{j}"]
        has = col.str.contains("〖", regex=False, na=False).to_numpy()
        if not has.any():
            continue
        opts = col.copy()
        moved = pd.Series(None, index=col.index, dtype=object)
        for i in np.flatnonzero(has):
            parts, texts = [], []
            for part in re.split(r"(┋)", col.iat[i]):
                m = _OTHER.match(part)
                if m:
                    opt = m.group("opt").strip() or "其他"
                    parts.append("其他" if opt.startswith("其他") else opt)  # 其他（请注明）
                    if m.group("text").strip():
                        texts.append(m.group("text").strip())
                else:
                    parts.append(part)
            opts.iat[i] = "".join(parts)
            moved.iat[i] = "；".join(texts) or None
        raw.data[f"c{j}"] = opts
        header = raw.headers[j]
        if free is not None:
            fc = f"c{cols[free.name]}"
            base = raw.data[fc]
            add = moved.map(lambda x, h=header: None if x is None else f"（{h}·其他）{x}")
            joined = [
                (a if b is None else b if a is None or not str(a).strip() else f"{a}；{b}")
                for a, b in zip(base, add, strict=True)
            ]
            raw.data[fc] = pd.Series(joined, index=base.index, dtype=object)
        where = "移入“" + free.label + "”" if free is not None else "未保存（表中没有自由文本列）"
        notes.append(
            P.one(P.WARNING, "other_text", f"问卷星“其他〖…〗”答案 {int(has.sum())} 个：选项按"
                  f"“其他”计，补充文字{where}", file=raw.file, sheet=raw.sheet,
                  row=int(raw.rows[np.flatnonzero(has)[0]]), column=header)
        )  # fmt: skip


def _holds_names(
    header: str, col: pd.Series, raw: RawFrame, cb: Codebook, t: Table, places: set[str] | None
) -> bool:
    """An unmapped column holding people's names: its header says so, or its content does."""
    if header and name_header(header):
        return True
    known = set(places or ())
    for j, h in enumerate(raw.headers):  # this file's own township/village names
        m = cb.match_header(t.name, h)
        if m.kind == "field" and m.field in ("township", "village", "community", "psu"):
            known |= {norm_name(v) for v in pd.unique(raw.data[f"c{j}"].dropna())}
    return name_column(col, known)


def _stripped(col: pd.Series) -> pd.Series:
    """The column's texts without surrounding whitespace; a cell that is not text is missing
    (vectorised for Arrow/str columns, one cell at a time otherwise)."""
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
        return col.str.strip()
    return col.map(lambda v: v.strip() if isinstance(v, str) else None).astype("string")


#: numpy's variable-width string dtype: a column of long free texts is not padded to its longest
_TEXT = np.dtypes.StringDType()


def _redact_own(
    t: Table, out: dict[str, pd.Series], headers: dict[str, str], raw: RawFrame,
    personal_cols: list[int], probs: list[pd.DataFrame],
) -> None:  # fmt: skip
    """The row's own personal values (its name, phone, address… from the dropped columns)
    found inside its free text are redacted too (a respondent signing their suggestion)."""
    # each own value as a plain string ("" where missing or shorter than 2 characters), so
    # that "does the text contain it" is one vectorised search per column (np.strings.find)
    own = []
    for j in personal_cols:
        s = _stripped(raw.data[f"c{j}"]).fillna("").to_numpy(dtype=object).astype(_TEXT)
        s[np.strings.str_len(s) < 2] = ""
        if (s != "").any():
            own.append(s)
    if not own:
        return
    for f in t.fields.values():
        if f.dtype != "string" or f.personal or f.name == "respondent_id" or f.name not in out:
            continue
        col = out[f.name]
        present = col.notna().to_numpy()
        if not present.any():
            continue
        texts = col.to_numpy(dtype=object)
        as_str = np.where(present, texts, "").astype(_TEXT)
        hit = np.zeros(len(col), dtype=bool)
        for s in own:
            hit |= (s != "") & (np.strings.find(as_str, s) >= 0)
        for i in np.flatnonzero(hit):  # the few texts that quote their own person
            texts[i] = redact_values(texts[i], [str(s[i]) for s in own if s[i]])
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
        na = status == V.NOT_APPLICABLE
        if na.any():  # "—", "/", "不适用": missing, counted and reported
            if f.required:
                probs.append(
                    P.cells(na, severity=P.ERROR, rule="required", message=f"必填项“{f.label}”填的是"
                            "“不适用”类符号（—、/、不适用），没有数值；请填数值（没有则填 0）",
                            values=col, **where)
                )  # fmt: skip
            else:
                probs.append(
                    P.cells(na, severity=P.WARNING, rule="not_applicable",
                            message=f"“{f.label}”填的是“不适用”类符号（—、/、不适用、无），按缺失处理",
                            values=col, **where)
                )  # fmt: skip
        zero = status == V.NONE_ZERO
        if zero.any():  # "无" in a count: 0, counted and reported
            probs.append(
                P.cells(zero, severity=P.WARNING, rule="none_as_zero",
                        message=f"“{f.label}”填“无”，按 0 计", values=col, **where)
            )  # fmt: skip
        status = np.where(zero, V.OK, np.where(na, V.MISSING, status)).astype(np.int8)
        if f.required:
            status = np.where(na, V.NOT_APPLICABLE, status).astype(np.int8)  # reported above
        s = _typed(parsed, f)
        if parsed.num is not None:
            probs.append(_range(parsed.num, f, col, where))
            probs.append(_fractions(parsed.num, f, col, where))
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


def _fractions(x: np.ndarray, f: Field, raw: pd.Series, where: dict[str, Any]) -> pd.DataFrame:
    """A ``%`` field (its range allows percentages: no ``max`` ≤ 1) whose every value lies in
    [0, 1]: 60.5 % stored as 0.605 where the file cannot tell a percent cell (CSV, a workbook
    whose number formats are lost) or typed so. A warning at its first value listing the
    values; nothing is scaled (the numbers may be 100× too small, or really that small)."""
    if (f.unit or "").strip() not in ("%", "％") or (f.max is not None and f.max <= 1):
        return P.empty()
    ok = ~np.isnan(x)
    vals = x[ok]
    if len(vals) < 2 or not (vals <= 1).all() or not (vals > 0).any():
        return P.empty()
    if raw.astype("string").str.contains("%|％", regex=True, na=False).any():
        return P.empty()
    first = np.zeros(len(x), dtype=bool)
    first[np.flatnonzero(ok)[0]] = True
    shown = "、".join(f"{v:g}" for v in vals[:6]) + ("…" if len(vals) > 6 else "")
    example = f"{vals[vals > 0][0]:g}"
    return P.cells(
        first, severity=P.WARNING, rule="percent_as_fraction",
        message=f"疑似以小数形式保存的百分比：“{f.label}”的单位是 %，但这一列的 {len(vals)} 个数全在 "
        f"0–1 之间（{shown}），可能是把百分数存成了小数（如 {example} 应为 "
        f"{float(example) * 100:g}）；程序不会自动换算，请核对后改正", values=raw, **where,
    )  # fmt: skip


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
