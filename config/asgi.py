import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from config.observability import configure

# Traces and error reports when their endpoints are set, before the application builds its middleware stack.
configure("web")

django_application = get_asgi_application()

# Imported once Django is set up: cached anonymous catalog reads are answered before Django (catalog/api/fastpath.py).
from catalog.api.fastpath import CatalogFastPath  # noqa: E402

application = CatalogFastPath(django_application)

# Everything start-up allocated (Django, DRF, every app's modules) lives as long as the process: moved out of the
# collector's sight, so the collections that requests trigger no longer walk it (about a fifth of the floor view's
# CPU per request, bench/results/stack.md), whatever the server.
gc.freeze()
