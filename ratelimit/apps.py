from django.apps import AppConfig


class RatelimitConfig(AppConfig):
    name = "ratelimit"

    def ready(self) -> None:
        from accounts.records import record_kind_register
        from ratelimit import user_records

        record_kind_register(*user_records.KINDS)  # erasure, bans, privacy, the sweep (accounts/records.py)
        from ratelimit import checks  # noqa: F401  (registers the settings checks)
