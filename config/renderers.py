"""The browsable API's renderer: DRF's, with the API's own relative links made clickable."""
from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import mark_safe
from rest_framework import renderers

# A JSON string holding one of our paths, as it appears in the escaped page ("status_url").
_API_PATH = re.compile(r"&quot;(/api/v1/[A-Za-z0-9_\-/]*)&quot;")


def link_api_paths(content: str) -> str:
    """Escape `content` and turn each quoted "/api/v1/..." string into a link (DRF links only http URLs)."""
    return mark_safe(_API_PATH.sub(r'&quot;<a href="\1" rel="nofollow">\1</a>&quot;', escape(content)))


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API, where a relative link in a body (a submission's `status_url`) opens."""

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        context["content"] = link_api_paths(context["content"])
        return context
