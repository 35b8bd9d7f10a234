"""Settings for Yibao KB, read from the environment (see .env.example)."""

from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from psycopg import IsolationLevel

from kb.cache import FailFastConnection

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Only a DEBUG run may fall back to a development key; anything else refuses to start without its own.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key") if DEBUG else env("DJANGO_SECRET_KEY")
if not DEBUG and SECRET_KEY.startswith(("replace-with", "insecure-")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY still holds the example value: set a long random secret.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# Origins (scheme and host) that may post forms, e.g. the admin behind an HTTPS proxy: https://kb.example.org
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Behind a proxy that terminates TLS, it tells Django the original scheme in this header.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Production runs on HTTPS only; a DEBUG run is plain http on localhost.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes come over plain http from inside the network; a redirect would fail them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "adminsortable2",
    "corsheaders",
    "django_filters",
    "rest_framework",
    # Tokens of the staff tools that write through the API (created in the admin or `manage.py drf_create_token`).
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "csp",
    "regions",
    "curation",
    "sources",
    "embed",
    "passwords",
    "procedures",
    "lookup",
    "content",
    "kb.apps.AxesConfig",
    "backup",
    "django_prometheus",
]

MIDDLEWARE = [
    # Outermost, so that every answer is counted and timed, the response cache's and the refusals included: requests,
    # latency and status in Prometheus' format (served by gunicorn's master on METRICS_ADDRESS, gunicorn.conf.py).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Anonymous public reads go on through the same chain less what only staff need (sessions, sign-in, CSRF,
    # messages, history): curation/api/fastpath.py.
    "curation.api.fastpath.PublicFastPathMiddleware",
    "kb.observability.RequestIdMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Outside the guard, so that its refusals get them too: what caches may keep, and compression of what the
    # response cache did not store compressed (it sets Content-Length again, after CommonMiddleware).
    "curation.api.caching.CacheControlMiddleware",
    "kb.api.encoding.CompressionMiddleware",
    # After the language is chosen, before the slash-appending redirect and the URL resolver: /API/, /api,
    # repeated parameters and over-long queries answer JSON.
    "kb.api.guards.ApiGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records the signed-in user on every historical record, whichever code path saves.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kb.csp.CSPMiddleware",
    # Innermost, in this order (throttle, staff answers' headers, 304s, the response cache): after the language is
    # chosen (answers are cached per language), and inside the middleware that add security headers, so cached
    # answers and 304s get them too.
    "kb.api.throttling.ThrottleMiddleware",
    "curation.api.caching.StaffAnswersMiddleware",
    # A public read is answered from a replica's snapshot from here on, its revision included (curation/replicas.py).
    "curation.replicas.ReplicaMiddleware",
    "curation.api.caching.ConditionalGetMiddleware",
    "curation.api.caching.ResponseCacheMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# curation/api/fastpath.py: off sends every request down the full chain.
PUBLIC_FAST_PATH = env.bool("PUBLIC_FAST_PATH", default=True)

ROOT_URLCONF = "kb.urls"
WSGI_APPLICATION = "kb.wsgi.application"
ASGI_APPLICATION = "kb.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Templates of the project's own (kb/templates: the sign-in lock-out page); apps keep theirs.
        "DIRS": [BASE_DIR / "kb" / "templates"],
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

# An SQLite file by default so a newcomer needs nothing installed; production and CI set a postgres:// URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The same engines, timed: each query's duration goes to the metrics (django_db_query_duration_seconds).
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "django_prometheus.db.backends."
)
# Streaming replicas that answer anonymous public reads (curation/replicas.py): each read in one REPEATABLE READ
# snapshot, so that an answer and the revision it is keyed by come from the same moment. Empty: the primary alone.
DATABASE_REPLICAS = []
for number, url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    replica = env.db_url_config(url)
    replica["ENGINE"] = DATABASES["default"]["ENGINE"]
    replica |= {
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": replica.get("OPTIONS", {}) | {"isolation_level": IsolationLevel.REPEATABLE_READ},
        # The tests' databases have no replica: reads meant for one read the primary's test database.
        "TEST": {"MIRROR": "default"},
    }
    DATABASES[f"replica{number}"] = replica
    DATABASE_REPLICAS.append(f"replica{number}")
DATABASE_ROUTERS = ["curation.replicas.ReplicaRouter"]
# How long a replica that did not answer is left alone before it is tried again (its reads go to the primary).
REPLICA_RETRY_SECONDS = env.int("REPLICA_RETRY_SECONDS", default=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis in production (docker-compose sets REDIS_URL), so that every worker shares one cache and one view of the
# content revision; local memory by default, so that `make run` needs nothing else.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis's backend, counting hits and misses for the metrics.
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 24 * 3600,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A cache that fails is skipped, never an error: reads miss, writes are dropped, answers come from
                # the database (kb/cache.py). The timeouts bound what a Redis that hangs costs before that.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.25),
                "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=0.5),
                # (TCP only: a rediss:// or unix:// URL keeps redis-py's own connection, without the breaker.)
                **(
                    {"CONNECTION_POOL_KWARGS": {"connection_class": FailFastConnection}}
                    if REDIS_URL.startswith("redis://")
                    else {}
                ),
            },
            "KEY_PREFIX": "yibao-kb",
        }
    }
    # Each skipped call is logged (RepeatedProblemFilter keeps an outage to one line a minute).
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "kb.cache"
else:
    CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache", "TIMEOUT": 3600}}
# How long a process trusts its cached content revision. With a shared cache (Redis), a change replaces the shared
# copy when it commits; the minute is a safety net. A local-memory cache is per process: a change made in
# another worker is only seen when the copy expires, so keep it short there.
CONTENT_REVISION_CACHE_SECONDS = env.int("CONTENT_REVISION_CACHE_SECONDS", default=60 if REDIS_URL else 1)
# How long a worker trusts the public revision it read (curation/revisions.py): a publish made in another worker
# reaches it at most this much later, and a warm public answer costs no round trip to the shared cache meanwhile.
PUBLIC_REVISION_MEMO_SECONDS = env.float("PUBLIC_REVISION_MEMO_SECONDS", default=0.5)
# The caches in front of the app (Varnish, deploy/varnish/default.vcl), by base address: each is told to drop its
# public answers when a change the public sees commits (kb/purge.py). Empty: no cache in front.
CACHE_PURGE_URLS = env.list("CACHE_PURGE_URLS", default=[])
# Content not checked against its sources for this many days is listed as needing review in the admin.
CONTENT_REVIEW_AFTER_DAYS = env.int("CONTENT_REVIEW_AFTER_DAYS", default=180)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Admin sign-in is limited by django-axes: after AXES_FAILURE_LIMIT failed attempts for one username from one address,
# that pair is locked out (429) for DJANGO_LOGIN_COOLOFF_HOURS, or until staff clear it (Admin → Axes → Access
# attempts, or `manage.py axes_reset_username <name>`). The address is read as the throttle reads it (NUM_PROXIES).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("DJANGO_LOGIN_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "kb.login_limits.client_address"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

# Chinese is the default language of labels; `Accept-Language: en` (or the admin's language) switches to English.
# The cache in front chooses among these as Django does (deploy/varnish/default.vcl, normalise_accept_language).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The project's own static files beside its templates (kb/templates): the admin's stylesheet and the site's icon.
STATICFILES_DIRS = [BASE_DIR / "kb" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["kb.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["kb.api.parsers.BoundedJSONParser"],
    # Reads are anonymous; staff tools write with a token. No session authentication: the API sets no cookie and
    # needs no CSRF token, and a signed-in admin's browser cannot be made to write through it.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_FILTER_BACKENDS": ["kb.api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "kb.api.pagination.PageNumberPagination",
    # Throttling happens in kb.api.throttling.ThrottleMiddleware, before any cached answer is served.
    "DEFAULT_THROTTLE_CLASSES": [],
    "EXCEPTION_HANDLER": "kb.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "kb.api.schema.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    # How many proxies stand in front and append to X-Forwarded-For: 0 means the client is REMOTE_ADDR, so that
    # a client cannot pick its own identity (and throttle bucket) by sending the header.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
}
# Four eyes: content is published (or scheduled) only after review, by someone other than its last editor. Small teams
# may turn this off; the audit log then records each publication without a second person.
FOUR_EYES = env.bool("CURATION_FOUR_EYES", default=True)
# The largest request body the API reads (a 413 beyond): a procedure with its 50 steps is some tens of kB.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=256 * 1024)
# How long a rendered API answer is kept; its key names the content revision, so a change never serves it again.
API_RESPONSE_CACHE_SECONDS = env.int("API_RESPONSE_CACHE_SECONDS", default=24 * 3600)
# What phones and caches on the way may do with an anonymous answer (Cache-Control; README, "Caches on the way"):
# fresh for 5 minutes, so that a corrected password reaches everyone within minutes; then served stale for up to an
# hour while one request revalidates (a 304 costs a few hundred bytes), and for a day while the site fails.
API_CACHE_MAX_AGE = env.int("API_CACHE_MAX_AGE", default=300)
API_CACHE_STALE_WHILE_REVALIDATE = env.int("API_CACHE_STALE_WHILE_REVALIDATE", default=3600)
API_CACHE_STALE_IF_ERROR = env.int("API_CACHE_STALE_IF_ERROR", default=24 * 3600)
# Where the export (/api/v1/export/) is kept, gzipped, once per content revision and language; any writable
# directory of the server's own disk.
EXPORT_DIR = env.path("EXPORT_DIR", default=BASE_DIR / "var" / "exports")
# How long the change feed (/api/v1/changes/) keeps its events: `manage.py prune_changes` removes older ones, and a
# client whose cursor is older must export again (410). Longer than any offline copy is expected to go unsynced.
CHANGE_FEED_RETENTION_DAYS = env.int("CHANGE_FEED_RETENTION_DAYS", default=90)
# Events per page of the change feed.
CHANGE_FEED_PAGE_SIZE = env.int("CHANGE_FEED_PAGE_SIZE", default=200)
# Requests per client address; e.g. "120/min". Empty: no throttling.
API_ANON_THROTTLE_RATE = env("API_ANON_THROTTLE_RATE", default="120/min") or None
# The whole-dataset export is a megabyte or more a request: a client syncing an offline copy needs it rarely.
API_EXPORT_THROTTLE_RATE = env("API_EXPORT_THROTTLE_RATE", default="10/hour") or None
# The throttles count in the shared cache (django-ratelimit, kb/api/throttling.py), per client address as the
# throttle and the sign-in limits see it; if the cache fails they count per process instead of refusing everyone.
RATELIMIT_IP_META_KEY = "kb.login_limits.client_address"
RATELIMIT_FAIL_OPEN = True
RATELIMIT_CACHE_PREFIX = "kb:throttle:"

SPECTACULAR_SETTINGS = {
    "TITLE": "Yibao KB API",
    "DESCRIPTION": (
        "Initial passwords of medical-insurance and social-security cards in China, and how to change or reset "
        "them, by region, card type and channel. Anonymous reads. Errors are RFC 9457 problem details "
        "(application/problem+json). Every GET carries ETag and Last-Modified and honours If-None-Match and "
        "If-Modified-Since. Chinese by default; send Accept-Language: en for English labels and errors. "
        "Staff tools write with a token (Authorization: Token <key>): they read drafts and content in review in the "
        "staff representation, and every change of existing content sends If-Match with the ETag of that read."
    ),
    # Request bodies get their own components, without the read-only fields responses carry.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kb.api.schema.either_representation",
        "kb.api.schema.describe_query_values",
        "kb.api.schema.optional_beyond_always_sent",
        "kb.api.schema.name_enums",
        "kb.api.schema.response_headers",
    ],
    "VERSION": "1.0.0",
    "CONTACT": {"name": "Yibao KB maintainers"},
    # Operations are tagged by the resource they read or write (kb.api.schema.AutoSchema.get_tags).
    "TAGS": [
        {"name": "lookup", "description": "The whole answer for one region in one request."},
        {"name": "regions", "description": "Provinces, prefectures and counties (GB/T 2260), searchable."},
        {"name": "card-types", "description": "Social-security and medical-insurance cards and vouchers."},
        {"name": "password-rules", "description": "Initial passwords, by region, card type and password."},
        {"name": "password-policies", "description": "What a new password may be, and lock-outs."},
        {"name": "procedures", "description": "How to change, reset or unlock, step by step, per channel."},
        {"name": "channels", "description": "Apps, counters, hotlines, banks, kiosks and websites."},
        {"name": "faqs", "description": "Questions and answers."},
        {"name": "sources", "description": "What every fact cites."},
        {"name": "export", "description": "The whole published dataset as NDJSON."},
        {"name": "changes", "description": "What changed in the published content since a cursor, for offline copies."},
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "curation.choices.Status",
        "StandingEnum": "curation.choices.Standing",
        "LevelEnum": "regions.choices.Level",
        "MediumEnum": "passwords.choices.Medium",
        "MediumScopeEnum": "passwords.choices.MediumScope",
        "ChangeLimitEnum": "passwords.choices.ChangeLimit",
        "AvailabilityEnum": "passwords.choices.Availability",
        "PasswordEnum": "passwords.choices.Password",
        "RuleKindEnum": "passwords.choices.RuleKind",
        "InsuranceEnum": "passwords.choices.Insurance",
        "EnrolmentEnum": "passwords.choices.Enrolment",
        "AllowedCharactersEnum": "passwords.choices.AllowedCharacters",
        "UnlockEnum": "passwords.choices.Unlock",
        "ChannelKindEnum": "procedures.choices.ChannelKind",
        "ProcedureKindEnum": "procedures.choices.ProcedureKind",
    },
}

# Content-Security-Policy on every response that does not set its own (the embed widget sets one with the hashes of
# its inline style and script). Pages load only this site's scripts, none inline: the admin has none, and Swagger UI
# loads its init script from /api/docs/?script. Styles may be inline (Swagger UI and ReDoc set style attributes and
# inject style elements); ReDoc renders in a blob: worker; Swagger's icons are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Any origin may read the API; nothing else is opened to other origins. The cache in front sends every origin as
# one (deploy/varnish/default.vcl): listing origins here means changing it there.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
# Staff tools run on servers: no browser on another origin is let to send a token.
CORS_ALLOW_HEADERS = [header for header in default_headers if header not in ("authorization", "x-csrftoken")]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After", "Content-Language", "X-Request-ID"]

# Bulk import and export in the admin (django-import-export): importing needs the change permission (and add, see
# curation/import_admin.py), exporting the view permission, so editors and publishers may do both.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Left off: it strips only a leading "=", which breaks the round trip and leaves +, -, @ live. The content resources
# neutralise formula-like cells themselves (curation/resources.py: an apostrophe the import takes off again).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# What the admin's import reads (curation/import_admin.py), each refused with a message on the form before parsing:
# the uploaded file's size, the size an XLSX file (a zip archive) unpacks to, and the rows of data.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
IMPORT_MAX_UNZIPPED_BYTES = env.int("IMPORT_MAX_UNZIPPED_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=2000)

# Structured logs on standard error: one JSON object a line, each with the request's id.
LOG_REPEAT_INTERVAL_SECONDS = env.float("DJANGO_LOG_REPEAT_INTERVAL_SECONDS", default=60.0)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "kb.observability.RequestIdFilter"},
        # An outage logs its first error with the traceback, then one line a minute saying how many more it held.
        "repeated": {"()": "kb.observability.RepeatedProblemFilter", "interval": LOG_REPEAT_INTERVAL_SECONDS},
    },
    "formatters": {"json": {"()": "kb.observability.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id", "repeated"]}
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # The request log above replaces Django's own, which would print every 4xx twice.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
