"""Hustings' own signing keys for LTI: generated, published as a JWKS, rotated, retired.

One key signs (the newest not rotated). Rotating makes a new one and keeps the old key in the
JWKS, because platforms cache the JWKS and may still check a token the old key signed; an old
key is dropped from the JWKS once retired (``retire_rotated`` after a grace period).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from jwcrypto.jwk import JWK
from sqlalchemy import select

from app.extensions import db
from app.models import LtiToolKey, utcnow

KEY_BITS = 2048
# How long a rotated key stays published: longer than any platform caches a tool's JWKS.
ROTATED_KEY_GRACE = timedelta(days=7)


def public_jwk(public_pem: str) -> dict[str, Any]:
    """The JWK of a public key; its ``kid`` is the RFC 7638 thumbprint, as pylti1p3 computes."""
    jwk = json.loads(JWK.from_pem(public_pem.encode()).export_public())
    jwk.update(alg="RS256", use="sig")
    return jwk


def _new_key() -> LtiToolKey:
    key = JWK.generate(kty="RSA", size=KEY_BITS)
    private_pem = key.export_to_pem(private_key=True, password=None).decode()
    public_pem = key.export_to_pem().decode()
    row = LtiToolKey(
        kid=public_jwk(public_pem)["kid"], private_pem=private_pem, public_pem=public_pem
    )
    db.session.add(row)
    db.session.flush()
    return row


def active_key() -> LtiToolKey:
    """The key that signs, made on first use."""
    key = db.session.scalar(
        select(LtiToolKey)
        .where(LtiToolKey.rotated_at.is_(None), LtiToolKey.retired_at.is_(None))
        .order_by(LtiToolKey.id.desc())
        .limit(1)
    )
    return key if key is not None else _new_key()


def published_keys() -> list[LtiToolKey]:
    return list(
        db.session.scalars(
            select(LtiToolKey).where(LtiToolKey.retired_at.is_(None)).order_by(LtiToolKey.id)
        )
    )


def jwks() -> dict[str, list[dict[str, Any]]]:
    """The tool's JWKS: the signing key and every rotated key not yet retired."""
    return {"keys": [public_jwk(k.public_pem) for k in published_keys()]}


def rotate(now: datetime | None = None) -> LtiToolKey:
    """Start signing with a new key; the old one stays in the JWKS until retired."""
    now = now or utcnow()
    old = active_key()
    old.rotated_at = now
    db.session.flush()
    return _new_key()


def retire_rotated(now: datetime | None = None, grace: timedelta = ROTATED_KEY_GRACE) -> int:
    """Drop rotated keys older than ``grace`` from the JWKS; returns how many."""
    now = now or utcnow()
    count = 0
    for key in db.session.scalars(
        select(LtiToolKey).where(
            LtiToolKey.rotated_at.is_not(None), LtiToolKey.retired_at.is_(None)
        )
    ):
        if key.rotated_at is not None and key.rotated_at <= now - grace:
            key.retired_at = now
            count += 1
    db.session.flush()
    return count
