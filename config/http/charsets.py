"""The only text encodings a request body may name: UTF-8, UTF-16 and UTF-32 (ASCII as a subset).

Django takes a body's `charset` from its Content-Type for any name `codecs.lookup` knows, and
Python's codecs include byte-to-byte transforms (`bz2`, `zlib`, `base64`...) and text-to-text
ones (`rot13`): a 187-byte bz2 body named `charset=bz2` became 100 MB of JSON inside the
parser. So a name is matched against this fixed table, spelled as clients spell it, before any
codec runs; everything else, unknown names included, is 415 (config.http.middleware, config.http.parsers).

Why the body size limit (MAX_BODY_BYTES, on the bytes received) also bounds the decoded text:
each of these codecs turns at least one byte into each character (UTF-8: 1-4, UTF-16: 2 or 4,
UTF-32: 4, ASCII: 1), so the text never has more characters than the body had bytes. A
decompressing codec is the only kind that could exceed it, and none is in the table.
"""
from __future__ import annotations

from django.utils.http import parse_header_parameters

# The spelling a client sends (lower case, `_` as `-`) -> Python's codec name.
TEXT_CHARSETS: dict[str, str] = {
    "utf-8": "utf-8", "utf8": "utf-8",
    "utf-16": "utf-16", "utf16": "utf-16",
    "utf-16le": "utf-16-le", "utf-16-le": "utf-16-le", "utf-16be": "utf-16-be", "utf-16-be": "utf-16-be",
    "utf-32": "utf-32", "utf32": "utf-32",
    "utf-32le": "utf-32-le", "utf-32-le": "utf-32-le", "utf-32be": "utf-32-be", "utf-32-be": "utf-32-be",
    "ascii": "ascii", "us-ascii": "ascii",
}
UNSUPPORTED_CHARSET = "Request bodies must be UTF-8, UTF-16 or UTF-32 text; this charset is not supported."
UNSUPPORTED_CODING = "Request bodies must not be compressed or otherwise encoded (Content-Encoding: identity)."


def text_charset(name: str) -> str | None:
    """Python's codec for a charset a client named, or None when it is not one of ours."""
    return TEXT_CHARSETS.get(name.strip().lower().replace("_", "-"))


def content_type_charset(content_type: str) -> tuple[bool, str | None]:
    """(named, codec) for a Content-Type: whether it names a charset, and ours for it (or None)."""
    _, params = parse_header_parameters(content_type or "")
    if "charset" not in params:
        return False, None
    return True, text_charset(params["charset"])
