"""Thin DRF viewsets for the leaderboard: parse the query, call a selector, serialize."""
from __future__ import annotations

import functools

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

from config.http.exceptions import NotFound
from config.http.fields import QueryIntegerField
from leaderboard import selectors
from leaderboard.keys import PERIODS

AROUND_MAX = 50
AGO_MAX = 100_000  # past any retention: a 404, where a larger number is a 400


class PeriodIn(serializers.Serializer):
    period = serializers.ChoiceField(
        choices=PERIODS, default="all", help_text="all: all time; day / week: a UTC day / ISO week (the current one unless `ago`)"
    )
    ago = QueryIntegerField(
        min_value=0, max_value=AGO_MAX, default=None, allow_null=True,
        help_text="day / week only: 0 = the current period (the default), 1 = the one before, ...; "
                  "a period older than kept (PERIOD_DAYS_KEPT, PERIOD_WEEKS_KEPT) is 404.",
    )


def board_moment(query: dict) -> dict:
    """Turn a validated query's `period` and `ago` into the selector's `period` and `at` (400 / 404)."""
    query = dict(query)
    ago = query.pop("ago", None)
    if ago is None:
        return query
    if query["period"] == "all":
        raise serializers.ValidationError({"ago": ["Only a day or week board has past periods."]})
    at = selectors.period_moment(period=query["period"], ago=ago)
    if at is None:
        raise NotFound("That period's board is no longer kept.")
    return {**query, "at": at}


NOT_KEPT = OpenApiResponse(
    description="`not_found`: `ago` is past the periods kept (PERIOD_DAYS_KEPT, PERIOD_WEEKS_KEPT)."
)


class PeriodOut(serializers.Serializer):
    name = serializers.CharField(help_text="all, day or week")
    starts_at = serializers.DateTimeField(allow_null=True, help_text="ISO-8601 UTC; null for all")
    ends_at = serializers.DateTimeField(allow_null=True, help_text="when this board resets; null for all")


class EntryOut(serializers.Serializer):
    rank = serializers.IntegerField()
    user_id = serializers.CharField()
    username = serializers.CharField(allow_null=True)
    score = serializers.IntegerField()


class RankOut(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True, help_text="1-based; null when unranked")
    score = serializers.IntegerField()


@functools.cache
def _fields(serializer_class: type[serializers.Serializer]) -> tuple:
    """Return a query serializer's (name, field) pairs, built once per class."""
    return tuple(serializer_class().fields.items())


def plain_query(serializer_class: type[serializers.Serializer], params: dict) -> dict | None:
    """Return the validated query when every value is plainly valid, else None (ask DRF)."""
    # Hand-written because a DRF Serializer costs ~120 us per call on these hot reads (bench/):
    # it only accepts what the serializer would accept with the same result (known choices,
    # plain digits within range) and leaves everything else, errors included, to the serializer.
    out = {}
    for name, field in _fields(serializer_class):
        value = params.get(name)
        if value is None:
            out[name] = field.default
        elif isinstance(field, serializers.ChoiceField):
            if value not in field.choices:
                return None
            out[name] = value
        elif value.isascii() and value.isdigit() and len(value) <= 9:
            out[name] = int(value)
            if not field.min_value <= out[name] <= field.max_value:
                return None
        else:
            return None
    return out


def query_validated(serializer_class: type[serializers.Serializer], request) -> dict:
    """Validate the query string against `serializer_class` (strict: repeats and empty values are 400s)."""
    # A plain dict, not the QueryDict: DRF treats a form's empty value ("?period=") as absent
    # and would quietly use the default; here it is a 400 like any other invalid value.
    repeated = {
        name: ["Give this parameter at most once."]
        for name, _ in _fields(serializer_class)
        if len(request.query_params.getlist(name)) > 1
    }
    if repeated:
        raise serializers.ValidationError(repeated)  # a repeat is no longer "the last one wins"
    params = request.query_params.dict()
    plain = plain_query(serializer_class, params)
    if plain is not None:
        return plain
    data = serializer_class(data=params)
    data.is_valid(raise_exception=True)
    return data.validated_data


class PageIn(PeriodIn):
    limit = QueryIntegerField(min_value=1, max_value=100, default=10)
    offset = QueryIntegerField(min_value=0, max_value=10_000_000, default=0)


@extend_schema_serializer(many=False)  # one page object, though `list` serves it
class PageOut(serializers.Serializer):
    total = serializers.IntegerField()
    entries = EntryOut(many=True)
    period = PeriodOut()


class AroundIn(PeriodIn):
    around = QueryIntegerField(min_value=0, max_value=AROUND_MAX, default=2)


class AroundOut(RankOut):
    around = EntryOut(many=True)


class LeaderboardViewSet(ViewSet):
    """The board: a page of it, the caller's place on it, and any user's rank."""

    def get_view_name(self) -> str:
        return self.name or "Leaderboard"  # the page is one object, not the router's "List"

    @extend_schema(operation_id="leaderboard_retrieve", parameters=[PageIn], responses={200: PageOut, 404: NOT_KEPT})
    def list(self, request):
        """A page of the board, best first; equal scores are ordered by who reached them first."""
        page = selectors.leaderboard_page(**board_moment(query_validated(PageIn, request)))
        return Response(page)  # the selector's dict is PageOut's shape

    @extend_schema(parameters=[AroundIn], responses={200: AroundOut, 404: NOT_KEPT})
    @action(detail=False, methods=["get"], name="My rank")
    def me(self, request):
        """The caller's rank and score with `around` entries on each side."""
        window = selectors.leaderboard_around(
            user_id=request.user.id, **board_moment(query_validated(AroundIn, request))
        )
        return Response(window)  # AroundOut's shape

    @extend_schema(parameters=[PeriodIn], responses={200: RankOut})
    @action(detail=False, methods=["get"], url_path="users/<user_id:user_id>", url_name="user",
            name="User rank")
    def user_rank(self, request, user_id: str):
        """Any user's rank and score."""
        found = selectors.leaderboard_rank_of(user_id=user_id, **board_moment(query_validated(PeriodIn, request)))
        if found is None:
            raise NotFound("User not found.")
        return Response(found)  # RankOut's shape
