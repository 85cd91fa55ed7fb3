"""Which cells of a legacy Excel workbook (.xls, BIFF8 — also WPS .et saved as BIFF8) are
formatted as percent: python-calamine reads their values but exposes no number formats, so a
60.5% cell stored as 0.605 would be read as 0.605. This reads just enough of the file for that:
the compound-file (OLE2) container's ``Workbook`` stream, its FORMAT and XF records (number
format of every cell style), the BOUNDSHEET records (where each sheet's records start) and, in
one sheet, the number cells (NUMBER, RK, MULRK, FORMULA) with their style.

Any file this does not understand gives no percent cells (never an error): the values are then
read as stored and a ``%`` field whose values all lie in [0, 1] is warned about
(``percent_as_fraction``)."""

from __future__ import annotations

import struct

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
#: built-in number formats that are percent (0%, 0.00%)
_BUILTIN_PERCENT = {9, 10}
_MAX_SECTORS = 1 << 22  # 2 GiB of 512-byte sectors: beyond any real workbook


def percent_cells(data: bytes, sheet: str) -> set[tuple[int, int]]:
    """0-based (row, column) of the number cells of sheet ``sheet`` whose number format is a
    percent format; empty when the file is not a BIFF8 workbook this can read."""
    try:
        stream = _workbook_stream(data)
        if stream is None:
            return set()
        return _percent_cells(stream, sheet)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError, KeyError):
        return set()


def is_percent_format(code: str) -> bool:
    """Whether an Excel number format code shows a percentage: a ``%`` outside quoted text,
    ``[...]`` sections and backslash escapes (``0.0%``, ``0%;[Red]-0%``; not ``0"%"``)."""
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if ch == '"':
            j = code.find('"', i + 1)
            i = n if j < 0 else j + 1
            continue
        if ch == "[":
            j = code.find("]", i + 1)
            i = n if j < 0 else j + 1
            continue
        if ch in "\\_*":  # escaped character, padding, fill: skip the next character
            i += 2
            continue
        if ch == "%":
            return True
        i += 1
    return False


# --- the compound file ------------------------------------------------------------------------


def _workbook_stream(data: bytes) -> bytes | None:
    if len(data) < 512 or data[:8] != OLE2:
        return None
    shift = struct.unpack_from("<H", data, 30)[0]
    mini_shift = struct.unpack_from("<H", data, 32)[0]
    if shift not in (9, 12) or mini_shift != 6:
        return None
    size = 1 << shift
    n_fat, dir_start = struct.unpack_from("<I", data, 44)[0], struct.unpack_from("<I", data, 48)[0]
    cutoff = struct.unpack_from("<I", data, 56)[0]
    minifat_start, n_minifat = struct.unpack_from("<II", data, 60)
    difat_start, n_difat = struct.unpack_from("<II", data, 68)
    if n_fat > _MAX_SECTORS // (size // 4):
        return None

    def sector(i: int) -> bytes:
        off = (i + 1) * size
        return data[off : off + size]

    fat_sectors = list(struct.unpack_from("<109I", data, 76))
    nxt = difat_start
    for _ in range(min(n_difat, _MAX_SECTORS)):
        if nxt in (_FREE, _END):
            break
        block = sector(nxt)
        k = size // 4 - 1
        fat_sectors += list(struct.unpack_from(f"<{k}I", block))
        nxt = struct.unpack_from("<I", block, k * 4)[0]
    fat_sectors = [s for s in fat_sectors[:n_fat] if s not in (_FREE, _END)]
    fat: list[int] = []
    for s in fat_sectors:
        fat += struct.unpack_from(f"<{size // 4}I", sector(s))

    def chain(start: int) -> list[int]:
        out, seen = [], set()
        while start not in (_END, _FREE) and start < len(fat) and start not in seen:
            seen.add(start)
            out.append(start)
            start = fat[start]
        return out

    def read(start: int, length: int | None = None) -> bytes:
        blob = b"".join(sector(s) for s in chain(start))
        return blob if length is None else blob[:length]

    directory = read(dir_start)
    entries = []
    for off in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, off + 64)[0]
        name = directory[off : off + max(name_len - 2, 0)].decode("utf-16-le", errors="ignore")
        kind = directory[off + 66]
        start, length = struct.unpack_from("<II", directory, off + 116)
        entries.append((name, kind, start, length))
    root = next((e for e in entries if e[1] == 5), None)
    book = next((e for e in entries if e[1] == 2 and e[0] in ("Workbook", "Book")), None)
    if book is None:
        return None
    _, _, start, length = book
    if length >= cutoff or root is None:
        return read(start, length)
    # a small stream lives in the mini stream (64-byte sectors inside the root's stream)
    mini = read(root[2], root[3])
    minifat: list[int] = []
    if n_minifat:
        blob = read(minifat_start)
        minifat = list(struct.unpack_from(f"<{len(blob) // 4}I", blob))
    out, i, seen = [], start, set()
    while i not in (_END, _FREE) and i < len(minifat) and i not in seen:
        seen.add(i)
        out.append(mini[i * 64 : (i + 1) * 64])
        i = minifat[i]
    return b"".join(out)[:length]


# --- the BIFF8 records ------------------------------------------------------------------------


def _records(stream: bytes, pos: int = 0):
    n = len(stream)
    while pos + 4 <= n:
        kind, length = struct.unpack_from("<HH", stream, pos)
        yield kind, stream[pos + 4 : pos + 4 + length]
        pos += 4 + length
        if kind == 0x000A:  # EOF of this substream
            return


def _unicode(body: bytes, pos: int, cch: int) -> str:
    """An XLUnicodeString's characters from ``pos`` (its flags byte)."""
    flags = body[pos]
    pos += 1
    if flags & 0x08:  # rich text: run count
        pos += 2
    if flags & 0x04:  # phonetic block size
        pos += 4
    if flags & 0x01:
        return body[pos : pos + 2 * cch].decode("utf-16-le")
    return body[pos : pos + cch].decode("latin-1")


def _percent_cells(stream: bytes, sheet: str) -> set[tuple[int, int]]:
    kind, version = struct.unpack_from("<HH", stream, 0)[0], struct.unpack_from("<H", stream, 4)[0]
    if kind != 0x0809 or version != 0x0600:  # BOF of BIFF8 (BIFF5/7 strings differ): none
        return set()
    formats: dict[int, str] = {}
    xf_format: list[int] = []
    sheets: dict[str, int] = {}
    for kind, body in _records(stream):
        if kind == 0x041E and len(body) >= 5:  # FORMAT: ifmt, XLUnicodeString
            ifmt, cch = struct.unpack_from("<HH", body, 0)
            formats[ifmt] = _unicode(body, 4, cch)
        elif kind == 0x00E0 and len(body) >= 4:  # XF: font, number format, …
            xf_format.append(struct.unpack_from("<H", body, 2)[0])
        elif kind == 0x0085 and len(body) >= 8:  # BOUNDSHEET: stream offset, …, name
            offset = struct.unpack_from("<I", body, 0)[0]
            cch = body[6]
            sheets[_unicode(body, 7, cch)] = offset
    if sheet not in sheets:
        return set()
    percent_xf = {
        i
        for i, f in enumerate(xf_format)
        if f in _BUILTIN_PERCENT or (f in formats and is_percent_format(formats[f]))
    }
    if not percent_xf:
        return set()
    out: set[tuple[int, int]] = set()
    for kind, body in _records(stream, sheets[sheet]):
        if kind in (0x0203, 0x027E, 0x0006) and len(body) >= 6:  # NUMBER, RK, FORMULA
            row, col, xf = struct.unpack_from("<HHH", body, 0)
            if xf in percent_xf:
                out.add((row, col))
        elif kind == 0x00BD and len(body) >= 6:  # MULRK: row, first col, (xf, rk)…, last col
            row, first = struct.unpack_from("<HH", body, 0)
            n = (len(body) - 6) // 6
            for k in range(n):
                xf = struct.unpack_from("<H", body, 4 + 6 * k)[0]
                if xf in percent_xf:
                    out.add((row, first + k))
    return out
