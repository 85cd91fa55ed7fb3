"""What the parent sends to a worker (:class:`Task`) and gets back (:class:`Result`).

Plain picklable dataclasses, light to import (the parent imports no Jupyter machinery to plan a
run that reuses everything).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Task:
    """Render ``notebook`` with ``parameters`` into one HTML page titled ``title``."""

    key: str  # township name, or "__index__" for the district summary
    notebook: str
    parameters: dict[str, Any]
    title: str
    timeout: float | None = None
    attempt: int = 1


@dataclass
class Result:
    key: str
    status: str  # "ok" | "failed"
    html: str | None = None
    seconds: float = 0.0
    error: str | None = None
    error_kind: str | None = None  # "error" | "timeout" | "kernel" | "worker"
    stderr: list[str] = field(default_factory=list)
    attempt: int = 1
    worker: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
