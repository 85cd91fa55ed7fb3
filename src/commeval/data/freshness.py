"""Is a processed folder current for its raw folder and configuration?

Ingestion records in the processed manifest ONE key of its inputs, ``input_key``
(:func:`input_key`, built with :func:`commeval.keys.key`): the hashes of the raw files
``dataset.yaml`` names, of ``dataset.yaml`` itself, the contract's fingerprint and schema
version (a project's fields.yaml extends the contract), the codebook's fingerprint and
commeval's own files (:func:`commeval.keys.package_hash`). :func:`is_current` builds the same
key from the raw folder as it is now and compares: a changed data file, dataset.yaml,
fields.yaml, codebook or commeval makes the data stale; so does a manifest without the key (one
written by an older commeval), which is re-made, not an error."""

from __future__ import annotations

import json
from pathlib import Path

from commeval.data.codebook import Codebook, resolve_codebook
from commeval.data.contract import Contract
from commeval.data.contract import contract as packaged
from commeval.data.dataset import contained, read_yaml, table_files
from commeval.keys import file_hash, key, package_hash


def raw_file_hashes(raw_dir: str | Path) -> dict[str, str]:
    """sha256 of every file ``dataset.yaml`` names (and of dataset.yaml itself), by file name."""
    raw = Path(raw_dir)
    out: dict[str, str] = {}
    meta_path = raw / "dataset.yaml"
    names: list[str] = []
    if meta_path.is_file():
        meta = _meta(raw)
        for table, spec in (
            (meta.get("files") or {}).items() if isinstance(meta.get("files"), dict) else []
        ):  # a list or glob: every file it names now (a new return makes the data stale)
            names += [e["path"] for e in table_files(raw, str(table), spec)[0]]
        names.append("dataset.yaml")
    else:
        names = sorted(p.name for p in raw.iterdir() if p.is_file())
    for name in names:
        path = contained(raw, name)  # never hash (or read) anything outside the folder
        if path is not None and path.is_file():
            out[name] = file_hash(path)
    return out


def input_key(
    files: dict[str, str],
    dataset_yaml: str | None,
    contract: Contract,
    codebook_fp: str,
) -> str:
    """THE key of a processed folder's inputs (:mod:`commeval.keys`, tag ``processed``): the
    raw data files' hashes by file name (``files``, dataset.yaml excluded), dataset.yaml's hash
    (None without one), the contract's fingerprint and schema version, the codebook's
    fingerprint and commeval's own files. Ingestion records it in the manifest with the files
    it read; :func:`is_current` rebuilds it from the raw folder."""
    return key(
        "processed",
        files={k: v for k, v in files.items() if k != "dataset.yaml"},
        dataset_yaml=dataset_yaml,
        contract=contract.fingerprint,
        schema_version=contract.schema_version,
        codebook=codebook_fp,
        code=package_hash(),
    )


def is_current(
    raw_dir: str | Path,
    processed_dir: str | Path,
    *,
    contract: Contract | None = None,
    codebook: Codebook | str | Path | None = None,
) -> bool:
    """True when the processed manifest's ``input_key`` is the key (:func:`input_key`) of the
    raw files' current hashes, ``dataset.yaml``'s, the fingerprint of ``contract`` (default:
    the packaged one; a project's extended by its fields.yaml), that of the codebook the data
    are read with (``codebook``, a project's, extended by the dataset's own) and commeval's own
    files. A changed data file, dataset.yaml, fields.yaml, codebook or commeval makes the data
    stale; so does a manifest without ``input_key`` (an older commeval's)."""
    manifest = Path(processed_dir) / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    made_with = recorded.get("input_key") if isinstance(recorded, dict) else None
    if not made_with:
        return False  # written by an older commeval (no input key): re-made
    c = contract or packaged()
    if recorded.get("schema_version") != c.schema_version:
        return False  # the layout the manifest declares is not this commeval's: re-made
    current = raw_file_hashes(raw_dir)
    if not any(k != "dataset.yaml" for k in current):
        return False  # no raw data file (processing says why)
    try:
        expected = codebook_fingerprint(raw_dir, codebook, c)
    except ValueError:  # a broken codebook: processing will say what is wrong
        return False
    return made_with == input_key(current, current.get("dataset.yaml"), c, expected)


def codebook_fingerprint(
    raw_dir: str | Path, codebook: Codebook | str | Path | None, c: Contract
) -> str:
    """Fingerprint of the codebook a dataset is read with (remembered per process for unchanged
    codebook files)."""
    if isinstance(codebook, Codebook):
        own = _dataset_codebook_path(Path(raw_dir))
        if own is None:
            return resolve_codebook(codebook, contract=c).fingerprint
        return resolve_codebook(own, contract=c, base=codebook).fingerprint
    paths = [Path(codebook)] if codebook is not None else []
    own = _dataset_codebook_path(Path(raw_dir))
    stamp = tuple((str(p.resolve()), _stamp(p)) for p in [*paths, *([own] if own else [])])
    return _codebook_fp(str(raw_dir), None if codebook is None else str(codebook), stamp, c)


def _stamp(path: Path) -> str:
    return file_hash(path) if path.is_file() else "missing"


_FP: dict[tuple, str] = {}


def _codebook_fp(raw_dir: str, codebook: str | None, stamp: tuple, c: Contract) -> str:
    key = (raw_dir, codebook, stamp, c.fingerprint)
    if key not in _FP:
        from commeval.data.checks import dataset_codebook

        raw = Path(raw_dir)
        _FP[key] = dataset_codebook(raw, _meta(raw), codebook, c).fingerprint
    return _FP[key]


def _meta(raw: Path) -> dict:
    """dataset.yaml as a mapping; {} when missing or unreadable (processing reports why)."""
    meta_path = raw / "dataset.yaml"
    if not meta_path.is_file():
        return {}
    try:
        meta = read_yaml(meta_path)
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _dataset_codebook_path(raw: Path) -> Path | None:
    meta = _meta(raw)
    return contained(raw, meta["codebook"]) if meta.get("codebook") else None
