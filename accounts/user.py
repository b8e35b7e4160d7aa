"""Non-ORM user objects that DRF permissions understand."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RedisUser:
    """An authenticated user, resolved from a Redis session."""

    id: str
    username: str
    role: str
    session_id: str
    session_created_ms: int
    session_expires_at_ms: int
    session_ttl_ms: int

    is_authenticated = True
    is_anonymous = False
    is_active = True

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.is_admin

    @property
    def pk(self) -> str:
        return self.id

    def __str__(self) -> str:
        return self.username


class AnonymousUser:
    """The user of a request without a valid session."""

    id = None
    pk = None
    username = ""
    role = ""
    is_authenticated = False
    is_anonymous = True
    is_active = False
    is_admin = False
    is_staff = False

    def __str__(self) -> str:
        return "anonymous"


@dataclass
class CheckedUser:
    """A user whose password the login backend has just checked (before any session exists).

    Mutable because `django.contrib.auth.authenticate` writes `backend` onto what it returns.
    """

    id: str
    username: str
    role: str
    is_active = True
    is_authenticated = True

    @property
    def pk(self) -> str:
        return self.id

    def __str__(self) -> str:
        return self.username
