"""The browsable API's renderer: DRF's, with the API's own relative links made clickable."""
from __future__ import annotations

import html
import re

from django.utils.safestring import mark_safe
from rest_framework import renderers

from accounts.browser import browser_session_user
from config.redis.errors import REDIS_DOWN

# A JSON string holding one of our paths ("status_url": "/api/v1/submissions/...").
_API_PATH = re.compile(r'"(/api/v1/[A-Za-z0-9_\-/]*)"')


def link_api_paths(content: str) -> str:
    """Escape `content` and turn each quoted "/api/v1/..." string into a link (DRF links only http URLs).

    Quotes stay as they are (the text sits in a <pre>, not in an attribute), so the template's
    `urlize` still finds and links the absolute URLs between them.
    """
    return mark_safe(_API_PATH.sub(r'"<a href="\1" rel="nofollow">\1</a>"', html.escape(content, quote=False)))


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API, where a relative link in a body (a submission's `status_url`) opens,
    and the navbar shows the browser's login on public pages too (the API root reads no session)."""

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        context["content"] = link_api_paths(context["content"])
        if not getattr(context.get("user"), "is_authenticated", False):
            try:
                context["user"] = browser_session_user(renderer_context["request"]._request) or context["user"]
            except REDIS_DOWN:
                pass  # only the navbar would have used it; the page itself has its answer
        return context
