"""Settings come from the environment and refuse values they do not understand."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_bool, env_int, env_url

ROOT = Path(__file__).resolve().parent.parent


def test_a_boolean_accepts_true_and_false_words(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "Off")
    assert env_bool("FLAG", True) is False


def test_a_boolean_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_an_integer_refuses_words_and_values_below_its_minimum(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="N must be an integer"):
        env_int("N", 1)
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("N", 1, minimum=1)


def test_a_database_url_with_an_unknown_scheme_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/db")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env_url("DATABASE_URL", schemes={"postgres", "sqlite"})


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "SECRET_KEY", "HTTPS"))}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = _manage("check", DEBUG="false", HELPDESK_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_typo_in_a_boolean_stops_the_process(tmp_path):
    result = _manage("check", DEBUG="ture", HELPDESK_VAR_DIR=str(tmp_path))
    assert result.returncode != 0 and "DEBUG must be true or false" in result.stderr


def test_the_deploy_check_is_clean_under_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="helpdesk.example.gov.pl",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        REDIS_URL="redis://127.0.0.1:6379/0",
        HELPDESK_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_the_defaults_are_polish_and_warsaw(settings):
    assert settings.LANGUAGE_CODE == "pl"
    assert settings.TIME_ZONE == "Europe/Warsaw" and settings.USE_TZ
    assert ("en", "English") in settings.LANGUAGES


def _database_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; import json; d = settings.DATABASES['default']; "
    code += "print('DB', json.dumps({'max_age': d['CONN_MAX_AGE'], 'pool': d.get('OPTIONS', {}).get('pool')}))"
    result = _manage("shell", "-c", code, HELPDESK_VAR_DIR=str(tmp_path), DEBUG="true", **env)
    result.stdout = next((line[3:] for line in result.stdout.splitlines() if line.startswith("DB ")), result.stdout)
    return result


def test_postgresql_gets_a_bounded_connection_pool_and_no_persistent_connections(tmp_path):
    """Under ASGI each request runs in a thread of its own: persistent connections piled up one per thread until
    PostgreSQL said "too many clients"; a pool per process bounds them."""
    import json

    url = "postgres://postgres@127.0.0.1:5432/helpdesk"
    shown = json.loads(_database_settings(tmp_path, DATABASE_URL=url).stdout)
    assert shown["max_age"] == 0
    assert shown["pool"]["max_size"] == 10 and shown["pool"]["timeout"] == 10
    sized = json.loads(_database_settings(tmp_path, DATABASE_URL=url, DB_POOL_MAX_SIZE="4").stdout)
    assert sized["pool"]["max_size"] == 4
    assert json.loads(_database_settings(tmp_path, DATABASE_URL=url, DB_POOL_MAX_SIZE="0").stdout)["pool"] is None
    both = _database_settings(tmp_path, DATABASE_URL=url, DB_CONN_MAX_AGE="60")
    assert both.returncode != 0 and "DB_CONN_MAX_AGE must be 0 with a connection pool" in both.stderr
