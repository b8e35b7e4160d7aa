"""Django settings. Every value comes from the environment through `config.env`."""
from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_str, parse_redis_url
from config.logging import logging_config, record_cost_trim

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -----------------------------------------------------------------------------------
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-dev-only-change-me"
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
if not DEBUG and (not SECRET_KEY or SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32):
    # Refuse to run a production process on a guessable key (it signs nothing here today, but
    # anything Django signs later would be forgeable).
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters when DEBUG is off."
    )
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_rq",
    "config",
    "accounts",
    "quizzes",
    "leaderboard",
    "ratelimit",
]

MIDDLEWARE = [
    "config.http.error_pages.ErrorPageMiddleware",  # outermost: not even DEBUG shows Django's debug page
    "config.metrics.http.RequestMetricsMiddleware",
    "config.http.csp.ContentSecurityPolicyMiddleware",  # every HTML page (error_page adds it itself)
    "config.http.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.http.middleware.RequestInputMiddleware",  # 415/400 for bodies and queries no view should read
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.http.middleware.JsonErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.RedisSessionMiddleware",
    "ratelimit.headers.RateLimitHeadersMiddleware",
]

# Django's debug page lists the settings (REDIS_URL included): never render it (config/http/error_pages.py).
DEFAULT_EXCEPTION_REPORTER = "config.http.error_pages.QuietExceptionReporter"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# Optional PostgreSQL system of record (the archive). Unset: Redis only, no SQL database at all.
# Set: the scripts that change records append to the outbox Stream, the `archiver` process
# drains it into these tables, and submissions, results and `rebuild_redis` read from them.
DATABASE_URL = env_str("DATABASE_URL", "")
DATABASES: dict = {}
if DATABASE_URL:
    import dj_database_url

    DATABASES["default"] = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    # A dead PostgreSQL must turn into a quick 503 (web) or a retry (archiver), not a hang.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
ARCHIVE_ENABLED = bool(DATABASE_URL)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".data" / "static"
APPEND_SLASH = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request bodies above this many bytes answer 413 payload_too_large.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 64 * 1024)
# A query (on any path) or form body with more parameters than this answers 400 invalid.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("MAX_QUERY_FIELDS", 100)
# Slow clients (config/http/bodies.py, config/http/server.py): a request body is read whole on the event
# loop before a thread sees it, and must arrive within BODY_TIMEOUT_SECONDS of its headers (else 408);
# the request line and headers must arrive within HEADER_TIMEOUT_SECONDS (408) and fit in
# MAX_HEADER_BYTES (431). MAX_CONNECTIONS_PER_IP open connections per client address and process
# (0: no limit); one more is answered 429 and closed.
BODY_TIMEOUT_SECONDS = env_float("BODY_TIMEOUT_SECONDS", 5.0)
HEADER_TIMEOUT_SECONDS = env_float("HEADER_TIMEOUT_SECONDS", 5.0)
MAX_HEADER_BYTES = env_int("MAX_HEADER_BYTES", 16 * 1024)
MAX_CONNECTIONS_PER_IP = env_int("MAX_CONNECTIONS_PER_IP", 256)

# --- Security (TLS usually ends at the proxy) ----------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
# security.W008 (SECURE_SSL_REDIRECT off) is expected here: TLS ends at the proxy, which
# redirects plain HTTP. Set SECURE_SSL_REDIRECT=1 when the app itself terminates TLS.
SILENCED_SYSTEM_CHECKS = [] if SECURE_SSL_REDIRECT else ["security.W008"]

# --- Redis ------------------------------------------------------------------------------------
# One Redis per role, each defaulting to REDIS_URL; any may be a Sentinel address
# (redis+sentinel://host:port,host:port/<master_name>/<db>, parsed by config.env.parse_redis_url).
REDIS_URL = env_str("REDIS_URL", "") or "redis://127.0.0.1:6379/0"  # data: users, sessions, quizzes, boards, limits, events
QUEUE_REDIS_URL = env_str("QUEUE_REDIS_URL", "") or REDIS_URL  # RQ's queues, jobs and registries
CHANNELS_REDIS_URL = env_str("CHANNELS_REDIS_URL", "") or REDIS_URL  # the Channels layer
CACHE_REDIS_URL = env_str("CACHE_REDIS_URL", "") or REDIS_URL  # results cache, browser sessions (may be allkeys-lru)
REDIS_ROLES = {
    "data": parse_redis_url(REDIS_URL, name="REDIS_URL"),
    "queue": parse_redis_url(QUEUE_REDIS_URL, name="QUEUE_REDIS_URL"),
    "channels": parse_redis_url(CHANNELS_REDIS_URL, name="CHANNELS_REDIS_URL"),
    "cache": parse_redis_url(CACHE_REDIS_URL, name="CACHE_REDIS_URL"),
}
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "qb")
# Short timeouts so a dead or paused Redis turns into a quick 503, not a hung request.
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 1.0)
REDIS_CONNECT_TIMEOUT = env_float("REDIS_CONNECT_TIMEOUT", 0.5)
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 100)
# A 202 (and a score job's announcement) waits until this many replicas hold the write (WAIT on
# the same connection), else 503; 0 answers once the primary has it. The wait is capped below
# the socket timeout so a missing replica is a 503, not a client timeout.
REDIS_MIN_REPLICAS_ACK = env_int("REDIS_MIN_REPLICAS_ACK", 0)
REDIS_REPLICAS_ACK_TIMEOUT_MS = env_int("REDIS_REPLICAS_ACK_TIMEOUT_MS", 500)
if REDIS_MIN_REPLICAS_ACK and REDIS_REPLICAS_ACK_TIMEOUT_MS >= REDIS_SOCKET_TIMEOUT * 1000:
    raise ImproperlyConfigured("REDIS_REPLICAS_ACK_TIMEOUT_MS must be below REDIS_SOCKET_TIMEOUT.")
# The accept script enqueues the score job itself when the queue lives with the data (one
# atomic step); on separate Redis servers it appends to the data store's outbox Stream and the
# `relay` process moves the job over (quizzes/relay.py). 1 forces the outbox on one Redis too.
SUBMISSIONS_VIA_OUTBOX = env_bool("SUBMISSIONS_VIA_OUTBOX", REDIS_ROLES["queue"] != REDIS_ROLES["data"])
# Outbox entries kept (XADD MAXLEN ~), for every group. Redis trims past it whether or not a
# group has read an entry, so it is sized for a day's outage of the archive's PostgreSQL at 23
# records/s (about 1 GB), and hours of a stopped relay (docs/operations.md: the outbox).
OUTBOX_MAXLEN = env_int("OUTBOX_MAXLEN", 2_000_000)
# Every consumer group of the outbox: entries are trimmed only once all of them exist and are
# done. `relay` when the queue has its own Redis, `archive` with the archive on.
OUTBOX_GROUPS = [*(["relay"] if SUBMISSIONS_VIA_OUTBOX else []), *(["archive"] if ARCHIVE_ENABLED else [])]
# What the `relay` consumer group does with each outbox entry type (config/outbox/reader.py).

# django-redis serves every sync Redis client (config/redis/clients.py). Both aliases share one set of
# pool options; they differ in replies and role. "default" is Django's cache (bytes, pickled
# values) on the cache role; "data" is the raw client services and selectors use (text replies)
# on the data role. Its cache API is not used.
_REDIS_POOL_OPTIONS = {
    # Pools are keyed by each alias's options, not by URL alone (see config.redis.clients.ConnectionFactory).
    "CONNECTION_FACTORY": "config.redis.clients.ConnectionFactory",
    # Blocking pool: at the cap a caller waits (up to the socket timeout) for a connection to
    # come back instead of failing at once. Under an ASGI server every in-flight sync request
    # runs on its own thread, so a burst can briefly want more connections than the cap.
    "CONNECTION_POOL_CLASS": "redis.BlockingConnectionPool",
    "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
    "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
}


def _redis_pool_kwargs(*, text: bool) -> dict:
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.retry import Retry

    return {
        "max_connections": REDIS_MAX_CONNECTIONS,
        "timeout": REDIS_SOCKET_TIMEOUT,
        "health_check_interval": 30,
        "decode_responses": text,
        # One quick retry covers a connection dropped by a Redis restart; more would only delay
        # the 503 a client should see when Redis is really gone. A timeout is not retried: a
        # stalled Redis would make the client wait out a second one (measured: 2.0 s vs 1.0 s).
        # redis-py takes the policy from the pool's connections, not from the client.
        "retry": Retry(ExponentialBackoff(cap=0.05, base=0.01), 1, supported_errors=(RedisConnectionError,)),
    }


def _sentinel_kwargs() -> dict:
    return {"socket_timeout": REDIS_SOCKET_TIMEOUT, "socket_connect_timeout": REDIS_CONNECT_TIMEOUT}


def _django_redis_alias(address, *, key_prefix: str, text: bool) -> dict:
    """A django-redis cache alias for one role: a plain URL, or django-redis's Sentinel factory."""
    options = {**_REDIS_POOL_OPTIONS, "CONNECTION_POOL_KWARGS": _redis_pool_kwargs(text=text)}
    if address.is_sentinel:
        # django-redis's SentinelConnectionFactory and redis-py's SentinelConnectionPool (not
        # blocking: it takes no `timeout`). The client stays DefaultClient on the primary only:
        # SentinelClient would send reads to a replica at random, and a session written a
        # moment ago could then be missing.
        options.update(
            CONNECTION_FACTORY="config.redis.clients.SentinelConnectionFactory",
            CONNECTION_POOL_CLASS="redis.sentinel.SentinelConnectionPool",
            SENTINELS=list(address.sentinels),
            SENTINEL_KWARGS=_sentinel_kwargs(),
        )
        options["CONNECTION_POOL_KWARGS"].pop("timeout")
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": address.location,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": options,
    }


CACHES = {
    "default": _django_redis_alias(REDIS_ROLES["cache"], key_prefix=f"{REDIS_KEY_PREFIX}:cache", text=False),
    "data": _django_redis_alias(REDIS_ROLES["data"], key_prefix=f"{REDIS_KEY_PREFIX}:cache-data", text=True),
}


def _channels_host(address) -> dict:
    """One channels_redis host entry for a role: a URL, or the Sentinels of its primary."""
    timeouts = {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT}
    if not address.is_sentinel:
        return {"address": address.url, **timeouts}
    # channels_redis builds redis.asyncio's SentinelConnectionPool from these.
    return {
        "sentinels": list(address.sentinels), "master_name": address.master_name, "db": address.db,
        "password": address.password, "sentinel_kwargs": _sentinel_kwargs(), **timeouts,
    }


def _rq_connection(address) -> dict:
    if not address.is_sentinel:
        return {"URL": address.url}
    # django-rq builds redis-py's Sentinel(...).master_for(...) from these.
    return {
        "SENTINELS": list(address.sentinels), "MASTER_NAME": address.master_name, "DB": address.db,
        "PASSWORD": address.password, "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
        "CONNECTION_KWARGS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT},
        "SENTINEL_KWARGS": _sentinel_kwargs(),
    }


SCORE_QUEUE = env_str("SCORE_QUEUE", "scores")
# A score job takes milliseconds; its worker holds it for this + 10 s (config/jobs/worker.py), after
# which RQ's maintenance retries the job of a worker that died.
SCORE_JOB_TIMEOUT_SECONDS = env_int("SCORE_JOB_TIMEOUT_SECONDS", 10)
RQ_QUEUES = {
    SCORE_QUEUE: {**_rq_connection(REDIS_ROLES["queue"]), "DEFAULT_TIMEOUT": SCORE_JOB_TIMEOUT_SECONDS},
    "maintenance": {**_rq_connection(REDIS_ROLES["queue"]), "DEFAULT_TIMEOUT": 3600},
}
RQ_SHOW_ADMIN_LINK = False

# --- Accounts and sessions ------------------------------------------------------------------------
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_MAX_AGE_SECONDS = env_int("SESSION_MAX_AGE_SECONDS", 24 * 60 * 60)
SESSIONS_PER_USER_MAX = env_int("SESSIONS_PER_USER_MAX", 50)
WS_TICKET_SECONDS = env_int("WS_TICKET_SECONDS", 30)
# Activity (for the inactive-user sweep) is written at most once per this many seconds per user.
ACTIVITY_WRITE_INTERVAL_SECONDS = env_int("ACTIVITY_WRITE_INTERVAL_SECONDS", 60)
INACTIVE_AFTER_DAYS = env_float("INACTIVE_AFTER_DAYS", 7.0)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# --- Rate limits (ratelimit app) --------------------------------------------------------------
# Rates are "<count>/<n><unit>" with unit s, m, h or d ("5/60s", "10/15m", "300/m").
# Off: no limit is enforced and no RateLimit-* headers are sent.
RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
# Quiz submissions per user; "sliding" (any rolling window) or "fixed" (aligned windows).
RATELIMIT_SUBMISSIONS_RATE = env_str("RATELIMIT_SUBMISSIONS_RATE", "5/60s")
RATELIMIT_SUBMISSIONS_ALGORITHM = env_str("RATELIMIT_SUBMISSIONS_ALGORITHM", "sliding")
# Failed logins per username (sliding); beyond it login answers 429 even with the right password.
RATELIMIT_LOGIN_FAILURES_RATE = env_str("RATELIMIT_LOGIN_FAILURES_RATE", "10/15m")
# Login + register calls per client address (sliding; IPv6 counted per /64).
RATELIMIT_AUTH_IP_RATE = env_str("RATELIMIT_AUTH_IP_RATE", "300/m")
# How many X-Forwarded-For entries (from the right) our own proxies appended; 0 = use REMOTE_ADDR.
RATELIMIT_TRUSTED_PROXY_HOPS = env_int("RATELIMIT_TRUSTED_PROXY_HOPS", 0)
# Group joins per user (sliding), counted whatever the answer, so join codes cannot be guessed.
RATELIMIT_GROUP_JOIN_RATE = env_str("RATELIMIT_GROUP_JOIN_RATE", "10/m")
# Redis unreachable: off = the limited request answers 503; on = admit it and log a warning.
RATELIMIT_FAIL_OPEN = env_bool("RATELIMIT_FAIL_OPEN", False)
# (end of rate limits)

# --- Groups (leaderboard app) -----------------------------------------------------------------
GROUPS_MAX_PER_USER = env_int("GROUPS_MAX_PER_USER", 100)  # owned and joined
GROUP_MAX_MEMBERS = env_int("GROUP_MAX_MEMBERS", 10_000)  # a join beyond it answers 409
GROUP_EVENTS_STREAM_MAXLEN = env_int("GROUP_EVENTS_STREAM_MAXLEN", 1000)  # each group's replay Stream

# --- Quizzes and scoring (quizzes app) --------------------------------------------------------
RESULTS_CACHE_SECONDS = env_int("RESULTS_CACHE_SECONDS", 60)
IDEMPOTENCY_KEY_SECONDS = env_int("IDEMPOTENCY_KEY_SECONDS", 24 * 60 * 60)
# On a results miss one reader computes under a lease of this many seconds; the others wait up
# to RESULTS_WAIT_SECONDS for its value, then compute for themselves (without storing).
RESULTS_LEASE_SECONDS = env_float("RESULTS_LEASE_SECONDS", 10.0)
RESULTS_WAIT_SECONDS = env_float("RESULTS_WAIT_SECONDS", 2.0)
# A score job retries transient failures (Redis unreachable, worker lost) once per backoff
# listed here, in seconds; backoffs above 0 need the worker's scheduler (--with-scheduler).
SCORE_JOB_RETRY_INTERVALS = [int(s) for s in env_list("SCORE_JOB_RETRY_INTERVALS", ["2", "10", "30"])]
# The reconciler (quizzes.tasks.submissions_reconcile, run by the scheduler every
# SCORE_RECONCILE_EVERY_SECONDS) re-enqueues a submission still queued this long after it was
# accepted whose score job is in no RQ queue or registry, or sits in the scheduled or started
# registry this long past its due time or lease (nothing in RQ is attending to it).
SCORE_RESCUE_AFTER_SECONDS = env_int("SCORE_RESCUE_AFTER_SECONDS", 30)
SCORE_RECONCILE_EVERY_SECONDS = env_int("SCORE_RECONCILE_EVERY_SECONDS", 15)
# (end of quizzes)

# --- Leaderboard and real time (leaderboard app) ------------------------------------------------
# Finished day and week boards stay readable (`?period=day|week&ago=N`) for this many periods
# after the current one; each board expires one day after its last readable period (keys.py).
PERIOD_DAYS_KEPT = env_int("PERIOD_DAYS_KEPT", 14)
PERIOD_WEEKS_KEPT = env_int("PERIOD_WEEKS_KEPT", 8)
# When the scheduler gives every day and week board still in Redis the expiry of these settings
# (boards finished under other settings, or before them; leaderboard.services.period_boards_retain).
PERIOD_RETAIN_CRON = env_str("PERIOD_RETAIN_CRON", "43 * * * *")
# Board events kept for replay (approximate cap: XADD MAXLEN ~).
EVENTS_STREAM_MAXLEN = env_int("EVENTS_STREAM_MAXLEN", 10_000)
# Personal events kept per user for /ws/me/ replay, and how long after the user's last event.
EVENTS_USER_STREAM_MAXLEN = env_int("EVENTS_USER_STREAM_MAXLEN", 200)
EVENTS_USER_STREAM_SECONDS = env_int("EVENTS_USER_STREAM_SECONDS", 24 * 60 * 60)
# Events a WebSocket may have waiting; one that falls further behind is closed (4429) and replays.
WS_QUEUE_MAX = env_int("WS_QUEUE_MAX", 256)
# How often each web process checks that its sockets' sessions still exist (idle expiry is silent).
WS_SESSION_CHECK_SECONDS = env_float("WS_SESSION_CHECK_SECONDS", 3.0)
# WebSockets (/ws/leaderboard/ and /ws/me/ together) one user may have open across every web
# process; one more is refused with close code 4429 (leaderboard/consumers.py). 0: no cap. The
# live page opens two per tab.
WS_MAX_SOCKETS_PER_USER = env_int("WS_MAX_SOCKETS_PER_USER", 10)
# Each open socket holds a lease in Redis that its process renews every third of this; the
# sockets of a process that died stop counting against the cap this long after.
WS_SOCKET_LEASE_SECONDS = env_int("WS_SOCKET_LEASE_SECONDS", 60)
# How long a socket waits for its process's Pub/Sub subscription before giving up (close 4503).
WS_SUBSCRIBE_TIMEOUT_SECONDS = env_float("WS_SUBSCRIBE_TIMEOUT_SECONDS", 5.0)
# channels_redis' pub/sub layer, subclassed for fan-out (config/realtime/channel_layer.py): a member's
# queue holds WS_QUEUE_MAX messages; the timeouts turn a dead Redis into a quick error.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "config.realtime.channel_layer.FanoutChannelLayer",
        "CONFIG": {
            "hosts": [_channels_host(REDIS_ROLES["channels"])],
            "prefix": f"{REDIS_KEY_PREFIX}:ch:",
            "capacity": WS_QUEUE_MAX,
        },
    }
}
# (end of leaderboard)

# --- Operations ------------------------------------------------------------------------------
# The inactive-user cleanup (accounts/lifecycle.py): ids per ZRANGEBYSCORE page and SCAN COUNT,
# and when the `scheduler` process enqueues it (cron syntax, UTC; default: hourly at :17).
INACTIVE_SWEEP_BATCH = env_int("INACTIVE_SWEEP_BATCH", 500)
# Admin actions kept in the audit Stream (approximate cap: XADD MAXLEN ~; the archive keeps all).
AUDIT_STREAM_MAXLEN = env_int("AUDIT_STREAM_MAXLEN", 10_000)
# How often the reconciler looks for erasures a crash left half done, and how old one must be.
ERASURE_RESUME_AFTER_SECONDS = env_int("ERASURE_RESUME_AFTER_SECONDS", 60)
INACTIVE_SWEEP_CRON = env_str("INACTIVE_SWEEP_CRON", "17 * * * *")
# The archive (quizzes/archive.py, config/outbox/reader.py; its outbox cap is OUTBOX_MAXLEN): entries
# per archiver transaction, and how long a processed submission's hash stays in Redis once it is
# in PostgreSQL.
ARCHIVE_BATCH = env_int("ARCHIVE_BATCH", 500)
ARCHIVE_CONSUMER = env_str("ARCHIVE_CONSUMER", "archiver-1")
SUBMISSION_REDIS_SECONDS = env_int("SUBMISSION_REDIS_SECONDS", 7 * 24 * 60 * 60)
# Each app's outbox entry types and how they reach PostgreSQL (config/outbox/archiver.py).
# Submissions per round trip when results are aggregated from Redis (archive off).
RESULTS_REDIS_CHUNK = env_int("RESULTS_REDIS_CHUNK", 1000)
# (end of operations)

# --- Browser: static files, browser login, live page ---------------------------------------------
# WhiteNoise serves static files from the web process: in DEBUG straight from the apps (found
# on every request, so edits show at once); otherwise from STATIC_ROOT, which
# `manage.py collectstatic` fills with compressed copies (the Makefile's install step runs it,
# as a deploy's build step should). A checkout that never ran it serves them from the apps.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_ROOT.is_dir()
# Browser sessions (/api-auth/login/): Django's cache sessions in Redis (CACHES["default"]), the
# cookie key stored only as its SHA-256; each one holds the id of an accounts session, which
# carries the idle timeout, the 24 h cap, logout-all and the WebSocket tickets.
SESSION_ENGINE = "accounts.browser_sessions"
SESSION_CACHE_ALIAS = "default"
SESSION_COOKIE_AGE = SESSION_MAX_AGE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages carry the token themselves (DRF's forms, the live page)
CSRF_FAILURE_VIEW = "config.http.error_pages.csrf_failure"  # the envelope for API clients, a plain page for browsers
AUTHENTICATION_BACKENDS = ["accounts.backends.RedisUserBackend"]
LOGIN_URL = "/api-auth/login/"
LOGIN_REDIRECT_URL = "/api/v1/"
LOGOUT_REDIRECT_URL = "/api-auth/login/"
# (end of browser)

# --- Django REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerSessionAuthentication",
        "accounts.authentication.BrowserSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "accounts.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["config.http.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "config.http.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "accounts.user.AnonymousUser",
    "UNAUTHENTICATED_TOKEN": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [],
}

# The plain successful GET /api/v1/me and GET /api/v1/leaderboard are answered on the event loop,
# outside Django's request cycle, with the same bytes (config/http/fastpath.py). 0 sends them through it.
FAST_READS = env_bool("FAST_READS", True)
# Which reads, by path: each app's FastRead (parse, read), and the session lookup they share.

SPECTACULAR_SETTINGS = {
    "TITLE": "Quizboard API",
    "DESCRIPTION": (
        "Redis-first backend for a learning platform. Authenticate with "
        "`Authorization: Bearer <token>` (the token from `POST /api/v1/auth/login`); in this page "
        "use **Authorize**. Every error has the body `{\"error\": {\"code\", \"message\", \"details\"}}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI keeps the pasted token across page reloads (in the browser's localStorage).
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": True},
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.http.openapi.add_error_responses",
    ],
}

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# "json": one JSON object per line (for log shippers); "text": for people. JSON unless DEBUG.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
# One line per HTTP request (method, path, status, duration_ms, user_id): config/http/request_log.py.
LOG_REQUESTS = env_bool("LOG_REQUESTS", True)
LOGGING = logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT)
record_cost_trim()

# --- Metrics (GET /metrics, config/metrics/) ---------------------------------------------------
# Prometheus metrics of every process of the host, summed at scrape time (prometheus_client's
# multiprocess mode). 0 makes every metric a no-op and /metrics answer 404.
METRICS_ENABLED = env_bool("METRICS_ENABLED", True)
# Where each process writes its values: one folder per host, shared by every process, wiped at
# stack start (`make run` does; in production, the container's entrypoint). prometheus_client
# reads it from PROMETHEUS_MULTIPROC_DIR when it is imported, so it is exported here, first.
METRICS_DIR = env_str("METRICS_DIR", os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(BASE_DIR / ".data" / "metrics"))
if METRICS_ENABLED:
    Path(METRICS_DIR).mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR
# GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, or any other token: 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
