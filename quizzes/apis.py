"""Thin DRF viewsets for quizzes, submissions and results: parse, call a service, serialize."""
from __future__ import annotations

import functools

from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

from config import metrics
from config.http.exceptions import ApplicationError, NotFound
from config.http.fields import QueryIntegerField, StrictCharField, StrictIntegerField
from accounts.audit import audit_record
from accounts.permissions import IsAdmin
from leaderboard.apis import AROUND_MAX, EntryOut, RankOut, query_validated
from quizzes import disqualify, selectors, services
from quizzes.permissions import IsAdminOrReadOnly
from quizzes.results import results_fetch
from ratelimit.throttles import RejectedAttemptsAreFree, SubmissionRateThrottle, attempt_slot, attempts_forgive

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 255
# What _idempotency_key accepts, for the schema: 1-255 printable ASCII characters. The first and
# last are not spaces, which HTTP drops from around a header value before the check sees it.
IDEMPOTENCY_KEY_PATTERN = rf"^[\u0021-\u007e](?:[\u0020-\u007e]{{0,{IDEMPOTENCY_KEY_MAX - 2}}}[\u0021-\u007e])?$"
SUBMISSION_ANSWERS_MAX = 50


class QuestionIn(serializers.Serializer):
    text = StrictCharField()
    choices = serializers.ListField(child=StrictCharField(), min_length=2, max_length=10)
    answer = StrictIntegerField(min_value=0, help_text="The index of the right one in `choices`.")
    points = StrictIntegerField(min_value=1, max_value=1000)

    def validate(self, attrs: dict) -> dict:
        if attrs["answer"] >= len(attrs["choices"]):
            raise serializers.ValidationError({"answer": ["Must be the index of one of the choices."]})
        return attrs


class QuizIn(serializers.Serializer):
    title = StrictCharField(min_length=1, max_length=200)
    questions = QuestionIn(many=True, min_length=1, max_length=50)


class QuizPatchIn(QuizIn):
    # Optional fields rather than `partial=True`, which would also skip required fields inside
    # each question; a PATCH that sends questions sends them whole.
    title = StrictCharField(min_length=1, max_length=200, required=False)
    questions = QuestionIn(many=True, min_length=1, max_length=50, required=False)


class QuestionOut(serializers.Serializer):
    text = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())
    points = serializers.IntegerField()


class QuestionWithAnswerOut(QuestionOut):
    answer = serializers.IntegerField()


class QuizSummaryOut(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    question_count = serializers.IntegerField()
    max_score = serializers.IntegerField()
    version = serializers.IntegerField()
    updated_at = serializers.CharField()


class QuizOut(QuizSummaryOut):
    """A quiz as anyone may see it: no answers (the field is not even declared)."""

    created_at = serializers.CharField()
    questions = QuestionOut(many=True)


class QuizAdminOut(QuizOut):
    questions = QuestionWithAnswerOut(many=True)


ADMINS_ONLY = OpenApiResponse(description="`forbidden`: only admins may change quizzes.")
KEPT_CHANGING = OpenApiResponse(description="`conflict`: the quiz kept changing during the update.")


def _quiz_out(quiz: dict, user) -> dict:
    """Serialize a quiz with answers for admins only."""
    serializer = QuizAdminOut if getattr(user, "is_admin", False) else QuizOut
    return serializer(quiz).data


def _idempotency_key(request) -> str | None:
    """Return the request's Idempotency-Key, or None; reject one that is empty or odd."""
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    if not (0 < len(value) <= IDEMPOTENCY_KEY_MAX and value.isascii() and value.isprintable()):
        raise ApplicationError(
            f"{IDEMPOTENCY_HEADER} must be 1-{IDEMPOTENCY_KEY_MAX} printable ASCII characters.",
            details={"header": IDEMPOTENCY_HEADER},
        )
    return value


def _plain_answers(data) -> list[int] | None:
    """Return the answers of a plainly valid JSON body, else None (SubmissionIn decides)."""
    # Hand-written because SubmissionIn costs ~115 us per submission (bench/): it accepts only
    # what SubmissionIn accepts with the same result (a JSON list of 1-50 ints 0-9, no bools)
    # and leaves every other body, with its error envelope, to the serializer.
    answers = data.get("answers") if type(data) is dict else None
    if type(answers) is not list or not 1 <= len(answers) <= SUBMISSION_ANSWERS_MAX:
        return None
    if all(type(a) is int and 0 <= a <= 9 for a in answers):
        return answers
    return None


@functools.cache
def _submissions_path(script_prefix: str) -> str:
    """Return the status URL's path up to the submission id, reversed once per prefix."""
    sample = "0" * 32  # any id the route accepts
    return reverse("submission-detail", args=[sample]).removesuffix(sample)


class BucketOut(serializers.Serializer):
    min = serializers.IntegerField()
    max = serializers.IntegerField()
    count = serializers.IntegerField()


class QuestionRateOut(serializers.Serializer):
    index = serializers.IntegerField()
    correct_rate = serializers.FloatField()


class ScorerOut(serializers.Serializer):
    user_id = serializers.CharField()
    username = serializers.CharField()
    score = serializers.IntegerField()


class ResultsOut(serializers.Serializer):
    quiz_id = serializers.CharField()
    version = serializers.IntegerField()
    attempts = serializers.IntegerField()
    unique_users = serializers.IntegerField()
    average_score = serializers.FloatField()
    score_histogram = BucketOut(many=True)
    per_question = QuestionRateOut(many=True)
    top = ScorerOut(many=True)


class QuizBoardPageIn(serializers.Serializer):
    limit = QueryIntegerField(min_value=1, max_value=100, default=10)
    offset = QueryIntegerField(min_value=0, max_value=10_000_000, default=0)


class QuizBoardAroundIn(serializers.Serializer):
    around = QueryIntegerField(min_value=0, max_value=AROUND_MAX, default=2)


@extend_schema_serializer(many=False)
class QuizBoardOut(serializers.Serializer):
    total = serializers.IntegerField()
    entries = EntryOut(many=True)


class QuizBoardMeOut(RankOut):
    around = EntryOut(many=True)


class QuizViewSet(RejectedAttemptsAreFree, ViewSet):
    """Quizzes: anyone signed in reads, admins write; players submit answers and read the results."""

    permission_classes = [IsAuthenticated, IsAdminOrReadOnly]
    lookup_field = "quiz_id"
    lookup_value_converter = "quiz_id"  # 16 hex digits, else the JSON 404 before any key is built

    @extend_schema(responses={200: QuizSummaryOut(many=True)})
    def list(self, request):
        """List quizzes (any user)."""
        return Response(QuizSummaryOut(selectors.quiz_list(), many=True).data)

    @extend_schema(request=QuizIn, responses={201: QuizAdminOut, 403: ADMINS_ONLY})
    def create(self, request):
        """Create a quiz (admins)."""
        data = QuizIn(data=request.data)
        data.is_valid(raise_exception=True)
        quiz = services.quiz_create(**data.validated_data)
        audit_record(actor_id=request.user.id, action="quiz.create", target_type="quiz", target_id=quiz["id"])
        return Response(QuizAdminOut(quiz).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiResponse(QuizOut, description="Admins also get each answer.")})
    def retrieve(self, request, quiz_id: str):
        """Read a quiz (answers for admins only)."""
        quiz = selectors.quiz_get(quiz_id=quiz_id)
        if quiz is None:
            raise NotFound("Quiz not found.")
        return Response(_quiz_out(quiz, request.user))

    @extend_schema(request=QuizIn, responses={200: QuizAdminOut, 403: ADMINS_ONLY, 409: KEPT_CHANGING})
    def update(self, request, quiz_id: str):
        """Replace a quiz (admins); its version increases."""
        return self._update(request, quiz_id, QuizIn, partial=False)

    @extend_schema(request=QuizPatchIn, responses={200: QuizAdminOut, 403: ADMINS_ONLY, 409: KEPT_CHANGING})
    def partial_update(self, request, quiz_id: str):
        """Change a quiz's title or questions (admins); its version increases."""
        return self._update(request, quiz_id, QuizPatchIn, partial=True)

    def _update(self, request, quiz_id: str, serializer: type, *, partial: bool) -> Response:
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        quiz = services.quiz_update(quiz_id=quiz_id, changes=data.validated_data, partial=partial)
        audit_record(actor_id=request.user.id, action="quiz.update", target_type="quiz", target_id=quiz_id,
                     reason=f"version {quiz['version']}")
        return Response(QuizAdminOut(quiz).data)

    @extend_schema(responses={204: None, 403: ADMINS_ONLY})
    def destroy(self, request, quiz_id: str):
        """Delete a quiz (admins)."""
        services.quiz_delete(quiz_id=quiz_id)
        audit_record(actor_id=request.user.id, action="quiz.delete", target_type="quiz", target_id=quiz_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- submissions: scoring happens on the worker; accepting costs one Redis round trip here.

    over_limit = False  # set by `throttled` for a request with an Idempotency-Key
    over_limit_wait: float | None = None

    class SubmissionIn(serializers.Serializer):
        answers = serializers.ListField(
            child=StrictIntegerField(min_value=0, max_value=9),
            min_length=1,
            max_length=SUBMISSION_ANSWERS_MAX,
            help_text="One choice index per question of the quiz, in order: exactly as many as it has questions.",
        )

    class AcceptedOut(serializers.Serializer):
        id = serializers.CharField()
        status = serializers.CharField(help_text="`queued`; a replay tells the current status.")
        status_url = serializers.CharField()
        # Only on a replay of a submission scored since: what GET status_url would show.
        score = serializers.IntegerField(required=False)
        max_score = serializers.IntegerField(required=False)
        correct = serializers.IntegerField(required=False)
        processed_at = serializers.CharField(required=False)
        reason = serializers.CharField(required=False)

    def throttled(self, request, wait):
        # A retry with an Idempotency-Key is no new submission, and API.md promises it the first
        # answer (same id, 202) even when the user has since reached the limit. So over the
        # limit such a request goes on, to be accepted only as a replay; anything new is a 429.
        if request.headers.get(IDEMPOTENCY_HEADER) is not None:
            self.over_limit, self.over_limit_wait = True, wait
            return
        super().throttled(request, wait)

    def finalize_response(self, request, response, *args, **kwargs):
        if self.action == "submissions":
            _count_submission(response)
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        request=SubmissionIn,
        responses={
            202: AcceptedOut,
            422: OpenApiResponse(description="`idempotency_mismatch`: this key came with another body."),
        },
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, pattern=IDEMPOTENCY_KEY_PATTERN,
                description=(
                    "1-255 printable ASCII characters (else 400). "
                    "Repeat with the same body for the same submission: 202 with the first id and "
                    "its current status, even over the rate limit; a repeat uses no quota. "
                    "Another body: 422."
                ),
            ),
            OpenApiParameter(
                "Idempotent-Replayed", str, OpenApiParameter.HEADER, response=[202], enum=["true"],
                description="Sent when the answer is the replay of an earlier submission.",
            ),
        ],
    )
    @action(
        detail=True, methods=["post"], permission_classes=[IsAuthenticated],
        throttle_classes=[SubmissionRateThrottle],
    )
    def submissions(self, request, quiz_id: str):
        """Submit answers; scoring happens on the worker."""
        answers = _plain_answers(request.data)
        if answers is None:
            data = self.SubmissionIn(data=request.data)
            data.is_valid(raise_exception=True)
            answers = data.validated_data["answers"]
        idempotency_key = _idempotency_key(request)
        # From here the accept script gives the slot back itself unless it queues the submission.
        self.quota_returned = quota = attempt_slot(request)
        try:
            accepted = services.submission_create(
                user_id=request.user.id,
                quiz_id=quiz_id,
                answers=answers,
                idempotency_key=idempotency_key,
                replay_only=self.over_limit,
                quota=quota,
            )
        except services.NotAReplay:
            raise Throttled(wait=self.over_limit_wait) from None
        body = {  # AcceptedOut's shape, built directly: this is the hottest write path
            "id": accepted.id,
            "status": "queued",
            "status_url": f"{_submissions_path(get_script_prefix())}{accepted.id}",
        }
        if accepted.replayed:
            attempts_forgive(request, returned=quota)  # a replay is not a submission: it uses no quota
            body.update(accepted.status_now())
        headers = {"Idempotent-Replayed": "true"} if accepted.replayed else None
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(
        responses={200: ResultsOut},
        parameters=[
            OpenApiParameter("X-Cache", str, OpenApiParameter.HEADER, response=True, enum=["HIT", "MISS"])
        ],
    )
    @action(detail=True, methods=["get"], permission_classes=[IsAuthenticated])
    def results(self, request, quiz_id: str):
        """Aggregate results of the quiz's current version, cached (see quizzes/results.py)."""
        results = results_fetch(quiz_id=quiz_id)
        return Response(ResultsOut(results.body).data, headers={"X-Cache": results.cache})


    # --- the per-quiz board: each user's best on the quiz (quizzes/keys.py quiz_board).

    @extend_schema(operation_id="quizzes_leaderboard_retrieve", parameters=[QuizBoardPageIn],
                   responses={200: QuizBoardOut})
    @action(detail=True, methods=["get"], permission_classes=[IsAuthenticated], name="Quiz leaderboard")
    def leaderboard(self, request, quiz_id: str):
        """A page of the quiz's board: each user's best score on it; equal scores by who reached them first."""
        page = selectors.quiz_board_page(quiz_id=quiz_id, **query_validated(QuizBoardPageIn, request))
        if page is None:
            raise NotFound("Quiz not found.")
        return Response(page)  # QuizBoardOut's shape

    @extend_schema(operation_id="quizzes_leaderboard_me_retrieve", parameters=[QuizBoardAroundIn],
                   responses={200: QuizBoardMeOut})
    @action(detail=True, methods=["get"], url_path="leaderboard/me", url_name="leaderboard-me",
            permission_classes=[IsAuthenticated], name="My rank on the quiz")
    def leaderboard_me(self, request, quiz_id: str):
        """The caller's rank and best score on the quiz's board with `around` entries each side (rank null: not on it)."""
        window = selectors.quiz_board_around(
            quiz_id=quiz_id, user_id=request.user.id, **query_validated(QuizBoardAroundIn, request)
        )
        if window is None:
            raise NotFound("Quiz not found.")
        return Response(window)  # QuizBoardMeOut's shape


# What quizboard_submissions_refused_total's `reason` may say: the status codes a refusal has.
REFUSAL_REASONS = frozenset({400, 401, 403, 404, 409, 413, 415, 422, 429, 503})


def _count_submission(response) -> None:
    """Count a submission answer: a new one accepted, or refused with its status (replays: neither)."""
    if response.status_code == status.HTTP_202_ACCEPTED:
        if "Idempotent-Replayed" not in response:
            metrics.submissions_accepted.inc()
        return
    reason = response.status_code if response.status_code in REFUSAL_REASONS else "other"
    metrics.submissions_refused.labels(str(reason)).inc()


class SubmissionViewSet(ViewSet):
    """Submissions by id (32 hex digits), for their owner only (anyone else gets 404)."""

    lookup_field = "submission_id"
    lookup_value_converter = "submission_id"

    class SubmissionOut(serializers.Serializer):
        id = serializers.CharField()
        quiz_id = serializers.CharField()
        status = serializers.ChoiceField(choices=["queued", "processed", "failed", "disqualified"])
        score = serializers.IntegerField(allow_null=True)
        max_score = serializers.IntegerField(allow_null=True)
        correct = serializers.IntegerField(allow_null=True, help_text="Questions answered right.")
        created_at = serializers.CharField()
        processed_at = serializers.CharField(allow_null=True)
        reason = serializers.CharField(allow_null=True, help_text="Why scoring failed, or why it was disqualified.")

    class DisqualifyIn(serializers.Serializer):
        reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(responses={200: SubmissionOut})
    def retrieve(self, request, submission_id: str):
        """A submission's status and score, for its owner only (anyone else gets 404)."""
        submission = selectors.submission_get(submission_id=submission_id, user_id=request.user.id)
        if submission is None:
            raise NotFound("Submission not found.")
        return Response(self.SubmissionOut(submission).data)

    @extend_schema(request=DisqualifyIn, responses={200: SubmissionOut,
                                                     403: OpenApiResponse(description="`forbidden`: admins only.")})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsAdmin], name="Disqualify")
    def disqualify(self, request, submission_id: str):
        """Disqualify a submission: its points leave the owner's best, totals and boards."""
        data = self.DisqualifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        done = disqualify.submission_disqualify(actor_id=request.user.id, submission_id=submission_id,
                                                **data.validated_data)
        submission = selectors.submission_get(submission_id=submission_id, user_id=done["user_id"])
        return Response(self.SubmissionOut(submission).data)
