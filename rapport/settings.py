"""Rapport's one settings module, read from environment variables.

Every variable is documented in `.env.example`. The defaults run on a fresh
checkout: SQLite in WAL mode under RAPPORT_DATA_DIR (default ./var), debug off.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from rapport.lib.env import env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("RAPPORT_DATA_DIR", Path.cwd() / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("RAPPORT_DEBUG", False)
# Set by `rapport demo`: a demo may run without a configured secret.
DEMO = env_bool("RAPPORT_DEMO", False)


def _secret_key() -> str:
    configured = env_str("RAPPORT_SECRET_KEY")
    if configured:
        return configured
    if not (DEBUG or DEMO):
        raise ImproperlyConfigured(
            "RAPPORT_SECRET_KEY is not set. Set it to a long random string for a production "
            "start (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or use `rapport demo` / RAPPORT_DEBUG=1 for a local try-out."
        )
    # Demo and debug keep a generated key in the data directory, so sessions
    # survive a restart without anyone having to configure a secret.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


def _encryption_key() -> str:
    """Return the Fernet key(s) that encrypt channel credentials at rest.

    Unlike the secret key, a production start without one is allowed: it is
    needed only once a channel with credentials is stored or synced, and
    `rapport.lib.crypto` raises ImproperlyConfigured then (the `channels.W001`
    check warns at start). Demo and debug keep a generated key in the data
    directory, like the secret key.
    """
    configured = env_str("RAPPORT_ENCRYPTION_KEY")
    if configured or not (DEBUG or DEMO):
        return configured
    key_file = DATA_DIR / "encryption_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return key_file.read_text().strip()


RAPPORT_ENCRYPTION_KEY = _encryption_key()

ALLOWED_HOSTS = env_list("RAPPORT_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("RAPPORT_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("RAPPORT_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "rapport.accounts",
    "rapport.jobs",
    "rapport.customers",
    "rapport.channels",
    "rapport.team",
    "rapport.inbox",
    "rapport.sandbox",
    "rapport.publishing",
    "rapport.surveys",
    "rapport.insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "rapport.lib.request_context.RequestContextMiddleware",
    "rapport.lib.pages.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rapport.lib.pages.DomainErrorMiddleware",
    # django-axes must come last: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rapport.urls"
WSGI_APPLICATION = "rapport.wsgi.application"
ASGI_APPLICATION = "rapport.asgi.application"

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
                "csp.context_processors.nonce",
                "rapport.lib.navigation.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("RAPPORT_DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend with a faster datetime reader (rapport/lib/sqlite).
            "ENGINE": "rapport.lib.sqlite",
            "NAME": str(DATA_DIR / "rapport.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run while one writer writes; IMMEDIATE takes
                # the write lock at BEGIN so two writers queue instead of one
                # failing with "database is locked" half-way through.
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Django's default for SQLite, said out loud: tools that recognise SQLite by
            # its stock ENGINE name (pytest-django's per-worker names) see it here.
            "TEST": {"NAME": ":memory:"},
            # Kept open between requests, as on PostgreSQL: opening one costs about
            # 5 ms of CPU (SQLite reads the whole schema again), more than an API request.
            "CONN_MAX_AGE": env_int("RAPPORT_DB_CONN_MAX_AGE", 60),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -----------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background jobs ---------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("RAPPORT_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Authentication -----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out login is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = env_int("RAPPORT_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("RAPPORT_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "rapport.accounts.auth.login_username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG and env_bool("RAPPORT_SECURE_COOKIES", not DEMO)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("RAPPORT_SESSION_AGE_SECONDS", 60 * 60 * 12)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("RAPPORT_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("RAPPORT_HSTS_SECONDS", 0)
if env_bool("RAPPORT_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("RAPPORT_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the app folders when nothing was collected (debug, tests).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Largest attachment accepted on a message, in bytes.
RAPPORT_MAX_ATTACHMENT_BYTES = env_int("RAPPORT_MAX_ATTACHMENT_MB", 10) * 1024 * 1024
# A customer writing into a conversation closed longer than this opens a new one.
RAPPORT_REOPEN_WINDOW_DAYS = env_int("RAPPORT_REOPEN_WINDOW_DAYS", 7)
# The simulated social network under /sandbox/. Its demo brand account has a
# well-known token, so it is on only for demo and debug unless asked; off, every
# /sandbox/ address answers 404 and the persona engine does not run.
RAPPORT_SANDBOX_ENABLED = env_bool("RAPPORT_SANDBOX_ENABLED", DEBUG or DEMO)

# --- Email --------------------------------------------------------------------
EMAIL_BACKEND = env_str("RAPPORT_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("RAPPORT_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("RAPPORT_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("RAPPORT_DEFAULT_FROM_EMAIL", "rapport@localhost")

# --- API ------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
# Write a token's last-used time at most this often, not on every request.
API_TOKEN_TOUCH_SECONDS = 60

# --- Logging --------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("RAPPORT_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
