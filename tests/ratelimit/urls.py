"""Probe endpoints guarded by the throttles (the real submissions endpoint lives in quizzes/)."""
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ratelimit.throttles import AuthIpRateThrottle, SubmissionRateThrottle


class SubmitProbeApi(APIView):
    """Authenticated, limited like submissions; touches Redis only to authenticate and limit."""

    throttle_classes = [SubmissionRateThrottle]

    def post(self, request):
        return Response({"accepted": True}, status=202)


class IpProbeApi(APIView):
    """Anonymous, limited per client address; touches Redis only to limit."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthIpRateThrottle]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("probe/submit", SubmitProbeApi.as_view()),
    path("probe/ip", IpProbeApi.as_view()),
    path("api/v1/", include("accounts.urls")),
]
