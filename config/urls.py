"""URL map: every API path is under /api/v1/; anything else answers the JSON 404 envelope."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config import browser
from config.health import HealthApi
from config.queue_stats import QueueStatsApi


class NotFoundApi(APIView):
    """Catch-all so unknown paths get the JSON envelope even with DEBUG on."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.request = self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        response = self.handle_exception(NotFound("No such endpoint."))
        self.response = self.finalize_response(self.request, response, *args, **kwargs)
        return self.response


api_v1 = [
    path("health", HealthApi.as_view(), name="health"),
    path("admin/queues", QueueStatsApi.as_view(), name="admin-queues"),
    path("", include("accounts.urls")),
    path("", include("quizzes.urls")),
    path("", include("leaderboard.urls")),
]

urlpatterns = [
    path("api/v1/schema/", browser.SchemaApi.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # In a browser: the API docs offline, the AsyncAPI document, login, the live page, statics.
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/asyncapi.yaml", browser.asyncapi_document, name="asyncapi"),
    path("api-auth/", include("accounts.browser")),
    path("live/", browser.live_page, name="live"),
    path("", browser.home, name="home"),
    path("api/v1/", include(api_v1)),
    re_path(r"^.*$", NotFoundApi.as_view()),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
