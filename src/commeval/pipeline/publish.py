"""Atomic publishing: a reader never sees a half-written file, run folder or ``latest`` link."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (copy across file systems), replacing ``dst`` atomically."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.link")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    os.replace(tmp, dst)


def publish_run(staging: Path, final: Path) -> None:
    """Move the finished run folder ``staging`` to ``final`` (replacing an older run of that name;
    the old one is renamed aside first, then removed)."""
    if final.exists():
        aside = final.with_name(f".{final.name}.old.{os.getpid()}")
        os.replace(final, aside)
        os.replace(staging, final)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(staging, final)


def point_latest(out_dir: Path, run_name: str, link: str = "latest") -> None:
    """Atomically make ``out_dir/latest`` a relative symlink to ``run_name``."""
    tmp = out_dir / f".{link}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(run_name, tmp)
    os.replace(tmp, out_dir / link)
