from core.logging import logging_config

from .base import *  # noqa: F403
from .base import LOG_LEVEL, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SEED_DEMO = env.bool("SEED_DEMO", default=True)
LOG_FORMAT = env("LOG_FORMAT", default="console")
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)
