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
        "ATTEMPT_GRACE_SECONDS = 90\nSECRET_KEY = 'from-instance-0123456789abcdef0123456789'\n"
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
    assert app.config["SECRET_KEY"] == "from-instance-0123456789abcdef0123456789"


def test_environment_overrides_instance_config(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/hustings")
    monkeypatch.setenv("SECRET_KEY", "from-env-0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app(instance_path=instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/hustings"
    assert app.config["SECRET_KEY"] == "from-env-0123456789abcdef0123456789abcdef"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_test_config_wins_over_everything(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env-0123456789abcdef0123456789abcdef")
    app = create_app({"SECRET_KEY": "from-test-" + "t" * 32}, instance_path=instance)
    assert app.config["SECRET_KEY"] == "from-test-" + "t" * 32


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


def test_a_short_secret_key_is_refused_outside_tests_and_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("HUSTINGS_DEMO", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is 1 characters long; use at least 32"):
        create_app(instance_path=tmp_path)
    monkeypatch.setenv("HUSTINGS_DEMO", "1")  # what `hustings serve --demo` sets
    assert create_app(instance_path=tmp_path).config["SECRET_KEY"] == "x"


def test_secret_key_fallbacks_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "n" * 40)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "o" * 40 + ", " + "p" * 40)
    app = create_app(instance_path=tmp_path)
    assert app.config["SECRET_KEY_FALLBACKS"] == ["o" * 40, "p" * 40]
    # forms served before the rotation still submit: CSRF is checked with the old keys too
    assert app.config["WTF_CSRF_SECRET_KEY"] == ["o" * 40, "p" * 40, "n" * 40]


def test_the_session_cookie_is_host_only_over_https(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("HUSTINGS_INSECURE_COOKIES", raising=False)
    app = create_app(instance_path=tmp_path)
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-hustings_session"
    monkeypatch.setenv("HUSTINGS_INSECURE_COOKIES", "1")  # plain-HTTP test servers
    assert create_app(instance_path=tmp_path).config["SESSION_COOKIE_NAME"] == "hustings_session"


def test_a_host_only_cookie_is_set_with_secure_and_path_root(tmp_path, monkeypatch, make, app):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("HUSTINGS_INSECURE_COOKIES", raising=False)
    web = create_app(
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
         "WTF_CSRF_ENABLED": False, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8,
         "ARGON2_PARALLELISM": 1},
        instance_path=tmp_path,
    )  # fmt: skip
    student = make.student()
    from app.extensions import db

    db.session.commit()
    r = web.test_client().post(
        "/login",
        data={"email": student.email, "password": "correct horse battery"},
        base_url="https://hustings.example",
    )
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("__Host-hustings_session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    with web.app_context():
        db.engine.dispose()
