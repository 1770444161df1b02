"""One settings module, read from the environment (django-environ).

Defaults give the embedded set-up: SQLite in the project folder, Celery tasks run
in-process, e-mail to the console. Production sets DEBUG=false and real values.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="django-insecure-local-development-key-only-never-in-production" if DEBUG else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Production runs behind a TLS-terminating proxy (it sets X-Forwarded-Proto and -For).
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=not DEBUG)

INSTALLED_APPS = [
    "config.apps.SiteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "django_fsm_log",
    "django_celery_beat",
    "axes",
    "csp",
    "django_ratelimit",
    "pgtrigger",
    "common",
    "accounts",
    "enquiries",
    "jobs",
    "complaints",
    "feedback",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.middleware.RejectHostileInputMiddleware",
    "accounts.middleware.IdleSessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.ProjectNotFoundPageMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
    {
        # The rows of the busy lists (queues of 50), included into the Django template pages with
        # {% rows "..." %}: Jinja2 renders a row about three times faster (config/jinja2.py).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "rows",
        "DIRS": [BASE_DIR / "templates" / "rows"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "config.jinja2.environment"},
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Querysets iterated with .iterator() (form choices) would otherwise open a server-side
# cursor: three round trips instead of one, and no good behind a transaction pooler.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the file instead of failing with "database is locked": every
    # transaction takes the write lock up front (and waits up to 20 s for it), and WAL lets
    # readers carry on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
# Reporting reads may go to a read replica (reporting.replica); without one, the default.
REPLICA_DATABASE_URL = env.str("REPLICA_DATABASE_URL", default="")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = {**environ.Env.db_url_config(REPLICA_DATABASE_URL), "CONN_MAX_AGE": DATABASES[
        "default"]["CONN_MAX_AGE"], "DISABLE_SERVER_SIDE_CURSORS": True, "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["reporting.replica.ReplicaRouter"]
for _database in DATABASES.values():
    if "postgresql" in _database["ENGINE"]:
        # PostgreSQL's JIT spends seconds compiling the reporting queries (their subplans look
        # costly to the planner) and gains nothing on this workload.
        _database.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UserWithOrganisationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins: lock the username from that address for a while.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address (lockouts, throttles, logs): X-Forwarded-For is believed only from the
# proxies named here by address or network (the reverse proxy in docker-compose.yml); a request
# from anywhere else is its own address. See accounts/client_address.py.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_ip"
# A username longer than the column is cut for axes' records; the login form refuses it anyway.
AXES_USERNAME_CALLABLE = "accounts.client_address.username_for_axes"

# The per-address throttle on failed logins and password resets (django-ratelimit rates:
# "count/period", e.g. "20/15m"). Counted in the cache below.
LOGIN_FAILURES_PER_ADDRESS = env.str("LOGIN_FAILURES_PER_ADDRESS", default="20/15m")
PASSWORD_RESETS_PER_ADDRESS = env.str("PASSWORD_RESETS_PER_ADDRESS", default="5/h")
PASSWORD_RESETS_PER_EMAIL = env.str("PASSWORD_RESETS_PER_EMAIL", default="3/h")
RATELIMIT_IP_META_KEY = "accounts.client_address.client_ip"
RATELIMIT_FAIL_OPEN = True

LANGUAGE_CODE = "en-nz"
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Pacific/Auckland"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Report PDFs: private files, served only through the report download view.
REPORTS_ROOT = env.path("REPORTS_ROOT", default=BASE_DIR / "private-media" / "reports")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Photos and letters (jobs.storage): never under a public URL; served only through scoped views.
    "private": {"BACKEND": "jobs.storage.PrivateStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Customer Journey <no-reply@waterjourney.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds an SMTP connect or reply may take before the attempt fails (and is retried later).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Text messages: common.sms.ConsoleBackend, LocmemBackend (tests) or EmailGatewayBackend.
SMS_BACKEND = env.str("SMS_BACKEND", default="common.sms.ConsoleBackend")
SMS_EMAIL_GATEWAY_DOMAIN = env.str("SMS_EMAIL_GATEWAY_DOMAIN", default="")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: with REDIS_URL unset, tasks run in-process (the embedded default).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A request never waits on the broker for more than about a second: connect, read and
# write time out after 1 s, and a publish is not retried (what was not published is the
# outbox sweep's to publish). The worker itself keeps reconnecting for as long as it takes.
BROKER_TIMEOUT_SECONDS = env.float("BROKER_TIMEOUT_SECONDS", default=1.0)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY = False
# A task is acknowledged when it has finished; a worker process that dies mid-task (kill -9,
# out of memory) gives its task back to the queue at once instead of losing it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task runs for ever: the soft limit raises inside it (the outbox records a failed
# attempt), the hard limit kills the process. Celery sends the publisher's limits with
# each task, so web, worker and beat must share these values (they share the environment).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
# Redis hands an unacknowledged task to another worker after this long: well above the
# longest task (its hard limit) plus its wait in a worker's prefetch, or it would run twice.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=600)
if CELERY_VISIBILITY_TIMEOUT <= 2 * CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be more than twice CELERY_TASK_TIME_LIMIT.")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    "max_retries": 0,  # a publish's connection is not retried either
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Reports build on their own queue (its own worker), so they never delay a call-back or an e-mail.
CELERY_TASK_ROUTES = {"reporting.tasks.*": {"queue": "reports"}}

# The cache holds the throttles' counters: in-process by default, Redis when REDIS_URL is
# set. A Redis that is down or hung costs a request at most a quarter of a second, and then
# the throttles let requests through (fail open) rather than lock everyone out.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "common.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "wj",
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25, "retry_on_timeout": False},
    }
# django-ratelimit knows django-redis, not Django's own Redis cache, whose incr is Redis's atomic INCR.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not REDIS_URL:
    # In-process counters are per worker: good enough for the embedded set-up (one process),
    # and production sets REDIS_URL, where the counters are shared.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003"]

# The outbox (common/outbox.py): seconds between a failed attempt and the next; after the
# last the message is "failed" and shown to the admin.
OUTBOX_RETRY_DELAYS = env.list("OUTBOX_RETRY_DELAYS", cast=int, default=[60, 300, 1800, 7200, 21600])
# The longest a request waits to hand a message to the broker (then the sweep has it).
OUTBOX_PUBLISH_WAIT_SECONDS = env.float("OUTBOX_PUBLISH_WAIT_SECONDS", default=1.0)
# A never-tried message younger than this was published on commit: the sweep leaves it be.
OUTBOX_SWEEP_GRACE_SECONDS = env.int("OUTBOX_SWEEP_GRACE_SECONDS", default=60)
# A message "sending" for longer than the hard task limit lost its worker: sent again.
OUTBOX_SENDING_STALE_SECONDS = env.int("OUTBOX_SENDING_STALE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
if OUTBOX_SENDING_STALE_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("OUTBOX_SENDING_STALE_SECONDS must be more than CELERY_TASK_TIME_LIMIT.")

# bench/run.py turns this on: /bench/bare, the baseline the figures are compared with.
BENCH = env.bool("BENCH", default=False)

# Domain settings.
ENQUIRY_DUPLICATE_WINDOW_DAYS = env.int("ENQUIRY_DUPLICATE_WINDOW_DAYS", default=14)
JOB_AT_RISK_HOURS = env.int("JOB_AT_RISK_HOURS", default=4)
BUSINESS_DAY_START = env.str("BUSINESS_DAY_START", default="08:00")
BUSINESS_DAY_END = env.str("BUSINESS_DAY_END", default="17:00")
HOLIDAY_SUBDIVISION = env.str("HOLIDAY_SUBDIVISION", default="WGN")
BACKDATE_TOLERANCE_MINUTES = env.int("BACKDATE_TOLERANCE_MINUTES", default=15)
BACKDATE_MAX_DAYS = env.int("BACKDATE_MAX_DAYS", default=30)
# How long a create form may stay open; its one-time token is refused after that (common.submissions).
SUBMISSION_TOKEN_MAX_AGE_HOURS = env.int("SUBMISSION_TOKEN_MAX_AGE_HOURS", default=24)
# Reporting: hotspots flagged below this Poisson tail probability, with at least this many jobs.
HOTSPOT_P_VALUE = env.float("HOTSPOT_P_VALUE", default=0.01)
HOTSPOT_MIN_COUNT = env.int("HOTSPOT_MIN_COUNT", default=3)
# The dashboard shows stored figures up to this old; older ones are computed again when asked for.
REPORTING_SNAPSHOT_MINUTES = env.int("REPORTING_SNAPSHOT_MINUTES", default=15)
# The address customers and staff open the app at: links in e-mails, SMS and letters sent outside a request.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
COMPLAINT_DUE_SOON_HOURS = env.int("COMPLAINT_DUE_SOON_HOURS", default=48)
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private-media")
PHOTO_MAX_MB = env.int("PHOTO_MAX_MB", default=15)
# A photo's pixels are checked from its header before it is decoded; a request's files and bytes are bounded.
PHOTO_MAX_MEGAPIXELS = env.float("PHOTO_MAX_MEGAPIXELS", default=40)
PHOTO_MAX_FILES = env.int("PHOTO_MAX_FILES", default=10)
PHOTO_MAX_TOTAL_MB = env.int("PHOTO_MAX_TOTAL_MB", default=60)
PHOTO_DISPLAY_MAX_EDGE = env.int("PHOTO_DISPLAY_MAX_EDGE", default=4096)
# Django's own hard stop on files per request, past the photo forms' limit (which answers with a message).
DATA_UPLOAD_MAX_NUMBER_FILES = PHOTO_MAX_FILES * 2
CUSTOMER_UPDATE_DUE_HOURS = env.float("CUSTOMER_UPDATE_DUE_HOURS", default=4)
LETTER_FROM = env.str("LETTER_FROM", default="Wellington Water on behalf of your council")
LETTER_CONTACT = env.str("LETTER_CONTACT", default="0800 WATER (0800 928 37) · info@waterjourney.local")
# Stage 4: call-backs, feedback and the public status page.
CALLBACK_DELAY_MINUTES = env.int("CALLBACK_DELAY_MINUTES", default=60)
CALLBACK_RETRY_MINUTES = env.int("CALLBACK_RETRY_MINUTES", default=120)
CALLBACK_MAX_ATTEMPTS = env.int("CALLBACK_MAX_ATTEMPTS", default=3)
CALLBACK_OVERDUE_MINUTES = env.int("CALLBACK_OVERDUE_MINUTES", default=60)
FEEDBACK_LINK_DAYS = env.int("FEEDBACK_LINK_DAYS", default=30)
FEEDBACK_REMINDER_DAYS = env.int("FEEDBACK_REMINDER_DAYS", default=7)
# Privacy Act 2020: rows of the personal-data access log older than this are deleted each night.
ACCESS_LOG_RETENTION_DAYS = env.int("ACCESS_LOG_RETENTION_DAYS", default=730)
# django-ratelimit rates ("count/period") for the public pages, per client address and per link.
PUBLIC_PAGE_RATE_PER_ADDRESS = env.str("PUBLIC_PAGE_RATE_PER_ADDRESS", default="30/m")
FEEDBACK_RATE_PER_LINK = env.str("FEEDBACK_RATE_PER_LINK", default="10/h")
STATUS_LOOKUPS_PER_ADDRESS = env.str("STATUS_LOOKUPS_PER_ADDRESS", default="10/15m")
STATUS_LOOKUPS_PER_REFERENCE = env.str("STATUS_LOOKUPS_PER_REFERENCE", default="5/15m")

# Security. Production (DEBUG=false) is strict by default; each value can be overridden.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 10)
# A session left alone this long ends, whatever is left of the absolute SESSION_COOKIE_AGE.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)

# Content-Security-Policy (django-csp): scripts and styles from our own static files only,
# no inline script, no inline style, no eval; nothing may frame the site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
# Permissions-Policy: the browser features the site never uses are switched off.
PERMISSIONS_POLICY = {
    "accelerometer": [], "autoplay": [], "camera": [], "display-capture": [], "encrypted-media": [],
    "fullscreen": [], "geolocation": [], "gyroscope": [], "magnetometer": [], "microphone": [], "midi": [],
    "payment": [], "usb": [],
}

# Crafted input: a NUL anywhere, or a value longer than these, is refused with a 400 before
# any view runs (forms still give their own, tighter limits a friendly message).
MAX_QUERY_VALUE_LENGTH = env.int("MAX_QUERY_VALUE_LENGTH", default=1_000)
MAX_FORM_VALUE_LENGTH = env.int("MAX_FORM_VALUE_LENGTH", default=20_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_one_line": {"()": "config.logging.ForbiddenWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "celery.app.trace": {"level": "WARNING"},
                "django.request": {"filters": ["forbidden_one_line"]}},
}
