"""The API's JSON parser: DRF's own, plus a 400 for a body nested too deeply to parse.

Python's json decoder raises RecursionError (not ValueError) on deep nesting such as 30,000
opening brackets, which fit well inside MAX_BODY_BYTES; DRF's parser only turns ValueError into
a ParseError, so such a body would otherwise end as a 500.
"""
from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser that answers 400 `invalid` for too-deep nesting too."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
