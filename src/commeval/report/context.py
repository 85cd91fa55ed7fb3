"""The district a report is about: processed tables, the survey design and the index result.

One way through the data: raw → ``commeval.data.ingest`` → processed Parquet → this object →
report sections. ``load_district`` re-ingests only when the raw files changed, and keeps the
evaluated district in memory for the life of the process (a warm worker renders many townships
from one evaluation; the result depends only on the inputs, so no report's state reaches another).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commeval import __version__
from commeval.data.contract import Contract, contract
from commeval.data.freshness import is_current
from commeval.data.ingest import ingest
from commeval.data.processed import default_processed_dir, load_processed

DEFAULT_DATA_DIR = Path("data/raw/sample_district")
MC_DRAWS = 500
MC_SEED = 20121


def ensure_processed(data_dir: str | Path, processed_dir: str | Path | None = None) -> Path:
    """Ingest ``data_dir`` unless the processed tables are current; return the processed dir."""
    processed = Path(processed_dir) if processed_dir else default_processed_dir(data_dir)
    if not is_current(data_dir, processed):
        ingest(data_dir, processed)
    return processed


@dataclass
class District:
    """Everything the reports of one district and assessment year are built from."""

    data_dir: Path
    processed_dir: Path
    tables: dict[str, pd.DataFrame]
    meta: dict[str, Any]
    year: int
    framework: Any
    evaluation: Any
    contract: Contract = field(default_factory=contract)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)  # derived, input-determined

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.tables["villages"]["year"].unique())

    @property
    def previous_year(self) -> int | None:
        earlier = [y for y in self.years if y < self.year]
        return earlier[-1] if earlier else None

    @cached_property
    def townships(self) -> list[str]:
        """Townships in the contract table's order."""
        return [str(t) for t in self.tables["townships"]["township"]]

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic"))

    @property
    def name(self) -> str:
        ds = self.meta.get("dataset") or {}
        return str(ds.get("district") or ds.get("name") or self.data_dir.name)

    @cached_property
    def survey(self) -> pd.DataFrame:
        return self.tables["survey"]

    def township_slice(self, township: str) -> dict[str, pd.DataFrame]:
        """The rows of every table that belong to one township."""
        return {
            name: df[df["township"] == township] if "township" in df.columns else df
            for name, df in self.tables.items()
        }

    def input_hash(self, township: str) -> str:
        """Hash of what a township report depends on: the township's slice of processed data,
        the district-wide evaluation it is ranked in, the framework and commeval's version."""
        memo = self.memo.get("input_hashes")
        if memo is None:  # one pass over the tables for every township, kept
            memo = self.memo["input_hashes"] = self.input_hashes()
        return memo[township] if township in memo else self.input_hashes([township])[township]

    def input_hashes(self, townships: list[str] | None = None) -> dict[str, str]:
        """:meth:`input_hash` of many townships at once (default: all of them).

        Every table's rows are hashed once and grouped by township once, instead of masking
        every table per township (2,000 townships × a 400,000-row survey). The digests are
        byte-identical to hashing each township's slice on its own: a row's hash depends only
        on that row, and a slice keeps the table's row order."""
        townships = self.townships if townships is None else list(townships)
        hashes = {t: hashlib.sha256() for t in townships}
        for name, df in sorted(self.tables.items()):
            rows = pd.util.hash_pandas_object(df, index=False).to_numpy()
            if "township" not in df.columns:
                for h in hashes.values():
                    h.update(name.encode())
                    h.update(rows.tobytes())
                continue
            codes, uniques = pd.factorize(df["township"])
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
            group = {u: i for i, u in enumerate(uniques)}
            for t, h in hashes.items():
                h.update(name.encode())
                i = group.get(t)
                if i is not None:
                    h.update(rows[order[bounds[i] : bounds[i + 1]]].tobytes())
        tail = str(self.year).encode() + self.district_key.encode() + __version__.encode()
        for h in hashes.values():
            h.update(tail)
        return {t: h.hexdigest() for t, h in hashes.items()}

    @property
    def district_key(self) -> str:
        """Hash of what the ranking depends on: all processed tables, the framework file, the
        year, the Monte Carlo settings and commeval's version."""
        return self.meta["evaluation_key"]


_CACHE: dict[tuple, District] = {}


def _framework_bytes(framework: str | Path | None) -> bytes:
    if framework:
        return Path(framework).read_bytes()
    return (resources.files("commeval") / "config" / "framework.yaml").read_bytes()


def _evaluation_key(tables: dict[str, Any], framework: str | Path | None, year: int) -> str:
    shas = {k: v["sha256"] for k, v in tables.items()}
    fw = hashlib.sha256(_framework_bytes(framework)).hexdigest()
    blob = json.dumps([shas, fw, year, MC_DRAWS, MC_SEED, __version__], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def disk_memo(processed: Path, key: str, name: str, compute: Callable[[], Any]) -> Any:
    """A derived result computed once per input and kept beside the processed tables
    (``evaluation/<key>-<name>.pkl``, a local cache written atomically; older keys are removed),
    so every worker of a batch run and every re-run reads it instead of computing it again."""
    folder = processed / "evaluation"
    path = folder / f"{key}-{name}.pkl"
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            pass  # unreadable or from another version: compute again
    result = compute()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"*-{name}.pkl"):
        if old != path:
            old.unlink(missing_ok=True)
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return result


def load_district(
    data_dir: str | Path = DEFAULT_DATA_DIR,
    processed_dir: str | Path | None = None,
    year: int | None = None,
    framework: str | Path | None = None,
) -> District:
    """Load (ingesting if needed) and evaluate a district for an assessment year (default: the
    latest year in the data)."""
    from commeval.index import evaluate, load_framework

    data_dir = Path(data_dir)
    processed = ensure_processed(data_dir, processed_dir)
    manifest = (processed / "manifest.json").read_text(encoding="utf-8")
    key = (str(processed.resolve()), manifest, year, str(framework))
    if key in _CACHE:
        return _CACHE[key]
    tables, meta = load_processed(processed)
    meta["tables"] = json.loads(manifest).get("tables", {})
    years = sorted(int(y) for y in tables["villages"]["year"].unique())
    if year is None:
        year = years[-1]
    elif year not in years:
        raise ValueError(f"评估年度 {year} 不在数据中（有 {years}）")
    fw = load_framework(framework) if framework else load_framework()
    meta["evaluation_key"] = _evaluation_key(meta["tables"], framework, year)
    result = disk_memo(
        processed,
        meta["evaluation_key"],
        "index",
        lambda: evaluate(tables, fw, year=year, mc_draws=MC_DRAWS, seed=MC_SEED),
    )
    district = District(
        data_dir=data_dir,
        processed_dir=processed,
        tables=tables,
        meta=meta,
        year=year,
        framework=fw,
        evaluation=result,
    )
    _CACHE.clear()  # one district per process at a time
    _CACHE[key] = district
    return district
