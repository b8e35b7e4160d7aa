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

from accounts import audit, erasure, moderation, records, selectors, services
from accounts.permissions import IsAdmin
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
    public = serializers.BooleanField()


class PrivacyIn(serializers.Serializer):
    public = serializers.BooleanField(required=True)

    def to_internal_value(self, data):
        # Strict types as everywhere else (config/http/fields.py): a JSON boolean, not "yes" or 1.
        if isinstance(data, dict) and "public" in data and not isinstance(data["public"], bool):
            raise serializers.ValidationError({"public": ["Must be true or false."]})
        return super().to_internal_value(data)


class PasswordIn(serializers.Serializer):
    password = StrictCharField(max_length=128, trim_whitespace=False)


class ExportOut(serializers.Serializer):
    profile = serializers.DictField()
    sessions = serializers.ListField(child=serializers.DictField())
    submissions = serializers.ListField(child=serializers.DictField())
    groups = serializers.ListField(child=serializers.DictField())
    leagues = serializers.ListField(child=serializers.DictField())


class ReasonIn(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class BanOut(serializers.Serializer):
    id = serializers.CharField()
    banned = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    banned_at = serializers.CharField(required=False)


class AuditEntryOut(serializers.Serializer):
    id = serializers.CharField()
    at = serializers.CharField()
    actor_id = serializers.CharField()
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    reason = serializers.CharField()


@extend_schema_serializer(many=False)  # one document, though `list` serves it
class AuditOut(serializers.Serializer):
    entries = AuditEntryOut(many=True)


class AuditQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=500, default=50)
    before = serializers.RegexField(r"^\d{1,20}-\d{1,20}\Z", required=False)

    def validate_before(self, value: str) -> str:
        if any(int(part) >= 2**64 for part in value.split("-")):
            raise serializers.ValidationError("Not a stream entry id.")
        return value


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
            429: OpenApiResponse(description="`rate_limited`: too many failed logins for this username."),
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

    singleton = True  # config.api_router: PATCH and DELETE on `me` itself

    def get_view_name(self) -> str:
        return "My profile"  # not the router's "Me List": this is one object

    @extend_schema(operation_id="me_retrieve", responses={200: ProfileOut})
    def list(self, request):
        """The current user's profile."""
        profile = selectors.user_profile(user_id=request.user.id)
        if profile is None:
            raise NotFound("User not found.")
        return Response(profile)  # already ProfileOut's shape; serializing it cost ~0.13 ms

    @extend_schema(operation_id="me_partial_update", request=PrivacyIn, responses={200: ProfileOut})
    def partial_update(self, request):
        """Show or hide yourself on the public boards (global, period, per-quiz)."""
        data = PrivacyIn(data=request.data)
        data.is_valid(raise_exception=True)
        moderation.user_privacy_set(user_id=request.user.id, public=data.validated_data["public"])
        return Response(selectors.user_profile(user_id=request.user.id))

    @extend_schema(
        operation_id="me_destroy", request=PasswordIn,
        description="Erase your account and everything held about you. Body: `{\"password\": \"...\"}` "
                    "(your current password).",
        responses={
            204: None, 400: OpenApiResponse(description="`invalid`: a bad body or a wrong password."),
            429: OpenApiResponse(description="`rate_limited`: too many failed logins for this username."),
        },
    )
    def destroy(self, request):
        """Erase your account and everything held about you."""
        data = PasswordIn(data=request.data)
        data.is_valid(raise_exception=True)
        failures = LoginFailureThrottle(username=request.user.username)
        failures.check(request, self)
        try:
            services.user_authenticate(username=request.user.username, password=data.validated_data["password"])
        except services.InvalidCredentials:
            raise ApplicationError("The password is wrong.", details={"field": "password"})
        failures.forgive(request)
        erasure.user_erase(user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="me_export_retrieve", responses={200: ExportOut})
    @action(detail=False, methods=["get"], name="Export my data")
    def export(self, request):
        """Everything held about you, in one readable document (no token, ticket or password hash)."""
        return Response(records.user_export(user_id=request.user.id))


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

    @extend_schema(request=ReasonIn, responses={200: BanOut, 403: OpenApiResponse(description="`forbidden`: admins only.")})
    @action(detail=True, methods=["post"], permission_classes=[IsAdmin], name="Ban")
    def ban(self, request, user_id: str):
        """Ban a user: sessions end, boards drop them, queued submissions are not scored."""
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(moderation.user_ban(actor_id=request.user.id, user_id=user_id, **data.validated_data))

    @extend_schema(request=ReasonIn, responses={200: BanOut, 403: OpenApiResponse(description="`forbidden`: admins only.")})
    @action(detail=True, methods=["post"], permission_classes=[IsAdmin], name="Unban")
    def unban(self, request, user_id: str):
        """Lift a ban: back on every board with their points."""
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(moderation.user_unban(actor_id=request.user.id, user_id=user_id, **data.validated_data))


class AuditViewSet(ViewSet):
    """The audit log of admin actions, newest first."""

    permission_classes = [IsAdmin]

    def get_view_name(self) -> str:
        return "Audit log"

    @extend_schema(operation_id="admin_audit_retrieve", parameters=[AuditQuery], responses={200: AuditOut})
    def list(self, request):
        """Admin actions, newest first: `limit` of them, older than the entry id `before`."""
        query = AuditQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response({"entries": audit.audit_entries(**query.validated_data)})
