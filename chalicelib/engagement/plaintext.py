"""Review text as plain text: markup removed, so what is stored can never run as HTML.

Reviews are shown by the web shop, the admin panel and the app, some of which may put the text
into a page as HTML.  The stored text therefore carries no markup at all:

- `<script>` / `<style>` elements go with their content, comments and every tag are removed;
- a `<` that would still open a tag (followed by a letter, `/`, `!` or `?`, e.g. the start of
  an unterminated `<img src=x onerror=...`) is removed too, so no sequence in the result is
  read by an HTML parser as a tag, comment or declaration;
- everything else stays as typed: "3 < 5", "<3", "Fiyat & kalite" and entity-like text
  ("&lt;b&gt;") are kept literally (as text they are harmless; escaping them here would show
  "&amp;" in the app, which renders text, not HTML);
- control characters go, line breaks are kept (at most one blank line in a row, multiline
  fields only), and the text is NFC-normalised and trimmed.

Clients still escape on output as usual; this is the second line of defence, not the first.

    >>> plain_text('<p onclick="x()">Harika <b>çadır</b></p><script>alert(1)</script>')
    'Harika çadır'
    >>> plain_text("3 < 5 ama <img src=x onerror=alert(1)")
    '3 < 5 ama img src=x onerror=alert(1)'
"""
from __future__ import annotations

import re
import unicodedata

_DANGEROUS_ELEMENTS = re.compile(r"<\s*(script|style|iframe|object|embed|template|noscript)\b.*?(<\s*/\s*\1\s*>|\Z)",
                                 re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.DOTALL)
_TAG = re.compile(r"<\s*[/!?]?\s*[a-zA-Z][^<>]*>")
_TAG_OPENER = re.compile(r"<(?=\s*[a-zA-Z/!?])")
# C0 / C1 controls except tab and newline, and the Unicode line / paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_INLINE_SPACE = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def plain_text(value: str, *, multiline: bool = True) -> str:
    """`value` with all markup removed (see the module docstring); may return ''."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    previous = None
    while previous != text:  # removing one construct can join the pieces of another
        previous = text
        text = _DANGEROUS_ELEMENTS.sub(" ", text)
        text = _COMMENT.sub(" ", text)
        text = _TAG.sub(" ", text)
    text = _TAG_OPENER.sub("", text)
    lines = [_INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    if not multiline:
        return " ".join(line for line in lines if line)
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
