"""ASGI entry point of the minimal Django project (bench/minimal_settings.py), set up as config/asgi.py is."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.minimal_settings"

application = get_asgi_application()
gc.freeze()
