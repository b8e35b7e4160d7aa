"""Thin DRF views for accounts: parse, call a service or selector, serialize."""
from __future__ import annotations

import math

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from config.exceptions import NotAuthenticated, NotFound
from config.fields import StrictCharField
from ratelimit.throttles import AuthIpRateThrottle, LoginFailureThrottle

USERNAME_RE = r"^[A-Za-z0-9_.\-]{3,32}\Z"


class Credentials(serializers.Serializer):
    username = StrictCharField(
        min_length=3,
        max_length=32,
        trim_whitespace=False,
        validators=[RegexValidator(USERNAME_RE, "Use 3-32 of: letters, digits, _ - .")],
    )
    password = StrictCharField(min_length=8, max_length=128, trim_whitespace=False)


class UserOut(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()


class ProfileOut(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    total_score = serializers.IntegerField()
    quizzes_solved = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)


class ExpiresOut(serializers.Serializer):
    expires_in = serializers.IntegerField()


class TicketOut(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()


class RegisterApi(APIView):
    """Create an account."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthIpRateThrottle]

    @extend_schema(
        request=Credentials,
        responses={201: UserOut, 409: OpenApiResponse(description="`conflict`: the username is taken.")},
    )
    def post(self, request):
        data = Credentials(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(UserOut(user).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    """Exchange credentials for a session token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthIpRateThrottle]

    class LoginOut(serializers.Serializer):
        token = serializers.CharField()
        expires_in = serializers.IntegerField()
        user = UserOut()

    @extend_schema(
        request=Credentials,
        responses={
            200: LoginOut,
            401: OpenApiResponse(description="`not_authenticated`: wrong username or password."),
        },
    )
    def post(self, request):
        data = Credentials(data=request.data)
        data.is_valid(raise_exception=True)
        failures = LoginFailureThrottle(username=data.validated_data["username"])
        failures.check(request, self)  # 429 while this username has too many recent failures
        try:
            user = services.user_authenticate(**data.validated_data)
        except services.InvalidCredentials:
            raise NotAuthenticated("Invalid username or password.")  # its slot stays: a failure
        failures.forgive(request)  # a right password is no failure: give the slot back
        session = services.session_create(user=user)
        body = {"token": session.token, "expires_in": session.expires_in, "user": user}
        return Response(self.LoginOut(body).data)


class RefreshApi(APIView):
    """Slide the session's idle timer (authentication itself already did) and report it."""

    @extend_schema(request=None, responses={200: ExpiresOut})
    def post(self, request):
        return Response({"expires_in": math.ceil(request.user.session_ttl_ms / 1000)})


class LogoutApi(APIView):
    """End the current session."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.sessions_end(user_id=request.user.id, session_ids=[request.user.session_id])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    """End every session of the current user."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.sessions_end_all(user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionsApi(APIView):
    """List the current user's live sessions."""

    class SessionOut(serializers.Serializer):
        id = serializers.CharField()
        created_at = serializers.CharField()
        last_seen_at = serializers.CharField()
        current = serializers.BooleanField()

    @extend_schema(responses={200: SessionOut(many=True)})
    def get(self, request):
        rows = selectors.user_sessions(
            user_id=request.user.id, current_session_id=request.user.session_id
        )
        return Response(self.SessionOut(rows, many=True).data)


class WsTicketApi(APIView):
    """Issue a one-time ticket for opening a WebSocket."""

    @extend_schema(request=None, responses={200: TicketOut})
    def post(self, request):
        ticket, ttl = services.ws_ticket_create(user=request.user)
        return Response({"ticket": ticket, "expires_in": ttl})


class MeApi(APIView):
    """The current user's profile."""

    @extend_schema(responses={200: ProfileOut})
    def get(self, request):
        profile = selectors.user_profile(user_id=request.user.id)
        if profile is None:
            raise NotFound("User not found.")
        return Response(profile)  # already ProfileOut's shape; serializing it cost ~0.13 ms


class UserDetailApi(APIView):
    """Any user's public profile."""

    @extend_schema(responses={200: ProfileOut})
    def get(self, request, user_id: str):
        profile = selectors.user_profile(user_id=user_id) if len(user_id) <= 64 else None
        if profile is None:
            raise NotFound("User not found.")
        return Response(profile)  # already ProfileOut's shape; serializing it cost ~0.13 ms
