from django.apps import AppConfig


class LeaderboardConfig(AppConfig):
    name = "leaderboard"

    def ready(self) -> None:
        from config.http.fastpath import fast_read_register
        from leaderboard import fastreads

        fast_read_register("/api/v1/leaderboard", fastreads.PAGE)
