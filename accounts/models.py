"""The PostgreSQL mirror of accounts (only with DATABASE_URL): written by the archiver, read by rebuild_redis."""
from __future__ import annotations

from django.db import models


class User(models.Model):
    """A registered user: the profile mirror and the password hash (so logins survive a rebuild)."""

    id = models.CharField(primary_key=True, max_length=16)
    username = models.CharField(max_length=32)
    username_lower = models.CharField(max_length=32, unique=True)
    password = models.CharField(max_length=256)
    role = models.CharField(max_length=16, default="user")
    created_at = models.DateTimeField()
    total_score = models.BigIntegerField(default=0)
    quizzes_solved = models.IntegerField(default=0)
    # Moderation and privacy, so that rebuild_redis restores them (user.moderation entries).
    banned_at = models.CharField(max_length=32, null=True, blank=True)
    ban_reason = models.TextField(blank=True, default="", db_default="")
    hidden = models.BooleanField(default=False, db_default=False)

    class Meta:
        db_table = "accounts_user"


class AuditEntry(models.Model):
    """An admin action, as the audit Stream recorded it (id: the Stream entry id)."""

    id = models.CharField(primary_key=True, max_length=41)
    actor_id = models.CharField(max_length=16)
    action = models.CharField(max_length=32)
    target_type = models.CharField(max_length=16)
    target_id = models.CharField(max_length=32)
    reason = models.TextField(blank=True, default="")

    class Meta:
        db_table = "accounts_audit"
