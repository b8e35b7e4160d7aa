"""Thin DRF viewset for groups: parse, call leaderboard/groups.py, serialize."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

from config.http.fields import QueryIntegerField, StrictCharField
from leaderboard import groups
from leaderboard.apis import NOT_KEPT, AroundIn, AroundOut, PageIn, PageOut, board_moment, query_validated
from ratelimit.throttles import GroupJoinRateThrottle


class GroupOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    owner_id = serializers.CharField()
    member_count = serializers.IntegerField()
    role = serializers.ChoiceField(choices=["owner", "member"], help_text="the caller's role")
    join_code = serializers.CharField(allow_null=True, help_text="shown to the owner only (null for members)")


class GroupIn(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=100)


class GroupJoinIn(serializers.Serializer):
    join_code = StrictCharField(max_length=64, help_text="case-insensitive")


class GroupJoinCodeOut(serializers.Serializer):
    join_code = serializers.CharField()


class GroupMembersIn(serializers.Serializer):
    limit = QueryIntegerField(min_value=1, max_value=100, default=50)
    offset = QueryIntegerField(min_value=0, max_value=10_000_000, default=0)


class GroupMemberOut(serializers.Serializer):
    user_id = serializers.CharField()
    username = serializers.CharField(allow_null=True)
    role = serializers.ChoiceField(choices=["owner", "member"])
    joined_at = serializers.CharField()


@extend_schema_serializer(many=False)
class GroupMembersOut(serializers.Serializer):
    total = serializers.IntegerField()
    entries = GroupMemberOut(many=True)


def _body(serializer_class: type[serializers.Serializer], request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


class GroupViewSet(ViewSet):
    """Groups (classes, study groups): the caller's own, each with its members and boards."""

    lookup_field = "group_id"
    lookup_value_converter = "group_id"

    @extend_schema(responses={200: GroupOut(many=True)})
    def list(self, request):
        """The caller's groups, owned and joined."""
        return Response(groups.groups_of(user_id=request.user.id))

    @extend_schema(request=GroupIn, responses={201: GroupOut})
    def create(self, request):
        """Create a group; the caller is its owner."""
        group = groups.group_create(user_id=request.user.id, **_body(GroupIn, request))
        return Response(group, status=201)

    @extend_schema(responses={200: GroupOut})
    def retrieve(self, request, group_id: str):
        """A group the caller belongs to."""
        return Response(groups.group_get(group_id=group_id, user_id=request.user.id))

    @extend_schema(request=GroupIn, responses={200: GroupOut})
    def partial_update(self, request, group_id: str):
        """Rename the group (owner)."""
        groups.group_owner_check(group_id=group_id, user_id=request.user.id)  # 404 / 403 before a 400
        return Response(groups.group_rename(group_id=group_id, user_id=request.user.id, **_body(GroupIn, request)))

    @extend_schema(responses={204: None})
    def destroy(self, request, group_id: str):
        """Delete the group, its memberships and boards (owner)."""
        groups.group_delete(group_id=group_id, user_id=request.user.id)
        return Response(status=204)

    @extend_schema(request=GroupJoinIn, responses={200: GroupOut})
    @action(detail=False, methods=["post"], throttle_classes=[GroupJoinRateThrottle])
    def join(self, request):
        """Join the group a code opens (rate limited per user; an unknown code counts too)."""
        return Response(groups.group_join(user_id=request.user.id, **_body(GroupJoinIn, request)))

    @extend_schema(request=None, responses={200: GroupJoinCodeOut})
    @action(detail=True, methods=["post"], url_path="join-code", url_name="join-code")
    def join_code(self, request, group_id: str):
        """A new join code; the old one stops working at once (owner)."""
        return Response({"join_code": groups.group_code_rotate(group_id=group_id, user_id=request.user.id)})

    @extend_schema(parameters=[GroupMembersIn], responses={200: GroupMembersOut})
    @action(detail=True, methods=["get"])
    def members(self, request, group_id: str):
        """The group's members, by user id."""
        page = groups.group_members_page(group_id=group_id, user_id=request.user.id, **query_validated(GroupMembersIn, request))
        return Response(page)

    @extend_schema(responses={204: None})
    @action(detail=True, methods=["delete"], url_path="members/<user_id:user_id>", url_name="member")
    def member(self, request, group_id: str, user_id: str):
        """Remove a member (owner), or leave (yourself; the owner cannot)."""
        groups.group_member_remove(group_id=group_id, user_id=user_id, actor_id=request.user.id)
        return Response(status=204)

    @extend_schema(operation_id="groups_leaderboard_retrieve", parameters=[PageIn], responses={200: PageOut, 404: NOT_KEPT})
    @action(detail=True, methods=["get"], name="Group leaderboard")
    def leaderboard(self, request, group_id: str):
        """A page of the group's board, ranked among its members only."""
        page = groups.group_board_page(group_id=group_id, user_id=request.user.id,
                                       **board_moment(query_validated(PageIn, request)))
        return Response(page)

    @extend_schema(parameters=[AroundIn], responses={200: AroundOut, 404: NOT_KEPT})
    @action(detail=True, methods=["get"], url_path="leaderboard/me", url_name="leaderboard-me",
            name="My rank in the group")
    def leaderboard_me(self, request, group_id: str):
        """The caller's rank and score on the group's board with `around` entries on each side."""
        window = groups.group_board_around(group_id=group_id, user_id=request.user.id,
                                           **board_moment(query_validated(AroundIn, request)))
        return Response(window)
