"""Login throttling that slows guessing without locking anyone out (issue 22 points 2-5, issue 14
points 6-7). The same rules under real gunicorn workers: tests/reliability/
test_login_throttle_under_gunicorn.py."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import update

from app import create_app
from app.models import LoginThrottle, User
from app.services import login_throttle
from tests.support.factories import PASSWORD

LAB = "192.0.2.10"  # one address for a whole computer lab (NAT)


def post_login(client, email, password, address=LAB):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_lab_of_60_behind_one_address_gets_in_despite_mistakes_and_a_guesser(make, client):
    students = [make.student() for _ in range(60)]
    target = students[0]
    for _ in range(5):  # a classmate guesses the target's password, from the same lab
        assert post_login(client, target.email, "guess-guess").status_code == 401
    for s in students[1:]:  # everyone else mistypes once, then types it right
        assert post_login(client, s.email, "typo-typo").status_code == 401
    for s in students[1:]:
        r = post_login(client, s.email, PASSWORD)
        assert r.status_code == 302, s.email
        client.post("/logout")
    # the target, from their own laptop elsewhere, is not locked out by the guesser
    assert post_login(client, target.email, PASSWORD, address="198.51.100.7").status_code == 302


def test_guessing_one_account_from_one_address_is_stopped(make, client):
    student = make.student()
    for _ in range(5):
        assert post_login(client, student.email, "wrong-wrong").status_code == 401
    r = post_login(client, student.email, "sixth-guess")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "Wait" in r.get_data(as_text=True)


def test_an_account_attacked_from_many_addresses_is_slowed_not_locked(make, client, db):
    student = make.student()
    for i in range(12):  # a botnet, one try per address
        post_login(client, student.email, "wrong-wrong", address=f"203.0.113.{i}")
    r = post_login(client, student.email, PASSWORD, address="198.51.100.7")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) <= 30  # at most LOGIN_SLOW_MAX_SECONDS
    # the wait passes (no new failure in the meantime): the owner gets in
    db.session.execute(
        update(LoginThrottle).values(last_failure_at=datetime.now(UTC) - timedelta(seconds=31))
    )
    db.session.commit()
    assert post_login(client, student.email, PASSWORD, address="198.51.100.7").status_code == 302


def test_throttle_policy_unit():
    """Pure reading of the rules: the slowing delay doubles and is capped."""
    policy = login_throttle.Policy()
    assert policy.per_account_and_address == 5 and policy.per_address == 300
    assert policy.slow_max_seconds == 30


def test_failed_and_throttled_logins_are_logged_without_the_password(make, client, caplog):
    student = make.student()
    with caplog.at_level(logging.INFO, logger="hustings.auth"):
        for _ in range(6):
            post_login(client, student.email, "hunter2-secret")
        post_login(client, "nobody@example.test", "hunter2-secret")
    text = caplog.text
    assert f"login failed account={student.email} ip={LAB} reason=wrong-password" in text
    assert f"login throttled account={student.email} ip={LAB} reason=account-and-address" in text
    assert "login failed account=nobody@example.test" in text
    assert "hunter2" not in text


def test_a_weak_password_hash_is_upgraded_at_login(make, client, db, app):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    student = make.student()
    student.password_hash = weak
    db.session.commit()
    web = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI",)},
                      "TESTING": True, "SECRET_KEY": "x" * 32, "WTF_CSRF_ENABLED": False,
                      "ARGON2_TIME_COST": 2, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1,
                      "SESSION_COOKIE_SECURE": False})  # fmt: skip
    r = web.test_client().post("/login", data={"email": student.email, "password": PASSWORD})
    assert r.status_code == 302
    db.session.commit()
    db.session.expire_all()
    upgraded = db.session.get(User, student.id).password_hash
    assert upgraded != weak and "t=2" in upgraded
    assert PasswordHasher().verify(upgraded, PASSWORD)
    with web.app_context():
        from app.extensions import db as _db

        _db.engine.dispose()


def test_redis_down_is_a_clear_503_not_a_500(make, app_config):
    """Sign-up is still limited through Flask-Limiter's storage: with Redis unreachable it
    answers 503 with a message, quickly (socket timeouts), and logging in does not need Redis."""
    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    web = create_app(
        {**app_config, "RATELIMIT_STORAGE_URI": dead, "REDIS_URL": dead,
         "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1}}
    )  # fmt: skip
    client = web.test_client()
    started = datetime.now(UTC)
    r = client.post("/signup", data={"join_code": "X", "email": "a@example.test"})
    assert r.status_code == 503
    assert "try again" in r.get_data(as_text=True).lower()
    assert (datetime.now(UTC) - started).total_seconds() < 10
    student = make.student()
    assert post_login(client, student.email, PASSWORD).status_code == 302
