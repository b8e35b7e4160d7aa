"""Who may moderate: admins only (the role is read from the profile with the session)."""
from rest_framework.permissions import BasePermission


class IsAdmin(BasePermission):
    """Admins only: bans, disqualifications, the audit log."""

    message = "Only admins may moderate."

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "is_admin", False))
