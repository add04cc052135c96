"""Django settings for duban. Everything a deployment changes comes from DUBAN_* variables."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from duban import config

BASE_DIR = Path(__file__).resolve().parent
config.private_files()
# DUBAN_ENV=production: strong key required, DEBUG refused, secure cookies, HSTS, HTTPS redirect.
PRODUCTION = config.environment() == "production"
DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key(DATA_DIR, production=PRODUCTION)
DEBUG = os.environ.get("DUBAN_DEBUG", "") == "1"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("生产环境（DUBAN_ENV=production）不能开启 DUBAN_DEBUG：调试页面会泄露配置和数据")
_default_hosts = "127.0.0.1,localhost" if PRODUCTION else "127.0.0.1,localhost,testserver"
ALLOWED_HOSTS = [h for h in os.environ.get("DUBAN_ALLOWED_HOSTS", _default_hosts).split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DUBAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "duban.core",
    "duban.orgs",
    "duban.audit",
    "duban.campaigns",
    "duban.ledger",
    "duban.plan",
    "duban.projects",
    "duban.rounds",
    "duban.intake",
    "duban.triage",
    "duban.notify",
    "duban.office",
    "duban.bulletins",
    "duban.dashboard",
    "duban.demo",
    # The command-line door (demo, serve, stats, import, export): above every app.
    "duban.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "duban.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "duban.audit.middleware.AuditActionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "duban.urls"
WSGI_APPLICATION = "duban.wsgi.application"

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
                "django.template.context_processors.i18n",
                "duban.context.shell",
            ],
            "builtins": ["duban.core.templatetags.duban_fmt"],
        },
    }
]

DATABASES = {"default": config.database_config(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the rate-limit counters, so every worker process must share it: a table
# in the database by default (created by migration), Redis when DUBAN_REDIS_URL is set.
CACHES = {
    "default": {
        "BACKEND": "duban.core.cache.DatabaseCache",
        "LOCATION": "duban_cache",
        # Counters of many client addresses; expired rows are culled first when full.
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    }
}
if os.environ.get("DUBAN_REDIS_URL"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["DUBAN_REDIS_URL"]}

# Background tasks: a table in the database by default (`duban worker` runs them); a Redis
# queue with DUBAN_TASKS_REDIS_URL (core/redis_tasks.py); inline with DUBAN_TASKS_IMMEDIATE=1.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
if os.environ.get("DUBAN_TASKS_REDIS_URL"):
    TASKS = {"default": {"BACKEND": "duban.core.redis_tasks.RedisBackend", "QUEUES": ["default"],
                         "OPTIONS": {"URL": os.environ["DUBAN_TASKS_REDIS_URL"],
                                     "RESULT_TTL": int(float(os.environ.get("DUBAN_TASKS_RESULT_DAYS", "7")) * 86400)}}}
if os.environ.get("DUBAN_TASKS_IMMEDIATE") == "1":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Login throttling (django-axes): DUBAN_LOGIN_FAILURE_LIMIT wrong passwords lock the username
# and, separately, the client address for DUBAN_LOGIN_LOCKOUT_MINUTES. Every authenticate()
# goes through AxesStandaloneBackend first (the login page and the admin's alike); the API
# takes no passwords. Unlock early with `duban user unlock NAME` / `duban manage axes_reset_ip IP`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = config.env_int("DUBAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=config.env_int("DUBAN_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "duban.core.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "duban.orgs.account_views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# A success must not wipe the address's failures (an attacker would log into an account of
# their own between guesses), and tries during a lockout do not prolong it.
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the app and package dirs: `duban serve` works without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "files"

# Uploads: xlsx ledgers may be large; evidence files are capped separately by the ledger.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DUBAN_MAX_IMPORT_BYTES = int(os.environ.get("DUBAN_MAX_IMPORT_BYTES", str(200 * 1024 * 1024)))

# Uploads (intake photos) are private like everything else in the data dir.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

CSRF_FAILURE_VIEW = "duban.core.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if config.env_bool("DUBAN_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = config.env_bool("DUBAN_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's plain-HTTP probe
    SECURE_HSTS_SECONDS = config.env_int("DUBAN_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = config.env_bool("DUBAN_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = config.env_bool("DUBAN_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DUBAN_LOG_LEVEL", "WARNING")},
}
# Number of reverse proxies in front of duban (1 = one nginx): client addresses for rate limits
# and login lockouts are then read from X-Forwarded-For. 0/unset: the socket's address.
DUBAN_TRUST_X_FORWARDED_FOR = config.env_int("DUBAN_TRUST_X_FORWARDED_FOR", 0)

# Outgoing mail (notifications): any SMTP server; unset host means this machine's.
EMAIL_HOST = os.environ.get("DUBAN_EMAIL_HOST", "localhost")
EMAIL_PORT = config.env_int("DUBAN_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DUBAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DUBAN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = config.env_bool("DUBAN_EMAIL_TLS", False)
EMAIL_USE_SSL = config.env_bool("DUBAN_EMAIL_SSL", False)
EMAIL_TIMEOUT = 10
DUBAN_NOTIFY_TIMEOUT = config.env_int("DUBAN_NOTIFY_TIMEOUT", 10)  # seconds to wait for a group robot
# Where people reach duban (https://duban.example.gov.cn): links in reminders sent to groups and mailboxes.
DUBAN_SITE_URL = os.environ.get("DUBAN_SITE_URL", "").strip().rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("DUBAN_EMAIL_FROM", "duban@localhost")
