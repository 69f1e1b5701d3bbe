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
