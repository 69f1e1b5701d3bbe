"""Benchmark settings: production-like (DEBUG off, JSON only) plus the bench-only reference views (bench/urls.py)."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, database_pool_configure

DEBUG = False
ROOT_URLCONF = "bench.urls"
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
# Throttles stay on (their Redis round trips are part of the cost) with limits a load generator cannot reach.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": "10000000/min",
    "user": "10000000/min",
    "login": "5/min",
    "payments": "10/min",
}
# As in production: a connection pool, not per-thread persistent connections (which pile up under ASGI).
database_pool_configure(default=True)
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
