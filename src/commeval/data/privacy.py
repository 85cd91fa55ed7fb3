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
# Written forms are matched on a copy of the text in which full-width digits, signs, brackets and
# spaces are their ASCII selves (same length, so matches redact the original text in place).
_HALF = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "＋": "+", "（": "(", "）": ")",
     "－": "-", "—": "-", "–": "-", "\u3000": " ", "Ｘ": "X", "ｘ": "x", "：": ":"}
)  # fmt: skip
_SEP = r"(?:\s*[-.]\s*|\s{1,2})?"
# 18-digit resident ID (checksum not verified; last character may be X/x), also grouped with
# single spaces or hyphens (6-8-4, 4-4-4-4-2…).
ID_NUMBER = r"(?<![0-9A-Za-z])\d(?:[-\s]?\d){16}[-\s]?[\dXx](?![0-9A-Za-z])"
# Mainland mobiles: 13812345678, 138-1234-5678, 138 1234 5678, +86 138…, +8618603951234,
# 86-138…, (+86)137…, 0086…: with a country prefix the number may follow it directly.
MOBILE = (
    r"(?:(?:\(\s?(?:\+|00)?\s?86\s?\)|(?<![\d+])(?:\+\s?|00)?86)\s*[-.]?\s*|(?<!\d))"
    rf"1[3-9](?:{_SEP}\d){{9}}(?!\d)"  # any grouping: 186-0395-1234, 1860 395 1234
)
# Landlines: 0395-1234567, (0395)12345678, 0395 1234567, 010-12345678, +86 395 1234567.
LANDLINE = (
    r"(?<![\d-])(?:\(0\d{2,3}\)\s?|0\d{2,3}[-\s])\d{7,8}(?![\d-])"
    r"|(?:\+\s?|00)86[-\s]?\(?0?\d{2,3}\)?[-\s]?\d{7,8}(?!\d)"
)
# QQ and WeChat ids after their label: QQ 12345678, QQ号：12345678, 微信号 abc_123, vx: …
QQ = r"(?i:qq|扣扣)\s*号?\s*[:=]?\s*\d{5,11}(?!\d)"
WECHAT = r"(?i:微信|wechat|weixin|vx|wx)\s*号?\s*[:=]?\s*[A-Za-z][-_A-Za-z0-9]{5,19}"
PERSONAL_PATTERN = re.compile(f"{ID_NUMBER}|{MOBILE}|{LANDLINE}|{QQ}|{WECHAT}")
SALT_ENV = "COMMEVAL_SALT_FILE"
PSEUDONYM_HEX = 24  # 96 bits: collisions are negligible even for millions of respondents


def find_personal(values: pd.Series) -> np.ndarray:
    """Boolean mask: which text cells contain an ID, mobile or landline number, or a QQ or
    WeChat id (in their usual written forms, full-width digits included)."""
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    if len(uniq) == 0:
        return np.zeros(len(values), dtype=bool)
    flags = np.append(np.array([has_personal(str(u)) for u in uniq], dtype=bool), False)
    return flags[codes]


def has_personal(text: str) -> bool:
    return PERSONAL_PATTERN.search(text.translate(_HALF)) is not None


def redact(text: str) -> str:
    """Replace every personal number or id inside a text by ``［已隐去］``."""
    half = text.translate(_HALF)
    out, last = [], 0
    for m in PERSONAL_PATTERN.finditer(half):
        out += [text[last : m.start()], REDACTED]
        last = m.end()
    return "".join(out) + text[last:] if out else text


def redact_values(text: str, values: list[str]) -> str:
    """Replace each of ``values`` (the row's own name, phone, address…) found inside ``text``."""
    for v in sorted(values, key=len, reverse=True):
        if v in text:
            text = text.replace(v, REDACTED)
    return text


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
