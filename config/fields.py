"""Serializer fields that take only their own JSON type, as API.md promises (anything else: 400).

DRF's CharField turns a JSON number into its text (`{"username": 1e400}` registered a user named
"inf") and its IntegerField parses strings and integral floats ("5", 5.0). Request bodies are
JSON only (config.parsers.JSONParser), so a body field never needs either coercion.

Query integers are text, and DRF's IntegerField reads them through `int()` after dropping a
trailing ".0": `?offset=0.0`, `?limit=%201` (" 1") and Arabic-Indic digits were all numbers.
QueryIntegerField takes ASCII digits only, the syntax the fast reads parse too (config/fastpath.py).
"""
from __future__ import annotations

import re

from rest_framework import serializers

_DIGITS = re.compile(r"[0-9]+")


class StrictCharField(serializers.CharField):
    """A CharField that accepts only a JSON string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that accepts only a JSON integer (not a string, float or boolean)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryIntegerField(serializers.IntegerField):
    """An IntegerField for a query parameter: ASCII digits only (no sign, space, point or exponent)."""

    default_error_messages = {"invalid": "A whole number in the digits 0-9 is required."}
    SYNTAX = "Digits 0-9 only (no sign, spaces or decimal point), at most once in the query."

    def __init__(self, **kwargs):
        help_text = kwargs.pop("help_text", "")
        super().__init__(help_text=f"{help_text} {self.SYNTAX}".strip(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _DIGITS.fullmatch(data):
            self.fail("invalid")
        if len(data) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        return int(data)
