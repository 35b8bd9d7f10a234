"""Test settings: the production settings, with only what tests need changed."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
# The test client speaks plain http.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from .settings import *  # noqa: F403

# Django's own engines: pytest-django recognises SQLite by its engine's name, to give each xdist worker its own test
# database (with the timed wrapper's name it would make up a file name that cannot be opened). The wrapper's metrics
# are tested against a live server (tests/test_metrics.py), which runs the production settings.
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(  # noqa: F405
    "django_prometheus.db.backends.", "django.db.backends."
)
# Hashing staff passwords at full strength would dominate the admin tests' run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The manifest storage needs `collectstatic`; tests render pages without it.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# WhiteNoise serves collected files; the test client never asks it for any.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
# The suite sends many requests from one address; the throttling test sets its own rate.
API_ANON_THROTTLE_RATE = None
# One process, one cache: the revision copy can be trusted until a change commits, as with Redis in production.
CONTENT_REVISION_CACHE_SECONDS = None
# Tests roll their transactions back, so the memo would outlive the revision it holds (tests/test_fast_path.py
# turns it on).
PUBLIC_REVISION_MEMO_SECONDS = 0
# Most tests move content through the workflow as one person; tests/curation/test_four_eyes.py turns this on.
FOUR_EYES = False
# Sign-in limits would lock out tests that sign in repeatedly; tests/test_login_limits.py turns them on.
AXES_ENABLED = False
# Export snapshots are named by the content revision, which tests roll back: each test gets an empty directory
# (tests/conftest.py), never the checkout's var/.
EXPORT_DIR = tempfile.mkdtemp(prefix="kb-test-exports-")
