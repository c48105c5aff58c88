"""Settings for the test suite: the same module, with a cheap password hasher and no network."""

import os
import tempfile

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("HELPDESK_VAR_DIR", tempfile.mkdtemp(prefix="helpdesk-test-"))
# With REDIS_URL given (CI's PostgreSQL + Redis pass) the cache is a real Redis, as in production; tasks stay
# eager and the channel layer in memory. Without it (the embedded pass) nothing uses Redis except the tests
# that ask for TEST_REDIS_URL explicitly (see tests/conftest.py).
# The choice is kept in the environment because pytest-xdist workers inherit the blanked REDIS_URL.
if os.environ.get("REDIS_URL"):
    os.environ["HELPDESK_TEST_REDIS_CACHE"] = "true"
    os.environ.setdefault("TEST_REDIS_URL", os.environ["REDIS_URL"])
os.environ["REDIS_URL"] = ""
os.environ.pop("EMAIL_HOST", None)

from helpdesk.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True  # static files without collectstatic, also with DEBUG off (tests' daphne_server)
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The hourly recipients limit counts per member of staff in the cache, which the embedded pass does not clear
# between tests (and a test's "alice" often gets the same id): the tests of the limit set their own.
REPLY_RECIPIENTS_PER_HOUR = 1_000_000

# Most tests run inside a transaction a thread cannot see, so uploaded imports run inline; the tests of the
# threaded import (tests/test_admin_import.py) turn it on.
CONTACTS_IMPORT_IN_THREAD = False
# The test Dovecot listens on 127.0.0.1 with a self-signed certificate (tests/dovecot_server.py).
INBOX_ALLOW_INSECURE_LOCALHOST = True
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405  (threads in tests must not keep connections open)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrency tests then see real SQLite locking (busy timeout, WAL).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# The knowledge-base search must return the same results on both databases: tests/test_kb_backends_agree.py
# loads the same articles into a second database of the other kind. On PostgreSQL the other one is an SQLite
# file; on SQLite it is KB_COMPARE_DATABASE_URL (a PostgreSQL server), when given.
_kb_compare = os.environ.get("KB_COMPARE_DATABASE_URL", "")
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["kb_compare"] = {  # noqa: F405
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "kb-compare.sqlite3"),  # noqa: F405
        "TEST": {"NAME": str(VAR_DIR / "test-kb-compare.sqlite3")},  # noqa: F405
        "OPTIONS": {"timeout": 20},
    }
elif _kb_compare:
    import dj_database_url

    DATABASES["kb_compare"] = dj_database_url.parse(_kb_compare, conn_max_age=0)  # noqa: F405

if os.environ.get("HELPDESK_TEST_REDIS_CACHE") == "true":
    # One key prefix per xdist worker, and a clear() that deletes only that prefix (Django's RedisCache.clear()
    # flushes the whole database, i.e. the other workers' keys too): tests/conftest.py clears it before each test.
    CACHES = {
        "default": {
            "BACKEND": "tests.redis_cache.PrefixClearingRedisCache",
            "LOCATION": os.environ["TEST_REDIS_URL"],
            "KEY_PREFIX": f"helpdesk-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
