import os

from config.http.handler import get_wsgi_application

from config.dev.devenv import dev_env_load

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
dev_env_load()  # a server started by hand in a `make run` checkout uses the same Redis
application = get_wsgi_application()

from config.http.parsers import ChunkedBodies  # noqa: E402  (needs the settings above)

application = ChunkedBodies(application)
