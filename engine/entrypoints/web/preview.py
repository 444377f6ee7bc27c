"""Show a .docx in the browser: mammoth turns it into HTML, nh3 keeps only harmless markup.

What a draft may carry is not trusted: a script, an event handler, a link (javascript: or anywhere else) or an
image would reach the reviewer's browser. Only text structure survives; the page's Content-Security-Policy is
the second fence.
"""

from __future__ import annotations

import io

import mammoth
import nh3

TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "u", "s", "sup", "sub", "br"}
TAGS |= {"ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def docx_to_safe_html(data: bytes) -> tuple[str, tuple[str, ...]]:
    """The document's body as sanitised HTML, and what mammoth could not convert, in its own words."""
    result = mammoth.convert_to_html(io.BytesIO(data))
    html = nh3.clean(result.value, tags=TAGS, attributes=ATTRIBUTES, url_schemes=set(), strip_comments=True)
    return html, tuple(str(m.message) for m in result.messages)
