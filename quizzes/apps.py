from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"

    def ready(self) -> None:
        from config.outbox.archiver import archive_handlers_register
        from config.outbox.reader import relay_handler_register
        from quizzes import archive, relay

        archive_handlers_register(archive.HANDLERS)
        relay_handler_register("submission.accepted", relay.submission_accepted)
