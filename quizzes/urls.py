"""Quiz, submission and results routes. Ids must look like ids (else the JSON 404), so nothing a
client types reaches a Redis key name."""
from django.urls import path, register_converter
from django.urls.converters import StringConverter

from quizzes import apis


class QuizIdConverter(StringConverter):
    regex = "[0-9a-f]{16}"


class SubmissionIdConverter(StringConverter):
    regex = "[0-9a-f]{32}"


register_converter(QuizIdConverter, "quiz_id")
register_converter(SubmissionIdConverter, "submission_id")

urlpatterns = [
    path("quizzes", apis.QuizListApi.as_view(), name="quiz-list"),
    path("quizzes/<quiz_id:quiz_id>", apis.QuizDetailApi.as_view(), name="quiz-detail"),
    path("quizzes/<quiz_id:quiz_id>/submissions", apis.QuizSubmissionsApi.as_view(), name="quiz-submissions"),
    path("quizzes/<quiz_id:quiz_id>/results", apis.QuizResultsApi.as_view(), name="quiz-results"),
    path("submissions/<submission_id:submission_id>", apis.SubmissionDetailApi.as_view(), name="submission-detail"),
]
