"""Logging setup: one stream handler on stdout (12-factor), JSON or text by `LOG_FORMAT`.

`json` writes one JSON object per line (python-json-logger) with the record's `extra` fields
as keys, which is what log shippers index; `text` is for people reading a terminal. Nothing
here reads Django settings: settings.py calls `logging_config` while it is being loaded.
"""
from __future__ import annotations

import logging
import re

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter

FORMATS = ("json", "text")

# Belt and braces: the request log never writes headers, bodies or query strings, but any
# other log line that quotes a request should not leak a credential either.
_SECRETS = re.compile(
    r"(?i)(bearer\s+|ticket=|password[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;}]+)"
)


def redact(text: str) -> str:
    """Mask bearer tokens, `ticket=` values and password values in free text."""
    return _SECRETS.sub(lambda m: m.group(1) + "[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrite each record's message with secrets masked (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def build_formatter(fmt: str = "text") -> logging.Formatter:
    """The formatter for `LOG_FORMAT` ("json" or "text")."""
    if fmt == "json":
        return JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def record_cost_trim() -> None:
    """Stop filling the LogRecord fields no format here writes (the logging HOWTO's "Optimization").

    The request log writes a record per request, on the hot paths: the caller's frame, thread,
    process and multiprocessing names took a third of a request line's cost (~30 -> ~20 us).
    """
    logging._srcfile = None  # no findCaller: funcName/lineno are never formatted
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def logging_config(*, level: str, fmt: str) -> dict:
    """The LOGGING dict for settings.py; rejects an unknown format at startup."""
    if fmt not in FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"secrets": {"()": "config.logging.RedactSecrets"}},
        "formatters": {"main": {"()": "config.logging.build_formatter", "fmt": fmt}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["secrets"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # 4xx responses are part of the API, logged once by the request log, not as warnings.
            "django.request": {"level": "ERROR"},
            # The web server's own loggers: uvicorn installs its handlers before it loads the
            # app, and they have no secrets filter; its WebSocket lines quote the path with the
            # query string ('"WebSocket /ws/leaderboard/?ticket=..." [accepted]'). Ours replace
            # them ("uvicorn.error" propagates to "uvicorn").
            "uvicorn": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # No handler at all: uvicorn writes an access line whenever this logger has one
            # (`hasHandlers()`, checked per connection, after this config), whatever
            # --no-access-log said. The request line is config/http/request_log.py's, once.
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }
