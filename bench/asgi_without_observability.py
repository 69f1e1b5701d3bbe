"""config/asgi.py without its call to ``config.observability.configure``: the application as it was before traces
and error reports existed, to measure what their code costs when they are off (bench/observability.py)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

django_application = get_asgi_application()

from catalog.api.fastpath import CatalogFastPath  # noqa: E402

application = CatalogFastPath(django_application)
gc.freeze()
