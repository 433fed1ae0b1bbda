"""The settings every test app starts from."""

from __future__ import annotations

import os
from typing import Any

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-" + "s" * 32,  # long enough for production checks
    "WTF_CSRF_ENABLED": False,
    "SESSION_COOKIE_SECURE": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Flask-Limiter keeps `enabled` on its process-wide singleton: say it on every app.
    "RATELIMIT_ENABLED": True,
    "REDIS_URL": None,
}
