from django.apps import AppConfig


class RatelimitConfig(AppConfig):
    name = "ratelimit"

    def ready(self) -> None:
        from ratelimit import checks  # noqa: F401  (registers the settings checks)
