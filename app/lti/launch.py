"""The LTI 1.3 protocol, through pylti1p3: OIDC login initiation and the launch's checks.

What pylti1p3 leaves open is closed here: nonces and states are single-use (stored in the
database, not in a cookie session an iframe may not keep), ``exp`` and ``iat`` are required,
``aud`` must contain the client id and ``azp`` must name it when there are several audiences,
and the platform's keys are cached per platform and refetched once for an unknown ``kid``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from sqlalchemy import delete

from app.extensions import db
from app.lti import platforms
from app.models import LtiLaunchState, utcnow

STATE_LIFETIME = timedelta(minutes=10)
LAUNCH_LIFETIME = timedelta(hours=2)  # a deep-linking picker may stay open a while
CLOCK_SKEW_SECONDS = 60


class LaunchRefused(Exception):
    """A launch that must not go ahead, with a message the person can act on."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class DatabaseLaunchStorage(LaunchDataStorage[Any]):
    """pylti1p3's launch storage in ``lti_launch_state``: keys are random, so no session id."""

    def get_session_cookie_name(self) -> None:  # type: ignore[override]
        return None

    def set_session_id(self, session_id: str) -> None:
        pass

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        row = db.session.get(LtiLaunchState, self._prepare_key(key))
        if row is None or row.expires_at <= utcnow():
            return None
        return row.value

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        lifetime = timedelta(seconds=exp) if exp else LAUNCH_LIFETIME
        key = self._prepare_key(key)
        row = db.session.get(LtiLaunchState, key)
        if row is None:
            row = LtiLaunchState(key=key)
            db.session.add(row)
        row.value = value
        row.expires_at = utcnow() + lifetime
        db.session.flush()

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def take(self, key: str) -> bool:
        """Delete ``key``; True if it was there and unexpired (single-use values)."""
        key = self._prepare_key(key)
        row = db.session.get(LtiLaunchState, key)
        if row is None:
            return False
        alive = row.expires_at > utcnow()
        db.session.delete(row)
        db.session.flush()
        return alive


def forget_expired() -> None:
    db.session.execute(delete(LtiLaunchState).where(LtiLaunchState.expires_at <= utcnow()))


class HustingsOIDCLogin(FlaskOIDCLogin):
    def __init__(self, request: FlaskRequest, storage: DatabaseLaunchStorage) -> None:
        super().__init__(request, platforms.DatabaseToolConf(), launch_data_storage=storage)
        self.set_launch_data_storage(storage)
        self.set_launch_data_lifetime(int(STATE_LIFETIME.total_seconds()))


class HustingsMessageLaunch(FlaskMessageLaunch):
    """A launch validated the pylti1p3 way, with the checks listed in this module's docstring."""

    def __init__(self, request: FlaskRequest, storage: DatabaseLaunchStorage) -> None:
        super().__init__(request, platforms.DatabaseToolConf(), launch_data_storage=storage)
        self._storage = storage
        self.set_launch_data_lifetime(int(LAUNCH_LIFETIME.total_seconds()))
        self.set_jwt_verify_options(
            {"verify_aud": False, "require": ["exp", "iat"], "verify_iat": True}
        )

    # State: the cookie set at login must match, and each state is accepted once.
    def validate_state(self) -> HustingsMessageLaunch:
        state = self._get_request_param("state")
        if not state:
            raise LaunchRefused("The launch has no state. Start it again from the LMS.", 400)
        if self._cookie_service.get_cookie(state) != state:
            raise LaunchRefused(
                "This launch did not start in this browser, or your browser blocked the cookie "
                "Hustings needs inside the LMS frame. Open the link again from the LMS; if it "
                "keeps failing, choose to open it in a new window or tab.",
                400,
            )
        if not self._storage.take(f"state-open-{state}"):
            raise LaunchRefused("This launch was already used. Open the link again from the LMS.")
        return self

    def validate_nonce(self) -> HustingsMessageLaunch:
        nonce = self._get_jwt_body().get("nonce")
        if not nonce or not self._storage.take(f"lti1p3-nonce-{nonce}"):
            raise LaunchRefused("This launch was already used. Open the link again from the LMS.")
        return self

    def burn(self) -> None:
        """After a refused launch (and its rollback): its state and nonce stay used."""
        state = self._get_request_param("state")
        if state:
            self._storage.take(f"state-open-{state}")
        nonce = self._jwt.get("body", {}).get("nonce")
        if nonce:
            self._storage.take(f"lti1p3-nonce-{nonce}")

    def validate_registration(self) -> HustingsMessageLaunch:
        body = self._get_jwt_body()
        aud = body.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if not audiences or not all(isinstance(a, str) for a in audiences):
            raise LaunchRefused("The launch names no audience (aud).")
        platform = None
        for audience in audiences:
            platform = platforms.find_platform(body.get("iss", ""), audience)
            if platform is not None:
                break
        if platform is None:
            raise LaunchRefused(
                "This LMS (issuer and client id) is not registered with Hustings, or the launch "
                "was meant for another tool. Ask your Hustings administrator to register it."
            )
        if len(audiences) > 1 and body.get("azp") != platform.client_id:
            raise LaunchRefused("The launch has several audiences but azp does not name Hustings.")
        if "azp" in body and body["azp"] != platform.client_id:
            raise LaunchRefused("The launch was authorised for another party (azp).")
        self.platform = platform
        self._registration = platforms.registration_for(platform)
        return self

    def get_client_id(self) -> str:
        platform = getattr(self, "platform", None)
        return platform.client_id if platform else super().get_client_id()

    def get_public_key(self) -> tuple[str, str]:
        """Sign-check keys from the platform's cached JWKS; an unknown kid refetches once."""
        platform = self.platform
        try:
            self._registration.set_key_set(platforms.platform_key_set(platform))  # type: ignore[union-attr]
            try:
                return super().get_public_key()
            except LtiException:
                self._registration.set_key_set(  # type: ignore[union-attr]
                    platforms.platform_key_set(platform, refresh=True)
                )
                return super().get_public_key()
        except LtiException as exc:
            raise LaunchRefused(f"The launch's signature cannot be checked: {exc}.") from exc
        except (OSError, ValueError) as exc:
            raise LaunchRefused(
                f"Hustings could not fetch the LMS's public keys from {platform.jwks_url}: {exc}",
                502,
            ) from exc

    def validate_jwt_signature(self) -> HustingsMessageLaunch:
        body = self._get_jwt_body()
        iat = body.get("iat")
        if isinstance(iat, int | float) and iat > utcnow().timestamp() + CLOCK_SKEW_SECONDS:
            raise LaunchRefused("The launch was issued in the future; check the LMS's clock.")
        try:
            super().validate_jwt_signature()
        except LtiException as exc:
            raise LaunchRefused(f"The launch was refused: {exc}.") from exc
        return self


def start_state_for_login(storage: DatabaseLaunchStorage, redirect_url: str) -> None:
    """Mark the state in ``redirect_url`` (the platform's auth URL) as open, once."""
    state = parse_qs(urlsplit(redirect_url).query).get("state", [""])[0]
    if state:
        storage.set_value(f"state-open-{state}", True, int(STATE_LIFETIME.total_seconds()))
