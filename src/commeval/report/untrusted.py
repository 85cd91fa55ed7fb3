"""Moved to :mod:`commeval.renderers.untrusted` (the page protocol is the HTML renderer's); the
names stay importable from here."""

from commeval.renderers.untrusted import *  # noqa: F403
from commeval.renderers.untrusted import (  # noqa: F401
    chart_images,
    computed_declarations,
    inline_styles,
    parse_selector,
    rules,
    svg_image,
    untrusted_section,
)
