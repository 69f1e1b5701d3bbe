"""Benchmark settings: production-like (DEBUG off, JSON only) plus the constant-JSON floor view."""

from .base import *  # noqa: F403
from .base import DATABASE_POOL_OPTIONS, DATABASES, REST_FRAMEWORK, env

DEBUG = False
ROOT_URLCONF = "config.urls_bench"
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
# Throttles stay on (their Redis round trips are part of the cost) with limits a load generator cannot reach.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": "10000000/min",
    "user": "10000000/min",
    "login": "5/min",
    "payments": "10/min",
}
# As in production: a connection pool, not per-thread persistent connections (which pile up under ASGI).
if env.bool("DATABASE_POOL", default=True):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = DATABASE_POOL_OPTIONS
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
