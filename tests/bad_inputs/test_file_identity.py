"""File identity by content (magic numbers): a ZIP or xlsx named .csv, an encrypted Office file,
a UTF-8 file cut inside a character — each its own message, exit 2, raw files untouched."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from commeval.data.checks import check_dataset
from commeval.data.readers import OLE2
from commeval.data.validate import run_validate


def _hashes(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


def _zip(root: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("villages.csv", (root / "villages.csv").read_bytes())
    (root / "villages.csv").write_bytes(buf.getvalue())


def _encrypted(root: Path) -> None:
    body = OLE2 + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 2048
    (root / "villages.csv").write_bytes(body)


def _truncated_utf8(root: Path) -> None:
    data = (root / "villages.csv").read_bytes()
    cut = data.rstrip(b"\r\n")
    (root / "villages.csv").write_bytes(cut + "镇".encode()[:2])


CASES = [
    ("zip_named_csv", _zip, "unsupported_format", "ZIP 压缩包"),
    ("encrypted", _encrypted, "encrypted", "文件设有密码，请取消密码后重新导出"),
    ("truncated_utf8", _truncated_utf8, "truncated", "中途被截断"),
]


@pytest.mark.parametrize("name,build,rule,message", CASES, ids=[c[0] for c in CASES])
def test_file_identity(base_raw, tmp_path, name, build, rule, message):
    raw = tmp_path / "raw"
    shutil.copytree(base_raw, raw)
    build(raw)
    before = _hashes(raw)
    p = check_dataset(raw).problems
    hit = p[p["rule"] == rule]
    assert len(hit) == 1, p.to_string()
    assert message in hit.iloc[0]["message"] and hit.iloc[0]["file"] == "villages.csv"
    if name == "truncated_utf8":
        n = (raw / "villages.csv").read_bytes().count(b"\n") + 1
        assert hit.iloc[0]["row"] == n
    out = io.StringIO()
    assert run_validate(raw, tmp_path / "report", out=out) == 2
    assert message in out.getvalue()
    assert _hashes(raw) == before


def test_xlsx_named_csv_is_read_as_xlsx(base_raw, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(base_raw, raw)
    df = pd.read_csv(raw / "villages.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    df.to_excel(raw / "tmp.xlsx", index=False)
    (raw / "villages.csv").write_bytes((raw / "tmp.xlsx").read_bytes())
    (raw / "tmp.xlsx").unlink()
    checked = check_dataset(raw)
    assert checked.ok, checked.problems.to_string()
    assert len(checked.tables["villages"]) == len(df)
