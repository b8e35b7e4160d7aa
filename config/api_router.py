"""The API router: every app's viewsets on one DefaultRouter, mounted at /api/v1/ by config.urls.

Each app registers its viewsets on its own router in `<app>/urls.py`; this module takes their
registrations by dotted path (as `include()` would), so `config` composes the apps without
importing their views. `GET /api/v1/` is the router's API root.
"""
from __future__ import annotations

import re
from importlib import import_module

from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import APIRootView, DefaultRouter

import config.http.converters  # noqa: F401  (registers <user_id:...>)
from config.health import HealthViewSet
from config.jobs.stats import QueueStatsViewSet

APP_URLCONFS = ("accounts.urls", "quizzes.urls", "leaderboard.urls")
CONVERTER = re.compile(r"<(?:[^>:]+:)?(\w+)>")


class ApiRootView(APIRootView):
    """Link every resource of the API; a route that takes an id is a URI template, such as {quiz_id}."""

    authentication_classes: list = []  # a public index: it reads nothing, so it needs no session
    permission_classes = [AllowAny]
    routes: tuple[str, ...] = ()

    def get_view_name(self) -> str:
        return "Quizboard API"

    def get(self, request, *args, **kwargs):
        base = request.build_absolute_uri(request.path)
        return Response({route: base + route for route in self.routes})


class ApiRouter(DefaultRouter):
    """DefaultRouter with an API root that lists every route, and no `.json` suffix routes."""

    APIRootView = ApiRootView
    include_format_suffixes = False  # not in the contract: `?format=` and Accept choose the renderer

    def get_routes(self, viewset):
        """A viewset with `singleton = True` is one object at its prefix (`me`): PATCH and DELETE there too."""
        routes = super().get_routes(viewset)
        if not getattr(viewset, "singleton", False):
            return routes
        # dict.get: an action's mapping is DRF's MethodMapper, whose own `.get` is a decorator.
        lists = [route for route in routes if dict.get(route.mapping, "get") == "list"]
        extra = [route for route in routes if not route.detail and route not in lists]
        return [route._replace(mapping={**route.mapping, "patch": "partial_update", "delete": "destroy"})
                for route in lists] + extra

    def get_api_root_view(self, api_urls=None):
        routes = (CONVERTER.sub(r"{\1}", str(url.pattern)) for url in api_urls or [])
        return self.APIRootView.as_view(routes=tuple(dict.fromkeys(routes)))


router = ApiRouter(trailing_slash=False, use_regex_path=False)
for urlconf in APP_URLCONFS:
    router.registry.extend(import_module(urlconf).router.registry)
router.register("health", HealthViewSet, basename="health")
router.register("admin/queues", QueueStatsViewSet, basename="admin-queues")

urlpatterns = router.urls
