"""The article body's rich text: sanitised HTML (nh3) in, plain text out (for search and diffs).

Authors paste from Word, chat apps and web pages; only a small, safe subset of HTML is kept (SEC-5:
no scripts, styles, event handlers or foreign frames). Text without any tag is plain text: blank
lines make paragraphs and single line breaks are kept.
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {
    "p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "u", "code", "pre", "h3", "h4",
    "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
_TAG = re.compile(r"<[a-zA-Z/][^>]*>")
MAX_CHARS = 20_000


def sanitise(raw: str) -> str:
    """Safe HTML for one body part. Plain text becomes paragraphs; HTML is cleaned by nh3."""
    raw = (raw or "").replace("\r\n", "\n").strip()[:MAX_CHARS]
    if not raw:
        return ""
    if not _TAG.search(raw):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", raw) if p.strip()]
        raw = "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


_BLOCK_END = re.compile(r"</(p|li|h3|h4|tr|pre|blockquote)>|<br\s*/?>", re.IGNORECASE)


def to_text(safe_html: str) -> str:
    """Readable plain text of sanitised HTML: one line per paragraph, list item or table row."""
    text = _BLOCK_END.sub("\n", safe_html or "")
    text = re.sub(r"<li[^>]*>", "• ", text)
    text = re.sub(r"</t[dh]>", " ", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)
