from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import AWS_STORAGE_BUCKET_NAME, REST_FRAMEWORK, database_pool_configure, env, storages_settings

DEBUG = False
database_pool_configure(default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# One year with preload, what the browsers' HSTS preload list asks for (`manage.py check --deploy` is clean).
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
DEMO_USERS = env.bool("DEMO_USERS", default=False)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# Media URLs in API bodies are absolute and built without a request: from the bucket's own URL, or else from
# PUBLIC_ORIGIN. Its development default (http://localhost:PORT) would send every client to a host they cannot reach.
if not AWS_STORAGE_BUCKET_NAME and not env("PUBLIC_ORIGIN", default=""):
    raise ImproperlyConfigured(
        "Set PUBLIC_ORIGIN to the public origin of this deployment (e.g. https://shop.example.com) or "
        "AWS_STORAGE_BUCKET_NAME to a media bucket: production builds absolute media URLs from one of them."
    )
# The hashed, compressed output of `collectstatic` (run when the image is built), with far-future cache headers.
STORAGES, STATIC_MANIFEST, MEDIA_SERVE = storages_settings(production=True)
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
