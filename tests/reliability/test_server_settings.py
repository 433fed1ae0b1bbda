"""The settings the fault tests give their gunicorn servers through the environment."""

from __future__ import annotations

from app.config import environment_overrides


def test_test_servers_get_cheap_hashing_and_plain_http_cookies_from_the_environment() -> None:
    out = environment_overrides(
        {
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/x",
            "SECRET_KEY": "k",
            "HUSTINGS_INSECURE_COOKIES": "1",
            "HUSTINGS_ARGON2_TIME_COST": "1",
            "HUSTINGS_ARGON2_MEMORY_COST": "8",
        }
    )
    assert out["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@127.0.0.1:5432/x"
    assert out["SESSION_COOKIE_SECURE"] is False
    assert (out["ARGON2_TIME_COST"], out["ARGON2_MEMORY_COST"]) == (1, 8)
    assert "ARGON2_TIME_COST" not in environment_overrides({})  # production keeps the defaults
