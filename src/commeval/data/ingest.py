"""Ingestion (数据导入): raw dataset directory → validated, de-identified processed tables.

``ingest(raw_dir, processed_dir)`` validates everything in one pass (see :mod:`checks`), and only
when there is no error: drops personal data, pseudonymises ``respondent_id`` with a keyed HMAC and
writes Parquet atomically (see :mod:`processed`). Raw files are only ever opened for reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from commeval.data import problems as P
from commeval.data.checks import check_dataset
from commeval.data.codebook import Codebook
from commeval.data.contract import Contract
from commeval.data.freshness import input_key
from commeval.data.privacy import default_salt_path, load_salt, pseudonymise
from commeval.data.processed import write_processed
from commeval.data.schema import cast_table, pandera_schema
from commeval.errors import InputError
from commeval.files import package_hash, sha256_file


class IngestError(InputError):
    """The raw data have errors; nothing was written. ``.problems`` lists them all."""

    def __init__(self, problems: pd.DataFrame):
        self.problems = problems
        n = int((problems["severity"] == P.ERROR).sum())
        first = problems[problems["severity"] == P.ERROR].head(3)
        lines = [
            f"  {r.file} {r.sheet} 第{'' if pd.isna(r.row) else r.row}行 {r.column}: {r.message}"
            for r in first.itertuples()
        ]
        super().__init__(
            f"原始数据有 {n} 个错误，未写入处理后数据 (ingest failed: {n} errors)\n"
            + "\n".join(lines)
        )


@dataclass
class IngestResult:
    tables: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    sources: pd.DataFrame
    dataset: dict[str, Any]
    manifest: dict[str, Any] | None = None


def ingest(
    raw_dir: str | Path,
    processed_dir: str | Path,
    codebook: Codebook | str | Path | None = None,
    salt_path: str | Path | None = None,
    *,
    contract: Contract | None = None,
) -> IngestResult:
    """Validate and process a raw dataset; raises :class:`IngestError` on any error.

    ``contract``: the fields to read and write (default: the packaged contract; a project's is
    ``extend_contract(contract(), "config/fields.yaml")``). ``codebook``: a project's codebook
    (extends the packaged one; the dataset's own extends it in turn). The manifest records the
    contract's fingerprint and extensions and the codebook's fingerprint
    (:func:`~commeval.data.freshness.is_current` compares them)."""
    _check_salt_location(salt_path, raw_dir, processed_dir)
    checked = check_dataset(raw_dir, codebook, contract=contract)
    if not checked.ok:
        raise IngestError(checked.problems)
    c = checked.contract
    tables = {}
    for name, df in checked.tables.items():
        df = df.copy()
        if name == "survey" and "respondent_id" in df:
            df["respondent_id"] = pseudonymise(df["respondent_id"], load_salt(salt_path))
        tables[name] = cast_table(df, c[name])
    guard = schema_problems(tables, c)
    if P.has_errors(guard):
        raise IngestError(P.concat([checked.problems, guard]))
    manifest = write_processed(
        tables,
        processed_dir,
        checked.sources,
        checked.dataset,
        contract=c,
        extra={
            "codebook": {
                "source": checked.codebook.source,
                "fingerprint": checked.codebook.fingerprint,
            },
            "respondent_id": "HMAC-SHA256 pseudonym (keyed; salt kept outside the repository)",
            "dataset_yaml_sha256": _yaml_sha(Path(raw_dir)),
            "commeval_code": package_hash(),
            "input_key": input_key(
                dict(zip(checked.sources["file"], checked.sources["sha256"], strict=True)),
                _yaml_sha(Path(raw_dir)),
                c,
                checked.codebook.fingerprint,
            ),
            "personal_columns_dropped": checked.personal_dropped,
            "redacted_in_text": _redacted(checked.problems),
            "rows": {t: {**n, "rows_written": len(tables[t])} for t, n in checked.counts.items()},
            "warnings": int((checked.problems["severity"] == P.WARNING).sum()),
        },
    )
    return IngestResult(tables, checked.problems, checked.sources, checked.dataset, manifest)


def _redacted(problems: pd.DataFrame) -> dict[str, int]:
    """Text cells redacted at ingestion, by table file stem (the manifest reports the count)."""
    hit = problems[problems["rule"] == "personal_in_text"]
    return {str(k).rsplit(".", 1)[0]: int(v) for k, v in hit.groupby("file").size().items()}


def _yaml_sha(raw_dir: Path) -> str | None:
    path = raw_dir / "dataset.yaml"
    return sha256_file(path) if path.is_file() else None


def _check_salt_location(salt_path: str | Path | None, *data_dirs: str | Path) -> None:
    """The salt must not sit inside the raw or processed data (it would travel with them)."""
    salt = Path(salt_path).expanduser() if salt_path else default_salt_path()
    salt = salt.resolve()
    for d in data_dirs:
        if Path(d).resolve() in salt.parents:
            raise ValueError(
                f"盐值文件 {salt} 不能放在数据目录 {d} 中 (the salt must live outside the data)"
            )


def schema_problems(
    tables: dict[str, pd.DataFrame], contract: Contract | None = None
) -> pd.DataFrame:
    """Final guard before writing: each canonical table against the contract's pandera schema
    (dtypes, ranges, allowed values, unique keys). The rule layer should have caught everything;
    a failure here is reported like any other problem and nothing is written."""
    from pandera.errors import SchemaErrors

    rows = []
    for name, df in tables.items():
        try:
            pandera_schema(name, contract).validate(df, lazy=True)
        except SchemaErrors as e:
            for fc in e.failure_cases.head(1000).itertuples():
                rows.append(
                    P.one(P.ERROR, "schema", f"处理后的表 {name} 不符合数据约定：{fc.check}",
                          file=f"{name}.parquet", field=str(fc.column or ""),
                          value=fc.failure_case)
                )  # fmt: skip
    return P.frame(rows)
