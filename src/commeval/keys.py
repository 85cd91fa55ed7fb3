"""THE scheme of input keys: every cache key and content hash of the package is built here.

A key answers "has anything this result depends on changed?". It is always built the same way:
:func:`key` hashes (sha256) the canonical JSON — sorted object keys, no whitespace, UTF-8 — of a
tag naming the kind of key and its named parts (hashes of files, of tables, of other keys,
settings). Files are hashed by :func:`file_hash` (remembered per process for an unchanged size
and modification time: a warm worker checks the same raw files before every report), bytes and
texts by :func:`digest`, and the package itself by :func:`package_hash`. No other module calls
``hashlib`` or hashes JSON on its own (``tests/test_keys.py`` checks the source).

The keys, what each covers, and who builds it (docs/architecture.md, "Caching by content",
has the same list as a table):

``processed`` — :func:`commeval.data.freshness.input_key`, recorded in a processed folder's
    ``manifest.json`` as ``input_key``: the hash of every raw file ``dataset.yaml`` names (by
    file name), of ``dataset.yaml`` itself, the contract's fingerprint and schema version (a
    project's fields.yaml extends the contract), the codebook's fingerprint (a project's
    codebook and the dataset's own) and :func:`package_hash`. ``is_current`` recomputes it from
    the raw folder: equal → current; different, or a manifest without it (made by an older
    commeval) → stale, re-ingested.
``district`` — :func:`commeval.district.district_key`: the processed tables' checksums, the
    framework (:func:`commeval.district.framework_fingerprint`: its file, else its content),
    the assessment year, the Monte Carlo draws and seed, the small-cell threshold, the
    contract's fingerprint, the weighting, the interval level and :func:`package_hash`. What
    the evaluation and the survey summaries depend on.
``township`` — :meth:`commeval.district.District.input_hashes`: a township's slice of every
    processed table (a digest of the slice's row hashes; a table without townships whole), the
    year and the district key. What one township's report depends on.
(:func:`commeval.derived.memo` stores a derived result under the key its caller built — the
    district key — as ``<key>-<name>.json``.)
``loaded`` — :func:`commeval.district.load_district`'s in-process memory: the processed
    folder, its manifest, the year, the framework, the draws, the seed and the project's
    configuration files.
``project``, ``outputs``, ``page``, ``index``, ``run`` — :mod:`commeval.pipeline.cache`: the
    project's configuration files (names and contents); the formats and renderer options; a
    township page (its ``township`` key, notebook, package, configuration); the district index
    (district key, year, summary notebook, package, configuration, the reports it links); a
    whole run from cheap inputs (the processed tables' checksums, the processed ``input_key``
    and raw sources of the manifest, year, township selection, notebooks, package,
    configuration).
``contract``, ``codebook`` — :attr:`commeval.data.contract.Contract.fingerprint`,
    :attr:`commeval.data.codebook.Codebook.fingerprint`: every table, field and attribute; the
    codebook document and the contract it was built for.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePath
from typing import Any

_CHUNK = 1 << 20


def digest(data: bytes | str) -> str:
    """Hex sha256 of bytes (a string is hashed as UTF-8)."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def file_digest(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read now (in 1 MiB chunks): the checksum of a file just
    written or to be verified."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def file_hash(path: str | Path) -> str:
    """Hex sha256 of a file as an input of a key, remembered per process for an unchanged path,
    size and modification time (in nanoseconds)."""
    p = Path(path).resolve()
    st = p.stat()
    return _file_hash(str(p), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=1024)
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    return file_digest(path)


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON: strings, finite numbers, booleans, None, lists and objects with
    string keys; paths as POSIX text, tuples and sets as lists (sets sorted), numpy scalars as
    numbers. Anything else is an error, never its ``repr``."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)  # "inf", "nan": JSON has no such numbers
        return value
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and getattr(value, "shape", None) == ():
        return _canonical(item())
    raise TypeError(f"a key part must be plain data, not {type(value).__name__}")


def canonical_json(tag: str, parts: dict[str, Any]) -> str:
    """The text :func:`key` hashes: ``{"key": tag, <parts>}`` with sorted keys, no spaces."""
    if "key" in parts:
        raise ValueError("'key' is the tag's name in a key, not a part")
    doc = {"key": tag, **{name: _canonical(v) for name, v in parts.items()}}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def key(tag: str, /, **parts: Any) -> str:
    """THE key function: hex sha256 of the canonical JSON of ``tag`` (the kind of key, e.g.
    ``"district"``) and the named ``parts`` (plain data: hashes, settings, lists, mappings).
    The same tag and parts give the same key in every process and on every machine; any change
    of a part, or of the tag, gives another."""
    return digest(canonical_json(tag, parts))


#: What shapes a result besides the data: every file of the package matching these patterns
#: (relative to the package folder): code, the YAML configuration (contract, codebook,
#: framework, diagnosis rules), export templates, stylesheets and the report notebooks.
PACKAGE_PATTERNS = ("**/*.py", "config/*.yaml", "templates/*", "notebooks/*.ipynb")


def package_files(root: str | Path | None = None) -> list[Path]:
    """The files :func:`package_hash` covers, sorted (``root``: the package folder, default the
    installed ``commeval``)."""
    base = Path(root) if root is not None else Path(str(resources.files("commeval")))
    found = {
        p
        for pattern in PACKAGE_PATTERNS
        for p in base.glob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    }
    return sorted(found)


def package_hash(root: str | Path | None = None) -> str:
    """The key of the package's own files (:func:`package_files`: relative names and contents)
    — changes whenever any code, configuration, template, stylesheet or report notebook of the
    package changes; the version string is not enough. Computed once per process (per
    ``root``): the package does not change under a running process, and a change takes effect
    in new processes only anyway."""
    return _package_hash(str(Path(root).resolve()) if root is not None else None)


@lru_cache(maxsize=8)
def _package_hash(root: str | None) -> str:
    base = Path(root) if root is not None else Path(str(resources.files("commeval")))
    files = [[p.relative_to(base).as_posix(), file_digest(p)] for p in package_files(base)]
    return key("package", files=files)
