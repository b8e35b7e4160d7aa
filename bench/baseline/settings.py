"""Settings of the bare baseline app: the least Django needs to route, render JSON and reach Redis."""
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["rest_framework"]
MIDDLEWARE: list = []
ROOT_URLCONF = "bench.baseline.urls"
DATABASES: dict = {}
USE_TZ = True
USE_I18N = False

# Read by config.redis.clients, so the floor uses the very client factory and pool options we use.
REDIS_URL = os.environ["REDIS_URL"]
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "qb")
REDIS_SOCKET_TIMEOUT = 1.0
REDIS_CONNECT_TIMEOUT = 0.5
REDIS_MAX_CONNECTIONS = 100
# The project's django-redis aliases, so the floor's sync client is the very one we use.
from config.settings import CACHES  # noqa: E402,F401

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
}
