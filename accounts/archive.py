"""How accounts' outbox entries reach PostgreSQL (config/outbox/archiver.py runs these)."""
from __future__ import annotations

from config.outbox.archiver import Handler

_UPSERT_USER = """
INSERT INTO accounts_user (id, username, username_lower, password, role, created_at, total_score, quizzes_solved)
VALUES (%s, %s, %s, %s, %s, %s, 0, 0)
ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, username_lower = EXCLUDED.username_lower,
    password = EXCLUDED.password, created_at = EXCLUDED.created_at
"""
_SET_ROLE = "UPDATE accounts_user SET role = %s WHERE id = %s"
_SET_PASSWORD = "UPDATE accounts_user SET password = %s WHERE id = %s"
_SET_BAN = "UPDATE accounts_user SET banned_at = %s, ban_reason = %s WHERE id = %s"
_SET_HIDDEN = "UPDATE accounts_user SET hidden = %s WHERE id = %s"


def users_write(cursor, rows: list[dict]) -> None:
    """Upsert registered users by id (a repeat changes nothing)."""
    cursor.executemany(_UPSERT_USER, [
        (r["id"], r["username"], r["username"].lower(), r["password"], r["role"], r["created_at"]) for r in rows
    ])


def roles_write(cursor, rows: list[dict]) -> None:
    """Apply role changes in stream order."""
    cursor.executemany(_SET_ROLE, [(r["role"], r["id"]) for r in rows])


def moderation_write(cursor, rows: list[dict]) -> None:
    """Apply bans, unbans and privacy changes in stream order (each row carries what changed)."""
    for row in rows:
        if "banned_at" in row:
            cursor.execute(_SET_BAN, (row["banned_at"], row.get("ban_reason") or "", row["id"]))
        if "hidden" in row:
            cursor.execute(_SET_HIDDEN, (bool(row["hidden"]), row["id"]))


def passwords_write(cursor, rows: list[dict]) -> None:
    """Apply password changes in stream order (the last one wins)."""
    cursor.executemany(_SET_PASSWORD, [(r["password"], r["id"]) for r in rows])


def users_erase(cursor, rows: list[dict]) -> None:
    """Delete erased users' rows (accounts/erasure.py does it at once too; a repeat deletes nothing)."""
    from accounts.erasure import archived_rows_delete

    archived_rows_delete(cursor, rows)


_INSERT_AUDIT = """
INSERT INTO accounts_audit (id, actor_id, action, target_type, target_id, reason) VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO NOTHING
"""


def audit_write(cursor, rows: list[dict]) -> None:
    """Keep every admin action (the Stream is capped); a repeat inserts nothing."""
    cursor.executemany(_INSERT_AUDIT, [
        (r["id"], r["actor_id"], r["action"], r["target_type"], r["target_id"], r["reason"]) for r in rows
    ])


HANDLERS = {
    "user.registered": Handler(write=users_write),
    "user.role": Handler(write=roles_write),
    "user.password": Handler(write=passwords_write),
    "user.moderation": Handler(write=moderation_write),
    "user.erased": Handler(write=users_erase),
    "audit.recorded": Handler(write=audit_write),
}
