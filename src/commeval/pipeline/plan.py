"""What a run does, decided without touching a file: which pages are reused, which rendered,
where each lives, what the index links and what the manifest records.

Pure functions on plain data (dicts, strings, sets of relative file names); the I/O around them
(reading the previous manifest, listing its pages, linking, writing) lives in
:mod:`commeval.pipeline.run`. Unit-tested without files (``tests/pipeline/test_plan.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The task key of the district summary (township keys are township names).
INDEX_KEY = "__index__"
INDEX_HTML = "index.html"


#: longest file-name stem (UTF-8 bytes) a page gets; file systems allow 255 bytes per name and
#: the renderers add suffixes (``.html``, ``.docx``, ``.pdf``, temporary-file prefixes)
MAX_STEM_BYTES = 120


def safe_filename(name: str) -> str:
    """A township name as a file name (keeps Chinese, replaces path separators and controls);
    a name longer than :data:`MAX_STEM_BYTES` in UTF-8 is cut at a character boundary and given
    a short hash of the full name (``<start>-<8 hex>``), so long names stay distinct and usable.
    The page is still titled with the full name."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" .")
    if len(cleaned.encode("utf-8")) > MAX_STEM_BYTES:
        from commeval.keys import digest as _digest

        digest = _digest(name)[:8]
        cut = cleaned.encode("utf-8")[: MAX_STEM_BYTES - 9].decode("utf-8", errors="ignore")
        cleaned = f"{cut.rstrip(' .')}-{digest}"
    return cleaned or "_"


def township_href(township: str) -> str:
    """Where a township's page lives, relative to the run folder (and to ``index.html``)."""
    return f"townships/{safe_filename(township)}.html"


def township_files(township: str, formats: Iterable[str]) -> dict[str, str]:
    """A township's files besides its page (format → path relative to the run folder), beside
    the page under the same safe name: ``townships/<乡镇>.docx``, ``.pdf``."""
    return {f: f"townships/{safe_filename(township)}.{f}" for f in formats if f != "html"}


def summary_files(district: str, formats: Iterable[str]) -> dict[str, str]:
    """The district summary's files besides ``index.html``: ``<区县名>汇总.docx``, ``.pdf``."""
    return {f: f"{safe_filename(district)}汇总.{f}" for f in formats if f != "html"}


def entry_files(entry: Mapping[str, Any]) -> list[str]:
    """Every file of a manifest entry: its page and its other formats (relative paths)."""
    return [p for p in [entry.get("html"), *(entry.get("files") or {}).values()] if p]


@dataclass(frozen=True)
class Previous:
    """The last complete run as planning needs it: its manifest and which of its pages exist
    (paths relative to its folder)."""

    manifest: Mapping[str, Any]
    files: frozenset[str] = frozenset()

    @property
    def townships(self) -> Mapping[str, Mapping[str, Any]]:
        return self.manifest.get("townships") or {}

    @property
    def index(self) -> Mapping[str, Any]:
        return self.manifest.get("index") or {}


def new_entry(html: str | None, key: str | None, input_hash: str | None = None) -> dict[str, Any]:
    """A manifest entry before its page exists (``status`` None)."""
    entry: dict[str, Any] = {"status": None, "html": html, "seconds": 0.0}
    if input_hash is not None:
        entry["input_hash"] = input_hash
    entry.update(key=key, error=None, stderr=[])
    return entry


def whole_run_reusable(previous: Previous | None, run_key: str | None) -> bool:
    """Nothing changed since a fully successful previous run whose pages all still exist."""
    if previous is None or run_key is None or previous.manifest.get("run_key") != run_key:
        return False
    if previous.index.get("status") == "failed":
        return False
    entries = previous.townships
    if any(e.get("status") == "failed" for e in entries.values()):
        return False
    if any(e.get("html") is None for e in entries.values()):
        return False
    needed = {f for e in entries.values() for f in entry_files(e)}
    needed |= {INDEX_HTML, *entry_files(previous.index)}
    return needed <= previous.files


def reuse_whole_run(
    previous: Previous,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """Entries, index entry and district facts of a run that reuses every page of ``previous``
    (check :func:`whole_run_reusable` first)."""
    entries = {
        name: {**e, "status": "reused", "seconds": 0.0, "stderr": []}
        for name, e in previous.townships.items()
    }
    index = {**previous.index, "status": "reused"}
    meta = {k: previous.manifest.get(k) for k in ("district", "year", "synthetic")}
    return entries, index, meta


def reusable_page(previous: Previous | None, name: str, key: str) -> str | None:
    """The previous run's page of township ``name`` (relative path) if it was rendered from the
    same ``key`` and still exists."""
    if previous is None:
        return None
    entry = previous.townships.get(name)
    if not entry or entry.get("status") == "failed" or entry.get("key") != key:
        return None
    html = entry.get("html")
    if html not in previous.files or not set(entry_files(entry)) <= previous.files:
        return None
    return html


@dataclass
class TownshipPlan:
    """Per township: its manifest entry; which pages are linked from the previous run
    (``reuse``: township → relative path there) and which are rendered (``render``, in order)."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    reuse: dict[str, str] = field(default_factory=dict)
    render: list[str] = field(default_factory=list)


def plan_townships(
    selected: Iterable[str],
    keys: Mapping[str, tuple[str, str]],
    previous: Previous | None,
    formats: Iterable[str] = ("html",),
) -> TownshipPlan:
    """Plan the township pages (and their files in the other ``formats``); ``keys``:
    township → (input hash, cache key, which covers the formats)."""
    plan = TownshipPlan()
    formats = tuple(formats)
    for tw in selected:
        ihash, key = keys[tw]
        entry = new_entry(township_href(tw), key, ihash)
        files = township_files(tw, formats)
        if files:
            entry["files"] = files
        plan.entries[tw] = entry
        old = reusable_page(previous, tw, key)
        if old is not None:
            entry["status"] = "reused"
            plan.reuse[tw] = old
        else:
            plan.render.append(tw)
    return plan


def expected_reports(entries: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The index's ``reports`` parameter if every report to render succeeds (it is rendered
    alongside them with this list)."""
    return [
        {"township": tw, "status": e["status"] or "ok", "href": e["html"], "error": None,
         **({"files": dict(e["files"])} if e.get("files") else {})}
        for tw, e in entries.items()
    ]  # fmt: skip


def final_reports(entries: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The index's ``reports`` parameter once every report is done."""
    return [
        {
            "township": tw,
            "status": e["status"],
            "href": e["html"] if e["status"] != "failed" else None,
            "error": e["error"],
            **({"files": dict(e["files"])} if e.get("files") and e["status"] != "failed" else {}),
        }
        for tw, e in entries.items()
    ]


def index_reusable(previous: Previous | None, key: str) -> bool:
    """The previous run's index page was rendered from ``key`` and still exists."""
    return (
        previous is not None
        and previous.index.get("key") == key
        and {INDEX_HTML, *entry_files(previous.index)} <= previous.files
    )


def record_result(entry: dict[str, Any], result: Any, *, keep_html: bool = False) -> None:
    """Record a finished task's result (:class:`~commeval.pipeline.tasks.Result`) in its entry;
    a failed township page has no ``html`` (the index keeps its name: the page is the run's)."""
    entry.update(
        status=result.status,
        seconds=result.seconds,
        error=result.error,
        stderr=result.stderr,
        attempts=result.attempt,
        error_kind=result.error_kind,
    )
    if result.status != "ok" and not keep_html:
        entry["html"] = None
    if result.status != "ok" and entry.get("files"):
        entry["files"] = {}  # nothing half-done: no format of a failed report is published


def summarise(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """Counts of the manifest's ``summary``."""
    return {
        "townships": len(entries),
        "rendered": sum(e["status"] == "ok" for e in entries.values()),
        "reused": sum(e["status"] == "reused" for e in entries.values()),
        "failed": sum(e["status"] == "failed" for e in entries.values()),
    }


def failures(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Failed townships and the last line of their error."""
    out = {}
    for tw, e in entries.items():
        if e["status"] == "failed":
            lines = (e.get("error") or "").strip().splitlines()
            out[tw] = lines[-1] if lines else ""
    return out
