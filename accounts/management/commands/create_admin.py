"""`manage.py create_admin USERNAME --password PASSWORD`: create or promote an admin."""
from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import ValidationError

from accounts import services
from accounts.audit import audit_record
from accounts.apis import Credentials
from config.http.exceptions import Conflict
from config.redis.clients import redis_client
from config.redis.epoch import DataLost
from accounts import keys


class Command(BaseCommand):
    help = "Create an admin user, or promote an existing user to admin (non-interactive)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)

    def handle(self, *args, username: str, password: str, **options):
        data = Credentials(data={"username": username, "password": password})
        try:
            data.is_valid(raise_exception=True)
        except ValidationError as exc:
            raise CommandError(f"invalid input: {exc.detail}") from exc
        try:
            user = services.user_create(username=username, password=password, role=services.ROLE_ADMIN)
            user_id = user["id"]
            self.stdout.write(f"created admin {user['username']} ({user['id']})")
        except DataLost as exc:
            raise CommandError(f"{exc.message} (docs/operations.md: a Redis that comes back empty)") from exc
        except Conflict:
            user_id = redis_client().hget(keys.users_by_name(), username.lower())
            services.user_set_role(user_id=user_id, role=services.ROLE_ADMIN)
            self.stdout.write(f"promoted {username} ({user_id}) to admin")
        # The actor of a grant from the command line is the operator, not a user: "cli".
        audit_record(actor_id="cli", action="admin.grant", target_type="user", target_id=user_id,
                     reason="manage.py create_admin")
