from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"

    def ready(self) -> None:
        from accounts.records import record_kind_register
        from quizzes import user_records

        record_kind_register(*user_records.KINDS)  # erasure, bans, privacy, the sweep (accounts/records.py)
        from config.outbox.archiver import archive_handlers_register
        from config.outbox.reader import relay_handler_register
        from config.redis.epoch import epoch_durable_register
        from quizzes import archive, epoch, relay

        archive_handlers_register(archive.HANDLERS)
        relay_handler_register("submission.accepted", relay.submission_accepted)
        epoch_durable_register(epoch.DURABLE)
