"""One run per output folder: an ``fcntl`` lock on ``<out>/.commeval.lock`` holding the pid.

The kernel releases an ``flock`` when its process dies, so a lock file left by a crashed run is
stale by construction: the next run takes it over (and says so).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

from commeval.errors import OutputLockedError

LOCK_NAME = ".commeval.lock"


class LockedError(OutputLockedError):
    """Another live run holds the output folder."""


class RunLock:
    """Exclusive, non-blocking lock on an output folder (context manager)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / LOCK_NAME
        self._fd: int | None = None
        self.stale: dict | None = None  # the previous holder's record, if it had died

    def holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            h = self.holder() or {}
            raise LockedError(
                f"输出目录正被另一次运行使用 (locked by pid {h.get('pid', '?')} on "
                f"{h.get('host', '?')} since {h.get('since', '?')}): {self.path.parent}"
            ) from None
        self.stale = self.holder()  # a record nobody holds: its run died
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
