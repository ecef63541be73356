"""The image types an upload may declare, their file extensions, and sniffing by magic bytes."""
from __future__ import annotations

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# Declared Content-Type → extension of the stored original.
EXTENSIONS: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
CONTENT_TYPES: dict[str, str] = {ext: ctype for ctype, ext in EXTENSIONS.items()}

# Bytes needed to tell the three apart.
SNIFF_BYTES = 12


def sniff(head: bytes) -> str | None:
    """The content type the first bytes of a file announce, or None when they are none of ours.

    >>> sniff(b"\\xff\\xd8\\xff\\xe0\\x00\\x10JFIF")
    'image/jpeg'
    >>> sniff(b"GIF89a") is None
    True
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
