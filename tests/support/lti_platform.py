"""A small LMS for the tests: an independent LTI 1.3 platform (the ``lti1p3platform`` package)
served by Flask on 127.0.0.1, with OIDC authorisation, a token endpoint, Assignment and Grade
Services (line items, scores), Names and Role Provisioning Services and a deep-linking return.

It signs launches with its own key, checks Hustings' client assertions and deep-linking answers
against Hustings' JWKS, and records what Hustings sends, so tests see what an LMS would see.
"""

from __future__ import annotations

import html
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, abort, jsonify, request
from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as PlatformRequest
from lti1p3platform.request import TRequest
from werkzeug.serving import BaseWSGIServer, make_server

CLIENT_ID = "hustings-client"
DEPLOYMENT_ID = "deployment-1"
TOOL_LAUNCH = "http://localhost/lti/launch"
TOOL_LOGIN = "http://localhost/lti/login"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = [ROLE + "Instructor"]
LEARNER = [ROLE + "Learner"]
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def new_key() -> tuple[str, str]:
    key = JWK.generate(kty="RSA", size=2048)
    return key.export_to_pem(private_key=True, password=None).decode(), key.export_to_pem().decode()


@dataclass
class PendingLaunch:
    sub: str
    roles: list[str]
    context_id: str
    context_title: str
    resource_link_id: str | None
    custom: dict[str, str]
    name: str
    email: str | None
    deep_linking: bool
    accept_multiple: bool
    ags: bool
    nrps: bool
    lineitem: str | None
    tamper: Callable[[dict[str, Any]], None] | None
    expires_in: int


@dataclass
class PlatformState:
    """Everything the platform knows; tests read and steer it."""

    base: str = ""
    issuer: str = ""
    private_pem: str = ""
    public_pem: str = ""
    old_keys: list[str] = field(default_factory=list)  # public PEMs still published
    tool_jwks: Callable[[], dict[str, Any]] | None = None
    pending: dict[str, PendingLaunch] = field(default_factory=dict)
    lineitems: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deep_link_items: list[dict[str, Any]] = field(default_factory=list)
    fail_scores: int = 0  # answer the next N score posts with HTTP 503
    jwks_requests: int = 0
    token_requests: int = 0
    counter: Any = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        self.pending.clear()
        self.lineitems.clear()
        self.scores.clear()
        self.members.clear()
        self.deep_link_items.clear()
        self.fail_scores = 0
        self.jwks_requests = 0
        self.token_requests = 0
        self.old_keys.clear()
        self.tool_jwks = None

    def rotate_key(self) -> None:
        self.old_keys.append(self.public_pem)
        self.private_pem, self.public_pem = new_key()

    def scores_for(self, sub: str) -> list[dict[str, Any]]:
        return [s for s in self.scores if s["userId"] == sub]


class FlaskPlatformRequest(PlatformRequest):
    def build_metadata(self, req: Any) -> TRequest:
        return {
            "method": req.method,
            "form_data": req.form.to_dict(),
            "get_data": req.args.to_dict(),
            "headers": dict(req.headers),
            "content_type": req.content_type,
            "path": req.path,
            "json": req.get_json(silent=True),
        }


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self.state: PlatformState = kwargs["state"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        state = self.state
        registration = (
            Registration()
            .set_iss(state.issuer)
            .set_client_id(CLIENT_ID)
            .set_deployment_id(DEPLOYMENT_ID)
            .set_oidc_login_url(TOOL_LOGIN)
            .set_launch_url(TOOL_LAUNCH)
            .set_deeplink_launch_url(TOOL_LAUNCH)
            .set_platform_public_key(state.public_pem)
            .set_platform_private_key(state.private_pem)
        )
        if state.tool_jwks is not None:
            registration.set_tool_key_set(state.tool_jwks())  # type: ignore[arg-type]
        return registration


class Launch(LTIAdvantageMessageLaunchAbstract):
    pending: PendingLaunch

    def get_launch_data(self) -> tuple[dict[str, Any], str]:
        message, state = super().get_launch_data()
        if self.pending.tamper is not None:
            self.pending.tamper(message)
        return message, state

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        fields = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(launch_data[name])}">'
            for name in ("id_token", "state")
        )
        return (
            f'<form method="post" action="{html.escape(launch_data["launch_url"])}">{fields}</form>'
        )


def _bearer_ok(conf: PlatformConf, scopes: list[str]) -> bool:
    auth = request.headers.get("Authorization", "").split()
    if len(auth) != 2 or auth[0].lower() != "bearer":
        return False
    conf.get_registration()
    try:
        return conf.validate_token(auth[1], scopes)
    except Exception:
        return False


def build_platform(state: PlatformState) -> Flask:
    app = Flask("test_platform")

    def conf() -> PlatformConf:
        return PlatformConf(state=state)

    @app.get("/jwks")
    def jwks() -> Response:
        state.jwks_requests += 1
        keys = [Registration.get_jwk(state.public_pem)] + [
            Registration.get_jwk(pem) for pem in state.old_keys
        ]
        return jsonify({"keys": keys})

    @app.get("/auth")
    def auth() -> Any:
        hint = request.args.get("lti_message_hint", "")
        pending = state.pending.get(hint)
        if pending is None or request.args.get("login_hint") != pending.sub:
            abort(400, "unknown login")
        if request.args.get("redirect_uri") not in (
            TOOL_LAUNCH,
            TOOL_LAUNCH.replace("http:", "https:"),
        ):
            abort(400, "redirect_uri not registered")
        platform = conf()
        launch = Launch(FlaskPlatformRequest(request), platform)
        launch.pending = pending
        launch.set_id_token_expiration(pending.expires_in)
        launch.set_user_data(pending.sub, pending.roles, pending.name, pending.email)
        launch.set_launch_context_claim(
            pending.context_id, context_title=pending.context_title, context_label="POL101"
        )
        if pending.custom:
            launch.set_custom_parameters_claim(pending.custom)
        if pending.deep_linking:
            launch.set_dl(
                f"{state.base}/deep_link_return",
                title="Add a tool",
                accept_types={"ltiResourceLink"},
                extra_data={"opaque": "kept"},
            )
            settings = launch._deep_linking_launch_data or {}
            settings["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"][
                "accept_multiple"
            ] = pending.accept_multiple
        else:
            launch.set_resource_link_claim(pending.resource_link_id or "", title="Quiz link")
        if pending.ags:
            launch.set_ags(
                f"{state.base}/contexts/{pending.context_id}/lineitems", pending.lineitem
            )
        if pending.nrps:
            launch.set_nrps(f"{state.base}/contexts/{pending.context_id}/memberships")
        return launch.lti_launch()

    @app.post("/token")
    def token() -> Any:
        state.token_requests += 1
        platform = conf()
        platform.get_registration()
        try:
            return jsonify(platform.get_access_token(request.form.to_dict()))
        except Exception as exc:
            return jsonify(error="invalid_client", error_description=str(exc)), 400

    @app.get("/contexts/<context_id>/lineitems")
    def list_lineitems(context_id: str) -> Any:
        if not _bearer_ok(conf(), AGS_SCOPES):
            return jsonify(error="unauthorized"), 401
        items = [i for i in state.lineitems.values() if i["_context"] == context_id]
        return jsonify([{k: v for k, v in i.items() if not k.startswith("_")} for i in items])

    @app.post("/contexts/<context_id>/lineitems")
    def create_lineitem(context_id: str) -> Any:
        if not _bearer_ok(conf(), AGS_SCOPES):
            return jsonify(error="unauthorized"), 401
        body = request.get_json(force=True)
        item_id = f"{state.base}/lineitems/{next(state.counter)}"
        item = {**body, "id": item_id, "_context": context_id}
        state.lineitems[item_id] = item
        return jsonify({k: v for k, v in item.items() if not k.startswith("_")}), 201

    @app.route("/lineitems/<int:number>", methods=["GET", "PUT"])
    def lineitem(number: int) -> Any:
        if not _bearer_ok(conf(), AGS_SCOPES):
            return jsonify(error="unauthorized"), 401
        item_id = f"{state.base}/lineitems/{number}"
        item = state.lineitems.get(item_id)
        if item is None:
            return jsonify(error="not found"), 404
        if request.method == "PUT":
            item.update(request.get_json(force=True))
            item["id"] = item_id
        return jsonify({k: v for k, v in item.items() if not k.startswith("_")})

    @app.post("/lineitems/<int:number>/scores")
    def scores(number: int) -> Any:
        if not _bearer_ok(conf(), AGS_SCOPES):
            return jsonify(error="unauthorized"), 401
        if state.fail_scores > 0:
            state.fail_scores -= 1
            return jsonify(error="the gradebook is busy"), 503
        item_id = f"{state.base}/lineitems/{number}"
        if item_id not in state.lineitems:
            return jsonify(error="not found"), 404
        if request.content_type != "application/vnd.ims.lis.v1.score+json":
            return jsonify(error="wrong media type"), 415
        state.scores.append({**request.get_json(force=True), "_lineitem": item_id})
        return "", 204

    @app.get("/contexts/<context_id>/memberships")
    def memberships(context_id: str) -> Any:
        if not _bearer_ok(conf(), [NRPS_SCOPE]):
            return jsonify(error="unauthorized"), 401
        return jsonify(
            {
                "id": request.url,
                "context": {"id": context_id},
                "members": state.members.get(context_id, []),
            }
        )

    @app.post("/deep_link_return")
    def deep_link_return() -> Any:
        platform = conf()
        platform.get_registration()
        try:
            items = platform.validate_deeplinking_resp(request.form.to_dict())
        except Exception as exc:
            return jsonify(error=str(exc)), 400
        state.deep_link_items.extend(items)
        return jsonify(received=len(items))

    return app


class PlatformServer:
    def __init__(self) -> None:
        self.state = PlatformState()
        self.state.private_pem, self.state.public_pem = new_key()
        self._server: BaseWSGIServer | None = None

    def start(self) -> None:
        self._server = make_server("127.0.0.1", 0, build_platform(self.state), threaded=True)
        self.state.base = f"http://127.0.0.1:{self._server.server_port}"
        self.state.issuer = self.state.base
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    @property
    def base(self) -> str:
        return self.state.base

    def prepare(
        self,
        *,
        sub: str,
        roles: list[str],
        context_id: str = "course-1",
        context_title: str = "Politics 101",
        resource_link_id: str | None = "link-1",
        custom: dict[str, str] | None = None,
        name: str = "Ada Lovelace",
        email: str | None = None,
        deep_linking: bool = False,
        accept_multiple: bool = True,
        ags: bool = True,
        nrps: bool = True,
        lineitem: str | None = None,
        tamper: Callable[[dict[str, Any]], None] | None = None,
        expires_in: int = 300,
    ) -> str:
        """Queue a launch; returns its lti_message_hint."""
        hint = f"hint-{next(self.state.counter)}-{time.time_ns()}"
        self.state.pending[hint] = PendingLaunch(
            sub=sub,
            roles=roles,
            context_id=context_id,
            context_title=context_title,
            resource_link_id=resource_link_id,
            custom=custom or {},
            name=name,
            email=email,
            deep_linking=deep_linking,
            accept_multiple=accept_multiple,
            ags=ags,
            nrps=nrps,
            lineitem=lineitem,
            tamper=tamper,
            expires_in=expires_in,
        )
        return hint

    def login_params(self, hint: str) -> dict[str, str]:
        pending = self.state.pending[hint]
        return {
            "iss": self.state.issuer,
            "login_hint": pending.sub,
            "target_link_uri": TOOL_LAUNCH,
            "lti_message_hint": hint,
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT_ID,
        }

    def login_url(self, hint: str) -> str:
        return f"{TOOL_LOGIN}?{urlencode(self.login_params(hint))}"


FORM_FIELD = re.compile(r'name="(?P<name>[^"]+)" value="(?P<value>[^"]*)"')
FORM_ACTION = re.compile(r'<form[^>]*action="(?P<action>[^"]+)"')


def form_fields(page: str, form_id: str | None = None) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the first form (or the form ``form_id``) on a page."""
    if form_id is not None:
        start = page.index(f'id="{form_id}"')
        page = page[page.rindex("<form", 0, start) : page.index("</form>", start)]
    action = FORM_ACTION.search(page)
    assert action is not None, page[:500]
    fields = {m["name"]: html.unescape(m["value"]) for m in FORM_FIELD.finditer(page)}
    return html.unescape(action["action"]), fields
