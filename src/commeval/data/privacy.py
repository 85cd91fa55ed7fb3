"""Privacy at ingestion (个人信息保护): personal columns are dropped, ID and mobile numbers found in
any text are redacted, and respondent IDs become keyed pseudonyms (HMAC-SHA256).

The salt (key) lives outside the repository: ``salt_path`` argument, else ``$COMMEVAL_SALT_FILE``,
else ``~/.config/commeval/salt``; created on first use from ``secrets.token_bytes`` with mode 0600.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import stat
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REDACTED = "［已隐去］"
# 18-digit resident ID (checksum not verified) and 11-digit mainland mobile numbers.
ID_NUMBER = r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"
MOBILE = r"(?<!\d)1[3-9]\d{9}(?!\d)"
PERSONAL_PATTERN = re.compile(f"{ID_NUMBER}|{MOBILE}")
SALT_ENV = "COMMEVAL_SALT_FILE"
PSEUDONYM_HEX = 24  # 96 bits: collisions are negligible even for millions of respondents


def find_personal(values: pd.Series) -> np.ndarray:
    """Boolean mask: which text cells contain an ID number or a mobile number."""
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    if len(uniq) == 0:
        return np.zeros(len(values), dtype=bool)
    hit = pd.Series(uniq, dtype=object).astype(str).str.contains(PERSONAL_PATTERN, regex=True)
    flags = np.append(hit.to_numpy(dtype=bool), False)
    return flags[codes]


def redact(text: str) -> str:
    """Replace every ID or mobile number inside a text by ``［已隐去］``."""
    return PERSONAL_PATTERN.sub(REDACTED, text)


def default_salt_path() -> Path:
    env = os.environ.get(SALT_ENV)
    return Path(env).expanduser() if env else Path.home() / ".config" / "commeval" / "salt"


def load_salt(path: str | Path | None = None) -> bytes:
    """The pseudonymisation key; generated (32 random bytes, mode 0600) when absent."""
    p = Path(path).expanduser() if path else default_salt_path()
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # created concurrently
            return p.read_bytes()
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
            fh.flush()
            os.fsync(fh.fileno())
    mode = stat.S_IMODE(p.stat().st_mode)
    if mode & 0o077:
        warnings.warn(
            f"盐值文件 {p} 的权限为 {oct(mode)}，其他用户可读；建议 chmod 600 (salt file readable by others)",
            stacklevel=2,
        )
    salt = p.read_bytes()
    if len(salt) < 16:
        raise ValueError(f"盐值文件 {p} 太短（{len(salt)} 字节，至少 16）(salt file too short)")
    return salt


def pseudonymise(ids: pd.Series, salt: bytes) -> pd.Series:
    """Keyed pseudonyms: first 24 hex digits of HMAC-SHA256(salt, id)."""
    digest = hmac.digest
    vals = ids.astype(object).to_numpy()
    missing = pd.isna(vals)
    out = np.empty(len(vals), dtype=object)
    out[missing] = None
    n = PSEUDONYM_HEX // 2
    out[~missing] = [digest(salt, str(v).encode(), "sha256")[:n].hex() for v in vals[~missing]]
    return pd.Series(out, index=ids.index, dtype="string")
