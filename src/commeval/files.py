"""Writing files so that a reader never sees half of one, and hashing them.

Every atomic write of the package goes through :func:`write_atomic` (data in memory) or
:func:`atomic_path` (a writer that wants a path or a file of its own, e.g. ``to_parquet``,
``to_csv``, ``pickle.dump``): the data goes to a temporary file beside the target (same folder,
hence same file system), is flushed to disk and renamed over the target, and the temporary file
is removed if anything fails. The hashes (:func:`sha256_file`, :func:`sha256_bytes`,
:func:`package_hash`) are those of :mod:`commeval.keys`, the one scheme of input keys.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from commeval import keys
from commeval.keys import PACKAGE_PATTERNS as PACKAGE_PATTERNS
from commeval.keys import _package_hash as _package_hash
from commeval.keys import package_files as package_files
from commeval.keys import package_hash as package_hash

# the hashes live with the key scheme; the names the package has used for them
sha256_file = keys.file_digest
sha256_bytes = keys.digest


#: The Content-Security-Policy of every HTML file commeval writes (report pages, the index, the
#: validation report): no scripts and no network loads; inline styles, data: fonts and images.
HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; "
    "script-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
)


def csp_meta() -> str:
    """The ``<meta>`` element carrying :data:`HTML_CSP` (first thing in ``<head>``)."""
    return f'<meta http-equiv="Content-Security-Policy" content="{HTML_CSP}">'


def fsync_dir(path: str | Path) -> None:
    """Flush a folder's entries (renames, unlinks) to disk; a no-op where folders cannot be
    opened (non-POSIX)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: errors of the output side: a full disk or quota, a read-only or forbidden folder
OUTPUT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}
)


def _fault(e: OSError, folder: Path) -> OSError:
    """An output-side failure (:data:`OUTPUT_ERRNOS`) as an ``OSError`` whose ``filename`` and
    ``output_folder`` are the folder written to; the command line prints "磁盘空间不足" /
    "无法写入" naming it (exit 2). Other errors are returned unchanged."""
    if getattr(e, "output_folder", None) or e.errno not in OUTPUT_ERRNOS:
        return e
    err = OSError(e.errno, e.strerror or os.strerror(e.errno or 0), str(folder))
    err.output_folder = str(folder)  # type: ignore[attr-defined]
    return err


@contextmanager
def atomic_path(
    path: str | Path, *, fsync: bool = True, mode: int | None = 0o644
) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; on a normal exit it is flushed to disk
    (``fsync``), given ``mode`` (``None``: left as the writer made it, e.g. a hard link) and
    renamed to ``path``; on an exception it is removed and ``path`` is left as it was. Creates
    the parent folder. A full disk or a read-only folder raises an ``OSError`` naming the folder
    (its ``output_folder``).

    >>> with atomic_path(out / "villages.parquet") as tmp:   # doctest: +SKIP
    ...     df.to_parquet(tmp)
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _fault(e, path.parent) from e
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _fault(e, path.parent) from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(
    path: str | Path,
    data: bytes | str,
    *,
    encoding: str = "utf-8",
    fsync: bool = True,
    mode: int = 0o644,
) -> Path:
    """Write ``data`` (a string in ``encoding``) to ``path`` atomically; returns ``path``."""
    raw = data.encode(encoding) if isinstance(data, str) else data
    path = Path(path)
    with atomic_path(path, fsync=False, mode=mode) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
    return path


@contextmanager
def exclusive(lock_file: str | Path) -> Iterator[None]:
    """Hold an exclusive, blocking ``flock`` on ``lock_file`` (created if absent) for the block:
    processes that check and rewrite the same folder (two notebooks, a batch run and a notebook
    loading one processed folder) take turns instead of one reading what the other is writing.
    The kernel releases the lock when its holder dies. Where ``fcntl`` is missing (Windows),
    the block runs unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path = Path(lock_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
