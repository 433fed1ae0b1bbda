"""Config precedence: defaults < instance/config.py < environment < test config."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.config import environment_overrides, normalise_database_url


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    (tmp_path / "config.py").write_text(
        "SQLALCHEMY_DATABASE_URI = 'sqlite:///from-instance.sqlite'\n"
        "ATTEMPT_GRACE_SECONDS = 90\nSECRET_KEY = 'from-instance'\n"
    )
    return tmp_path


def test_defaults_use_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app(instance_path=tmp_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/hustings.sqlite")
    assert app.config["ATTEMPT_GRACE_SECONDS"] == 60
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app(instance_path=tmp_path).config["SECRET_KEY"]
    second = create_app(instance_path=tmp_path).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_instance_config_overrides_defaults(instance, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app(instance_path=instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///from-instance.sqlite"
    assert app.config["ATTEMPT_GRACE_SECONDS"] == 90
    assert app.config["SECRET_KEY"] == "from-instance"


def test_environment_overrides_instance_config(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/hustings")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app(instance_path=instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/hustings"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_test_config_wins_over_everything(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app({"SECRET_KEY": "from-test"}, instance_path=instance)
    assert app.config["SECRET_KEY"] == "from-test"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://a@h/d", "postgresql+psycopg://a@h/d"),
        ("postgresql://a@h/d", "postgresql+psycopg://a@h/d"),
        ("postgresql+psycopg://a@h/d", "postgresql+psycopg://a@h/d"),
        ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
    ],
)
def test_database_url_normalised(url, expected):
    assert normalise_database_url(url) == expected


def test_trusted_proxies_from_environment():
    assert environment_overrides({"TRUSTED_PROXIES": "1"})["TRUSTED_PROXIES"] == 1
    assert "TRUSTED_PROXIES" not in environment_overrides({})


def test_sqlite_connection_is_wal_with_foreign_keys(app, db):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
