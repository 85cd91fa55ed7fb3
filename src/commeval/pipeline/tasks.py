"""What the parent sends to a worker (:class:`Task`) and gets back (:class:`Result`).

Plain picklable dataclasses, light to import (the parent imports no Jupyter machinery to plan a
run that reuses everything).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Task:
    """Render ``notebook`` with ``parameters`` into one HTML page titled ``title`` and, from
    the document it displays, into the other ``formats`` ("docx", "pdf") with ``options``
    (``docx``: the Word renderer's options as a dict; ``pdf_header``: the PDF's running
    header)."""

    key: str  # township name, or "__index__" for the district summary
    notebook: str
    parameters: dict[str, Any]
    title: str
    timeout: float | None = None
    attempt: int = 1
    formats: tuple[str, ...] = ("html",)
    options: dict[str, Any] = field(default_factory=dict)


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
    files: dict[str, bytes] = field(default_factory=dict)  # format → bytes, besides the page

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
