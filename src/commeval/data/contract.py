"""The data contract (数据约定): tables, canonical fields, dtypes, labels and allowed values.

Loaded from ``config/contract.yaml`` and validated on load; every other layer asks this module
about fields instead of hard-coding names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
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
