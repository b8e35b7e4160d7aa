"""Content-Security-Policy for every HTML page the service serves, all policies in this one file.

`ContentSecurityPolicyMiddleware` gives each `text/html` response the policy its view asked for
with `@csp_policy(...)`, else `PAGES` (the browsable API, the login page, the error pages). JSON,
the YAML documents and static files get none: a browser runs no script from them, and the fast
path (config/http/fastpath.py) sends the same JSON headers as Django.

Every policy keeps scripts to this origin with no 'unsafe-inline' and no 'unsafe-eval': Swagger UI's
init script comes from its own URL (drf-spectacular's SpectacularSwaggerSplitView) and Redoc starts
from its `<redoc>` tag. Where a library needs inline styles the policy says so, and why.

Written by hand rather than with django-csp: four fixed strings with no nonces or per-request
logic; Django 5.2 has no CSP of its own (6.0 adds `django.middleware.csp`, which can replace this).
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
_ATTRIBUTE = "csp_policy"

_BASE = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    # 'self' also matches ws:/wss: on the same host (CSP 3): the live page's sockets.
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(**directives: str) -> str:
    """The base policy with `directives` (underscores for dashes) added or replaced."""
    merged = {**_BASE, **{name.replace("_", "-"): value for name, value in directives.items()}}
    return "; ".join(f"{name} {value}" for name, value in merged.items())


# The live page: its own script and stylesheet, nothing inline at all.
STRICT = policy()
# DRF's templates (base.html, login_base.html, the form fieldsets) lay out with `style="..."`
# attributes. `style-src-attr` allows those and nothing else: a <style> element, which could
# read the page through CSS selectors, stays refused (a browser without CSP 3's -attr
# directives falls back to style-src 'self' and only loses that layout).
PAGES = policy(style_src_attr="'unsafe-inline'")
# Swagger UI (sidecar files): React sets styles through the DOM, which CSP does not govern;
# its icons are data: SVGs. "Try it out" calls this origin.
SWAGGER = policy()
# Redoc: styled-components writes <style> elements at run time and offers no nonce to a page
# that loads the standalone bundle, so inline styles are unavoidable here; it searches in a
# Web Worker started from a blob: URL and draws some images and fonts from data:/blob: URLs.
REDOC = policy(
    style_src="'self' 'unsafe-inline'", img_src="'self' data: blob:", font_src="'self' data:",
    worker_src="'self' blob:",
)


def _is_html(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "text/html"


def protect(response: HttpResponse, default: str = PAGES) -> HttpResponse:
    """Give an HTML `response` its view's policy (or `default`) unless it already has one."""
    if HEADER not in response and _is_html(response):
        response[HEADER] = getattr(response, _ATTRIBUTE, default)
    return response


def csp_policy(value: str) -> Callable:
    """Decorate a view so its HTML pages carry the policy `value` instead of `PAGES`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            setattr(response, _ATTRIBUTE, value)  # applied once rendered (the type is known then)
            return response

        return wrapped

    return decorator


class ContentSecurityPolicyMiddleware:
    """Add the Content-Security-Policy header to every HTML response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return protect(self.get_response(request))
