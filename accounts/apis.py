"""Thin DRF viewsets for accounts: parse, call a service or selector, serialize."""
from __future__ import annotations

import math

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

from accounts import selectors, services
from config.http.exceptions import ApplicationError, NotAuthenticated, NotFound
from config.http.fields import StrictCharField
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


@extend_schema_serializer(many=False)  # one profile, also where `list` serves it (GET /me)
class ProfileOut(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    total_score = serializers.IntegerField()
    quizzes_solved = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)


class PasswordChange(serializers.Serializer):
    current_password = StrictCharField(max_length=128, trim_whitespace=False)
    new_password = StrictCharField(min_length=8, max_length=128, trim_whitespace=False)


class ExpiresOut(serializers.Serializer):
    expires_in = serializers.IntegerField()


class TicketOut(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()


class LoginOut(serializers.Serializer):
    token = serializers.CharField()
    expires_in = serializers.IntegerField()
    user = UserOut()


class SessionOut(serializers.Serializer):
    id = serializers.CharField()
    created_at = serializers.CharField()
    last_seen_at = serializers.CharField()
    current = serializers.BooleanField()


ANONYMOUS = {"authentication_classes": [], "permission_classes": [AllowAny]}


class AuthViewSet(ViewSet):
    """Accounts and sessions: register, log in, refresh, log out, list sessions, WebSocket tickets."""

    @extend_schema(
        request=Credentials,
        responses={201: UserOut, 409: OpenApiResponse(description="`conflict`: the username is taken.")},
    )
    @action(detail=False, methods=["post"], throttle_classes=[AuthIpRateThrottle], **ANONYMOUS)
    def register(self, request):
        """Create an account."""
        data = Credentials(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(UserOut(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=Credentials,
        responses={
            200: LoginOut,
            401: OpenApiResponse(description="`not_authenticated`: wrong username or password."),
            403: OpenApiResponse(description="`forbidden`: the account is suspended."),
        },
    )
    @action(detail=False, methods=["post"], name="Log in", throttle_classes=[AuthIpRateThrottle], **ANONYMOUS)
    def login(self, request):
        """Exchange credentials for a session token."""
        data = Credentials(data=request.data)
        data.is_valid(raise_exception=True)
        failures = LoginFailureThrottle(username=data.validated_data["username"])
        failures.check(request, self)  # 429 while this username has too many recent failures
        try:
            user = services.user_authenticate(**data.validated_data)
            failures.forgive(request)  # a right password is no failure: give the slot back
            session = services.session_create(user=user)
        except services.InvalidCredentials:
            raise NotAuthenticated("Invalid username or password.")  # its slot stays: a failure
        body = {"token": session.token, "expires_in": session.expires_in, "user": user}
        return Response(LoginOut(body).data)

    @extend_schema(request=None, responses={200: ExpiresOut})
    @action(detail=False, methods=["post"])
    def refresh(self, request):
        """Slide the session's idle timer (authentication itself already did) and report it."""
        return Response({"expires_in": math.ceil(request.user.session_ttl_ms / 1000)})

    @extend_schema(request=None, responses={204: None})
    @action(detail=False, methods=["post"], name="Log out")
    def logout(self, request):
        """End the current session."""
        services.sessions_end(user_id=request.user.id, session_ids=[request.user.session_id])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None})
    @action(detail=False, methods=["post"], url_path="logout-all", name="Log out everywhere")
    def logout_all(self, request):
        """End every session of the current user."""
        services.sessions_end_all(user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=PasswordChange,
        responses={
            204: None,
            400: OpenApiResponse(description="`invalid`: a bad body, or the current password is wrong."),
        },
    )
    @action(detail=False, methods=["post"], name="Change password")
    def password(self, request):
        """Change the password; every other session ends, this one goes on."""
        data = PasswordChange(data=request.data)
        data.is_valid(raise_exception=True)
        failures = LoginFailureThrottle(username=request.user.username)
        failures.check(request, self)  # a wrong current password is a failed login, same limiter
        try:
            services.password_change(
                user_id=request.user.id, session_id=request.user.session_id, **data.validated_data
            )
        except services.InvalidCredentials:
            raise ApplicationError("The current password is wrong.", details={"field": "current_password"})
        failures.forgive(request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: SessionOut(many=True)})
    @action(detail=False, methods=["get"])
    def sessions(self, request):
        """List the current user's live sessions."""
        rows = selectors.user_sessions(
            user_id=request.user.id, current_session_id=request.user.session_id
        )
        return Response(SessionOut(rows, many=True).data)

    @extend_schema(request=None, responses={200: TicketOut})
    @action(detail=False, methods=["post"], url_path="ws-ticket", name="WebSocket ticket")
    def ws_ticket(self, request):
        """Issue a one-time ticket for opening a WebSocket."""
        ticket, ttl = services.ws_ticket_create(user=request.user)
        return Response({"ticket": ticket, "expires_in": ttl})


class MeViewSet(ViewSet):
    """The current user's profile: one resource at `me`, so the router's `list` route serves it."""

    def get_view_name(self) -> str:
        return "My profile"  # not the router's "Me List": this is one object

    @extend_schema(operation_id="me_retrieve", responses={200: ProfileOut})
    def list(self, request):
        """The current user's profile."""
        profile = selectors.user_profile(user_id=request.user.id)
        if profile is None:
            raise NotFound("User not found.")
        return Response(profile)  # already ProfileOut's shape; serializing it cost ~0.13 ms


class UserViewSet(ViewSet):
    """Users' public profiles, by id (16 hex digits: anything else is a 404 before Redis)."""

    lookup_field = "user_id"
    lookup_value_converter = "user_id"  # config.http.converters

    @extend_schema(responses={200: ProfileOut})
    def retrieve(self, request, user_id: str):
        """Any user's public profile."""
        profile = selectors.user_profile(user_id=user_id)
        if profile is None:
            raise NotFound("User not found.")
        return Response(profile)  # already ProfileOut's shape; serializing it cost ~0.13 ms
