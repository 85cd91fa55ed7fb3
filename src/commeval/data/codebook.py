"""The codebook (代码本): source headers → canonical fields, answer texts → contract codes.

The contract's own labels, canonical names, codes and level labels are always known; the YAML
codebook (``config/codebook.yaml``) adds variants, 问卷星 question patterns, multiple-choice
questions and answer synonyms. A user codebook (``dataset.yaml: codebook: my.yaml`` or the
``codebook`` argument) extends the default one. Validated on load; errors name file, key, value.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from commeval import keys
from commeval.data.contract import Contract
from commeval.data.contract import contract as _packaged
from commeval.errors import InputError

TOP_KEYS = {
    "version",
    "extends",
    "missing_values",
    "ignore_headers",
    "personal_headers",
    "headers",
    "header_patterns",
    "multi_choice",
    "values",
}
_QNUM = re.compile(r"^(第?\d+题?[、.:)\]]|第\d+题|q\d+[.、:_)]?)", re.I)
_ANNOT = re.compile(r"[(\[【](单选题|多选题|必答题?|必填|填空题|矩阵单选题|量表题|下拉框)[)\]】]")
_TRAIL = re.compile(r"[:?*]+$")
_OPTION = re.compile(r"^(?P<q>.+?)(?::?\((?P<o1>[^()]+)\)|[:\-_—|](?P<o2>[^:\-_—|]+))$")
#: a 问卷星 option sub-column whose question text is left out: ``22、(养老服务)``, ``第22题(养老服务)``
_BARE_OPTION = re.compile(r"^\((?P<o>[^()]+)\)$")
_DASHES = str.maketrans({"–": "-", "—": "-", "~": "-", "～": "-", "至": "-"})


class CodebookError(InputError, ValueError):
    """A codebook file is malformed; the message names the file, key and value."""


def norm_header(text: Any) -> str:
    """Normalise a source header for lookup (NFKC, no spaces, no question number, lower case)."""
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"\s+", "", s)
    s = _ANNOT.sub("", s)
    s = _QNUM.sub("", s)
    s = _TRAIL.sub("", s)
    return s.lower()


def norm_value(text: Any) -> str:
    """Normalise an answer text for lookup (NFKC, stripped, dashes unified, lower case)."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    return re.sub(r"\s+", "", s).translate(_DASHES).lower()


@dataclass(frozen=True)
class HeaderMatch:
    """How a source header maps: kind is field, personal, ignore, option, multi or unmapped."""

    kind: str
    field: str = ""
    question: int = -1


@dataclass(frozen=True)
class MultiChoice:
    questions: tuple[str, ...]
    options: dict[str, str]  # normalised option text → field

    @property
    def order(self) -> tuple[str, ...]:
        """The option fields in the question's order (option code 1, 2, … in 问卷星 exports)."""
        return tuple(dict.fromkeys(self.options.values()))


@dataclass
class Codebook:
    source: str
    contract: Contract
    missing_values: frozenset[str]
    ignore_headers: frozenset[str]
    personal_headers: frozenset[str]
    headers: dict[str, dict[str, str]]  # table → normalised header → field
    patterns: list[re.Pattern[str]]
    multi_choice: dict[str, list[MultiChoice]]
    bool_values: dict[str, bool]
    value_maps: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: the (merged) codebook document this was built from; a further codebook extends it
    doc: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def fingerprint(self) -> str:
        """The key of the codebook document and the contract it was built for (processed data
        made with another codebook or contract are stale)."""
        return keys.key("codebook", doc=self.doc, contract=self.contract.fingerprint)

    def match_header(self, table: str, header: Any) -> HeaderMatch:
        """Map one source header of ``table``."""
        h = norm_header(header)
        if h in self.ignore_headers:
            return HeaderMatch("ignore")
        found = self._lookup(table, h)
        if found:
            return found
        for pat in self.patterns:
            m = pat.match(h)
            if m and m.group("label"):
                found = self._lookup(table, m.group("label"))
                if found:
                    return found
        return HeaderMatch("unmapped")

    def _lookup(self, table: str, h: str) -> HeaderMatch | None:
        name = self.headers.get(table, {}).get(h)
        if name:
            f = self.contract[table].fields[name]
            return HeaderMatch("personal", name) if f.personal else HeaderMatch("field", name)
        if h in self.personal_headers:
            return HeaderMatch("personal")
        for i, mc in enumerate(self.multi_choice.get(table, [])):
            if h in mc.questions:
                return HeaderMatch("multi", question=i)
            m = _OPTION.match(h)
            if m and m.group("q") in mc.questions:
                opt = m.group("o1") or m.group("o2")
                if opt in mc.options:
                    return HeaderMatch("option", mc.options[opt], question=i)
        bare = _BARE_OPTION.match(h)
        if bare:  # the option alone: it must belong to exactly one question of the table
            hits = {
                (i, mc.options[bare.group("o")])
                for i, mc in enumerate(self.multi_choice.get(table, []))
                if bare.group("o") in mc.options
            }
            if len({f for _, f in hits}) == 1:
                i, f = min(hits)
                return HeaderMatch("option", f, question=i)
        return None

    def value_map(self, table: str, name: str) -> dict[str, Any]:
        """Normalised answer text → contract value for one field (category/level)."""
        return self.value_maps.get(table, {}).get(name, {})


def _fail(source: str, key: str, value: Any, why: str) -> CodebookError:
    return CodebookError(f"{source}: 键 {key} 的值 {value!r} 无效 — {why}")


def _str_list(source: str, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise _fail(source, key, value, "需要文本列表 (a list of strings)")
    return [str(v) for v in value]


def merge_docs(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Extend a codebook document: lists are concatenated, mappings merged (extra wins)."""
    out = dict(base)
    for k, v in extra.items():
        if k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = merge_docs(out[k], v)
        elif k in out and isinstance(out[k], list) and isinstance(v, list):
            out[k] = out[k] + v
        else:
            out[k] = v
    return out


def parse_codebook(doc: Any, source: str = "<codebook>", c: Contract | None = None) -> Codebook:
    """Validate a codebook document and build a :class:`Codebook`."""
    c = c or _packaged()
    if not isinstance(doc, dict):
        raise _fail(source, "<root>", type(doc).__name__, "代码本须为映射 (must be a mapping)")
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        raise _fail(
            source,
            unknown[0],
            doc[unknown[0]],
            f"未知的键 (unknown key; known: {sorted(TOP_KEYS)})",
        )
    missing = frozenset(
        str(v).strip() for v in _str_list(source, "missing_values", doc.get("missing_values"))
    )
    ignore = frozenset(
        norm_header(h) for h in _str_list(source, "ignore_headers", doc.get("ignore_headers"))
    )
    personal = frozenset(
        norm_header(h) for h in _str_list(source, "personal_headers", doc.get("personal_headers"))
    )

    headers: dict[str, dict[str, str]] = {}
    for tname, table in c.tables.items():
        m: dict[str, str] = {}
        for f in table.fields.values():
            for h in (f.name, f.label):
                prev = m.setdefault(norm_header(h), f.name)
                if prev != f.name:
                    raise _fail(
                        c.source,
                        f"tables.{tname}.fields.{f.name}.label",
                        h,
                        f"与字段 {prev} 的表头相同",
                    )
        headers[tname] = m
    for tname, fields in (doc.get("headers") or {}).items():
        key = f"headers.{tname}"
        if tname not in c.tables:
            raise _fail(source, key, tname, f"未知的表 (unknown table; known: {sorted(c.tables)})")
        if not isinstance(fields, dict):
            raise _fail(source, key, fields, "需要 字段: [表头, …] 的映射")
        for fname, variants in fields.items():
            if fname not in c[tname].fields:
                raise _fail(
                    source, f"{key}.{fname}", fname, f"表 {tname} 没有这个字段 (unknown field)"
                )
            for v in _str_list(source, f"{key}.{fname}", variants):
                prev = headers[tname].setdefault(norm_header(v), fname)
                if prev != fname:
                    raise _fail(
                        source,
                        f"{key}.{fname}",
                        v,
                        f"该表头已映射到字段 {prev} (header maps twice)",
                    )

    patterns = []
    for i, p in enumerate(_str_list(source, "header_patterns", doc.get("header_patterns"))):
        try:
            rx = re.compile(p)
        except re.error as e:
            raise _fail(source, f"header_patterns[{i}]", p, f"正则表达式无效: {e}") from None
        if "label" not in rx.groupindex:
            raise _fail(source, f"header_patterns[{i}]", p, "需要命名分组 (?P<label>…)")
        patterns.append(rx)

    multi: dict[str, list[MultiChoice]] = {}
    for tname, questions in (doc.get("multi_choice") or {}).items():
        key = f"multi_choice.{tname}"
        if tname not in c.tables:
            raise _fail(source, key, tname, "未知的表 (unknown table)")
        if not isinstance(questions, list):
            raise _fail(source, key, questions, "需要题目列表 (a list of questions)")
        for i, q in enumerate(questions):
            qkey = f"{key}[{i}]"
            if not isinstance(q, dict) or not isinstance(q.get("options"), dict):
                raise _fail(source, qkey, q, "需要 question 与 options")
            qs = q.get("question")
            qs = [qs] if isinstance(qs, str) else _str_list(source, f"{qkey}.question", qs)
            opts = {}
            for text, fname in q["options"].items():
                f = c[tname].fields.get(str(fname))
                if f is None or f.dtype != "bool":
                    raise _fail(
                        source, f"{qkey}.options.{text}", fname, "选项须映射到布尔字段 (bool field)"
                    )
                opts[norm_header(text)] = str(fname)
            multi.setdefault(tname, []).append(MultiChoice(tuple(norm_header(x) for x in qs), opts))

    for tname, table in c.tables.items():  # multiple-choice questions of a fields file
        questions: dict[str, tuple[str, dict[str, str]]] = {}
        for f in table.fields.values():
            if f.question and f.question_label and f.option:
                q = questions.setdefault(f.question, (f.question_label, {}))
                q[1][norm_header(f.option)] = f.name
        for qlabel, opts in questions.values():
            multi.setdefault(tname, []).append(MultiChoice((norm_header(qlabel),), opts))

    values = doc.get("values") or {}
    if not isinstance(values, dict):
        raise _fail(source, "values", values, "须为映射")
    bool_values: dict[str, bool] = {}
    for k, v in (values.get("bool") or {}).items():
        flag = {"true": True, "false": False}.get(str(k).lower())
        if flag is None:
            raise _fail(source, f"values.bool.{k}", k, "只能是 true 或 false")
        for text in _str_list(source, f"values.bool.{k}", v):
            bool_values[norm_value(text)] = flag

    extra_groups = values.get("groups") or {}
    extra_fields = values.get("fields") or {}
    all_fields = {f.name for t in c.tables.values() for f in t.fields.values()}
    all_groups = {f.group for t in c.tables.values() for f in t.fields.values() if f.group}
    for g in extra_groups:
        if g not in all_groups:
            raise _fail(
                source, f"values.groups.{g}", g, f"未知的字段组 (known: {sorted(all_groups)})"
            )
    for fname in extra_fields:
        if fname not in all_fields:
            raise _fail(source, f"values.fields.{fname}", fname, "未知的字段 (unknown field)")
    value_maps: dict[str, dict[str, dict[str, Any]]] = {}
    for tname, table in c.tables.items():
        for f in table.fields.values():
            if f.dtype not in ("category", "level"):
                continue
            vm: dict[str, Any] = {}
            if f.codes:
                for code, label in f.codes.items():
                    vm[norm_value(label)] = code
            if f.allowed:
                for i, a in enumerate(f.allowed):
                    vm[norm_value(a)] = a
                    if f.allowed_labels:
                        vm[norm_value(f.allowed_labels[i])] = a
            extras = dict(extra_groups.get(f.group) or {}) if f.group else {}
            extras.update(extra_fields.get(f.name) or {})
            for text, val in extras.items():
                key = f"values.fields.{f.name}.{text}"
                if f.codes is not None:
                    try:
                        code = int(val)
                    except (TypeError, ValueError):
                        raise _fail(source, key, val, "须为整数代码") from None
                    if code not in f.codes:
                        raise _fail(source, key, val, f"不是字段 {f.name} 的代码 {sorted(f.codes)}")
                    vm.setdefault(norm_value(text), code)
                else:
                    if str(val) not in (f.allowed or ()):
                        raise _fail(
                            source, key, val, f"不是字段 {f.name} 的取值 {list(f.allowed or ())}"
                        )
                    vm.setdefault(norm_value(text), str(val))
            value_maps.setdefault(tname, {})[f.name] = vm
    return Codebook(
        source=source,
        contract=c,
        missing_values=missing,
        ignore_headers=ignore,
        personal_headers=personal,
        headers=headers,
        patterns=patterns,
        multi_choice=multi,
        bool_values=bool_values,
        value_maps=value_maps,
        doc=doc,
    )


def _read_doc(path: Path) -> dict[str, Any]:
    from commeval.data.guard import GuardError, load_yaml_file

    try:
        doc = load_yaml_file(path)  # a regular file, size and alias-expansion limits
    except FileNotFoundError:
        raise _fail(str(path), "<file>", str(path), "找不到代码本文件 (file not found)") from None
    except GuardError as e:
        raise _fail(str(path), "<file>", str(path), e.message) from None
    except UnicodeDecodeError:
        raise _fail(str(path), "<file>", str(path), "代码本须为 UTF-8 编码") from None
    except yaml.YAMLError as e:
        raise _fail(str(path), "<yaml>", str(e).splitlines()[0], "YAML 语法错误") from None
    return doc if doc is not None else {}


@cache
def _default_doc() -> dict[str, Any]:
    res = resources.files("commeval") / "config" / "codebook.yaml"
    return yaml.safe_load(res.read_text(encoding="utf-8"))


@cache
def default_codebook() -> Codebook:
    """The packaged codebook for the packaged contract (cached)."""
    return parse_codebook(_default_doc(), "commeval/config/codebook.yaml")


_BY_CONTRACT: dict[str, Codebook] = {}


def _default_for(c: Contract | None) -> Codebook:
    """The packaged codebook for contract ``c`` (an extended contract's labels map too)."""
    if c is None or c is _packaged() or c.fingerprint == _packaged().fingerprint:
        return default_codebook()
    fp = c.fingerprint
    if fp not in _BY_CONTRACT:
        _BY_CONTRACT[fp] = parse_codebook(_default_doc(), "commeval/config/codebook.yaml", c)
    return _BY_CONTRACT[fp]


def load_codebook(
    path: str | Path | None = None,
    *,
    base: Codebook | str | Path | None = None,
    contract: Contract | None = None,
) -> Codebook:
    """The codebook at ``path`` extending ``base`` (default: the packaged codebook) — lists
    appended, mappings merged — unless it says ``extends: false``. ``base`` may itself be a
    project's codebook (packaged → project ``config/codebook.yaml`` → dataset codebook).
    ``contract`` (default: the base's, else the packaged one) is what headers map to; the labels
    of a fields file's extra fields map without any codebook entry."""
    base_cb = resolve_codebook(base, contract=contract)
    c = contract or base_cb.contract
    if path is None:
        return base_cb
    path = Path(path)
    doc = _read_doc(path)
    if not isinstance(doc, dict):
        raise _fail(str(path), "<root>", type(doc).__name__, "代码本须为映射 (must be a mapping)")
    if doc.get("extends", True) is not False:
        parse_codebook(doc, str(path), c)  # errors name the user's file
        doc = merge_docs(base_cb.doc or _default_doc(), {k: v for k, v in doc.items()
                                                          if k != "extends"})  # fmt: skip
    return parse_codebook(doc, str(path), c)


def resolve_codebook(
    codebook: Codebook | str | Path | None,
    contract: Contract | None = None,
    base: Codebook | str | Path | None = None,
) -> Codebook:
    """A codebook object from a codebook, a path (extending ``base``) or None (``base``, else
    the packaged codebook), built for ``contract`` when one is given."""
    if isinstance(codebook, Codebook):
        if contract is None or codebook.contract is contract:
            return codebook
        if codebook.contract.fingerprint == contract.fingerprint:
            return codebook
        return parse_codebook(codebook.doc or _default_doc(), codebook.source, contract)
    if codebook is None and base is None:
        return _default_for(contract)
    if codebook is None:
        return resolve_codebook(base, contract=contract)
    return load_codebook(codebook, base=base, contract=contract)
