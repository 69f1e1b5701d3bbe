from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
OUTBOX_DELIVER_ON_COMMIT = env.bool("OUTBOX_DELIVER_ON_COMMIT", default=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
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
