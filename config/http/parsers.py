"""Request bodies: the API's JSON parser, and the WSGI step that reads chunked bodies.

DRF's JSON parser, plus two 400s it misses. Python's json decoder raises RecursionError (not
ValueError) on deep nesting such as 30,000 opening brackets, which fit well inside
MAX_BODY_BYTES; DRF's parser only turns ValueError into a ParseError, so such a body would
otherwise end as a 500. And a number too large for a double (`1e400`) decodes to infinity,
which is not a JSON value: it is rejected like DRF rejects `Infinity` and `NaN`.

DRF decodes the body with whatever codec the `charset` names (`codecs.getreader`), and Python's
codecs include `bz2` and `zlib`: a 187-byte body became 100 MB of text. This parser decodes only
UTF-8, UTF-16 and UTF-32 (config/http/charsets.py; any other charset is 415, as
config.http.middleware.RequestInputMiddleware answers it before a view runs), in one strict
`bytes.decode` of a body Django has already held to MAX_BODY_BYTES, so the text that reaches
the JSON decoder is never longer than that limit. Every other error the decoding or the JSON
decoder can raise on client input is a 400 `invalid`.

Chunked bodies: Django's WSGI request reads exactly CONTENT_LENGTH bytes, and a chunked request
has none, so its body was read as empty (a chunked login answered "username: This field is
required"). ChunkedBodies reads such a body, at most MAX_BODY_BYTES + 1 bytes of it, and hands
Django the bytes with their length, so a too-large one meets the same 413 as any other.
"""
from __future__ import annotations

import io
import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.utils import json

from config.http.charsets import UNSUPPORTED_CHARSET, content_type_charset


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"Out of range float value: {text}")
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser for UTF-8/16/32 only, answering 400 `invalid` for every undecodable body."""

    def parse(self, stream, media_type=None, parser_context=None):
        # DRF's JSONParser.parse, with the charset checked, the body decoded in one strict step
        # and parse_float added (DRF passes only parse_constant).
        codec = _body_codec(media_type)
        body = stream.read() if stream is not None else b""
        if len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise RequestDataTooBig("The request body is too large.")  # Django's own check, repeated here
        try:
            text = body.decode(codec)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - the body is not valid {codec}: {exc.reason}.") from None
        try:
            return json.loads(text, parse_constant=json.strict_constant, parse_float=_finite_float)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        except (ValueError, TypeError, OverflowError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _body_codec(media_type: str | None) -> str:
    """The codec for a body's Content-Type: UTF-8 by default, 415 for a charset not in ours."""
    try:
        named, codec = content_type_charset(media_type or "")
    except ValueError:  # Django's header parser refuses the parameters themselves
        raise UnsupportedMediaType(media_type, detail=UNSUPPORTED_CHARSET) from None
    if named and codec is None:
        raise UnsupportedMediaType(media_type, detail=UNSUPPORTED_CHARSET)
    return codec or "utf-8"


class ChunkedBodies:
    """WSGI middleware: give Django a chunked request body with its length (413 past the limit)."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            # One byte past the limit is enough for Django's RequestDataTooBig (413).
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)


def _read_at_most(stream, size: int) -> bytes:
    """Read from `stream` until it ends or `size` bytes are in."""
    parts, remaining = [], size
    while remaining > 0:
        part = stream.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)
