"""A minimal django-oscar + django-oscar-api shop, configured for the side-by-side benchmark (bench/peer.py).

Production-like where it matters for speed: DEBUG off, JSON renderer only, a psycopg connection pool per process
(as the project), pagination of 20 (as the project's own lists), token authentication for API customers (the
peer's equivalent of a bearer token), search through the database (no search engine on either side).
"""

import os

from oscar.defaults import *  # noqa: F403 - Oscar's documented way to take its settings

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "peer-benchmark-only"  # noqa: S105 - a throw-away benchmark project
DEBUG = False
ALLOWED_HOSTS = ["*"]
SITE_ID = 1
USE_TZ = True
ROOT_URLCONF = "oscar_shop.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

from oscar import INSTALLED_APPS as OSCAR_APPS  # noqa: E402

INSTALLED_APPS = [*OSCAR_APPS, "rest_framework", "rest_framework.authtoken", "oscarapi"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "oscarapi.middleware.HeaderSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PEER_DATABASE_NAME", "shop_peer"),
        "HOST": os.environ.get("PEER_DATABASE_HOST", "127.0.0.1"),
        "PORT": os.environ.get("PEER_DATABASE_PORT", "5432"),
        "USER": os.environ.get("PEER_DATABASE_USER", "postgres"),
        # The same connection handling as the project's benchmark settings: under ASGI each request's sync code
        # runs in a thread of its own, so persistent connections would pile up; a psycopg pool shares one set.
        "CONN_MAX_AGE": 0,
        "OPTIONS": {"pool": {"min_size": 2, "max_size": 10, "timeout": 5.0}},
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = os.path.join(BASE_DIR, "media")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
}
OSCAR_DEFAULT_CURRENCY = "EUR"
OSCAR_ALLOW_ANON_CHECKOUT = True
OSCARAPI_BLOCK_ADMIN_API_ACCESS = True
