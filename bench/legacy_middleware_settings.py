"""The bench settings with Django's stock middleware classes in place of the project's async-native ones: the
stack as it was, measured beside the current one by bench/stack.py."""

from config.settings.bench import *  # noqa: F403

MIDDLEWARE = [
    "api.metrics.MetricsMiddleware",
    "api.request_id.RequestIdMiddleware",
    "api.middleware.NulRefusalMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "api.static.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LoginLockoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
