"""A report section that still looks like the report in a notebook JupyterLab does not trust.

A saved notebook reopened on another machine is untrusted there (its notary never signed it):
JupyterLab passes its HTML outputs through its sanitiser, which drops ``<style>`` elements (the
report stylesheet and fonts) and ``<svg>`` elements (the charts; their ``<text>`` would be left
as a run of words), and keeps ``class``, ``style`` attributes (declarations whose value it
recognises) and ``<img src="data:…">``. So a section shown in a notebook carries, besides its
classes:

* the report stylesheet's declarations for each element, inlined as its ``style`` attribute —
  the cascade of ``report.css`` (its rules outside ``@media``/``@page``, ``var()`` resolved,
  ``!important`` ones left to the stylesheet) computed here, so where the stylesheet is present
  (a trusted notebook) the element looks as it would without them;
* each chart twice: the inline ``<svg>`` in a box the stylesheet shows, hidden otherwise, and
  the same SVG as an ``<img>`` (with the font of its glyphs embedded) that the stylesheet hides.

The exported page removes both (:func:`commeval.display.strip_untrusted_fallbacks`): it has the
stylesheet in its ``<head>``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cache

from commeval.display import CHART_BOX, CHART_FALLBACK_CLASS, INLINE_MARK
from commeval.errors import CommevalError

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_AT_BLOCK = re.compile(r"@(?:media|page|supports)[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", re.S)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_VAR = re.compile(r"var\((--[\w-]+)\)")
_COMPOUND = re.compile(r"^([a-z][a-z0-9]*)?((?:\.[\w-]+)*)((?:\[[\w-]+=\"[^\"]*\"\])*)$")
_ATTR = re.compile(r"\[([\w-]+)=\"([^\"]*)\"\]")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTRS = re.compile(r"([\w:-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
_SCOPE = ".commeval-report"


@dataclass(frozen=True)
class _Compound:
    tag: str | None
    classes: frozenset[str]
    attrs: tuple[tuple[str, str], ...]

    def matches(self, el: _Element) -> bool:
        return (
            (self.tag is None or self.tag == el.tag)
            and self.classes <= el.classes
            and all(el.attrs.get(k) == v for k, v in self.attrs)
        )


@dataclass(frozen=True)
class _Element:
    tag: str
    classes: frozenset[str]
    attrs: dict[str, str]


@dataclass(frozen=True)
class Rule:
    """One selector of report.css inside ``.commeval-report`` and its declarations."""

    selector: str
    parts: tuple[tuple[str, _Compound], ...]  # (combinator to the left: " " or ">", compound)
    specificity: tuple[int, int]
    order: int
    declarations: tuple[tuple[str, str], ...]

    def matches(self, stack: list[_Element]) -> bool:
        """Whether the last element of ``stack`` (its ancestors before it) matches."""
        *ancestors, el = stack
        (_, last), rest = self.parts[-1], self.parts[:-1]
        if not last.matches(el):
            return False
        comb = self.parts[-1][0]
        i = len(ancestors)
        for c, compound in reversed(rest):
            if comb == ">":
                i -= 1
                if i < 0 or not compound.matches(ancestors[i]):
                    return False
            else:
                while i > 0:
                    i -= 1
                    if compound.matches(ancestors[i]):
                        break
                else:
                    return False
            comb = c
        return True


class UnsupportedSelector(CommevalError, ValueError):
    """A report.css selector this inliner cannot match (report.css must keep to the subset)."""


def _parse_compound(text: str) -> _Compound:
    m = _COMPOUND.match(text)
    if not m or not text:
        raise UnsupportedSelector(text)
    classes = frozenset(c for c in m.group(2).split(".") if c)
    return _Compound(m.group(1), classes, tuple(_ATTR.findall(m.group(3))))


def parse_selector(selector: str) -> tuple[tuple[tuple[str, _Compound], ...], tuple[int, int]]:
    """The compounds of a selector below ``.commeval-report`` and its specificity (classes and
    attributes, tags), the scope's class counted."""
    rest = selector.strip()[len(_SCOPE) :]
    tokens = rest.replace(">", " > ").split()
    parts: list[tuple[str, _Compound]] = []
    comb = " "
    for tok in tokens:
        if tok == ">":
            comb = ">"
            continue
        parts.append((comb, _parse_compound(tok)))
        comb = " "
    if not parts:
        raise UnsupportedSelector(selector)
    classes = 1 + sum(len(c.classes) + len(c.attrs) for _, c in parts)
    tags = sum(c.tag is not None for _, c in parts)
    return tuple(parts), (classes, tags)


def _declarations(body: str, variables: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for decl in body.split(";"):
        if ":" not in decl:
            continue
        prop, value = (s.strip() for s in decl.split(":", 1))
        if "!important" in value or prop.startswith("--"):
            continue  # !important: where the stylesheet is, it wins over the inlined ones
        value = _VAR.sub(lambda m: variables[m.group(1)], value)
        out.append((prop, " ".join(value.split())))
    return out


@cache
def rules() -> tuple[Rule, ...]:
    """The rules of report.css an element of a section inlines: those scoped below
    ``.commeval-report`` outside ``@media`` and ``@page`` (the page's ``body.commeval-report``
    rules and the universal ``*`` one are the stylesheet's alone)."""
    from commeval.renderers.html import stylesheet_css

    css = _AT_BLOCK.sub("", _COMMENT.sub("", stylesheet_css()))
    variables: dict[str, str] = {}
    found: list[tuple[str, str]] = []
    for selectors, body in _RULE.findall(css):
        for sel in (s.strip() for s in selectors.split(",")):
            if sel == _SCOPE:
                variables.update(
                    (p.strip(), v.strip())
                    for p, v in (d.split(":", 1) for d in body.split(";") if ":" in d)
                )
            found.append((sel, body))
    out = []
    for order, (sel, body) in enumerate(found):
        if not sel.startswith(_SCOPE + " ") or sel == _SCOPE + " *":
            continue
        decls = _declarations(body, variables)
        if decls:
            parts, spec = parse_selector(sel)
            out.append(Rule(sel, parts, spec, order, tuple(decls)))
    return tuple(out)


def _element(tag: str, attrs: str) -> _Element:
    pairs = {k.lower(): (v or "").strip("\"'") for k, v in _ATTRS.findall(attrs)}
    return _Element(tag.lower(), frozenset(pairs.get("class", "").split()), pairs)


def computed_declarations(stack: list[_Element]) -> str:
    """The declarations of report.css for the last element of ``stack``, in cascade order (a
    later declaration overrides an earlier one, as the stylesheet's more specific rule does)."""
    matched = sorted(
        (r for r in rules() if r.matches(stack)), key=lambda r: (r.specificity, r.order)
    )
    decls: dict[str, str] = {}
    for r in matched:
        for prop, value in r.declarations:
            decls.pop(prop, None)  # re-inserted last: it overrides every declaration before it
            decls[prop] = value
    return ";".join(f"{p}:{v}" for p, v in decls.items())


def inline_styles(html: str) -> str:
    """``html`` (a section, inside ``.commeval-report``) with each element's report.css
    declarations in its ``style`` attribute, marked with :data:`INLINE_MARK`, before any it had.
    SVG charts are left alone (JupyterLab drops them untrusted; :func:`chart_images`)."""
    out: list[str] = []
    stack: list[_Element] = []
    pos = 0
    svg_depth = 0
    for m in _TAG.finditer(html):
        closing, tag, attrs = m.group(1), m.group(2).lower(), m.group(3)
        out.append(html[pos : m.start()])
        pos = m.end()
        if tag == "svg" or svg_depth:
            if tag == "svg":
                svg_depth += -1 if closing else (0 if attrs.rstrip().endswith("/") else 1)
            out.append(m.group(0))
            continue
        if closing:
            while stack:  # close up to the matching element (HTML's implied end tags)
                if stack.pop().tag == tag:
                    break
            out.append(m.group(0))
            continue
        el = _element(tag, attrs)
        decls = computed_declarations([*stack, el])
        text = m.group(0)
        if decls:
            mark = f"{INLINE_MARK}{decls};{INLINE_MARK}"
            own = re.search(r"\sstyle=\"([^\"]*)\"", text)
            if own:
                text = text[: own.start(1)] + mark + text[own.start(1) :]
            else:
                text = f'<{m.group(2)} style="{mark}"{attrs}>'
        out.append(text)
        if tag not in _VOID and not attrs.rstrip().endswith("/"):
            stack.append(el)
    out.append(html[pos:])
    return "".join(out)


_SVG_CHART = re.compile(r"<svg\b[^>]*\bclass=\"chart\"[^>]*>.*?</svg>", re.S)
_SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)
_ARIA = re.compile(r"\baria-label=\"([^\"]*)\"")
_FALLBACK_FAMILY = "commeval chart"


def svg_image(svg: str) -> str:
    """A chart's SVG as a stand-alone image document: the XML namespace it needs outside HTML
    and the font of its text embedded (an image loads nothing, and the reader's machine may
    have no CJK font)."""
    import html as _html

    from commeval.fonts import subset_font

    chars = "".join(sorted({c for t in _SVG_TEXT.findall(svg) for c in _html.unescape(t)}))
    font = base64.b64encode(subset_font(chars)).decode("ascii")
    style = (
        f"<style>@font-face{{font-family:'{_FALLBACK_FAMILY}';"
        f"src:url(data:font/woff;base64,{font}) format('woff')}}"
        f"text{{font-family:'{_FALLBACK_FAMILY}',sans-serif}}</style>"
    )
    head_end = svg.index(">") + 1
    head = svg[:head_end]
    if "xmlns=" not in head:
        head = head.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    if "xmlns:xlink=" not in head and "xlink:" in svg:
        head = head.replace("<svg ", '<svg xmlns:xlink="http://www.w3.org/1999/xlink" ', 1)
    return head + style + svg[head_end:]


def chart_images(html: str) -> str:
    """Each inline SVG chart of ``html`` in a box the stylesheet shows (hidden without it),
    followed by the same chart as an ``<img>`` the stylesheet hides."""

    def both(m: re.Match[str]) -> str:
        svg = m.group(0)
        alt = _ARIA.search(svg[: svg.index(">")])
        data = base64.b64encode(svg_image(svg).encode("utf-8")).decode("ascii")
        return (
            f'{CHART_BOX}{svg}</div><img class="{CHART_FALLBACK_CLASS}" '
            f'alt="{alt.group(1) if alt else ""}" src="data:image/svg+xml;base64,{data}">'
        )

    return _SVG_CHART.sub(both, html)


def untrusted_section(html: str) -> str:
    """A section's HTML for a notebook: charts doubled as images, then the stylesheet's
    declarations inlined (:func:`chart_images`, :func:`inline_styles`)."""
    return inline_styles(chart_images(html))
