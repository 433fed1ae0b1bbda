"""``hustings lti``: register platforms, show the tool's configuration, rotate keys, send
pending grades, sync rosters. Thin commands over the same services as the pages."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.database import writing
from app.extensions import db
from app.lti import grades, keys, platforms
from app.lti import roster as lti_roster
from app.lti.views import canvas_config, tool_urls
from app.models import LtiContext, LtiPlatform


@click.group("lti")
def lti_group() -> None:
    """LTI 1.3: Hustings as a tool inside an LMS."""


@lti_group.command("register")
@click.option("--name", default="", help="A name for the platform (defaults to the issuer).")
@click.option("--issuer", required=True, help="The platform's issuer (iss).")
@click.option("--client-id", required=True, help="The client id the platform gave Hustings.")
@click.option(
    "--deployment-id",
    "deployment_ids",
    multiple=True,
    required=True,
    help="A deployment id (repeat for several).",
)
@click.option("--login-url", required=True, help="The platform's OIDC authentication URL.")
@click.option("--token-url", required=True, help="The platform's access token URL.")
@click.option("--jwks-url", required=True, help="The platform's public keyset URL.")
@click.option(
    "--frame-origin",
    "frame_origins",
    multiple=True,
    help="Another origin that frames Hustings (e.g. a school's Canvas domain).",
)
@with_appcontext
def register_command(
    name: str,
    issuer: str,
    client_id: str,
    deployment_ids: tuple[str, ...],
    login_url: str,
    token_url: str,
    jwks_url: str,
    frame_origins: tuple[str, ...],
) -> None:
    """Register a platform (or add deployments to one already registered)."""
    given = platforms.PlatformInput(
        name=name,
        issuer=issuer,
        client_id=client_id,
        login_url=login_url,
        token_url=token_url,
        jwks_url=jwks_url,
        deployment_ids=list(deployment_ids),
        frame_origins=" ".join(frame_origins),
    )
    with writing():
        try:
            platform = platforms.register_platform(given)
        except platforms.RegistrationError as exc:
            db.session.rollback()
            option = {"deployment_ids": "deployment-id", "frame_origins": "frame-origin"}
            lines = [f"--{option.get(k, k.replace('_', '-'))}: {v}" for k, v in exc.errors.items()]
            raise click.ClickException("\n".join(lines)) from None
        keys.active_key()
        db.session.commit()
    deployments = ", ".join(d.deployment_id for d in platform.deployments)
    click.echo(f"Registered platform {platform.id} ({platform.name}); deployments: {deployments}")


def _server_name_hint() -> None:
    if not current_app.config.get("SERVER_NAME"):
        raise click.ClickException(
            "Set SERVER_NAME (e.g. SERVER_NAME=quizzes.example.edu) and PREFERRED_URL_SCHEME=https "
            "in instance/config.py so the URLs shown are the ones the LMS must call."
        )


@lti_group.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print Canvas's JSON configuration.")
@with_appcontext
def config_command(as_json: bool) -> None:
    """Show the URLs and keys to paste into the LMS's tool registration form."""
    _server_name_hint()
    with current_app.test_request_context():
        if as_json:
            with writing():
                body = canvas_config().get_json()
            click.echo(json.dumps(body, indent=2))
            return
        urls = tool_urls()
    with writing():
        keys.active_key()
        key_set = keys.jwks()
        db.session.commit()
    click.echo(f"OIDC login initiation URL:  {urls['login']}")
    click.echo(f"Redirect / launch URL:      {urls['launch']}")
    click.echo(f"Deep linking URL:           {urls['deep_linking']}")
    click.echo(f"Public keyset (JWKS) URL:   {urls['jwks']}")
    click.echo(f"Canvas JSON configuration:  {urls['config']}")
    click.echo(f"Keys published: {', '.join(k['kid'] for k in key_set['keys'])}")


@lti_group.command("rotate-key")
@with_appcontext
def rotate_key_command() -> None:
    """Sign with a new key; the old one stays in the JWKS for a week (then `retire-keys`)."""
    with writing():
        key = keys.rotate()
        db.session.commit()
    click.echo(f"Now signing with {key.kid}.")


@lti_group.command("retire-keys")
@with_appcontext
def retire_keys_command() -> None:
    """Drop keys rotated more than a week ago from the JWKS."""
    with writing():
        count = keys.retire_rotated()
        db.session.commit()
    click.echo(f"Retired {count} key(s).")


@lti_group.command("sync")
@with_appcontext
def sync_command() -> None:
    """Post pending grades and retry failed ones whose time has come (run it from cron)."""
    total_sent = total_failed = 0
    while True:
        with writing():
            sent, failed = grades.send_due()
            db.session.commit()
        total_sent += sent
        total_failed += failed
        if sent + failed < grades.SEND_BATCH:
            break
    click.echo(f"{total_sent} grade(s) sent, {total_failed} failed (kept for retry).")
    if total_failed:
        raise SystemExit(1)


@lti_group.command("roster")
@click.argument("course_id", type=int)
@with_appcontext
def roster_command(course_id: int) -> None:
    """Enrol the members of the LMS course(s) linked to Hustings course COURSE_ID."""
    contexts = list(db.session.scalars(select(LtiContext).where(LtiContext.course_id == course_id)))
    if not contexts:
        raise click.ClickException(
            f"course {course_id} is not linked to an LMS course; launch Hustings from it once"
        )
    with writing():
        for context in contexts:
            try:
                result = lti_roster.sync_roster(context)
            except lti_roster.RosterSyncError as exc:
                db.session.rollback()
                raise click.ClickException(str(exc)) from None
            click.echo(
                f"{context.title}: {result.students} student(s), {result.instructors} "
                f"instructor(s) enrolled; {len(result.skipped)} skipped"
            )
            for line in result.skipped:
                click.echo(f"  skipped {line}")
        db.session.commit()


@lti_group.command("platforms")
@with_appcontext
def platforms_command() -> None:
    """List registered platforms and their deployments."""
    for platform in db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)):
        deployments = ", ".join(d.deployment_id for d in platform.deployments)
        click.echo(
            f"{platform.id}\t{platform.name}\t{platform.issuer}\t{platform.client_id}\t{deployments}"
        )
