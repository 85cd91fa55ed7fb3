"""Progress of a run: a bar with ETA on a terminal, one plain line per report otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    s = int(max(0, seconds))
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


class Progress:
    """``update()`` after each finished report; ``close()`` at the end."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 28) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width
        self.t0 = time.monotonic()
        if self.tty and total:
            self._draw("")

    def eta(self) -> float | None:
        if not self.done:
            return None
        rate = (time.monotonic() - self.t0) / self.done
        return rate * (self.total - self.done)

    def _draw(self, last: str) -> None:
        frac = self.done / self.total if self.total else 1.0
        fill = int(frac * self.width)
        eta = self.eta()
        bar = "█" * fill + "░" * (self.width - fill)
        line = (
            f"\r{bar} {self.done}/{self.total} {frac:4.0%} "
            f"已用 {_clock(time.monotonic() - self.t0)} 剩余 {_clock(eta) if eta is not None else '?'}"
            f"{' 失败 ' + str(self.failed) if self.failed else ''} {last[:24]}"
        )
        self.stream.write(line + "\x1b[K")
        self.stream.flush()

    def note(self, message: str) -> None:
        """A line of its own (e.g. the plan: how many pages are rendered, how many reused)."""
        if self.tty and self.total:
            self.stream.write("\r\x1b[K")
        print(message, file=self.stream, flush=True)
        if self.tty and self.total:
            self._draw("")

    def update(self, name: str, status: str, seconds: float, error: str | None = None) -> None:
        self.done += 1
        self.failed += status == "failed"
        if self.tty:
            self._draw(name)
            return
        eta = self.eta()
        msg = f"[{self.done}/{self.total}] {name}: {status} ({seconds:.1f} s)"
        if eta is not None and self.done < self.total:
            msg += f"，预计剩余 {_clock(eta)}"
        if error:
            msg += f" — {error.splitlines()[-1][:200] if error.strip() else ''}"
        print(msg, file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty and self.total:
            self.stream.write("\n")
            self.stream.flush()
