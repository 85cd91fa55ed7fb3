"""Processed tables (处理后数据): Parquet with contract dtypes, written atomically, plus a manifest.

Layout: ``<processed_dir>/<table>.parquet`` (key-value metadata ``commeval``: schema version,
run id, raw file hashes, dataset.yaml content) and ``manifest.json`` (written last). Writing: every
table goes to a temp file in the same directory and is fsync'ed; the old manifest is removed; the
temp files are renamed into place; the new manifest is written the same way. A run interrupted
anywhere leaves no manifest (or a manifest whose hashes/run id do not match), which
:func:`load_processed` detects.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from commeval.data.contract import Contract, extend_contract
from commeval.data.contract import contract as packaged
from commeval.data.schema import cast_table
from commeval.errors import InputError
from commeval.files import atomic_path, fsync_dir, sha256_file, write_atomic

MANIFEST = "manifest.json"
#: ``kind`` of a processed folder's manifest (a report run's manifest is ``commeval.run``).
MANIFEST_KIND = "commeval.processed"
META_KEY = b"commeval"


class ProcessedDataError(InputError, RuntimeError):
    """Processed data are missing, incomplete or do not match their manifest."""


def _json_default(o: Any) -> Any:
    if isinstance(o, dt.date | dt.datetime):
        return o.isoformat()
    return str(o)


def write_processed(
    tables: dict[str, pd.DataFrame],
    processed_dir: str | Path,
    sources: pd.DataFrame,
    dataset: dict[str, Any],
    extra: dict[str, Any] | None = None,
    *,
    contract: Contract | None = None,
) -> dict[str, Any]:
    """Write processed tables atomically; returns the manifest. ``contract`` (default: the
    packaged one) gives the columns and dtypes; its fingerprint and extensions (fields files)
    are recorded in the manifest."""
    out = Path(processed_dir)
    out.mkdir(parents=True, exist_ok=True)
    c = contract or packaged()
    run_id = uuid.uuid4().hex
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    src = sources.to_dict(orient="records")
    entries: dict[str, Any] = {}
    # every table is renamed into place only once all are written and the old manifest is gone
    with ExitStack() as renames:
        for name, df in tables.items():
            meta = {
                "schema_version": c.schema_version,
                "table": name,
                "run_id": run_id,
                "created": created,
                "sources": [s for s in src if s["table"] == name],
                "dataset": dataset,
            }
            arrow = pa.Table.from_pandas(cast_table(df, c[name]), preserve_index=False)
            arrow = arrow.replace_schema_metadata(
                {**(arrow.schema.metadata or {}), META_KEY: json.dumps(meta, ensure_ascii=False,
                                                                     default=_json_default)}
            )  # fmt: skip
            tmp = renames.enter_context(atomic_path(out / f"{name}.parquet"))
            pq.write_table(arrow, str(tmp), compression="zstd")
            entries[name] = {"file": f"{name}.parquet", "rows": len(df), "sha256": sha256_file(tmp)}
        manifest_path = out / MANIFEST
        if manifest_path.exists():
            manifest_path.unlink()
            fsync_dir(out)
    fsync_dir(out)
    manifest = {
        "kind": MANIFEST_KIND,
        "schema_version": c.schema_version,
        "contract": contract_record(c),
        "run_id": run_id,
        "created": created,
        "tables": entries,
        "sources": src,
        "dataset": dataset,
        **(extra or {}),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default)
    write_atomic(manifest_path, text)
    fsync_dir(out)
    return manifest


def contract_record(c: Contract) -> dict[str, Any]:
    """What a manifest records of the contract: its fingerprint and the fields files that
    extended the packaged one (source and document)."""
    return {
        "fingerprint": c.fingerprint,
        "extensions": [{"source": src, "fields": doc} for src, doc in c.extensions],
    }


def recorded_contract(manifest: dict[str, Any]) -> Contract:
    """The contract a processed folder was made under: the packaged one extended by the fields
    files its manifest records."""
    c = packaged()
    for ext in (manifest.get("contract") or {}).get("extensions") or []:
        c = extend_contract(c, ext.get("fields") or {}, str(ext.get("source", "<manifest>")))
    return c


def load_processed(
    processed_dir: str | Path, contract: Contract | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read processed tables (contract dtypes) and their metadata; raises
    :class:`ProcessedDataError` when the set is missing, partial or inconsistent, or — with a
    ``contract`` — made under another contract (another fields.yaml: re-process). Without a
    ``contract`` the one recorded in the manifest is used (extra fields included)."""
    out = Path(processed_dir)
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise ProcessedDataError(
            f"{out} 中没有 {MANIFEST}：处理后的数据不存在或上次处理未完成，请重新运行 commeval process "
            "(no manifest: processed data missing or incomplete)"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ProcessedDataError(f"{manifest_path} 无法解析：{e}") from None
    try:
        made_under = recorded_contract(manifest)
    except ValueError as e:
        raise ProcessedDataError(
            f"{manifest_path} 记录的字段定义无效：{e}，请重新运行 commeval process"
        ) from None
    c = contract or made_under
    if contract is not None and made_under.fingerprint != contract.fingerprint:
        raise ProcessedDataError(
            f"{out} 中的处理后数据是按另一份数据约定（字段定义 fields.yaml）生成的，请重新运行 "
            "commeval process (processed under another contract)"
        )
    if manifest.get("schema_version") != c.schema_version:
        raise ProcessedDataError(
            f"处理后数据的 schema_version={manifest.get('schema_version')} 与当前数据约定 "
            f"{c.schema_version} 不符，请重新运行 commeval process"
        )
    tables = {}
    for name, entry in manifest["tables"].items():
        path = out / entry["file"]
        if not path.is_file():
            raise ProcessedDataError(
                f"处理后数据不完整：缺少 {path.name}（manifest 中列出），请重新运行 commeval process"
            )
        if sha256_file(path) != entry["sha256"]:
            raise ProcessedDataError(
                f"处理后数据不一致：{path.name} 与 manifest 记录的哈希不符（可能是中断的处理或被修改），"
                "请重新运行 commeval process"
            )
        pf = pq.read_table(path)
        meta = json.loads((pf.schema.metadata or {}).get(META_KEY, b"{}"))
        if meta.get("run_id") != manifest["run_id"]:
            raise ProcessedDataError(
                f"处理后数据不一致：{path.name} 不属于 manifest 记录的这次处理"
            )
        tables[name] = cast_table(pf.to_pandas(), c[name])
    meta_out = {
        "schema_version": manifest["schema_version"],
        "run_id": manifest["run_id"],
        "created": manifest["created"],
        "sources": manifest.get("sources", []),
        "dataset": manifest.get("dataset", {}),
        "synthetic": bool((manifest.get("dataset") or {}).get("synthetic", False)),
        **{k: v for k, v in manifest.items() if k not in ("tables",)},
    }
    return tables, meta_out
