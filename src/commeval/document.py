"""The report as a document: a tree of plain blocks that every renderer reads.

A township report and the district summary are each *composed once* (``commeval.report``) into a
:class:`Document`; renderers turn that one document into an HTML page, an editable Word file and
a PDF. The document holds content only — no HTML, no Word XML, no clock reads: numbers keep their
value and unit (:class:`Run`, :class:`Cell`), headings their 公文 numbering (一、（一）1.), figures
their picture in the formats renderers need, and text that only a renderer adds (cover, table of
contents, running header and footer, download links) is not in the tree but marked by the
renderer as such (``Block.origin``).

The model sits on the ground floor, below ``report`` (which composes documents) and ``pipeline``
(which carries them from the report kernel to the renderers as JSON: :meth:`Document.to_json` /
:meth:`Document.from_json`). It imports nothing of commeval and no plotting package: a figure is
composed from a matplotlib figure through :func:`figure_from_matplotlib`, which only calls its
``savefig``.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Literal

#: The document schema: bump when a block changes shape (a cached document of another version is
#: re-composed, never mis-read).
SCHEMA_VERSION = 1

Tone = Literal["", "good", "bad", "muted", "info", "warn"]
Align = Literal["left", "right", "center"]

#: A document's kind: one township's report or the district summary.
Kind = Literal["township", "summary"]


# --- inline content ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A piece of text in a paragraph or cell. ``value``/``unit`` keep the number behind a
    formatted figure (``text`` is what every renderer prints: "4.0分"), so a renderer or a test
    can ask for the number itself; ``emphasis`` is ``"strong"``, ``"em"`` or empty; ``tone``
    colours a run (``"good"``, ``"bad"`` …) where a renderer can; ``role`` names what the run is
    ("badge", "category", "advice", "trace", "sig-up", "sig-down", "ns", "tick-yes", "tick-no" …),
    which the HTML renderer maps to its classes and the Word renderer to its character styles;
    ``"break"`` is a line break and ``"code"`` a checksum or identifier. ``href`` makes the run a
    link (the HTML page's; other renderers print the text), ``download`` the file name a link
    saves as."""

    text: str
    value: float | None = None
    unit: str = ""
    emphasis: str = ""
    tone: str = ""
    role: str = ""
    href: str = ""
    download: str = ""


def runs_text(runs: Iterable[Run]) -> str:
    """The plain text of a sequence of runs."""
    return "".join(r.text for r in runs)


def _as_runs(content: str | Run | Iterable[Run | str]) -> tuple[Run, ...]:
    if isinstance(content, str):
        return (Run(content),)
    if isinstance(content, Run):
        return (content,)
    return tuple(Run(c) if isinstance(c, str) else c for c in content)


# --- blocks --------------------------------------------------------------------------------------


@dataclass
class Block:
    """Base of every block. ``origin`` is ``"content"`` for composed content and ``"renderer"``
    for text a renderer adds (download links, cover, contents): the one-composition check
    compares only content. ``id`` is an optional anchor."""

    type: ClassVar[str] = "block"
    id: str = field(default="", kw_only=True)
    origin: str = field(default="content", kw_only=True)

    def text(self) -> str:
        """The block's plain text (what a reader sees, in reading order)."""
        return ""


@dataclass
class Heading(Block):
    """A heading. ``level`` 1 is the 一级标题 (section: 一、), 2 the 二级 (（一）), 3 the 三级
    (1.); ``number`` holds the numbering as printed ("一、", "（一）", "1."), ``title`` the words.
    Level 0 is the document's title as the page header shows it (the page's ``<h1>``, Word's
    Title style), in the header section (the first, without heading)."""

    type: ClassVar[str] = "heading"
    level: int
    title: str
    number: str = ""

    def text(self) -> str:
        return f"{self.number}{self.title}"


@dataclass
class Paragraph(Block):
    """A paragraph of runs. ``style``: ``"body"`` (default), ``"lead"`` (a section's opening
    finding), ``"note"`` (small print under a table or chart), ``"meta"`` (data sources, dates),
    ``"ok"`` (a reassuring statement), ``"kicker"`` (a line above the title)."""

    type: ClassVar[str] = "paragraph"
    runs: tuple[Run, ...] = ()
    style: str = "body"

    def __post_init__(self) -> None:
        self.runs = _as_runs(self.runs)

    def text(self) -> str:
        return runs_text(self.runs)


@dataclass(frozen=True)
class Column:
    """A table column: label, unit (printed in the header as "标签（单位）"), alignment."""

    label: str
    unit: str = ""
    align: str = "left"

    @property
    def header(self) -> str:
        return f"{self.label}（{self.unit}）" if self.unit else self.label


@dataclass(frozen=True)
class Cell:
    """A table cell. ``runs`` is what is printed; ``value`` the number behind it, ``low``/``high``
    an interval when the cell carries an estimate, ``unit`` its unit; ``kind`` is ``"text"``,
    ``"number"``, ``"estimate"`` (value with interval), ``"badge"``, ``"tick"`` or
    ``"progress"``; ``tone`` colours it."""

    runs: tuple[Run, ...] = ()
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    kind: str = "text"
    tone: str = ""

    def text(self) -> str:
        return runs_text(self.runs)


def cell(
    content: str | Run | Iterable[Run | str] = "",
    value: float | None = None,
    *,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
    kind: str = "text",
    tone: str = "",
) -> Cell:
    """A :class:`Cell` from text or runs."""
    return Cell(_as_runs(content), _num(value), _num(low), _num(high), unit, kind, tone)


def _num(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


@dataclass
class Table(Block):
    """A table: columns (label, unit, alignment), rows of cells, a caption, notes printed under
    it, and per-row marks (``row_tones``: e.g. ``"bad"`` for a shortfall). ``style`` is
    ``"data"`` or ``"compact"``."""

    type: ClassVar[str] = "table"
    columns: tuple[Column, ...] = ()
    rows: tuple[tuple[Cell, ...], ...] = ()
    caption: str = ""
    notes: tuple[str, ...] = ()
    row_tones: tuple[str, ...] = ()
    style: str = "data"

    def __post_init__(self) -> None:
        self.columns = tuple(c if isinstance(c, Column) else Column(str(c)) for c in self.columns)
        self.rows = tuple(
            tuple(c if isinstance(c, Cell) else cell(c) for c in r) for r in self.rows
        )
        self.notes = tuple(self.notes)
        self.row_tones = tuple(self.row_tones)
        widths = {len(r) for r in self.rows}
        if widths and widths != {len(self.columns)}:
            raise ValueError(
                f"table {self.caption or self.id!r}: {len(self.columns)} columns but rows of "
                f"{sorted(widths)} cells"
            )

    def header(self) -> list[str]:
        return [c.header for c in self.columns]

    def text(self) -> str:
        parts = [self.caption, *self.header()]
        parts += [c.text() for r in self.rows for c in r]
        return "\n".join([*parts, *self.notes])


@dataclass
class Figure(Block):
    """A chart. ``svg`` (text) is what pages show; ``png`` (bytes, ≥ 200 dpi) what Word and
    other raster renderers embed; ``caption`` is printed under it, ``alt`` describes it for
    screen readers and as the Word picture's description; ``width`` its share of the text width
    (0–1)."""

    type: ClassVar[str] = "figure"
    svg: str = ""
    png: bytes = b""
    caption: str = ""
    alt: str = ""
    width: float = 1.0

    def text(self) -> str:
        return self.caption


@dataclass(frozen=True)
class KPI:
    """One key-figure card: label, value (printed, with the number behind it), a note."""

    label: str
    value: str
    number: float | None = None
    unit: str = ""
    note: str = ""


@dataclass
class KPIs(Block):
    """A row of key-figure cards (综合得分, 等级, 排名 …)."""

    type: ClassVar[str] = "kpis"
    cards: tuple[KPI, ...] = ()

    def __post_init__(self) -> None:
        self.cards = tuple(self.cards)

    def text(self) -> str:
        return "\n".join(t for k in self.cards for t in (k.label, k.value, k.note) if t)


@dataclass
class ListBlock(Block):
    """A list: each item a sequence of runs (a finding: category, sentence, advice, evidence)."""

    type: ClassVar[str] = "list"
    items: tuple[tuple[Run, ...], ...] = ()
    ordered: bool = False
    style: str = ""

    def __post_init__(self) -> None:
        self.items = tuple(_as_runs(i) for i in self.items)

    def text(self) -> str:
        return "\n".join(runs_text(i) for i in self.items)


@dataclass
class Callout(Block):
    """A boxed note: a lead paragraph and optional list items; ``tone`` ``"bad"`` for a veto or
    failure, ``"warn"`` for a caution, ``"info"`` otherwise."""

    type: ClassVar[str] = "callout"
    runs: tuple[Run, ...] = ()
    items: tuple[tuple[Run, ...], ...] = ()
    tone: str = "info"

    def __post_init__(self) -> None:
        self.runs = _as_runs(self.runs)
        self.items = tuple(_as_runs(i) for i in self.items)

    def text(self) -> str:
        return "\n".join([runs_text(self.runs), *(runs_text(i) for i in self.items)])


@dataclass
class Progress(Block):
    """A progress bar: done against target, with label and unit (e.g. 已建成 120 / 300套)."""

    type: ClassVar[str] = "progress"
    label: str = ""
    done: float | None = None
    target: float | None = None
    unit: str = ""

    @property
    def fraction(self) -> float:
        """How full the bar is drawn (0–1; a target passed fills it)."""
        if not self.target or self.done is None:
            return 0.0
        return max(0.0, min(float(self.done) / float(self.target), 1.0))

    def figures(self) -> str:
        """The figures every renderer prints beside the bar: "897 / 1,900套（47%）" — the share
        unclamped (over 100 % when the target is passed), "暂无数据" without a value."""
        if self.done is None:
            return "暂无数据"

        def num(x: float) -> str:
            return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"

        if self.target:
            share = float(self.done) / float(self.target) * 100
            return f"{num(self.done)} / {num(self.target)}{self.unit}（{share:.0f}%）"
        return f"{num(self.done)}{self.unit}"

    def text(self) -> str:
        return f"{self.label}：{self.figures()}"


@dataclass
class Banner(Block):
    """The synthetic-data banner (示例数据 …): every renderer shows it at the top, boxed."""

    type: ClassVar[str] = "banner"
    message: str = ""

    def text(self) -> str:
        return self.message


@dataclass
class PageBreak(Block):
    """A page break (Word, PDF); the HTML page ignores it on screen and breaks when printed."""

    type: ClassVar[str] = "pagebreak"


@dataclass
class Group(Block):
    """Blocks shown together (a community's card, two tables side by side: ``style`` "two-col"),
    with an optional title printed as a minor heading."""

    type: ClassVar[str] = "group"
    blocks: list[Block] = field(default_factory=list)
    title: str = ""
    style: str = ""

    def text(self) -> str:
        return "\n".join([self.title, *(b.text() for b in self.blocks)])


@dataclass
class Section(Block):
    """A section: its heading (``None`` for the page header) and blocks. A notebook displays a
    document section by section; ``id`` ("overview", "indicators" …) is its anchor."""

    type: ClassVar[str] = "section"
    heading: Heading | None = None
    blocks: list[Block] = field(default_factory=list)

    def text(self) -> str:
        head = [self.heading.text()] if self.heading else []
        return "\n".join([*head, *(b.text() for b in self.blocks)])


@dataclass(frozen=True)
class Meta:
    """What a document is about: district (and its level 区/县/市), township ("" for the
    summary), year, the page's title, the organisation that compiled it (编制单位, for the
    cover), the date printed on the cover and the generation time (text supplied by the
    caller: the document model reads no clock), and whether the data are synthetic."""

    title: str
    district: str = ""
    level: str = ""
    township: str = ""
    year: int | None = None
    organisation: str = ""
    date: str = ""
    generated: str = ""
    synthetic: bool = False
    subtitle: str = ""


@dataclass
class Document:
    """A report as a document: kind, metadata and sections. Renderers read it; a report kernel
    ships it to the worker as JSON (:meth:`to_json`)."""

    kind: str
    meta: Meta
    sections: list[Section] = field(default_factory=list)
    #: renderer options the composition decides (cover block, table of contents)
    cover: bool = True
    toc: bool = False

    def blocks(self) -> Iterator[Block]:
        """Every block, depth first, sections included."""
        yield from walk(self.sections)

    def section(self, sid: str) -> Section:
        for s in self.sections:
            if s.id == sid:
                return s
        raise KeyError(sid)

    def tables(self) -> list[Table]:
        return [b for b in self.blocks() if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks() if isinstance(b, Figure)]

    def text(self) -> str:
        return "\n".join(s.text() for s in self.sections)

    def content(self) -> Document:
        """A copy without the blocks a renderer added (``origin="renderer"``: the page's
        download links and links to other files), for renderers that have no use for them
        (Word)."""

        def keep(blocks: Iterable[Block]) -> list[Block]:
            out: list[Block] = []
            for b in blocks:
                if b.origin == "renderer":
                    continue
                if isinstance(b, Section | Group):
                    b = replace(b, blocks=keep(b.blocks))
                out.append(b)
            return out

        return Document(self.kind, self.meta, keep(self.sections), cover=self.cover, toc=self.toc)

    # --- JSON ------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "kind": self.kind,
            "meta": _encode(self.meta),
            "cover": self.cover,
            "toc": self.toc,
            "sections": [_encode(s) for s in self.sections],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        if d.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"document schema {d.get('schema')!r}, expected {SCHEMA_VERSION}")
        return cls(
            kind=d["kind"],
            meta=Meta(**d["meta"]),
            sections=[_decode(s) for s in d["sections"]],
            cover=bool(d.get("cover", True)),
            toc=bool(d.get("toc", False)),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Document:
        return cls.from_dict(json.loads(text))


def walk(blocks: Iterable[Block]) -> Iterator[Block]:
    """Every block below ``blocks``, depth first (containers before their children)."""
    for b in blocks:
        yield b
        if isinstance(b, Section):
            if b.heading is not None:
                yield b.heading
            yield from walk(b.blocks)
        elif isinstance(b, Group):
            yield from walk(b.blocks)


def figure_from_matplotlib(
    fig: Any, *, caption: str = "", alt: str = "", svg: str = "", dpi: int = 200,
    png: bool = True, width: float = 1.0,
) -> Figure:  # fmt: skip
    """A :class:`Figure` from a matplotlib figure: its SVG as given (the report's own SVG with
    embedded fonts) or written by ``savefig``, and — with ``png`` — a raster at ``dpi`` for Word.
    Only ``fig.savefig`` is called."""
    if not svg:
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        svg = buf.getvalue()
    data = b""
    if png:
        raw = io.BytesIO()
        fig.savefig(raw, format="png", dpi=dpi)
        data = raw.getvalue()
    return Figure(svg=svg, png=data, caption=caption, alt=alt or caption, width=width)


# --- encoding ------------------------------------------------------------------------------------

_BLOCKS: dict[str, type[Block]] = {
    c.type: c
    for c in (
        Heading, Paragraph, Table, Figure, KPIs, ListBlock, Callout, Progress, Banner, PageBreak,
        Group, Section,
    )
}  # fmt: skip


def _encode(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return {"$b64": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, Block):
        out: dict[str, Any] = {"type": obj.type}
        for f in fields(obj):
            out[f.name] = _encode(getattr(obj, f.name))
        return out
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _encode(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, list | tuple):
        return [_encode(x) for x in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def _runs(x: Any) -> tuple[Run, ...]:
    return tuple(Run(**r) for r in x)


def _decode(d: dict[str, Any]) -> Any:
    kind = _BLOCKS[d["type"]]
    kw = {k: v for k, v in d.items() if k != "type"}
    if kind is Section:
        kw["heading"] = _decode(kw["heading"]) if kw.get("heading") else None
        kw["blocks"] = [_decode(b) for b in kw["blocks"]]
    elif kind is Group:
        kw["blocks"] = [_decode(b) for b in kw["blocks"]]
    elif kind in (Paragraph,):
        kw["runs"] = _runs(kw["runs"])
    elif kind is Callout:
        kw["runs"] = _runs(kw["runs"])
        kw["items"] = tuple(_runs(i) for i in kw["items"])
    elif kind is ListBlock:
        kw["items"] = tuple(_runs(i) for i in kw["items"])
    elif kind is Table:
        kw["columns"] = tuple(Column(**c) for c in kw["columns"])
        kw["rows"] = tuple(
            tuple(Cell(**{**c, "runs": _runs(c["runs"])}) for c in r) for r in kw["rows"]
        )
    elif kind is KPIs:
        kw["cards"] = tuple(KPI(**c) for c in kw["cards"])
    elif kind is Figure:
        png = kw.get("png")
        kw["png"] = base64.b64decode(png["$b64"]) if isinstance(png, dict) else b""
    return kind(**kw)


# --- from the report kernel to the worker ------------------------------------------------------

#: The MIME type of a document a report notebook displays (beside its ``text/html``): each
#: displayed section carries a *fragment* — a document with the report's kind and metadata and
#: that section — and a batch worker assembles the fragments of the executed notebook, in
#: output order, into the document it renders into every format (:func:`assemble`).
MIME = "application/vnd.commeval.document+json"


def fragment(doc: Document, sections: Iterable[Section]) -> dict[str, Any]:
    """The JSON (as a dict, as a notebook output holds it) of ``doc`` with only ``sections``."""
    part = Document(doc.kind, doc.meta, list(sections), cover=doc.cover, toc=doc.toc)
    return part.to_dict()


def assemble(fragments: Iterable[dict[str, Any] | str]) -> Document | None:
    """One document from fragments in order (kind, metadata and options of the first; the
    sections of all); None without any."""
    docs = [
        Document.from_json(f) if isinstance(f, str) else Document.from_dict(f) for f in fragments
    ]
    if not docs:
        return None
    first = docs[0]
    sections = [s for d in docs for s in d.sections]
    return Document(first.kind, first.meta, sections, cover=first.cover, toc=first.toc)
