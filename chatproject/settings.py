"""Settings, read from environment variables only.

With nothing set this is the embedded default: an SQLite file, the local-memory cache and the
in-memory channel layer, DEBUG on. `DATABASE_URL` switches to PostgreSQL, `REDIS_URL` to Redis for
the cache and the channel layer. The README has a table of every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    # Refuse to start half-configured: a guessable key or an open host list is worse than no start.
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            f"DEBUG is false, so {' and '.join(missing)} must be set in the environment "
            "(see the README's table of environment variables)."
        )
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Daphne serves through `python -m chatproject.daphne` (make run, make serve, deploy/), never
# `runserver`, so its app (which only takes over runserver) is left out: it imports Twisted into
# every process, ~25 MB in each gunicorn worker, job worker and cron command.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "conversation",
    "sharing",
    "imports",
    "account_data",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "chatproject.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out log-in (accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chatproject.urls"
ASGI_APPLICATION = "chatproject.asgi.application"
WSGI_APPLICATION = "chatproject.wsgi.application"

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
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (psycopg 3) with DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
    # Django's backend, with timestamps parsed in C (chatproject/db/postgresql/base.py says why).
    DATABASES["default"]["ENGINE"] = "chatproject.db.postgresql"
    # Django turns psycopg's prepared statements off (for PgBouncer before 1.21). Its own queries are
    # bound on the client and never prepared either way; this prepares the server-bound statement of
    # an append after that many runs on a connection, so PostgreSQL plans it once. Empty: never.
    prepare_threshold = env.str("DB_PREPARE_THRESHOLD", default="5")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        int(prepare_threshold) if prepare_threshold else None
    )
    # Prepared statements (the server-bound ones only: an append, the context window, a page of
    # history) are keyed look-ups whose best plan does not depend on the values: a generic plan,
    # made once. PostgreSQL's default re-plans a statement for its values while its generic plan
    # looks dearer, and re-planning a branched session's page cost more than running it.
    server_options = DATABASES["default"]["OPTIONS"].get("options", "")
    if "plan_cache_mode" not in server_options:
        DATABASES["default"]["OPTIONS"]["options"] = f"{server_options} -c plan_cache_mode=force_generic_plan".strip()
    if env.bool("DB_POOL", default=True):
        # Under Daphne, CONN_MAX_AGE connections are not reused across requests (each request runs
        # in a fresh thread), so PostgreSQL goes through psycopg's pool. Django's pool checks each
        # connection before lending it only with CONN_HEALTH_CHECKS: without it, every idle pooled
        # connection fails one request after PostgreSQL restarts.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=20),
            "timeout": env.float("DB_POOL_TIMEOUT_SECONDS", default=10.0),
            # psycopg_pool's reconnection backs off 1, 2, 4 ... s until it gives up after this; it
            # then starts over at once (chatproject/db/postgresql/pool.py), so after an outage the pool
            # refills within about a second of the server's return. Meanwhile a request waits this
            # long for a connection (not the whole timeout) before its 503.
            "reconnect_timeout": env.float("DB_POOL_RECONNECT_TIMEOUT_SECONDS", default=2.0),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves sockets, streams and pages from many threads at once. SQLite's
    # default (deferred) transactions fail at once with "database is locked" when a transaction
    # that has read wants to write while another writes; IMMEDIATE takes the write lock at BEGIN,
    # so writers queue for up to `timeout` seconds instead. WAL lets readers go on while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Redis trouble must never hold a request for long: the context cache falls back to the database.
REDIS_SOCKET_TIMEOUT_SECONDS = env.float("REDIS_SOCKET_TIMEOUT_SECONDS", default=0.25)

DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT_SECONDS,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT_SECONDS,
                # Redis down must not fail a request: cache reads miss, writes are skipped, and each
                # failure is logged (throttles then let calls through; context windows come from
                # the database).
                "IGNORE_EXCEPTIONS": True,
            },
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="chat"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # The Pub/Sub layer: with the list-based RedisChannelLayer, a receive that is cancelled
            # (every socket that closes cancels one) can swallow another socket's event in the same
            # process (channels #1683); bench/ws.py lost replies' ends that way under load.
            "BACKEND": "chatproject.channel_layer.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults socket_timeout to 5 s, which breaks long blocking reads
                # (channels_redis #422): no read timeout, keep a connect timeout. Its asyncio pool
                # also caps itself at 100 connections and then fails: raise the cap.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "socket_connect_timeout": 5,
                        "max_connections": env.int("CHANNEL_REDIS_MAX_CONNECTIONS", default=2000),
                    }
                ],
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out account or address before a password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Login lockout (accounts/lockout.py): LOGIN_FAILURE_LIMIT failures by one account, or from one
# address, lock that account or address out for LOGIN_LOCKOUT_MINUTES, on every door. Attempts are
# kept in the database, so a Redis outage neither opens nor closes the doors.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "accounts.lockout.AccountLockoutHandler"  # a success resets that account's failures only
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_USERNAME_CALLABLE = "accounts.lockout.account_name"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Open sign-up (false: staff create accounts in the admin), and how many sign-up attempts one
# client address may make in an hour.
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
SIGNUPS_PER_HOUR = env.int("SIGNUPS_PER_HOUR", default=10)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a check: Django calls it whenever a password is set and saved, by any door (the account
    # page, the admin, `changepassword`), and it revokes the account's device tokens.
    {"NAME": "accounts.authentication.RevokeDeviceTokensOnPasswordChange"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers the hashed files that nginx (make serve, deploy/) or whitenoise serves.
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Account exports (zip files), written by the background worker and read by the web tier: a
    # folder they share on one machine; on several, a shared volume or an object store's backend.
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("EXPORTS_ROOT", default=BASE_DIR / "var" / "exports")},
    },
    # Uploaded files waiting for their import job (imports.tasks), deleted once it has read them:
    # shared by the web tier that receives them and the worker that reads them, as the exports.
    "imports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("IMPORTS_ROOT", default=BASE_DIR / "var" / "imports")},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# In development whitenoise serves straight from the app and project folders, no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# The web app manifest's own type: whitenoise's table of types has none for it.
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}

# Background jobs (DESIGN "Background jobs"): Django's Tasks API with its database backend, run by
# `manage.py db_worker` (make run and make serve start it). A job enqueued inside a transaction is
# a row of that transaction: a rolled-back request enqueues nothing.
# Queues: imports and exports, each job on its own (account_data/tasks.py, imports/tasks.py), and
# context: the summaries of long chats and a chat's title by the model (conversation/summaries/tasks.py,
# conversation/titles/tasks.py); workers take every queue ('*'), one more takes exports only, so no
# number of imports holds an export back, and one more context only, so a summary never waits behind them.
TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "exports", "imports", "context"]}
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Headers of every response. Content-Security-Policy (django-csp): scripts, styles and connections
# from this origin only, no inline script anywhere (the page's data is a JSON script block, which
# is not executed); the API docs page alone allows inline styles, which Swagger UI sets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # The nonce lets the chat page's import map in (conversation/templatetags/chat.py).
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The web app manifest (templates/base.html), from this origin.
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Features this product never uses, switched off for every page (chatproject/headers.py).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "same-origin"
# How many proxies in front of the app set X-Forwarded-* (nginx: 1). Zero: none is trusted, and a
# client's own X-Forwarded-Proto is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# The product's limits (each enforced by the services) and the assistant's settings: chatproject/limits.py.
from chatproject.limits import *  # noqa: E402, F403 - settings too, kept in a module of their own

# REST API (chatproject/api, each app's api routes): token auth first, so that an anonymous call is answered 401 with a
# WWW-Authenticate header (DRF takes the header from the first class); the browser's session
# cookie works too, with CSRF.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=4 * 1024 * 1024)
# Django's own limit on a body read in memory (2.5 MiB by default) is the API's, so that every body
# up to API_MAX_BODY_BYTES is accepted and a larger one gets the API's JSON 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Device tokens (django-rest-knox, accounts.DeviceToken): one per program or device, named, stored
# as a SHA-512 digest, expiring API_TOKEN_TTL_DAYS after creation; at most MAX_DEVICE_TOKENS_PER_USER.
KNOX_TOKEN_MODEL = "accounts.DeviceToken"  # noqa: S105 (a model's name)
# Knox's own migrations create its default token table even when the model is swapped for ours (an
# unused table that would also block the test runner's TRUNCATE); without them nothing of knox is
# created, as its one model is swapped out.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=90)),
    "AUTH_HEADER_PREFIX": "Token",
}
MAX_DEVICE_TOKENS_PER_USER = env.int("MAX_DEVICE_TOKENS_PER_USER", default=100)
DEVICE_TOKEN_TOUCH_SECONDS = 3600
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["chatproject.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["chatproject.api.throttling.ScopedCountingRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_read": env.str("THROTTLE_API_READ", default="1200/min"),
        "api_write": env.str("THROTTLE_API_WRITE", default="300/min"),
        "api_auth": env.str("THROTTLE_API_AUTH", default="20/min"),
        "api_reply": env.str("THROTTLE_API_REPLY", default="60/min"),
        "api_search": env.str("THROTTLE_API_SEARCH", default="120/min"),
    },
    "EXCEPTION_HANDLER": "chatproject.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # `?format=` belongs to the export endpoint, not to DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles key anonymous calls by the client address: the connection's peer, or what the
    # trusted proxies saw (never a client-sent X-Forwarded-For).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chat sessions API",
    "DESCRIPTION": (
        "Sessions and utterances of the chat product, for programs (a voice agent, a mobile app) "
        "and the web page. Authenticate with `Authorization: Token <key>` (POST /api/auth/token/) "
        "or the browser's session cookie with CSRF."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from drf-spectacular-sidecar's static files: no third-party script on our origin,
    # and the docs work on a closed network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Threads that run the ORM work of async code (sockets, replies); keep below DB_POOL_MAX_SIZE.
DB_ASYNC_THREADS = env.int("DB_ASYNC_THREADS", default=8)
