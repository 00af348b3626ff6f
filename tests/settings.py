"""Settings for the test suite: the real settings, with fast hashing and immediate jobs."""

import os
import tempfile

os.environ.setdefault("RAPPORT_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
# A fixed Fernet key for channel credentials in tests (never used outside them).
os.environ.setdefault("RAPPORT_ENCRYPTION_KEY", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMDEyMzQ1Njc4OWE=")
# Tests talk to the sandbox network on loopback (tests/sandbox turns it off to test the switch).
os.environ.setdefault("RAPPORT_SANDBOX_ENABLED", "1")
os.environ.setdefault("RAPPORT_DATA_DIR", os.path.join(tempfile.gettempdir(), "rapport-test-data"))

from rapport.settings import *  # noqa: E402,F403
from rapport.settings import TASKS  # noqa: E402

# Argon2 is what production uses (tested in tests/accounts); tests need speed.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {**TASKS, "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
