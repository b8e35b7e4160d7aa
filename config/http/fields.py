"""Serializer fields that take only their own JSON type, as API.md promises (anything else: 400),
and the schema extensions that state what they refuse.

DRF's CharField turns a JSON number into its text (`{"username": 1e400}` registered a user named
"inf") and its IntegerField parses strings and integral floats ("5", 5.0). Request bodies are
JSON only (config.http.parsers.JSONParser), so a body field never needs either coercion.

Query integers are text, and DRF's IntegerField reads them through `int()` after dropping a
trailing ".0": `?offset=0.0`, `?limit=%201` (" 1") and Arabic-Indic digits were all numbers.
QueryIntegerField takes ASCII digits only, the syntax the fast reads parse too (config/http/fastpath.py).
"""
from __future__ import annotations

import re

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
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


# --- What the schema says about them (drf-spectacular field extensions) ---------------------------
# DRF's CharField refuses NUL (ProhibitNullCharactersValidator) and, unless allow_blank, a value
# that is empty once trimmed; drf-spectacular states neither, nor a list serializer's
# min_length/max_length. These extensions add them, so generated clients and schemathesis see
# the rules the server enforces. Python's `\s` is str.strip()'s whitespace, which DRF trims.
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    """StrictCharField's schema: drf-spectacular's, with the NUL and blank rules as a `pattern`.

    Calls AutoSchema._map_serializer_field(..., bypass_extensions=True), the way drf-spectacular's
    documentation extends a field (written against drf-spectacular 0.28-0.30, pinned in
    pyproject.toml; tests/ops/test_schema_rules.py fails when a rule goes missing).
    """

    target_class = StrictCharField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        # A field's own RegexValidator (the username's) says more; drf-spectacular adds it next.
        if not any(isinstance(v, RegexValidator) for v in self.target.validators):
            blank_refused = self.target.trim_whitespace and not self.target.allow_blank
            schema["pattern"] = NOT_BLANK if blank_refused else NO_NUL
        return schema


class ListSerializerSchema(OpenApiSerializerFieldExtension):
    """A nested `many=True` serializer's schema with its min_length/max_length as minItems/maxItems."""

    target_class = serializers.ListSerializer

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if self.target.min_length is not None:
            schema["minItems"] = self.target.min_length
        if self.target.max_length is not None:
            schema["maxItems"] = self.target.max_length
        return schema
