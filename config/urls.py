"""URL map: every API path is under /api/v1/ (config/api_router.py); anything else answers the
JSON 404 envelope, or a 308 when the path only differs from a route by a trailing slash."""
from functools import partial

from django.http import HttpResponsePermanentRedirect
from django.urls import get_script_prefix, include, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.http import csp
from config.http.openapi import SchemaApi
from config.metrics.scrape import metrics_view
from leaderboard import pages

NOT_FOUND = "not-found"


def canonical_path(path_info: str) -> str | None:
    """The routed path that `path_info` differs from only by a trailing slash, or None."""
    candidate = path_info.rstrip("/") if path_info.endswith("/") else path_info + "/"
    if not candidate or candidate == path_info or resolve(candidate).url_name == NOT_FOUND:
        return None
    return candidate


class NotFoundApi(APIView):
    """Catch-all so unknown paths get the JSON envelope even with DEBUG on."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_view_name(self) -> str:
        return "Not found"

    def dispatch(self, request, *args, **kwargs):
        canonical = canonical_path(request.path_info)
        if canonical is not None:
            # 308, not 301: a client re-sends the same method and body to the canonical path.
            query = request.META.get("QUERY_STRING")
            location = get_script_prefix().rstrip("/") + canonical + (f"?{query}" if query else "")
            return HttpResponsePermanentRedirect(location, preserve_request=True)
        self.args, self.kwargs = args, kwargs
        self.request = self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        response = self.handle_exception(NotFound("No such endpoint."))
        self.response = self.finalize_response(self.request, response, *args, **kwargs)
        return self.response


_not_found_view = NotFoundApi.as_view()


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Answer an unrouted path; a plain function, so the browsable API's breadcrumbs skip it."""
    return _not_found_view(request, *args, **kwargs)


urlpatterns = [
    path("api/v1/schema/", SchemaApi.as_view(), name="schema"),
    # In a browser: the API docs offline, the AsyncAPI document, login, the live page. Swagger UI's
    # init script is served from `?script` (the split view), so no page needs an inline script.
    path("api/v1/docs/", csp.csp_policy(csp.SWAGGER)(SpectacularSwaggerSplitView.as_view(url_name="schema")),
         name="docs"),
    path("api/v1/redoc/", csp.csp_policy(csp.REDOC)(SpectacularRedocView.as_view(url_name="schema")), name="redoc"),
    path("api/v1/asyncapi.yaml", pages.asyncapi_document, name="asyncapi"),
    path("api-auth/", include("accounts.browser")),
    path("live/", pages.live_page, name="live"),
    # Prometheus text format for every process of the host; 404 without METRICS_TOKEN (config/metrics/).
    path("metrics", metrics_view, name="metrics"),
    path("", csrf_exempt(partial(pages.home, not_found=not_found)), name="home"),
    path("api/v1/", include("config.api_router")),
    re_path(r"^.*$", not_found, name=NOT_FOUND),
]

handler400 = "config.http.error_pages.bad_request"
handler403 = "config.http.error_pages.permission_denied"
handler404 = "config.http.error_pages.page_not_found"
handler500 = "config.http.error_pages.server_error"
