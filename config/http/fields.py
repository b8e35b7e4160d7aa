"""Serializer fields that take only their own JSON type, as API.md promises (anything else: 400).

DRF's CharField turns a JSON number into its text (`{"username": 1e400}` registered a user named
"inf") and its IntegerField parses strings and integral floats ("5", 5.0). Request bodies are
JSON only (config.http.parsers.JSONParser), so a body field never needs either coercion.
"""
from __future__ import annotations

from rest_framework import serializers


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
