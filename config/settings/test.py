from django.core.exceptions import ImproperlyConfigured

from core.logging import logging_config

from .base import *  # noqa: F403
from .base import (
    CACHES,
    DATABASES,
    LOG_LEVEL,
    REDIS_BASE_DB,
    REDIS_DATABASES,
    REST_FRAMEWORK,
    env,
    redis_broker_url,
    redis_db_url,
)

DEBUG = False
# Readable lines in test output; the tests of the JSON format set LOG_FORMAT=json for the processes they start.
LOG_FORMAT = env("LOG_FORMAT", default="console")
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
OUTBOX_DELIVER_ON_COMMIT = env.bool("OUTBOX_DELIVER_ON_COMMIT", default=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# pytest-django appends the pytest-xdist worker id to this name (test_shop_gw0, test_shop_gw1…).
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_shop")}
# Generous default rates in tests; throttle tests override them explicitly.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": "100000/min",
    "user": "100000/min",
    "login": env("THROTTLE_LOGIN", default="5/min"),
    "payments": env("THROTTLE_PAYMENTS", default="10/min"),
    "password_reset": env("THROTTLE_PASSWORD_RESET", default="10/hour"),
    "password_reset_account": env("THROTTLE_PASSWORD_RESET_ACCOUNT", default="5/hour"),
}

# --- Redis and the Celery broker: never the databases a running `make run` uses ------------------------
# Development uses Redis databases 0-4 (broker, catalog cache, carts, throttle, sessions). Tests flush theirs
# before every test, so each pytest-xdist worker (gw0, gw1…) takes a block of five databases after those, and the
# processes a test starts (Celery worker, live server) inherit PYTEST_XDIST_WORKER and land in the same block.
# A Redis server has 16 databases unless configured otherwise (REDIS_DATABASES): two workers fit.
TEST_WORKER = env("PYTEST_XDIST_WORKER", default="gw0")
TEST_WORKER_INDEX = int(TEST_WORKER.removeprefix("gw") or 0)
_TEST_ROLES = ("broker", "default", "carts", "throttle", "sessions")  # the broker, then the cache aliases
REDIS_DEV_DATABASES = range(REDIS_BASE_DB, REDIS_BASE_DB + len(_TEST_ROLES))
_first = REDIS_BASE_DB + len(_TEST_ROLES) * (1 + TEST_WORKER_INDEX)
if _first + len(_TEST_ROLES) > REDIS_DATABASES:
    raise ImproperlyConfigured(
        f"test worker {TEST_WORKER} needs Redis databases {_first}-{_first + len(_TEST_ROLES) - 1}: "
        "run fewer workers (pytest -n) or give Redis more databases (REDIS_DATABASES)"
    )
REDIS_TEST_DATABASES = dict(zip(_TEST_ROLES, range(_first, _first + len(_TEST_ROLES)), strict=True))
for _alias in ("default", "carts", "throttle", "sessions"):
    CACHES[_alias]["LOCATION"] = redis_db_url(REDIS_TEST_DATABASES[_alias])
    # Production's sub-second timeouts would turn a busy test machine into "Redis is down" and send a test down the
    # outage path; the outage tests use servers that refuse connections, which fail at once whatever the timeout.
    CACHES[_alias]["OPTIONS"] |= {
        "SOCKET_CONNECT_TIMEOUT": env.float("TEST_REDIS_CONNECT_TIMEOUT", default=5.0),
        "SOCKET_TIMEOUT": env.float("TEST_REDIS_SOCKET_TIMEOUT", default=5.0),
    }
CELERY_BROKER_URL = redis_broker_url(REDIS_TEST_DATABASES["broker"])
