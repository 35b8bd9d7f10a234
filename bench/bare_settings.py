"""The bare ceiling's settings: the app's production settings with only SecurityMiddleware and CommonMiddleware, and
the ceiling as the only address (bench/ceiling.py)."""

from kb.settings import *  # noqa: F403

MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bench.ceiling"
