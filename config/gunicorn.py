"""gunicorn settings for the ASGI app (uvicorn workers); every value is overridable by environment."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Two workers per core: under ASGI each worker runs its sync views (every signed-in write endpoint) on one thread,
# so a worker waiting on Postgres or Redis holds that thread; async reads (catalog, anonymous carts) stay CPU-bound.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
# Ours: no `Server:` header naming the software.
worker_class = "config.workers.UvicornWorker"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = 100
# gunicorn/uvicorn would otherwise rewrite the client address from X-Forwarded-For for requests from 127.0.0.1.
# The application decides whom to believe (TRUSTED_PROXIES, api/client_ip.py), so the server believes nobody and
# REMOTE_ADDR stays the address of the TCP peer.
forwarded_allow_ips = ""
