"""Atomic publishing: a reader never sees a half-written file, run folder or ``latest`` link."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from commeval.files import atomic_path, write_atomic

__all__ = ["link_or_copy", "point_latest", "publish_run", "write_atomic"]


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (copy across file systems), replacing ``dst`` atomically."""
    with atomic_path(dst, fsync=False, mode=None) as tmp:
        tmp.unlink()  # os.link wants a free name
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copy2(src, tmp)


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
    with atomic_path(out_dir / link, fsync=False, mode=None) as tmp:
        tmp.unlink()  # os.symlink wants a free name
        os.symlink(run_name, tmp)
