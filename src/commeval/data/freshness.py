"""Is a processed folder current for its raw folder and configuration? (hashes of the raw files,
the contract's fingerprint — a project's fields.yaml — and the codebook's, vs the manifest)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from commeval.data.codebook import Codebook, resolve_codebook
from commeval.data.contract import Contract
from commeval.data.contract import contract as packaged
from commeval.data.dataset import contained, read_yaml, table_files
from commeval.files import package_hash, sha256_file


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
            st = path.stat()
            out[name] = _file_sha256(str(path.resolve()), st.st_size, st.st_mtime_ns)
    return out


@lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a file, remembered per process for an unchanged size and modification time
    (a warm worker checks the same raw files before every report)."""
    return sha256_file(path)


def is_current(
    raw_dir: str | Path,
    processed_dir: str | Path,
    *,
    contract: Contract | None = None,
    codebook: Codebook | str | Path | None = None,
) -> bool:
    """True when the processed manifest records exactly the raw files' current hashes, the
    fingerprint of ``contract`` (default: the packaged one; a project's extended by its
    fields.yaml) and that of the codebook the data are read with (``codebook``, a project's,
    extended by the dataset's own), of ``dataset.yaml`` and of commeval's own code. A changed
    data file, dataset.yaml, fields.yaml, codebook or commeval makes the data stale."""
    manifest = Path(processed_dir) / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    sources = {s["file"]: s["sha256"] for s in recorded.get("sources", [])}
    current = raw_file_hashes(raw_dir)
    data_files = {k: v for k, v in current.items() if k != "dataset.yaml"}
    if not (bool(sources) and all(sources.get(k) == v for k, v in data_files.items())):
        return False
    if "dataset.yaml" in current and not set(sources) <= set(data_files):
        return False  # a file read last time is gone (a return removed from a glob or list)
    if recorded.get("dataset_yaml_sha256") != current.get("dataset.yaml"):
        return False  # dataset.yaml edited (district, synthetic, sheet, header_row…) or broken
    if recorded.get("commeval_code") != package_hash():
        return False  # made by another version of commeval's code
    c = contract or packaged()
    if recorded.get("schema_version") != c.schema_version:
        return False  # written under another processed layout: re-made
    made_under = (recorded.get("contract") or {}).get("fingerprint", packaged().fingerprint)
    if made_under != c.fingerprint:
        return False
    try:
        expected = codebook_fingerprint(raw_dir, codebook, c)
    except ValueError:  # a broken codebook: processing will say what is wrong
        return False
    read_with = (recorded.get("codebook") or {}).get("fingerprint")
    if read_with is None:  # made before codebooks were recorded: current if read by the default
        read_with = resolve_codebook(None, contract=c).fingerprint
    return read_with == expected


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
    if not path.is_file():
        return "missing"
    st = path.stat()
    return _file_sha256(str(path.resolve()), st.st_size, st.st_mtime_ns)


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
