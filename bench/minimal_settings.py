"""A minimal Django project, the reference the project's own stack is measured against (bench/stack.py).

No installed apps, no middleware, no database: one async view answering the floor's constant JSON
(bench/minimal_urls.py), served by the same server configuration as the project (bench/minimal_asgi.py).
"""

SECRET_KEY = "bench-minimal-project-not-a-secret"  # noqa: S105 - serves one constant JSON view, nothing to sign
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.minimal_urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
