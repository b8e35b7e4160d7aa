"""Path converters shared by the apps' URL maps."""
from django.urls import register_converter
from django.urls.converters import StringConverter


class UserIdConverter(StringConverter):
    """User ids are 16 hex digits; anything else never reaches a Redis key name (JSON 404)."""

    regex = "[0-9a-f]{16}"


register_converter(UserIdConverter, "user_id")


class GroupIdConverter(StringConverter):
    """Group ids are 16 hex digits too; anything else is a JSON 404 before any key is built."""

    regex = "[0-9a-f]{16}"


register_converter(GroupIdConverter, "group_id")
