import os

from config.handler import get_wsgi_application

from config.devenv import dev_env_load

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
dev_env_load()  # a server started by hand in a `make run` checkout uses the same Redis
application = get_wsgi_application()

from config.parsers import ChunkedBodies  # noqa: E402  (needs the settings above)

application = ChunkedBodies(application)
