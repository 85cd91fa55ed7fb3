"""The derived-result cache: results computed once per input, kept on disk as Parquet and JSON.

A result (a dataclass of the package, a dict, frames, numbers) is stored as one JSON document
(``<folder>/<key>-<name>.json``) plus one Parquet file per frame in ``<key>-<name>/``. Loading
never runs code: JSON is parsed, Parquet is read, and a dataclass is rebuilt only when its class
was registered (:func:`register`) by the layer that owns it — this module, on the ground floor,
imports no class by name, so every cross-layer import stays visible to the import contract —
and a processed folder on a shared drive is data, not a way to run code (as a pickle would be). Anything the cache cannot hold raises
:class:`UnstorableError`; :func:`memo` then just computes (a cache, not a requirement).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commeval.errors import CommevalError
from commeval.files import write_atomic

FORMAT = 1


class UnstorableError(CommevalError, TypeError):
    """A value the derived-result cache cannot write (the result is computed, not cached)."""


#: The dataclasses the cache may rebuild, by "module:qualname", filled by their owners.
_REGISTRY: dict[str, type] = {}


def register(*classes: type) -> None:
    """Let the cache store and rebuild these dataclasses of ``commeval`` (called by the module
    that owns them or the layer that caches them, e.g. :mod:`commeval.district`)."""
    for cls in classes:
        if not dataclasses.is_dataclass(cls) or not cls.__module__.startswith("commeval."):
            raise TypeError(f"{cls!r} is not a dataclass of commeval")
        _REGISTRY[_name(cls)] = cls


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _encode(obj: Any, frames: dict[str, pd.DataFrame]) -> Any:
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        x = float(obj)
        return x if math.isfinite(x) else {"$float": repr(x)}
    if isinstance(obj, np.bool_):
        return bool(obj)
    if obj is pd.NA:
        return {"$na": 1}
    if isinstance(obj, pd.DataFrame):
        return _encode_frame(obj, frames)
    if isinstance(obj, pd.Series):
        return {"$series": _encode_frame(obj.to_frame(), frames), "name": _encode(obj.name, frames)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise UnstorableError(f"array of dtype {obj.dtype}")
        return {"$array": _encode(obj.tolist(), frames), "dtype": obj.dtype.str}
    if isinstance(obj, tuple):
        return {"$tuple": [_encode(v, frames) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, frames) for v in obj]
    if isinstance(obj, dict):
        return {"$dict": [[_encode(k, frames), _encode(v, frames)] for k, v in obj.items()]}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        if not cls.__module__.startswith("commeval."):
            raise UnstorableError(f"dataclass {cls.__qualname__} is not commeval's")
        if _REGISTRY.get(_name(cls)) is not cls:
            raise UnstorableError(f"dataclass {cls.__qualname__} is not registered (register())")
        values = {
            f.name: _encode(getattr(obj, f.name), frames) for f in dataclasses.fields(obj) if f.init
        }
        return {"$dataclass": f"{cls.__module__}:{cls.__qualname__}", "fields": values}
    raise UnstorableError(f"cannot store a {type(obj).__name__}")


def _encode_frame(df: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Typed columns go to Parquet (under positional names, so any column label works); object
    columns (text, mixed values, pd.NA) go to JSON value by value, so they come back as they
    were rather than as pyarrow's reading of them."""
    if isinstance(df.columns, pd.MultiIndex) or isinstance(df.index, pd.MultiIndex):
        raise UnstorableError("a frame with a MultiIndex")
    typed = [i for i in range(df.shape[1]) if not pd.api.types.is_object_dtype(df.dtypes.iloc[i])]
    out: dict[str, Any] = {
        "$frame": None,
        "columns": [_encode(c, frames) for c in df.columns],
        "objects": {
            str(i): [_encode(v, frames) for v in df.iloc[:, i].tolist()]
            for i in range(df.shape[1])
            if i not in typed
        },
        "n": len(df),
    }
    if not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1):
        out["index"] = _encode(df.index.tolist(), frames)
        out["index_name"] = _encode(df.index.name, frames)
    if typed:
        name = f"f{len(frames)}"
        part = df.iloc[:, typed].reset_index(drop=True)
        part.columns = [f"c{i}" for i in typed]
        frames[name] = part
        out["$frame"] = name
    return out


def _decode_frame(obj: dict[str, Any], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    typed = frames[obj["$frame"]] if obj["$frame"] is not None else None
    columns = [_decode(c, frames) for c in obj["columns"]]
    data: dict[int, Any] = {}
    for i in range(len(columns)):
        if str(i) in obj["objects"]:
            values = [_decode(v, frames) for v in obj["objects"][str(i)]]
            data[i] = pd.Series(values, dtype=object)
        else:
            data[i] = typed[f"c{i}"]
    df = pd.DataFrame(data, index=pd.RangeIndex(obj["n"]))
    df.columns = pd.Index(columns, dtype=object if not columns else None)
    if "index" in obj:
        df.index = pd.Index(_decode(obj["index"], frames), name=_decode(obj["index_name"], frames))
    return df


def _decode(obj: Any, frames: dict[str, pd.DataFrame]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, frames) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "$float" in obj:
        return float(obj["$float"])
    if "$na" in obj:
        return pd.NA
    if "$frame" in obj:
        return _decode_frame(obj, frames)
    if "$series" in obj:
        return _decode_frame(obj["$series"], frames).iloc[:, 0].rename(_decode(obj["name"], frames))
    if "$array" in obj:
        return np.asarray(_decode(obj["$array"], frames), dtype=np.dtype(obj["dtype"]))
    if "$tuple" in obj:
        return tuple(_decode(v, frames) for v in obj["$tuple"])
    if "$dict" in obj:
        return {_decode(k, frames): _decode(v, frames) for k, v in obj["$dict"]}
    if "$dataclass" in obj:
        name = obj["$dataclass"]
        if not name.startswith("commeval."):
            raise ValueError(f"not a commeval class: {name.split(':')[0]}")
        cls = _REGISTRY.get(name)
        if cls is None:
            raise ValueError(f"{name} is not a registered class (commeval.derived.register)")
        return cls(**{k: _decode(v, frames) for k, v in obj["fields"].items()})
    raise ValueError(f"unknown entry {sorted(obj)[:3]}")


def store(folder: Path, name: str, value: Any) -> None:
    """Write ``value`` as ``folder/<name>.json`` (written last) and ``folder/<name>/*.parquet``."""
    frames: dict[str, pd.DataFrame] = {}
    doc = json.dumps({"format": FORMAT, "value": _encode(value, frames)}, ensure_ascii=False)
    part = folder / name
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        for fname, frame in frames.items():
            try:
                frame.to_parquet(tmp / f"{fname}.parquet")
            except (ValueError, TypeError, ImportError) as exc:  # pyarrow type errors
                raise UnstorableError(f"frame {fname}: {exc}") from exc
        (folder / f"{name}.json").unlink(missing_ok=True)
        shutil.rmtree(part, ignore_errors=True)
        tmp.replace(part)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    write_atomic(folder / f"{name}.json", doc)


def load(folder: Path, name: str) -> Any:
    """The value :func:`store` wrote; raises ``FileNotFoundError`` or ``ValueError`` when it is
    missing or unreadable."""
    doc = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    if doc.get("format") != FORMAT:
        raise ValueError("another cache format")
    frames = {p.stem: pd.read_parquet(p) for p in (folder / name).glob("*.parquet")}
    return _decode(doc["value"], frames)


def memo(folder: Path, key: str, name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per ``key`` (a :func:`commeval.keys.key` of the inputs, e.g. the
    district key): read ``folder/<key>-<name>`` when it is there, else
    compute, store (removing older keys of ``name``) and return it."""
    entry = f"{key}-{name}"
    try:
        return load(folder, entry)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ImportError):
        pass  # absent, unreadable or from another version of a class: compute again
    result = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"*-{name}.json"):
            if old.stem != entry:
                old.unlink(missing_ok=True)
                shutil.rmtree(folder / old.stem, ignore_errors=True)
        store(folder, entry, result)
    except (UnstorableError, OSError):
        pass  # not cacheable here (read-only folder, a value the cache cannot hold)
    return result
