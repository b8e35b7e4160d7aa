"""Pages for a person with a browser: the live leaderboard and the AsyncAPI document of its sockets."""
from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from accounts.browser import browser_session_user
from config.http import csp

ASYNCAPI = Path(__file__).resolve().parent / "asyncapi.yaml"


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
    response = render(request, "leaderboard/live.html", {"user": user})
    response["Cache-Control"] = "no-store"
    return response
