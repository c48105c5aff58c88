"""Settings for every deployment, read from environment variables (docs/operations.md, "Configuration variables").

With no variables at all this is the embedded default: SQLite in ./var, the in-memory channel layer and
Celery tasks run in-process. Setting DATABASE_URL and REDIS_URL turns it into the production set-up.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from helpdesk.channel_layer import redis_channel_layer
from helpdesk.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HELPDESK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false (docs/operations.md)")
    SECRET_KEY = "insecure-embedded-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "helpdesk.errors.csrf_failure"
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "channels",
    "csp",
    "helpdesk",
    "contacts",
    "tickets",
    "knowledge_base",
    "inbox_ingest",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "helpdesk.inputs.RejectOddInputMiddleware",  # NUL bytes anywhere: a Polish 400 before the session is read
    "django.contrib.sessions.middleware.SessionMiddleware",
    "helpdesk.language.ChosenLanguageMiddleware",  # Polish unless the switch chose English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "helpdesk.passwords.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"
WSGI_APPLICATION = None

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
                "helpdesk.menu.menu",
            ],
            "libraries": {"speed": "helpdesk.speed.jinja"},  # {% jinja %}: a fragment of many rows (below)
        },
    },
    # Fragments of many rows (the ticket list's rows) rendered by Jinja2 inside Django pages: helpdesk/speed/jinja.py.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "helpdesk.speed.jinja.environment"},
    },
]
# Forms and widgets render with Django's Jinja2 versions of its form templates (same HTML, a quarter less CPU on
# the ticket page): helpdesk/speed/forms.py.
FORM_RENDERER = "helpdesk.speed.forms.FormRenderer"

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", schemes={"postgres", "postgresql", "sqlite"})
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_int("DB_POOL_MAX_SIZE", 10, minimum=0):
        # Under ASGI every request runs in a thread of its own: persistent connections (CONN_MAX_AGE) piled up one
        # per thread until PostgreSQL refused more ("too many clients"). A pool per process bounds them: each
        # process holds at most DB_POOL_MAX_SIZE connections, and a request waits up to DB_POOL_TIMEOUT seconds
        # for one (then a clean error). Processes × DB_POOL_MAX_SIZE must stay under the server's max_connections.
        if DATABASES["default"]["CONN_MAX_AGE"]:
            raise ImproperlyConfigured("DB_CONN_MAX_AGE must be 0 with a connection pool (DB_POOL_MAX_SIZE=0: no pool)")
        # When PostgreSQL ends connections (pg_terminate_backend, a restart, a failover) the pool would hand them
        # out dead, one failed request each: CONN_HEALTH_CHECKS makes Django give the pool psycopg_pool's `check`,
        # which tries each connection before handing it out (an empty query, ~0.1 ms).
        # While the server is unreachable the pool retries connecting with a doubling delay (1, 2, 4 … s); giving
        # up an attempt after DB_POOL_RECONNECT_SECONDS lets the next request start a fresh one at once, so the
        # pool is back within seconds of the server, not after a delay as long as the outage.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 1, minimum=0),
            "max_size": env_int("DB_POOL_MAX_SIZE", 10, minimum=1),
            "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),
            "max_idle": 300,
            "reconnect_timeout": env_int("DB_POOL_RECONNECT_SECONDS", 10, minimum=1),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "helpdesk.sqlite3"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers queue instead of failing
    # with "database is locked" halfway through; WAL lets readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Requests a web process runs at once, each in one of this many threads (helpdesk.asgi_handler); the others wait
# in the event loop. Keep it under DB_POOL_MAX_SIZE, so that no running request waits for a database connection.
WEB_REQUEST_THREADS = env_int("WEB_REQUEST_THREADS", 8, minimum=1)
# A request that waited this long for one of them is answered 503 with Retry-After (a Polish page).
WEB_QUEUE_SECONDS = env_int("WEB_QUEUE_SECONDS", 10, minimum=1)

AUTH_USER_MODEL = "helpdesk.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password guessing (helpdesk/login_throttle.py): failed logins per window, per account and address, per
# address and per account; past a limit the attempts it covers are refused until the window ends.
AUTHENTICATION_BACKENDS = ["helpdesk.login_throttle.ThrottledModelBackend"]
LOGIN_THROTTLE_WINDOW_SECONDS = env_int("LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60, minimum=60)
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = env_int("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", 5, minimum=1)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30, minimum=1)
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 50, minimum=1)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"  # the first menu page the person may open (helpdesk.menu.first_page)
LOGOUT_REDIRECT_URL = "login"

# --- Language and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", "Polski"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switch's choice outlives the browser session; the browser's own language is never asked (helpdesk.language).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
USE_I18N = True
TIME_ZONE = "Europe/Warsaw"
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Attachments are never served from a public URL: tickets.views.attachment_download checks access first.
# Several web machines need one shared store: FILE_STORAGE=s3 (any S3-compatible service).
FILE_STORAGE = env_str("FILE_STORAGE", "local")
STORAGES = {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
if FILE_STORAGE == "local":
    STORAGES["default"] = {
        "BACKEND": "helpdesk.storage.AtomicFileSystemStorage",  # no half-written file when the disk is full
        "OPTIONS": {"location": MEDIA_ROOT},
    }
elif FILE_STORAGE == "s3":
    if not env_str("S3_BUCKET"):
        raise ImproperlyConfigured("S3_BUCKET must be set when FILE_STORAGE=s3")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_url("S3_ENDPOINT_URL", schemes={"http", "https"}) or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("S3_PREFIX", "helpdesk"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured(f"FILE_STORAGE must be local or s3, got {FILE_STORAGE!r}")
WHITENOISE_USE_FINDERS = DEBUG
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024, minimum=1)
# Files in one request (Django's default is 100): more is refused with 400 before any view runs.
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 20, minimum=1)

# --- Redis, channels, Celery ----------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", schemes={"redis", "rediss", "unix"})
if REDIS_URL:
    # its read timeout must outlast channels-redis's blocking read, or idle websockets are closed (channel_layer.py)
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL, env_str("CHANNEL_LAYER_PREFIX", "asgi") or "asgi")}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # Shared by every web and worker process (nothing that matters lives in one process's memory). Every use
    # goes through helpdesk.shared_cache / helpdesk.ratelimit, which carry on without it when Redis is away;
    # the short timeouts keep a page from hanging on an unreachable server. One client (connection pool) per
    # process, not one per request (helpdesk.cache_backend).
    CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache_backend.ProcessRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
# Without a worker (eager tasks) a file import uploaded in the admin runs in a thread of the web process, so the
# upload returns at once and its progress page shows the import advancing (contacts.tasks.queue_import).
CONTACTS_IMPORT_IN_THREAD = CELERY_TASK_ALWAYS_EAGER
# An import still running this many hours after it started is marked failed (its process died; it wrote nothing).
IMPORT_STALE_HOURS = env_int("IMPORT_STALE_HOURS", 6, minimum=1)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request must not hang when Redis is away: publishing gives up quickly and the outbox row stays
# pending for the periodic drain (helpdesk.outbox).
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "socket_timeout": 2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
SLA_SCAN_SECONDS = env_int("SLA_SCAN_SECONDS", 60, minimum=5)
# Beat's safety net for the outbox (helpdesk.outbox): messages whose hand-over to a worker was lost (broker away,
# a process killed between its commit and the hand-over, a worker killed holding the task) wait at most this long.
# Retries after a failed delivery do not wait for it: they are queued for the moment they are due.
OUTBOX_DRAIN_SECONDS = env_int("OUTBOX_DRAIN_SECONDS", 10, minimum=1)
DIGEST_HOUR = env_int("DIGEST_HOUR", 7, minimum=0)
if not 0 <= DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("DIGEST_HOUR must be an hour 0-23")
CELERY_BEAT_SCHEDULE = {
    "drain-outbox": {"task": "helpdesk.tasks.drain_outbox", "schedule": float(OUTBOX_DRAIN_SECONDS)},
    "worker-heartbeat": {"task": "helpdesk.tasks.heartbeat", "schedule": 30.0},
    "sla-escalation": {"task": "tickets.tasks.escalate_sla", "schedule": float(SLA_SCAN_SECONDS)},
    "tickets-of-absent-staff": {"task": "tickets.tasks.return_tickets_of_absent_staff", "schedule": 3600.0},
    "assign-waiting-tickets": {"task": "tickets.tasks.assign_waiting_tickets", "schedule": 300.0},
    "stale-imports": {"task": "contacts.tasks.fail_stale_imports", "schedule": 3600.0},
    "close-resolved-tickets": {"task": "tickets.tasks.close_resolved_tickets", "schedule": 3600.0},
    "regional-digest": {
        "task": "tickets.tasks.send_daily_digests",
        "schedule": crontab(hour=DIGEST_HOUR, minute=30),
    },
}

# --- E-mail ---------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pomoc SSOZ <pomoc-ssoz@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 30
else:
    # Embedded default: every outgoing e-mail is written as a file to read (var/sent-mail).
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "sent-mail"

# An e-mail that still fails after this many attempts is marked failed; a reply shows "delivery failed" on its
# ticket, with "retry now". The waits between attempts (helpdesk.outbox.backoff: 15 s × 2^n, at most 1 h): for 8,
# 30 s, then 1, 2, 4, 8, 16 and 32 min, so the 8th and last attempt comes 63.5 min after the first (the 1 h cap
# only matters above 8). tests/test_outbox_schedule.py checks it.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.tokens.SessionAuthentication",
        "helpdesk.tokens.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["helpdesk.access.IsStaffMember"],
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.inputs.StrictJSONParser",  # no NUL or lone surrogate in any JSON string
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "helpdesk.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 50,
}
API_MAX_PAGE_SIZE = 200  # the largest ?limit= any paginated API list answers (helpdesk.pagination)

# --- Security (production) ------------------------------------------------------------------------
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", HTTPS) else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every page, staff and public: scripts, styles, images, fonts, frames
# and connections (the websockets too: 'self' covers ws/wss of the same host) from this site only; no inline
# script or style (the templates have none), no plugins, no <base>, forms post here, no framing. Responses that
# set their own policy keep it (attachment downloads are sandboxed). Remote images in e-mails are blocked
# (tickets.selectors.show_email_html); the ticket page lets them in only for the message an agent opened
# them for.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_AGE = 12 * 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # private-link tokens never reach a log line (helpdesk.redact)
    "filters": {"private_links": {"()": "helpdesk.redact.MaskPrivateLinks"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["private_links"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
        # Django's own handlers (an unfiltered console one when DEBUG) dropped: its records go to the root's
        # handler like every other, through the filter
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# /healthz gives its details (errors, hosts, mailboxes) to logged-in staff and to this bearer token only.
HEALTHZ_TOKEN = env_str("HEALTHZ_TOKEN", "")
# /healthz reports mail as failing when an e-mail that is due has waited longer than this.
HEALTHZ_MAIL_STALE_SECONDS = env_int("HEALTHZ_MAIL_STALE_SECONDS", 600, minimum=1)

# --- Product settings -----------------------------------------------------------------------------
TICKET_REFERENCE_PREFIX = env_str("TICKET_REFERENCE_PREFIX", "SSOZ")
# `manage.py load_demo` creates accounts with published passwords: allowed only where this is true.
ALLOW_DEMO_DATA = env_bool("ALLOW_DEMO_DATA", DEBUG)
# Answer a clear "did our report arrive?" from an identified unit with its statuses in the acknowledgement.
AUTO_STATUS_REPLY = env_bool("AUTO_STATUS_REPLY", False)
# A ticket about a form due within this many working days gets at least high priority (0: off).
DEADLINE_PRIORITY_WORKING_DAYS = env_int("DEADLINE_PRIORITY_WORKING_DAYS", 5, minimum=0)
TICKETS_PER_PAGE = env_int("TICKETS_PER_PAGE", 50, minimum=1)
# The body of one PBX call event (POST /api/v1/telephony/events); a larger one is refused with 413.
TELEPHONY_MAX_BODY_BYTES = env_int("TELEPHONY_MAX_BODY_BYTES", 16 * 1024, minimum=256)
# No mass mailing through replies: addresses of one reply (To and Cc together), and per member of staff an hour.
REPLY_MAX_RECIPIENTS = env_int("REPLY_MAX_RECIPIENTS", 20, minimum=1)
REPLY_RECIPIENTS_PER_HOUR = env_int("REPLY_RECIPIENTS_PER_HOUR", 150, minimum=1)
# A resolved ticket nobody came back to is closed after this many days (Celery beat, hourly; 0: never).
TICKETS_CLOSE_RESOLVED_AFTER_DAYS = env_int("TICKETS_CLOSE_RESOLVED_AFTER_DAYS", 14, minimum=0)

# Submission statuses (contacts): the public lookup, the statistics system's push API, reminders.
LOOKUP_RATE_LIMIT = env_int("LOOKUP_RATE_LIMIT", 30, minimum=1)  # look-ups per client address per window
LOOKUP_RATE_WINDOW_SECONDS = env_int("LOOKUP_RATE_WINDOW_SECONDS", 60, minimum=1)
SUBMISSIONS_BATCH_MAX_ITEMS = env_int("SUBMISSIONS_BATCH_MAX_ITEMS", 5000, minimum=1)
REMINDER_INTERVAL_DAYS = env_int("REMINDER_INTERVAL_DAYS", 7, minimum=0)  # one reminder per unit and report
REMINDERS_PER_HOUR = env_int("REMINDERS_PER_HOUR", 500, minimum=1)  # per member of staff
# Answers of the status lookup and the knowledge-base search kept in the shared cache (helpdesk.public_cache),
# invalidated by every change they depend on; this many seconds at most in any case (0: no cache).
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 300, minimum=0)
# A page kept whole for visitors without a session may be served by nginx in front for this many seconds
# without asking the application (deploy/nginx.conf's proxy_cache; 0: never). Changes show at most this late.
PUBLIC_EDGE_SECONDS = env_int("PUBLIC_EDGE_SECONDS", 5, minimum=0)
STATIC_EDGE_SECONDS = 24 * 3600  # static files named by their content's hash (never change): kept a day there


def _static_edge_headers(headers, path: str, url: str) -> None:
    """WhiteNoise's headers of a static file (WHITENOISE_ADD_HEADERS_FUNCTION, run once per file at start-up): a
    file whose name carries its content's hash ("immutable") may be kept by nginx's edge cache, which keeps only
    what the application marks with X-Accel-Expires (as helpdesk.public_cache marks pages). A new release's
    files have new names; PUBLIC_EDGE_SECONDS=0 turns the edge cache off for these too."""
    from django.conf import settings  # the live settings (called when WhiteNoise starts, not while they load)

    if settings.PUBLIC_EDGE_SECONDS > 0 and "immutable" in (headers.get("Cache-Control") or ""):
        headers["X-Accel-Expires"] = str(STATIC_EDGE_SECONDS)


WHITENOISE_ADD_HEADERS_FUNCTION = _static_edge_headers
# Knowledge base and public portal (knowledge_base/).
# The private link of a web-form ticket keeps working this many days after the ticket is resolved or closed.
KB_REQUESTER_LINK_DAYS = env_int("KB_REQUESTER_LINK_DAYS", 30, minimum=0)
# Contact-form tickets per client address and hour (spam guard), and portal searches per address and minute.
KB_CONTACT_PER_HOUR = env_int("KB_CONTACT_PER_HOUR", 5, minimum=1)
KB_SEARCH_PER_MINUTE = env_int("KB_SEARCH_PER_MINUTE", 120, minimum=1)
# Text of an editor's PDF/DOCX is read in a process of its own, with this memory and CPU-time limit.
KB_EXTRACT_MEMORY_MB = env_int("KB_EXTRACT_MEMORY_MB", 512, minimum=64)
KB_EXTRACT_SECONDS = env_int("KB_EXTRACT_SECONDS", 20, minimum=1)
# New contact-form visits recorded for the deflection statistics per client address and hour.
KB_CONTACT_ATTEMPTS_PER_HOUR = env_int("KB_CONTACT_ATTEMPTS_PER_HOUR", 20, minimum=1)
# Replies through a requester's private link: how many an hour per link and per client address, and the files
# they may bring (per reply: count and total size; per ticket: the total received through its links).
REQUESTER_REPLIES_PER_HOUR = env_int("REQUESTER_REPLIES_PER_HOUR", 10, minimum=1)
REQUESTER_REPLIES_PER_ADDRESS_HOUR = env_int("REQUESTER_REPLIES_PER_ADDRESS_HOUR", 30, minimum=1)
REQUESTER_FILES_PER_REPLY = env_int("REQUESTER_FILES_PER_REPLY", 5, minimum=0)
REQUESTER_BYTES_PER_REPLY = env_int("REQUESTER_BYTES_PER_REPLY", 25 * 1024 * 1024, minimum=1)
REQUESTER_BYTES_PER_TICKET = env_int("REQUESTER_BYTES_PER_TICKET", 100 * 1024 * 1024, minimum=1)
# --- E-mail channel (inbox_ingest) ----------------------------------------------------------------
# Mailboxes may take their password only from environment variables with this prefix, and must use TLS with
# a verified certificate except to 127.0.0.1 when allowed here (inbox_ingest/connection_rules.py).
INBOX_SECRET_ENV_PREFIX = env_str("INBOX_SECRET_ENV_PREFIX", "IMAP_PASSWORD_") or "IMAP_PASSWORD_"
INBOX_ALLOW_INSECURE_LOCALHOST = env_bool("INBOX_ALLOW_INSECURE_LOCALHOST", False)
# A message larger than this is still ingested, but flagged as oversized for the agents.
INBOX_MAX_MESSAGE_BYTES = env_int("INBOX_MAX_MESSAGE_BYTES", 30 * 1024 * 1024, minimum=1)
# Loop guard: at most INBOX_ACK_LIMIT acknowledgements to one address per INBOX_ACK_WINDOW_SECONDS.
INBOX_ACK_LIMIT = env_int("INBOX_ACK_LIMIT", 3, minimum=0)
INBOX_ACK_WINDOW_SECONDS = env_int("INBOX_ACK_WINDOW_SECONDS", 3600, minimum=1)
# A watcher holds a mailbox for this long and renews it while it works; another waits meanwhile.
INBOX_LEASE_SECONDS = env_int("INBOX_LEASE_SECONDS", 120, minimum=10)
# How often `ingest_mail --imap` reads the mailbox table again: mailboxes added, changed or deactivated in the
# admin are watched with their new settings within this time, without restarting the process.
INBOX_MAILBOX_RESCAN_SECONDS = env_int("INBOX_MAILBOX_RESCAN_SECONDS", 30, minimum=1)
INBOX_IMAP_TIMEOUT = env_int("INBOX_IMAP_TIMEOUT", 60, minimum=1)
# Messages fetched from IMAP (and stored, processed and flagged) per batch: at most this many, and at most this
# many bytes (by the sizes the server gives; a larger message alone). A few batches are in memory at a time.
INBOX_FETCH_BATCH = env_int("INBOX_FETCH_BATCH", 500, minimum=1)
INBOX_FETCH_BATCH_BYTES = env_int("INBOX_FETCH_BATCH_BYTES", 32 * 1024 * 1024, minimum=1)
# Worker processes parsing the next batch of messages while the current one is written (ingest_mail, the
# IMAP watcher); 0 parses in the ingesting process. Only a backlog of more than one batch starts the worker.
# Default: one on a machine with more than one core: parsing is ~0.3 ms of the ~1.4 ms of client CPU per
# message, and a worker gave +13–15 % messages/s on 2 cores (bench/RESULTS.md).
INBOX_PARSE_WORKERS = env_int("INBOX_PARSE_WORKERS", 1 if (os.cpu_count() or 1) > 1 else 0, minimum=0)
# Key(s) encrypting mailbox passwords typed in the admin (comma-separated to rotate: the first encrypts, all
# decrypt); empty: a key derived from SECRET_KEY. See inbox_ingest/credentials.py.
MAILBOX_SECRET_KEY = env_str("MAILBOX_SECRET_KEY")
