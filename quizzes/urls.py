"""Quiz, submission and results routes: the app's viewsets on a router (config/api_router.py
mounts them at /api/v1/). Ids must look like ids (else the JSON 404), so nothing a client types
reaches a Redis key name."""
from django.urls import register_converter
from django.urls.converters import StringConverter
from rest_framework.routers import SimpleRouter

from quizzes import apis


class QuizIdConverter(StringConverter):
    regex = "[0-9a-f]{16}"


class SubmissionIdConverter(StringConverter):
    regex = "[0-9a-f]{32}"


register_converter(QuizIdConverter, "quiz_id")
register_converter(SubmissionIdConverter, "submission_id")

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("quizzes", apis.QuizViewSet, basename="quiz")
router.register("submissions", apis.SubmissionViewSet, basename="submission")

urlpatterns = router.urls
