"""Test settings: the production module with fast hashing, in-memory mail and synchronous jobs."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key")

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE, Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# django-q2 reads its settings at import, so sync mode must be set here, not with override_settings.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]

# Tests on SQLite use a file, not shared-cache memory, so concurrent threads wait on the busy
# timeout (as web and worker do) instead of failing with "database table is locked".
from config.settings import DATA_DIR, DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # One file per test process, so two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")}
