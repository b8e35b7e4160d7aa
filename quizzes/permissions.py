"""Who may do what with quizzes: everyone signed in reads, only admins write."""
from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsAdminOrReadOnly(BasePermission):
    """Reads for any authenticated user; writes only for admins (role from the profile hash)."""

    message = "Only admins may create, change or delete quizzes."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(getattr(request.user, "is_admin", False))
