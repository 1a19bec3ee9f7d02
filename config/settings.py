"""Settings for zhucun. Every deploy knob comes from the environment (django-environ)."""

import datetime
import os
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

# Read straight from os.environ: django-environ treats a value that starts with "$" as a
# reference to another variable, which breaks generated keys.
SECRET_KEY = os.environ.get("SECRET_KEY") or ("dev-only-insecure-key-change-me" if DEBUG else None)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "pgtrigger",
    "pghistory",
    "axes",  # before accounts: its login signal receivers run first
    "accounts",
    "villages",
    "cadres",
    "assignments",
    "fieldwork",
    "supervision",
    "appraisal",
    "dashboard",
    "excel",
    "demo",
]

MIDDLEWARE = [
    # First: refuses a body over the limit by its Content-Length, before anything reads it.
    "config.bodylimit.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise (static files keep their cache headers): no-store and the CSP on everything else.
    "config.headers.PrivacyHeadersMiddleware",
    # Outside everything that may query: a lost database connection answers the 503 page.
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # First password change; a cadre's account reaches only its own pages (accounts/middleware.py).
    "accounts.middleware.AccountGateMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a refused login into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.todo_count",
                "dashboard.context_processors.navigation",
                "fieldwork.context_processors.cadre_navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

if "DATABASE_URL" in os.environ:
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from config.embedded_db import database_settings

    DATABASES = {"default": database_settings(BASE_DIR / "var" / "pgdata")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Lets several test runs (or a benchmark) share one server without sharing a test database.
if os.environ.get("TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DB_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes), keyed on user name *and* client IP together, so
# guessing one account's password from one computer neither locks that account elsewhere nor lets
# anyone lock out everybody. Every further attempt during the lockout starts the cool-off again.
# A county admin unlocks its users in the admin (users → "unlock login"); anyone else:
# `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.JurisdictionModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # logins are recorded in accounts.SecurityEvent
AXES_RESET_ON_SUCCESS = True  # a successful login forgets the earlier typing mistakes
# Behind reverse proxies: how many of them append to X-Forwarded-For (0 = none; REMOTE_ADDR is the
# client). accounts.clientip reads the client from the right of the header, so a forged header
# changes nothing (django-ipware, axes' own resolver, is not installed; see docs/architecture.md).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.clientip.client_ip"

# Django's default hasher first (passwords users choose); the last one for passwords set by someone
# else, random and to be changed at the first login (accounts/hashers.py).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "accounts.hashers.InitialPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# A list filter's empty choice reads "all" (全部), not "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("All")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# Production hardening; each can be relaxed from the environment behind a TLS-terminating proxy.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # Intranet host names are never submitted to the browsers' public HSTS preload list.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# An appraisal round of a large county posts four fields a person (score, grade, reason, comments):
# Django's default of 1000 fields refuses a round of 250 people with a bare 400 page.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=20000)
# Request bodies (issue 14.12; config/bodylimit.py, README "Limits in front"): a form body is parsed
# in memory up to 2.5 MB (over: 400); an uploaded file up to 2.5 MB stays in memory, a larger one is
# spooled to a temporary file; any body over REQUEST_BODY_MAX_BYTES (UPLOAD_BODY_MAX_BYTES on the
# upload URLs) is refused with 413 by its Content-Length before anything reads it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=3 * 1024 * 1024)
UPLOAD_BODY_MAX_BYTES = env.int("UPLOAD_BODY_MAX_BYTES", default=20 * 1024 * 1024)
UPLOAD_PATH_PREFIXES = ["/imports/", "/my/diary/"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    # Logins, failed logins, lockouts, password changes, exports and imports (accounts/events.py).
    "loggers": {"zhucun.security": {"level": env.str("SECURITY_LOG_LEVEL", default="INFO")}},
}

PAGE_SIZE = 50

# Background work (province-wide exports): django-tasks with its database backend; `manage.py
# db_worker` runs the queue (`make run` starts one beside the web server).
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
EXPORT_DIR = Path(env.str("EXPORT_DIR", default=str(BASE_DIR / "var" / "exports")))
# Background export files (mode 0600) are deleted this many days after they were written, by the
# worker (`manage.py export_worker`: db_worker plus an hourly clean-up).
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
# The cadres' diary photos (fieldwork/photos.py): private files, never served as static; only a view
# that checks who asks reads them (docs/privacy.md). Kept outside STATIC_ROOT; back it up with var/.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_DIR", default=str(BASE_DIR / "var" / "media")))
DIARY_PHOTO_MAX_BYTES = env.int("DIARY_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# An export expected to write more rows than this runs in the background: a county is a few
# hundred rows a month, a province tens of thousands.
EXPORT_FOREGROUND_MAX_ROWS = env.int("EXPORT_FOREGROUND_MAX_ROWS", default=5000)
