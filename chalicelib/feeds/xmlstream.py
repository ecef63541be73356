"""Streaming, safe parsing of product feeds: items out, one at a time, with the line they start on.

Safety: defusedxml's parser with forbid_dtd=True (and its defaults forbid_entities,
forbid_external) refuses any DOCTYPE, entity declaration or external reference before expat
expands anything, so a billion-laughs or an XXE feed ends the parse with FeedUnsafe at its first
lines, having allocated nothing.  Memory: no element tree is built - a target object keeps only
the item being read (each field's text capped at MAX_TEXT) and the items finished since the last
chunk was fed, so a feed of any length parses in bounded memory.

Why not `defusedxml.ElementTree.iterparse`: it gives elements without their line numbers, and the
error report names the line of each bad item.  The parser below is the same DefusedXMLParser
iterparse uses, with a streaming target instead of a tree builder.

Tags are named as the field mapping writes them: Google's namespace as "g:" ("g:price"); any
other namespace (Atom's, say) is dropped ("title", "entry").
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

CHUNK = 64 * 1024
MAX_TEXT = 5000  # longer than any field we keep; a huge text node is cut, not stored
GOOGLE_NS = "http://base.google.com/ns/1.0"

# format → the element holding one product
ITEM_TAGS = {"google_merchant_rss": "item", "atom": "entry", "plain_xml": "product"}
# our field → the element names looked for, first found wins (the field mapping overrides these)
DEFAULT_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "google_merchant_rss": {
        "sku": ("g:id",), "name": ("g:title", "title"), "price": ("g:price",), "stock": ("g:quantity",),
        "vat": ("g:vat_rate", "vat_rate"), "barcode": ("g:gtin",), "brand": ("g:brand",),
        "category": ("g:product_type", "g:google_product_category"), "availability": ("g:availability",),
    },
    "plain_xml": {
        "sku": ("sku",), "name": ("name",), "price": ("price",), "stock": ("stock",), "vat": ("vat",),
        "barcode": ("barcode",), "brand": ("brand",), "category": ("category",),
        "availability": ("availability",),
    },
}
DEFAULT_FIELDS["atom"] = DEFAULT_FIELDS["google_merchant_rss"]
FIELDS = ("sku", "name", "price", "stock", "vat", "barcode", "brand", "category", "availability")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class FeedUnsafe(Exception):
    """The feed declares a DTD, an entity or an external reference: refused unread."""


class FeedUnreadable(Exception):
    """Not well-formed XML (the message names the line)."""


def tag_name(tag: str) -> str:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return f"g:{local}" if uri == GOOGLE_NS else local
    return tag


def field_tags(fmt: str, mapping: Mapping[str, Any] | None) -> tuple[str, dict[str, tuple[str, ...]]]:
    """(the item element, {our field: element names}) for a format and a source's mapping."""
    fields = dict(DEFAULT_FIELDS[fmt])
    item = ITEM_TAGS[fmt]
    for key, value in (mapping or {}).items():
        if key == "item":
            item = str(value)
        elif key in FIELDS:
            fields[key] = (value,) if isinstance(value, str) else tuple(value)
    return item, fields


class _Target:
    """What the parser calls for each start tag, text and end tag: keeps the current item only."""

    def __init__(self, item: str, fields: dict[str, tuple[str, ...]], expat: Any) -> None:
        self.item = item
        self.wanted: dict[str, list[tuple[int, str]]] = {}
        for field, tags in fields.items():
            for rank, tag in enumerate(tags):
                self.wanted.setdefault(tag, []).append((rank, field))
        self.expat = expat
        self.done: list[tuple[int, dict[str, str]]] = []
        self.current: dict[str, str] | None = None
        self.ranks: dict[str, int] = {}
        self.line = 0
        self.capturing: list[tuple[int, str]] | None = None
        self.depth = 0
        self.item_depth = 0
        self.field_depth = 0
        self.buffer: list[str] = []
        self.size = 0

    def start(self, tag: str, attrib: Any) -> None:
        self.depth += 1
        name = tag_name(tag)
        if self.current is None:
            if name == self.item:
                self.current, self.ranks, self.line = {}, {}, self.expat.CurrentLineNumber
                self.item_depth = self.depth
            return
        if self.capturing is None and name in self.wanted:
            self.capturing, self.field_depth, self.buffer, self.size = self.wanted[name], self.depth, [], 0

    def data(self, text: str) -> None:
        if self.capturing is not None and self.size < MAX_TEXT:
            self.buffer.append(text)
            self.size += len(text)

    def end(self, tag: str) -> None:
        if self.current is not None:
            if self.capturing is not None and self.depth == self.field_depth:
                value = "".join(self.buffer)[:MAX_TEXT].strip()
                for rank, field in self.capturing:
                    if rank < self.ranks.get(field, 99) and value:
                        self.current[field], self.ranks[field] = value, rank
                self.capturing = None
            elif self.depth == self.item_depth:
                self.done.append((self.line, self.current))
                self.current = None
        self.depth -= 1

    def close(self) -> None:
        return None


def items(stream: Readable, fmt: str, mapping: Mapping[str, Any] | None = None
          ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {field: text}) for each product of the feed, in order, read CHUNK bytes at a time."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    item, fields = field_tags(fmt, mapping)
    target = _Target(item, fields, None)
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    target.expat = parser.parser  # the expat parser: its CurrentLineNumber during a start tag
    try:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            parser.feed(chunk)
            yield from target.done
            target.done.clear()
        parser.close()
        yield from target.done
    except DefusedXmlException as exc:
        raise FeedUnsafe(f"{type(exc).__name__}: {exc}") from None
    except ParseError as exc:
        raise FeedUnreadable(str(exc)) from None
