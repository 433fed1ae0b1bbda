"""Platform registrations: validated input in, rows out; and the tool configuration pylti1p3
reads them through. Services flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select

from app.domain import text
from app.extensions import db
from app.lti import keys
from app.models import LtiDeployment, LtiPlatform, utcnow

# Platform JWKS are cached this long; a token signed with a kid not in the cache refetches once.
PLATFORM_JWKS_TTL = timedelta(hours=1)
FETCH_TIMEOUT = 10


class RegistrationError(ValueError):
    """Field → message for every problem of a registration request."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class PlatformInput:
    name: str
    issuer: str
    client_id: str
    login_url: str
    token_url: str
    jwks_url: str
    deployment_ids: list[str] = field(default_factory=list)
    frame_origins: str = ""


def _check_url(value: str, field_name: str, errors: dict[str, str]) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if not value:
        errors[field_name] = "Enter the URL the LMS shows for this field."
    elif parts.scheme not in ("https", "http") or not parts.netloc:
        errors[field_name] = f"{value!r} is not an http(s) URL; paste the full URL, https://…"
    return value


def _check_text(value: str, field_name: str, limit: int, errors: dict[str, str]) -> str:
    try:
        value = text.accept(value.strip(), multiline=False)
    except text.TextProblem as problem:
        errors[field_name] = problem.message("This field")
        return value
    if not value:
        errors[field_name] = "This field is required."
    elif len(value) > limit:
        errors[field_name] = f"At most {limit} characters."
    return value


def _check_origins(value: str, errors: dict[str, str]) -> str:
    origins = []
    for item in value.split():
        parts = urlsplit(item)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.path not in ("", "/"):
            errors["frame_origins"] = (
                f"{item!r} is not an origin; write it as https://lms.example.edu (no path)."
            )
            break
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return " ".join(origins)


def register_platform(given: PlatformInput) -> LtiPlatform:
    """Add a platform with its deployments, or add deployments to the same issuer+client id."""
    errors: dict[str, str] = {}
    name = _check_text(given.name or given.issuer, "name", 200, errors)
    issuer = _check_url(given.issuer, "issuer", errors)
    client_id = _check_text(given.client_id, "client_id", 200, errors)
    login_url = _check_url(given.login_url, "login_url", errors)
    token_url = _check_url(given.token_url, "token_url", errors)
    jwks_url = _check_url(given.jwks_url, "jwks_url", errors)
    frame_origins = _check_origins(given.frame_origins, errors)
    deployment_ids = []
    for raw in given.deployment_ids:
        for item in raw.replace(",", " ").split():
            checked = _check_text(item, "deployment_ids", 255, errors)
            if checked not in deployment_ids:
                deployment_ids.append(checked)
    if not deployment_ids and "deployment_ids" not in errors:
        errors["deployment_ids"] = "Enter at least one deployment id (the LMS shows it)."
    if errors:
        raise RegistrationError(errors)
    platform = db.session.scalar(
        select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
    )
    if platform is None:
        platform = LtiPlatform(issuer=issuer, client_id=client_id)
        db.session.add(platform)
    platform.name = name
    platform.login_url = login_url
    platform.token_url = token_url
    if platform.jwks_url != jwks_url:
        platform.jwks_cache = None
    platform.jwks_url = jwks_url
    platform.frame_origins = frame_origins
    db.session.flush()
    add_deployments(platform, deployment_ids)
    keys.active_key()  # the JWKS the LMS will fetch must have a key from now on
    return platform


def add_deployments(platform: LtiPlatform, deployment_ids: list[str]) -> None:
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in deployment_ids:
        if deployment_id not in known:
            platform.deployments.append(LtiDeployment(deployment_id=deployment_id))
    db.session.flush()


def frame_origins(platform: LtiPlatform) -> list[str]:
    """Origins allowed to frame Hustings after a launch from ``platform``."""
    origins: list[str] = []
    for url in (platform.issuer, platform.login_url, *platform.frame_origins.split()):
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.netloc and origin not in origins:
            origins.append(origin)
    return origins


def platform_key_set(platform: LtiPlatform, *, refresh: bool = False) -> dict[str, Any]:
    """The platform's JWKS, from the cache while fresh (``refresh`` forces a fetch)."""
    now = utcnow()
    fresh = platform.jwks_fetched_at and now - platform.jwks_fetched_at < PLATFORM_JWKS_TTL
    if platform.jwks_cache and fresh and not refresh:
        return platform.jwks_cache
    response = requests.get(platform.jwks_url, timeout=FETCH_TIMEOUT)
    response.raise_for_status()
    key_set = response.json()
    if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
        raise ValueError(f"{platform.jwks_url} did not return a JWKS (a JSON object with keys)")
    platform.jwks_cache = key_set
    platform.jwks_fetched_at = now
    db.session.flush()
    return key_set


def registration_for(platform: LtiPlatform) -> Registration:
    """pylti1p3's view of a platform, signing with the active tool key."""
    key = keys.active_key()
    registration = (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.login_url)
        .set_auth_token_url(platform.token_url)
        .set_key_set_url(platform.jwks_url)
        .set_tool_private_key(key.private_pem)
        .set_tool_public_key(key.public_pem)
    )
    if platform.jwks_cache:
        registration.set_key_set(platform.jwks_cache)  # type: ignore[arg-type]
    return registration


def find_platform(issuer: str, client_id: str | None) -> LtiPlatform | None:
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    found = list(db.session.scalars(query.limit(2)))
    return found[0] if len(found) == 1 else None


class DatabaseToolConf(ToolConfAbstract):  # type: ignore[type-arg]
    """Registrations and deployments from the database; one issuer may have many client ids."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Any:
        platform = find_platform(iss, None)
        return registration_for(platform) if platform else None

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        platform = find_platform(iss, client_id)
        return registration_for(platform) if platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = find_platform(iss, client_id or None)
        if platform is None or not deployment_id:
            return None
        known = db.session.scalar(
            select(LtiDeployment.id).where(
                LtiDeployment.platform_id == platform.id,
                LtiDeployment.deployment_id == deployment_id,
            )
        )
        return Deployment().set_deployment_id(deployment_id) if known else None
