"""Settings shared by every environment; each value is read once through ``environ.Env``."""

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from core.logging import logging_config

# Lets generic classes (ModelAdmin[User], QuerySet[Order]…) be subscripted at runtime.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env.read_env(str(BASE_DIR / ".env"), overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me-0123456789abcdef")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "backoffice.admin_site.ShopAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "adrf",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_celery_beat",
    "core",
    "api",
    "emails",
    "idempotency",
    "accounts",
    "catalog",
    "inventory",
    "orders",
    "carts",
    "payments",
    "checkout",
    "backoffice",
]

MIDDLEWARE = [
    # Outermost: every answer is counted, refusals and static files included (api/metrics.py).
    "api.metrics.MetricsMiddleware",
    # The request id (X-Request-ID from a trusted proxy, or a new one) on every log line and in the response.
    "api.request_id.RequestIdMiddleware",
    # With read replicas: names the client for read-your-writes and marks it after a successful write.
    "api.read_your_writes.ReadYourWritesMiddleware",
    # Then: a NUL in the path, query string, a header or a form field is a 400 before anything reads it.
    "api.middleware.NulRefusalMiddleware",
    # Django's middleware as thin async-native subclasses (no thread hop per request under ASGI), each scoped to
    # the requests that need it: no session or CSRF cookie on bearer-token API calls, no messages under /api/, no
    # X-Frame-Options on the API's JSON (api/async_middleware.py).
    "api.async_middleware.SecurityMiddleware",
    "api.static.StaticFilesMiddleware",
    "api.async_middleware.SessionMiddleware",
    "api.async_middleware.CommonMiddleware",
    "api.async_middleware.CsrfViewMiddleware",
    "api.async_middleware.AuthenticationMiddleware",
    "accounts.middleware.LoginLockoutMiddleware",
    "api.async_middleware.MessageMiddleware",
    "api.async_middleware.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- PostgreSQL: the system of record -------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/shop")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=3)


# psycopg connection pool (replaces CONN_MAX_AGE). Under ASGI every request runs its sync code in a thread
# of its own: persistent connections pile up per thread, and without them each request pays a new
# PostgreSQL connection (~10 ms here). Production and benchmark settings turn it on by default.
def database_pool_configure(*, default: bool) -> None:
    """Use the pool when DATABASE_POOL says so (``default`` when unset, and off behind PgBouncer, which pools
    already); each settings module picks the default. Replicas get the same pool settings as the primary."""
    if env.bool("DATABASE_POOL", default=default and not DATABASE_PGBOUNCER):
        for database in DATABASES.values():
            database["CONN_MAX_AGE"] = 0
            database["OPTIONS"]["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
                "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
                "timeout": env.float("DATABASE_POOL_TIMEOUT", default=5.0),
            }


# --- Read replicas and PgBouncer (docs/replicas.md) ---------------------------------------------------------
# DATABASE_REPLICA_URLS: comma-separated DSNs of streaming replicas, the aliases replica_0, replica_1… Writes,
# transactions and every read not opted in (core.replicas) use the primary; tests mirror the replicas onto it.
DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
# How often each process measures a replica (lag, answering), and how long it waits for one to answer.
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=2.0)
REPLICA_CONNECT_TIMEOUT = env.int("REPLICA_CONNECT_TIMEOUT", default=2)  # libpq's minimum is 2 seconds
# After a successful write request, the same user / cart token reads from the primary for this long.
READ_YOUR_WRITES_SECONDS = env.int("READ_YOUR_WRITES_SECONDS", default=10)
# PgBouncer in transaction mode: a server connection serves another client after each transaction, so nothing
# may outlive one: no server-side cursors, no prepared statements, no in-process pool by default.
DATABASE_PGBOUNCER = env.bool("DATABASE_PGBOUNCER", default=False)


def replica_databases(urls: list[str], primary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``replica_N`` aliases for ``urls``: the primary's settings (options, pool, timeouts) on each replica's DSN,
    with a short connect timeout, mirrored onto the primary's test database in tests."""
    aliases = {}
    for index, url in enumerate(urls):
        config = env.db_url_config(url)
        for name in ("ATOMIC_REQUESTS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DISABLE_SERVER_SIDE_CURSORS"):
            if name in primary:
                config[name] = primary[name]
        config["OPTIONS"] = {**copy.deepcopy(primary.get("OPTIONS", {})), "connect_timeout": REPLICA_CONNECT_TIMEOUT}
        config["TEST"] = {"MIRROR": "default"}
        aliases[f"replica_{index}"] = config
    return aliases


def pgbouncer_configure(databases: dict[str, dict[str, Any]]) -> None:
    """Settings every alias needs behind PgBouncer in transaction mode."""
    for database in databases.values():
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        # psycopg prepares a statement after it has run it this many times; None: never (PgBouncer would hand the
        # prepared statement's server connection to another client).
        database["OPTIONS"]["prepare_threshold"] = None


if DATABASE_PGBOUNCER:
    pgbouncer_configure(DATABASES)
DATABASES.update(replica_databases(env.list("DATABASE_REPLICA_URLS", default=[]), DATABASES["default"]))
database_pool_configure(default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Every password check (API login, admin login, password change) goes through this backend and its lock-out.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutModelBackend"]

# --- Client identity and lock-out (docs/security.md) ------------------------------------------------
# Proxies whose X-Forwarded-For is believed (CIDRs); empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# How many trusted proxies stand in front of the application (nginx alone: 1; CDN + nginx: 2).
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=1)
# Per (account, client) pair: LOCKOUT_FAILURES failures lock the pair for LOCKOUT_BASE_SECONDS; every further
# failure after a lock-out locks it again for twice as long, up to LOCKOUT_MAX_SECONDS. A pair's history is
# forgotten LOCKOUT_MEMORY_SECONDS after its last failure or at its next successful log-in.
LOCKOUT_FAILURES = env.int("LOCKOUT_FAILURES", default=5)
LOCKOUT_BASE_SECONDS = env.int("LOCKOUT_BASE_SECONDS", default=60)
LOCKOUT_MAX_SECONDS = env.int("LOCKOUT_MAX_SECONDS", default=3600)
LOCKOUT_MEMORY_SECONDS = env.int("LOCKOUT_MEMORY_SECONDS", default=24 * 3600)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# The public origin of this deployment (scheme://host[:port]), used for absolute URLs built without a request,
# e.g. media URLs in cached API bodies: the same request always gets the same URL, whichever path answered it.
PUBLIC_ORIGIN = env("PUBLIC_ORIGIN", default=f"http://localhost:{env('PORT', default='8000')}").rstrip("/")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
MEDIA_MAX_AGE = env.int("MEDIA_MAX_AGE", default=24 * 3600)
# An S3-compatible bucket (django-storages) when AWS_STORAGE_BUCKET_NAME is set; its URLs point at the bucket
# (or AWS_S3_CUSTOM_DOMAIN). Credentials come from the usual AWS_* variables, read by boto3 itself.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")


def storages_settings(*, production: bool) -> tuple[dict[str, dict[str, Any]], bool, bool]:
    """(STORAGES, STATIC_MANIFEST, MEDIA_SERVE) from the environment, with the defaults of production or not.

    MEDIA_SERVE: uploaded files are answered by the application itself (api.media), except when a bucket
    serves them, or in production, where the proxy in front serves the media volume (deploy/nginx.conf).
    """
    manifest = env.bool("STATIC_MANIFEST", default=production)
    serve_media = env.bool("MEDIA_SERVE", default=not production)
    media: dict[str, Any]
    if AWS_STORAGE_BUCKET_NAME:
        media = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": AWS_STORAGE_BUCKET_NAME,
                "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
                "region_name": env("AWS_S3_REGION_NAME", default=None),
                "custom_domain": env("AWS_S3_CUSTOM_DOMAIN", default=None),
                "location": env("AWS_LOCATION", default="media"),
                # Public product images: plain URLs, no expiring signatures (cacheable bodies stay valid).
                "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=False),
                "default_acl": env("AWS_DEFAULT_ACL", default=None),
                "file_overwrite": False,
                "object_parameters": {"CacheControl": f"public, max-age={MEDIA_MAX_AGE}"},
            },
        }
        serve_media = False
    else:
        media = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"base_url": f"{PUBLIC_ORIGIN}{MEDIA_URL}"},
        }
    static = (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if manifest
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    return {"default": media, "staticfiles": {"BACKEND": static}}, manifest, serve_media


# Static files are served by WhiteNoise under every server (api.static). With STATIC_MANIFEST (the default in
# production) it serves the compressed (brotli, gzip), content-hashed output of `collectstatic` with far-future
# cache headers; otherwise the apps' own static folders directly (no collectstatic for `make run` or the tests).
STORAGES, STATIC_MANIFEST, MEDIA_SERVE = storages_settings(production=False)
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
# Templates always link the hashed names ({% static %}): the unhashed copies would only double collectstatic's
# compression work and the image size. Source maps are fetched by developer tools only: not worth compressing.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Redis: one base URL, one database number per role ----------------------------------------
# REDIS_URL may name a database (redis://host:6379/8, or ?db=8 on a unix socket): the roles then take consecutive
# databases from there (broker 8, cache 9, carts 10, throttle 11, sessions 12); without one they start at 0.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379")
REDIS_ROLES = ("broker", "cache", "carts", "throttle", "sessions")  # role -> base + its index
REDIS_DATABASES = env.int("REDIS_DATABASES", default=16)  # the server's `databases` setting


def redis_url_split(url: str) -> tuple[str, int]:
    """``(url without its database, base database)``; a database that is not a number, or leaves no room for
    every role within REDIS_DATABASES, refuses to start rather than run half-configured."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if parts.scheme == "unix":
        raw = next((value for key, value in query if key == "db"), "")
        others = urlencode([(k, v) for k, v in query if k != "db"])
        rest = f"unix://{parts.path}" + (f"?{others}" if others else "")
    else:
        raw = parts.path.strip("/")
        rest = urlunsplit(parts._replace(path=""))
    if not raw:
        return rest, 0
    if not (raw.isascii() and raw.isdigit()):
        raise ImproperlyConfigured(f"REDIS_URL names database {raw!r}; use a number, e.g. redis://host:6379/8.")
    base = int(raw)
    if base + len(REDIS_ROLES) > REDIS_DATABASES:
        raise ImproperlyConfigured(
            f"REDIS_URL names database {base}, but its {len(REDIS_ROLES)} roles need databases {base}-"
            f"{base + len(REDIS_ROLES) - 1} and the server has {REDIS_DATABASES} (set REDIS_DATABASES if it has more)."
        )
    return rest, base


REDIS_BASE_URL, REDIS_BASE_DB = redis_url_split(REDIS_URL)
# Redis Sentinel (REDIS_SENTINELS=host:port,host:port…): every role then goes to the current master of the set
# REDIS_SENTINEL_MASTER, found through the Sentinels, each role keeping its database number. Locations read
# redis://<set name>/<db>; django-redis's SentinelConnectionFactory, core.redis_clients and kombu's sentinel://
# transport resolve them.
REDIS_SENTINELS = [
    (host, int(port)) for host, _, port in (value.rpartition(":") for value in env.list("REDIS_SENTINELS", default=[]))
]
REDIS_SENTINEL_MASTER = env("REDIS_SENTINEL_MASTER", default="shop")
if REDIS_SENTINELS:
    REDIS_BASE_URL = f"redis://{REDIS_SENTINEL_MASTER}"


def redis_db_url(role: str | int) -> str:
    """The Redis URL of ``role``: for a name in REDIS_ROLES, database base + the role's index; for a number, that
    database on the same server (the test settings pick their own)."""
    db = role if isinstance(role, int) else REDIS_BASE_DB + REDIS_ROLES.index(role)
    if REDIS_BASE_URL.startswith("unix://"):
        separator = "&" if "?" in REDIS_BASE_URL else "?"
        return f"{REDIS_BASE_URL}{separator}db={db}"
    return f"{REDIS_BASE_URL.rstrip('/')}/{db}"


# Short socket timeouts: a dead Redis must fail fast, not stall every request.
_REDIS_TIMEOUTS = {
    "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.25),
    "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
}
# With Sentinel: the sentinel connection factory on django-redis's default client, which keeps reads on the master
# (its SentinelClient would send reads to replicas, and a cart read right after a write must see it).
_REDIS_SENTINEL = (
    {
        "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
        "SENTINELS": REDIS_SENTINELS,
        "SENTINEL_KWARGS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    if REDIS_SENTINELS
    else {}
)
_REDIS_OPTIONS: dict[str, Any] = {**_REDIS_TIMEOUTS, **_REDIS_SENTINEL}
CACHES = {
    # Catalog cache: fails open (Redis down -> read from Postgres).
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("CACHE_URL", default=redis_db_url("cache")),
        "OPTIONS": {**_REDIS_OPTIONS, "IGNORE_EXCEPTIONS": True},
        "KEY_PREFIX": "shop",
    },
    # Anonymous carts: fail closed (the carts app answers 503 cart_unavailable).
    "carts": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("CARTS_REDIS_URL", default=redis_db_url("carts")),
        "OPTIONS": {**_REDIS_OPTIONS},
        "KEY_PREFIX": "cart",
    },
    # Throttle history: its own alias so flushing the catalog cache never resets rate limits.
    "throttle": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("THROTTLE_REDIS_URL", default=redis_db_url("throttle")),
        "OPTIONS": {**_REDIS_OPTIONS, "IGNORE_EXCEPTIONS": True},
        "KEY_PREFIX": "throttle",
    },
    # Session cache in front of the database sessions table.
    "sessions": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("SESSIONS_REDIS_URL", default=redis_db_url("sessions")),
        "OPTIONS": {**_REDIS_OPTIONS, "IGNORE_EXCEPTIONS": True},
        "KEY_PREFIX": "session",
    },
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# cached_db: a Redis outage logs nobody out, the session is read from Postgres.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"

# --- DRF -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # JWT first: an unauthenticated request gets 401 with WWW-Authenticate, not 403.
        # simplejwt's, with the user and its revocation check from a Redis-cached auth state (docs/security.md).
        "accounts.authentication.CachedJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # A JSON API: form encodings only where a file is uploaded (the product image view sets its own parser).
    # api.parsers.JSONParser limits nesting depth and refuses NUL characters (api.input_limits).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonRateThrottle",
        "api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="100/min"),
        "user": env("THROTTLE_USER", default="1000/min"),
        "login": env("THROTTLE_LOGIN", default="5/min"),
        "payments": env("THROTTLE_PAYMENTS", default="10/min"),
        # Password reset: per client address, and per target account (e-mail for the request, uid to confirm).
        "password_reset": env("THROTTLE_PASSWORD_RESET", default="10/hour"),
        "password_reset_account": env("THROTTLE_PASSWORD_RESET_ACCOUNT", default="5/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
THROTTLE_CACHE_ALIAS = "throttle"

DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "api.errors.ExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    # The schema's error responses: the package's codes plus 413 (a body over the size limit; narrowed to the
    # operations that take a body by api.schema.error_responses), in the envelopes the API sends (api.schema).
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "415", "429", "500", "413"],
    "ERROR_SCHEMAS": {
        "400": "api.schema.ERROR_400",
        "401": "api.schema.ApiClientErrorResponseSerializer",
        "404": "api.schema.ApiClientErrorResponseSerializer",
        "413": "api.schema.ApiClientErrorResponseSerializer",
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": "E-commerce REST API: catalog, inventory, carts, orders and payments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]",
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "api.schema.error_responses",
        # Rebuilds the components from drf-spectacular's registry: renaming them comes after.
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "api.schema.whole_body_patches",
        "api.schema_hooks.postprocess_schema",
    ],
    # Swagger UI and ReDoc come from our own static files (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True, "displayRequestDuration": True},
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_REFRESH_SERIALIZER": "accounts.api.serializers.LockedTokenRefreshSerializer",
    # Tokens carry a digest of the password hash, checked by JWTAuthentication on every request and by the
    # refresh endpoint: any password change (API, reset, admin) ends every access and refresh token issued before.
    "CHECK_REVOKE_TOKEN": True,
}
# How long a user's cached auth state may be used (accounts.authentication): every change to the user drops it at
# once; this bounds only a change made while Redis was unreachable.
AUTH_STATE_CACHE_SECONDS = env.int("AUTH_STATE_CACHE_SECONDS", default=60)


# --- Celery ----------------------------------------------------------------------------------
# kombu spells a unix-socket Redis as redis+socket:// with the database as virtual_host.
def redis_broker_url(db: int) -> str:
    """The kombu URL of Redis database ``db`` as the broker: sentinel:// through the Sentinels when set (the
    master set's name goes in the transport options), redis+socket:// on a unix socket, else redis://."""
    if REDIS_SENTINELS:
        return ";".join(f"sentinel://{host}:{port}/{db}" for host, port in REDIS_SENTINELS)
    if REDIS_BASE_URL.startswith("unix://"):
        return f"redis+socket://{urlsplit(REDIS_BASE_URL).path}?virtual_host={db}"
    return redis_db_url(db)


_BROKER_DEFAULT = redis_broker_url(REDIS_BASE_DB + REDIS_ROLES.index("broker"))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=_BROKER_DEFAULT)
# RabbitMQ (amqp://, the production broker): quorum queues, replicated across the cluster's nodes and kept on disk,
# so neither a node's loss nor a restart drops a queued task. Celery then uses per-consumer prefetch and RabbitMQ's
# native delayed delivery for countdown/ETA tasks by itself. Redis (`make run`, tests) has no queue types.
CELERY_BROKER_IS_AMQP = urlsplit(CELERY_BROKER_URL).scheme in {"amqp", "amqps", "pyamqp"}
CELERY_TASK_DEFAULT_QUEUE_TYPE = "quorum" if CELERY_BROKER_IS_AMQP else "classic"
CELERY_TASK_CREATE_MISSING_QUEUE_TYPE = CELERY_TASK_DEFAULT_QUEUE_TYPE
# Native delayed delivery routes through topic exchanges (a direct one would hold ETA tasks in the worker).
CELERY_TASK_DEFAULT_EXCHANGE_TYPE = "topic" if CELERY_BROKER_IS_AMQP else "direct"
CELERY_TASK_CREATE_MISSING_QUEUE_EXCHANGE_TYPE = CELERY_TASK_DEFAULT_EXCHANGE_TYPE
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep ETAs below the visibility timeout or tasks are redelivered while still waiting.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    "visibility_timeout": 2 * 60 * 60,
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}
if REDIS_SENTINELS:
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "master_name": REDIS_SENTINEL_MASTER,
        "sentinel_kwargs": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
CELERY_TASK_DEFAULT_QUEUE = "celery"
# E-mail has its own queue so a burst of mail never delays stock or order tasks (and vice versa).
CELERY_TASK_ROUTES = {"emails.outbox_deliver": {"queue": "email"}}
CELERY_TASK_ACKS_LATE = False  # only idempotent tasks opt in (acks_late=True on the task)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- E-mail ----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / ".data" / "mail"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="shop@example.com")
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_DELIVER_ON_COMMIT = False
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:3000")
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=3 * 24 * 3600)

# --- Domain settings --------------------------------------------------------------------------
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=30)
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
CART_TTL_SECONDS = env.int("CART_TTL_SECONDS", default=7 * 24 * 3600)
CART_MAX_LINES = env.int("CART_MAX_LINES", default=100)
LOW_STOCK_THRESHOLD = env.int("LOW_STOCK_THRESHOLD", default=5)
CATALOG_CACHE_TTL = env.int("CATALOG_CACHE_TTL", default=300)
# Cache hits of anonymous catalog reads answered before Django (catalog/api/fastpath.py); off: Django answers them.
CATALOG_FAST_PATH = env.bool("CATALOG_FAST_PATH", default=True)
# Product lists count matches up to this many (then answer `count_exact: false`), and a relevance-ordered search
# ranks at most this many matches: a page costs the same whatever the catalog's size.
CATALOG_COUNT_CAP = env.int("CATALOG_COUNT_CAP", default=1000)
PAYMENT_PROVIDERS = {"fake": "payments.providers.fake.FakeProvider"}
PAYMENT_WEBHOOK_SECRET = env("PAYMENT_WEBHOOK_SECRET", default="whsec_dev_secret")
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300)
PAYMENT_CURRENCY = env("PAYMENT_CURRENCY", default="USD")
# How long the fake provider's `tok_slow` test card takes to answer.
PAYMENT_FAKE_SLOW_SECONDS = env.float("PAYMENT_FAKE_SLOW_SECONDS", default=0.5)
DEMO_USERS = env.bool("DEMO_USERS", default=True)
# `make run` on an empty database seeds a demo catalog (categories, products, generated images); off by default.
SEED_DEMO = env.bool("SEED_DEMO", default=False)
SEED_DEMO_PRODUCTS = env.int("SEED_DEMO_PRODUCTS", default=300)
# The port `make run` serves on: printed in its banner and the default target of `manage.py stress_orders`.
SERVER_PORT = env.int("PORT", default=8000)
PRODUCT_IMAGE_MAX_BYTES = 5 * 1024 * 1024

# --- Observability (docs/operations.md) ---------------------------------------------------------
# HTTP and domain metrics at /metrics (Prometheus text format). Off: the middleware leaves the stack.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)
# Who may scrape /metrics: clients on these CIDRs (as api/client_ip.py sees them), or with this bearer token.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# Figures read with a query at scrape time (outbox rows, low stock, queue depth): at most one query per this many
# seconds per process, however many scrapes arrive.
METRICS_QUERY_TTL = env.float("METRICS_QUERY_TTL", default=15.0)

# Traces and error reports (config/observability.py), each off unless its endpoint is set; off, neither library is
# imported. OTLP over HTTP to <endpoint>/v1/traces (OTEL_EXPORTER_OTLP_HEADERS is read by the exporter itself);
# the service name defaults to shop-web / shop-worker.
OTEL_EXPORTER_OTLP_ENDPOINT = env("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
OTEL_SERVICE_NAME = env("OTEL_SERVICE_NAME", default="")
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)

# Structured logs (core/logging.py): one JSON object per line (LOG_FORMAT=json, the default) or readable console
# lines (LOG_FORMAT=console, the default of `make run`), each with the request id and the context bound to it.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)

# E-mail uniqueness is enforced case-insensitively by the users_email_ci_unique constraint
# (UniqueConstraint(Lower("email"))), which Django's check does not recognise (E003 with ModelBackend, W004 with
# the lock-out backend derived from it).
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]
