"""The PostgreSQL record of quizzes and processed submissions (only with DATABASE_URL).

The archiver (quizzes/archive.py) upserts these from the outbox; nothing else writes them.
"""
from __future__ import annotations

from django.db import models


class Quiz(models.Model):
    """A quiz's current definition; `deleted_at` is set when it is deleted."""

    id = models.CharField(primary_key=True, max_length=16)
    title = models.CharField(max_length=200)
    version = models.IntegerField()
    questions = models.TextField()  # JSON, with answers, exactly as the quiz hash holds it
    shape = models.CharField(max_length=200)
    question_count = models.IntegerField()
    max_score = models.IntegerField()
    created_at = models.DateTimeField()
    created_ms = models.BigIntegerField(default=0)  # the quiz index's order, to the millisecond
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "quizzes_quiz"


class QuizVersion(models.Model):
    """The answer key of one version of a quiz."""

    quiz_id = models.CharField(max_length=16)
    version = models.IntegerField()
    answer_key = models.TextField()  # JSON {answers, points}

    class Meta:
        db_table = "quizzes_quiz_version"
        constraints = [models.UniqueConstraint(fields=["quiz_id", "version"], name="quiz_version_unique")]


class Submission(models.Model):
    """A processed submission: what was graded, the result, and the gain it applied."""

    id = models.CharField(primary_key=True, max_length=32)
    user_id = models.CharField(max_length=16)
    quiz_id = models.CharField(max_length=16)
    quiz_version = models.IntegerField()
    answers = models.CharField(max_length=200)
    score = models.IntegerField()
    max_score = models.IntegerField()
    correct = models.IntegerField()
    correct_mask = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    created_ms = models.BigIntegerField()
    processed_at = models.DateTimeField()
    scored_at = models.BigIntegerField()  # epoch s: which day and week boards it counted on
    gain = models.IntegerField()  # points added to total_score and the period boards
    seq = models.BigIntegerField(default=0)  # the boards' tie counter value it took (0: no gain)

    class Meta:
        db_table = "quizzes_submission"
        indexes = [
            models.Index(fields=["quiz_id", "quiz_version"], name="submission_quiz_version"),
            models.Index(fields=["scored_at"], name="submission_scored_at"),
        ]


class QuizBest(models.Model):
    """A user's best score on a quiz (the best-attempt rule's memory)."""

    user_id = models.CharField(max_length=16)
    quiz_id = models.CharField(max_length=16)
    best = models.IntegerField()

    class Meta:
        db_table = "quizzes_quiz_best"
        constraints = [models.UniqueConstraint(fields=["user_id", "quiz_id"], name="quiz_best_unique")]


class QueuedSubmission(models.Model):
    """An accepted submission not yet scored (archived as soon as it is accepted).

    Its row goes when the submission's scored record is archived; `manage.py rebuild_redis`
    queues the ones left (no scored record) again, so a 202 outlives a Redis that lost its data.
    """

    id = models.CharField(primary_key=True, max_length=32)
    user_id = models.CharField(max_length=16)
    quiz_id = models.CharField(max_length=16)
    quiz_version = models.IntegerField()
    answers = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    created_ms = models.BigIntegerField()

    class Meta:
        db_table = "quizzes_submission_queued"


class StoreEpoch(models.Model):
    """The data store's epoch (config/redis/epoch.py): one row, "the service has run before"."""

    name = models.CharField(primary_key=True, max_length=16)  # always "redis"
    epoch_id = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    by = models.CharField(max_length=32)

    class Meta:
        db_table = "store_epoch"
