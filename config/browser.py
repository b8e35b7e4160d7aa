"""Pages for a person with a browser: the live leaderboard, the OpenAPI schema as text, AsyncAPI."""
from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView

from accounts.browser import browser_session_user
from config import csp

ASYNCAPI = Path(__file__).resolve().parent.parent / "leaderboard" / "asyncapi.yaml"


class OpenApiYamlTextRenderer(OpenApiYamlRenderer):
    """The same YAML as `text/plain`, so a browser shows the schema instead of refusing it."""

    media_type = "text/plain"
    format = "yaml-text"
    charset = "utf-8"


class SchemaApi(SpectacularAPIView):
    """OpenAPI 3 schema: YAML or JSON by Accept (drf-spectacular), and readable text for a browser."""

    renderer_classes = [*SpectacularAPIView.renderer_classes, OpenApiYamlTextRenderer]

    def get_renderers(self):
        renderers = super().get_renderers()
        accept = self.request.META.get("HTTP_ACCEPT", "")
        if "text/html" in accept:
            renderers.sort(key=lambda r: not isinstance(r, OpenApiYamlTextRenderer))
        return renderers


@require_safe
def asyncapi_document(request: HttpRequest) -> HttpResponse:
    """The AsyncAPI 3 document for the WebSockets (text, so a browser shows it)."""
    response = HttpResponse(ASYNCAPI.read_bytes(), content_type="text/yaml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


def home(request: HttpRequest, *, not_found) -> HttpResponse:
    """`/` leads a browser to the live leaderboard; an API client gets the JSON 404 as before."""
    if request.method in ("GET", "HEAD") and "text/html" in request.META.get("HTTP_ACCEPT", ""):
        return redirect("live")
    return not_found(request)


@require_safe
@ensure_csrf_cookie
@csp.csp_policy(csp.STRICT)
def live_page(request: HttpRequest) -> HttpResponse:
    """The live leaderboard page: the browser's session user, or a link to log in."""
    user = browser_session_user(request)
    response = render(request, "quizboard/live.html", {"user": user})
    response["Cache-Control"] = "no-store"
    return response
