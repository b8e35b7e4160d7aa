from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts.records import record_kind_register
        from accounts import user_records

        from accounts import erasure

        record_kind_register(*user_records.KINDS, *erasure.KINDS)  # erasure, bans, privacy, the sweep (accounts/records.py)
        from accounts import archive, fastreads, schema  # noqa: F401  (schema: the OpenAPI auth extension)
        from accounts.services import session_touch_async
        from config.http.fastpath import fast_read_authentication_register, fast_read_register
        from config.outbox.archiver import archive_handlers_register

        archive_handlers_register(archive.HANDLERS)
        fast_read_register("/api/v1/me", fastreads.ME)
        fast_read_authentication_register(session_touch_async)
