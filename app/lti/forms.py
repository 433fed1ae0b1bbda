"""Forms of the LTI pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length

URL_HINT = "The full https:// URL the LMS shows."


class PlatformForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)], description="How you call it.")
    issuer = StringField(
        "Issuer (platform id)", description="Canvas: https://canvas.instructure.com"
    )
    client_id = StringField("Client id", description="The id the LMS gave Hustings.")
    deployment_ids = StringField(
        "Deployment ids", description="One or more, separated by spaces or commas."
    )
    login_url = StringField("OIDC authentication (login) URL", description=URL_HINT)
    token_url = StringField("Access token URL", description=URL_HINT)
    jwks_url = StringField("Public keyset (JWKS) URL", description=URL_HINT)
    frame_origins = TextAreaField(
        "Other origins that frame Hustings",
        description="Optional: your LMS's own addresses, e.g. https://school.instructure.com.",
    )
    submit = SubmitField("Register platform")
