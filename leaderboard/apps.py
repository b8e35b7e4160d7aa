from django.apps import AppConfig


class LeaderboardConfig(AppConfig):
    name = "leaderboard"

    def ready(self) -> None:
        from accounts.records import record_kind_register
        from leaderboard import user_records

        record_kind_register(*user_records.KINDS)  # erasure, bans, privacy, the sweep (accounts/records.py)
        from config.http.fastpath import fast_read_register
        from leaderboard import fastreads

        fast_read_register("/api/v1/leaderboard", fastreads.PAGE)
