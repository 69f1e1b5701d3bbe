import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from config.observability import configure

# Traces and error reports when their endpoints are set, before the application builds its middleware stack.
configure("web")

application = get_asgi_application()
