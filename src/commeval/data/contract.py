"""The data contract (数据约定): tables, canonical fields, dtypes, labels and allowed values.

Loaded from ``config/contract.yaml`` and validated on load; every other layer asks this module
about fields instead of hard-coding names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from commeval.errors import InputError

DTYPES = {"string", "int", "float", "bool", "category", "level"}
TABLES = ("townships", "villages", "communities", "survey", "population")


class ContractError(InputError, ValueError):
    """A contract file is malformed; the message names the file, key and value."""


@dataclass(frozen=True)
class Field:
    """One canonical field of a table."""

    name: str
    label: str
    dtype: str
    required: bool = False
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    allowed_labels: tuple[str, ...] | None = None
    codes: dict[int, str] | None = None
    group: str | None = None
    personal: bool = False
    free_text: bool = False
    #: ``built-in`` for the packaged contract, else the fields file that declared the field.
    source: str = "built-in"
    #: how a fields file declared it: a dtype (bool, int, float, category, text) or a survey
    #: kind (likert, yesno, multi, numeric); None for built-in fields.
    kind: str | None = None
    #: for an option column of a multiple-choice question: the question's name and label and
    #: the option's answer text (the column's label is ``<question label>：<option>``).
    question: str | None = None
    question_label: str | None = None
    option: str | None = None
    #: what a blank cell means, when a fields file says so (``blank: 0`` / ``blank: 否``): the
    #: value it stands for (0.0 — 否 for yes/no fields); None: a blank is missing (not counted)
    blank: float | None = None

    @property
    def allowed_values(self) -> tuple[Any, ...] | None:
        """Codes or levels a value may take (None when unrestricted)."""
        if self.codes is not None:
            return tuple(self.codes)
        return self.allowed

    def level_label(self, value: Any) -> str:
        """Chinese label of a level or code (the value itself when unknown)."""
        if self.codes is not None and value in self.codes:
            return self.codes[value]
        if self.allowed and self.allowed_labels and value in self.allowed:
            return self.allowed_labels[self.allowed.index(value)]
        return str(value)


@dataclass(frozen=True)
class Table:
    """A table of the contract: its key and fields in canonical order."""

    name: str
    label: str
    key: tuple[str, ...]
    fields: dict[str, Field] = field(default_factory=dict)

    def group(self, name: str) -> list[str]:
        """Canonical names of the fields in a group (e.g. ``facility``, ``likert``)."""
        return [f.name for f in self.fields.values() if f.group == name]

    @property
    def personal(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.personal]

    @property
    def public_fields(self) -> list[str]:
        """Fields that may reach processed data (everything but personal data)."""
        return [f.name for f in self.fields.values() if not f.personal]


@dataclass(frozen=True)
class Contract:
    schema_version: int
    tables: dict[str, Table]
    source: str
    #: the fields files that extended the packaged contract, in order, as (source, document);
    #: recorded in the processed manifest so processed data describe their own columns.
    extensions: tuple[tuple[str, dict[str, Any]], ...] = ()

    @cached_property
    def fingerprint(self) -> str:
        """The key of every table, field and attribute (not of file names): processed data made
        under another contract (another fields.yaml) are stale."""
        return _fingerprint(self)

    @property
    def extra_fields(self) -> list[tuple[str, Field]]:
        """(table, field) of every field a fields file added, in declaration order."""
        return [
            (t.name, f) for t in self.tables.values() for f in t.fields.values()
            if f.source != "built-in"
        ]  # fmt: skip

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def label(self, table: str, name: str) -> str:
        """Chinese label of a field (the name itself when unknown)."""
        f = self.tables[table].fields.get(name)
        return f.label if f else name


def _fail(source: str, key: str, value: Any, why: str) -> ContractError:
    return ContractError(f"{source}: 键 {key} 的值 {value!r} 无效 — {why}")


def _parse_field(source: str, tname: str, name: str, spec: Any) -> Field:
    key = f"tables.{tname}.fields.{name}"
    if not isinstance(spec, dict):
        raise _fail(source, key, spec, "field spec must be a mapping")
    unknown = set(spec) - {
        "label",
        "dtype",
        "required",
        "unit",
        "min",
        "max",
        "allowed",
        "allowed_labels",
        "codes",
        "group",
        "personal",
        "free_text",
    }
    if unknown:
        raise _fail(source, key, sorted(unknown), "unknown keys")
    dtype = spec.get("dtype")
    if dtype not in DTYPES:
        raise _fail(source, f"{key}.dtype", dtype, f"dtype must be one of {sorted(DTYPES)}")
    if "label" not in spec:
        raise _fail(source, f"{key}.label", None, "every field needs a Chinese label")
    codes = spec.get("codes")
    if codes is not None:
        if dtype != "category" or not isinstance(codes, dict):
            raise _fail(source, f"{key}.codes", codes, "codes go with dtype category, as a map")
        codes = {int(k): str(v) for k, v in codes.items()}
    elif dtype == "category":
        raise _fail(source, f"{key}.codes", None, "dtype category needs codes")
    allowed = spec.get("allowed")
    labels = spec.get("allowed_labels")
    if dtype == "level":
        if not allowed:
            raise _fail(source, f"{key}.allowed", allowed, "dtype level needs allowed values")
        if labels is not None and len(labels) != len(allowed):
            raise _fail(source, f"{key}.allowed_labels", labels, "one label per allowed value")
    return Field(
        name=name,
        label=str(spec["label"]),
        dtype=dtype,
        required=bool(spec.get("required", False)),
        unit=spec.get("unit"),
        min=spec.get("min"),
        max=spec.get("max"),
        allowed=tuple(str(a) for a in allowed) if allowed else None,
        allowed_labels=tuple(str(a) for a in labels) if labels else None,
        codes=codes,
        group=spec.get("group"),
        personal=bool(spec.get("personal", False)),
        free_text=bool(spec.get("free_text", False)),
    )


def parse_contract(doc: Any, source: str = "<contract>") -> Contract:
    """Validate a parsed contract document and build a :class:`Contract`."""
    if not isinstance(doc, dict) or "tables" not in doc:
        raise _fail(source, "tables", None, "a contract needs a 'tables' mapping")
    version = doc.get("schema_version")
    if not isinstance(version, int):
        raise _fail(source, "schema_version", version, "must be an integer")
    tables: dict[str, Table] = {}
    for tname, tspec in doc["tables"].items():
        if not isinstance(tspec, dict) or not isinstance(tspec.get("fields"), dict):
            raise _fail(source, f"tables.{tname}", tspec, "a table needs a 'fields' mapping")
        fields = {n: _parse_field(source, tname, n, s) for n, s in tspec["fields"].items()}
        key = tuple(tspec.get("key", ()))
        for k in key:
            if k not in fields:
                raise _fail(source, f"tables.{tname}.key", k, "key field is not a field")
        tables[tname] = Table(tname, str(tspec.get("label", tname)), key, fields)
    missing = [t for t in TABLES if t not in tables]
    if missing:
        raise _fail(source, "tables", missing, "required tables are missing")
    return Contract(version, tables, source)


def load_contract(path: str | Path | None = None) -> Contract:
    """Load and validate a contract YAML (the packaged one by default)."""
    if path is None:
        return _default_contract()
    path = Path(path)
    return parse_contract(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


@cache
def _default_contract() -> Contract:
    res = resources.files("commeval") / "config" / "contract.yaml"
    return parse_contract(
        yaml.safe_load(res.read_text(encoding="utf-8")), "commeval/config/contract.yaml"
    )


def contract() -> Contract:
    """The packaged contract (cached)."""
    return _default_contract()


def _fingerprint(c: Contract) -> str:
    import dataclasses

    from commeval.keys import key

    return key(
        "contract",
        schema_version=c.schema_version,
        tables={
            t.name: {
                "key": list(t.key),
                "fields": [
                    {k: v for k, v in dataclasses.asdict(f).items() if k != "source"}
                    for f in t.fields.values()
                ],
            }
            for t in c.tables.values()
        },
    )


# --- fields.yaml: a project's extra fields and questionnaire items ----------------------------

#: tables a fields file may extend
FIELD_TABLES = ("townships", "villages", "communities", "survey")
#: fields.yaml dtype → contract dtype (``category`` with integer codes; text values → ``level``)
FIELD_DTYPES = {"bool": "bool", "int": "int", "float": "float", "category": "category",
                "text": "string"}  # fmt: skip
#: survey kinds → (contract dtype, group)
SURVEY_KINDS = {
    "likert": ("category", "likert"),
    "yesno": ("bool", "participation"),
    "multi": ("bool", "multi"),
    "numeric": ("float", None),
}
LIKERT_CODES = {1: "很不满意", 2: "不太满意", 3: "一般", 4: "比较满意", 5: "非常满意", 9: "说不清"}
_FIELD_KEYS = {"label", "dtype", "kind", "unit", "min", "max", "values", "options", "required",
               "description", "blank"}  # fmt: skip
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_OPTION_KEY = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_RESERVED_SUFFIXES = ("_dk", "_top2")


def load_fields(path: str | Path) -> dict[str, Any]:
    """Read a fields file (``config/fields.yaml``); an empty file declares nothing."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(str(path), "<file>", str(path), "找不到字段文件 (file not found)") from None
    except yaml.YAMLError as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise _fail(str(path), "<yaml>", msg, "YAML 语法错误 (not valid YAML)") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise _fail(str(path), "<root>", type(doc).__name__, "须为 表: {字段: 说明} 的映射")
    return doc


def extend_contract(
    base: Contract,
    fields: str | Path | Mapping[str, Any] | None,
    source: str | None = None,
) -> Contract:
    """``base`` plus the extra fields and questionnaire items of a fields file (or an already
    parsed document; ``source`` names it in errors). Errors (:class:`ContractError`) name the
    file, the key and the value. ``None`` or an empty document returns ``base`` itself.

    See docs/data.md（项目字段 fields.yaml）for the format."""
    if fields is None:
        return base
    if isinstance(fields, str | Path):
        source = source or str(fields)
        doc = load_fields(fields)
    elif isinstance(fields, Mapping):
        source = source or "<fields>"
        doc = dict(fields)
    else:
        raise _fail(source or "<fields>", "<root>", type(fields).__name__, "须为映射或文件路径")
    if not doc:
        return base
    from commeval.data.codebook import norm_header  # codebook imports this module

    tables = dict(base.tables)
    for tname, tdoc in doc.items():
        tkey = str(tname)
        if tname not in FIELD_TABLES:
            raise _fail(source, tkey, tname, f"未知的表 (unknown table; use {list(FIELD_TABLES)})")
        if tdoc is None:
            continue
        if not isinstance(tdoc, dict):
            raise _fail(source, tkey, tdoc, "须为 字段名: {label: …, dtype: …} 的映射")
        table = tables[tname]
        fields_out = dict(table.fields)
        # normalised header (name or label) → field, to catch label collisions
        seen: dict[str, str] = {}
        for f in fields_out.values():
            for h in (f.name, f.label):
                seen.setdefault(norm_header(h), f.name)
        for name, spec in tdoc.items():
            for f in _extra_fields(source, tname, name, spec, base):
                key = f"{tname}.{f.question or f.name}"
                if f.name in fields_out:
                    what = "内置字段" if fields_out[f.name].source == "built-in" else "字段"
                    raise _fail(
                        source, key, f.name,
                        f"与{what} {tname}.{f.name}（{fields_out[f.name].label}）重名 "
                        "(collides with an existing field)",
                    )  # fmt: skip
                for h in (f.name, f.label):
                    prev = seen.get(norm_header(h))
                    if prev is not None and prev != f.name:
                        raise _fail(
                            source, f"{key}.label" if h == f.label else key, h,
                            f"与表 {tname} 的字段 {prev}（{fields_out[prev].label}）的名称或中文名相同 "
                            "(a raw header could not tell them apart)",
                        )  # fmt: skip
                    seen[norm_header(h)] = f.name
                fields_out[f.name] = f
        tables[tname] = Table(table.name, table.label, table.key, fields_out)
    return Contract(
        base.schema_version, tables, base.source, (*base.extensions, (source, _plain(doc)))
    )


def _plain(doc: Any) -> Any:
    """A fields document as plain JSON-able data (keys as text), for the processed manifest."""
    if isinstance(doc, Mapping):
        return {str(k): _plain(v) for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [_plain(v) for v in doc]
    return doc


def _number(source: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise _fail(source, key, value, "须为数值 (must be a number)")
    return float(value)


def _extra_fields(  # noqa: C901
    source: str, tname: str, name: Any, spec: Any, base: Contract
) -> list[Field]:
    """The contract field(s) one fields.yaml entry declares (a multi question gives one field per
    option)."""
    key = f"{tname}.{name}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(
            source,
            key,
            name,
            "字段名须为小写英文、数字和下划线，以字母开头 (snake_case, e.g. has_clinic)",
        )
    if not isinstance(spec, dict):
        raise _fail(source, key, spec, "须为 {label: …, dtype: …} 的映射")
    unknown = sorted(set(map(str, spec)) - _FIELD_KEYS)
    if unknown:
        raise _fail(
            source, f"{key}.{unknown[0]}", spec.get(unknown[0]),
            f"未知的键 (unknown key; known: {sorted(_FIELD_KEYS)})",
        )  # fmt: skip
    label = spec.get("label")
    if not isinstance(label, str) or not label.strip():
        raise _fail(source, f"{key}.label", label, "每个字段都需要中文名 label (a non-empty text)")
    label = label.strip()
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise _fail(source, f"{key}.required", required, "须为 true 或 false")
    unit = spec.get("unit")
    if unit is not None and not isinstance(unit, str | int | float):
        raise _fail(source, f"{key}.unit", unit, "须为文本 (a text)")
    unit = None if unit is None else str(unit)

    kind = spec.get("kind")
    dtype_in = spec.get("dtype")
    group = None
    if tname == "survey" and kind is not None:
        if kind not in SURVEY_KINDS:
            raise _fail(source, f"{key}.kind", kind, f"问卷题型须为 {list(SURVEY_KINDS)} 之一")
        if name.endswith(_RESERVED_SUFFIXES):
            raise _fail(
                source, key, name, f"问卷题名不能以 {_RESERVED_SUFFIXES} 结尾（保留给派生列）"
            )
        dtype, group = SURVEY_KINDS[kind]
        if kind == "numeric" and dtype_in is not None:
            if dtype_in not in ("int", "float"):
                raise _fail(
                    source, f"{key}.dtype", dtype_in, "numeric 题的 dtype 须为 int 或 float"
                )
            dtype = dtype_in
        elif dtype_in is not None:
            raise _fail(source, f"{key}.dtype", dtype_in, f"kind {kind} 已决定类型，不能再写 dtype")
        declared = kind
    elif kind is not None:
        raise _fail(source, f"{key}.kind", kind, "kind 只用于 survey 表的问卷题；其他表写 dtype")
    else:
        if dtype_in not in FIELD_DTYPES:
            allowed = list(FIELD_DTYPES) + (
                [f"或 kind: {list(SURVEY_KINDS)}"] if tname == "survey" else []
            )
            raise _fail(source, f"{key}.dtype", dtype_in, f"dtype 须为 {allowed} 之一")
        dtype = FIELD_DTYPES[dtype_in]
        declared = str(dtype_in)

    # ranges: numbers only
    lo, hi = spec.get("min"), spec.get("max")
    if lo is not None or hi is not None:
        if dtype not in ("int", "float"):
            k = f"{key}.min" if lo is not None else f"{key}.max"
            raise _fail(
                source,
                k,
                lo if lo is not None else hi,
                f"min/max 只用于数值字段，{declared} 不能有",
            )
        lo = None if lo is None else _number(source, f"{key}.min", lo)
        hi = None if hi is None else _number(source, f"{key}.max", hi)
        if lo is not None and hi is not None and lo > hi:
            raise _fail(source, f"{key}.min", lo, f"min 大于 max ({hi:g})")
        if dtype == "int":
            lo = None if lo is None else (int(lo) if float(lo).is_integer() else lo)
            hi = None if hi is None else (int(hi) if float(hi).is_integer() else hi)

    values = spec.get("values")
    if values is not None and declared != "category":
        raise _fail(source, f"{key}.values", values, "values 只用于 dtype: category")
    options = spec.get("options")
    if options is not None and declared != "multi":
        raise _fail(source, f"{key}.options", options, "options 只用于 kind: multi")

    blank = None
    if "blank" in spec:
        b = spec["blank"]
        if tname == "survey":
            raise _fail(
                source, f"{key}.blank", b, "blank 只用于乡镇、村、社区表的字段（问卷空白即未答）"
            )
        if dtype == "bool" and b in (0, False, "否", "0"):
            blank = 0.0
        elif dtype in ("int", "float") and isinstance(b, int | float) and not isinstance(b, bool):
            blank = float(b)
        else:
            raise _fail(
                source, f"{key}.blank", b,
                "blank 写空白代表的值：是否字段写 否（或 0），数值字段写一个数（如 0）",
            )  # fmt: skip
    common = dict(required=required, unit=unit, source=source, kind=declared, blank=blank)
    if declared == "category":
        codes, allowed, labels = _values(source, f"{key}.values", values)
        if codes is not None:
            return [Field(name, label, "category", codes=codes, **common)]
        return [Field(name, label, "level", allowed=allowed, allowed_labels=labels, **common)]
    if declared == "likert":
        return [Field(name, label, "category", codes=dict(LIKERT_CODES), group=group, **common)]
    if declared == "multi":
        if not isinstance(options, dict) or not options:
            raise _fail(source, f"{key}.options", options, "多选题需要 options: {选项键: 选项文字}")
        out = []
        texts: set[str] = set()
        for okey, otext in options.items():
            if not isinstance(okey, str | int) or not _OPTION_KEY.match(str(okey)):
                raise _fail(
                    source, f"{key}.options", okey, "选项键须为小写英文或数字 (e.g. a, b, 1)"
                )
            if not isinstance(otext, str | int | float) or not str(otext).strip():
                raise _fail(source, f"{key}.options.{okey}", otext, "选项文字不能为空")
            if str(otext).strip() in texts:
                raise _fail(source, f"{key}.options.{okey}", otext, "选项文字重复")
            texts.add(str(otext).strip())
            out.append(
                Field(f"{name}_{okey}", f"{label}：{str(otext).strip()}", "bool", group=group,
                      question=name, question_label=label, option=str(otext).strip(), **common)
            )  # fmt: skip
        return out
    return [
        Field(name, label, dtype, min=lo, max=hi, group=group,
              free_text=declared == "text", **common)
    ]  # fmt: skip


def _values(
    source: str, key: str, values: Any
) -> tuple[dict[int, str] | None, tuple[str, ...] | None, tuple[str, ...] | None]:
    """``values`` of a category: integer codes → labels (contract ``category``), or text codes →
    labels / a list of texts (contract ``level``)."""
    if isinstance(values, list) and values:
        texts = [str(v).strip() for v in values]
        if any(not t for t in texts) or len(set(texts)) != len(texts):
            raise _fail(source, key, values, "取值不能为空或重复")
        return None, tuple(texts), tuple(texts)
    if not isinstance(values, dict) or not values:
        raise _fail(source, key, values, "category 需要 values: {代码: 中文标签}（或取值列表）")
    labels = [str(v).strip() if v is not None else "" for v in values.values()]
    if any(not lab for lab in labels):
        raise _fail(source, key, values, "每个取值都需要中文标签")
    if len(set(labels)) != len(labels):
        raise _fail(source, key, values, "中文标签重复 (labels must differ)")
    keys = list(values)

    def integer(k: Any) -> bool:  # 1 or "1" (JSON, e.g. a manifest, has text keys only)
        return (isinstance(k, int) and not isinstance(k, bool)) or (
            isinstance(k, str) and re.fullmatch(r"-?\d+", k.strip()) is not None
        )

    if all(integer(k) for k in keys):
        return {int(k): lab for k, lab in zip(keys, labels, strict=True)}, None, None
    if any(isinstance(k, bool) or not isinstance(k, str | int) for k in keys):
        raise _fail(source, key, values, "代码须为整数或文本")
    return None, tuple(str(k) for k in keys), tuple(labels)
