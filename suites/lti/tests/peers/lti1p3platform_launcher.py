"""A minimal LTI 1.3 platform built on lti1p3platform 0.1.8 and Flask, for interop tests.

Why it exists: accredit's lti-platform suite is checked against a third-party
platform library, not only against our own mock platform. lti1p3platform is a
set of abstract classes: the app supplies the registration, the HTTP framework
adapter, the user/course data a launch carries, and the storage behind the
AGS/NRPS services. This file supplies exactly that and nothing more. Every
protocol decision (what the auth request must contain, how the id_token is
built and signed, the JWKS, the token endpoint, bearer-token checks, the AGS
and NRPS HTTP handlers, Deep Linking response validation) is the library's own.
Where the library only offers a hook, the hook is wired the way its README says
(`prepare_launch` checks that `login_hint` is the user who started the launch).

The library ships Django and FastAPI adapters but no Flask one; `FlaskRequest`
and `json_response` below are line-for-line ports of
`framework/django/request.py` and `framework/django/response.py`.

Config from the command line (or ACCREDIT_LTI_* environment variables):
issuer, client_id, deployment_id and the harness tool's login, launch
(redirect_uri, also the Deep Linking launch) and JWKS URLs. Endpoints:

  GET      /lti/start?launch=<kind>[&client_id=]   third-party-initiated login
           (302 to the tool's login URL); kind in student, student_no_pii,
           instructor, instructor_no_pii, deep_linking, nrps, ags_context_1,
           ags_context_2; anything else 404
  GET/POST /lti/auth                  OIDC authentication endpoint (form_post)
  GET      /lti/jwks                  platform public keys
  POST     /lti/token                 OAuth 2.0 client_credentials (JWT assertion)
  POST     /lti/dl/return             Deep Linking response (form field JWT)
  GET/POST /lti/contexts/<c>/lineitems               AGS line items
  GET/PUT/DELETE /lti/contexts/<c>/lineitems/<n>     one line item
  POST     /lti/contexts/<c>/lineitems/<n>/scores    AGS scores
  GET      /lti/contexts/<c>/lineitems/<n>/results   AGS results
  GET      /lti/contexts/<c>/memberships             NRPS
  GET      /health                    readiness probe

Run: python lti1p3platform_launcher.py --port 8124 --issuer http://127.0.0.1:8124 \
       --client-id c --deployment-id d \
       --tool-login-url http://127.0.0.1:8791/lti/login \
       --tool-launch-url http://127.0.0.1:8791/lti/launch \
       --tool-jwks-url http://127.0.0.1:8791/lti/jwks
"""

import argparse
import datetime
import html
import itertools
import json
import os
import secrets
import sys
import threading

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, redirect, request
from lti1p3platform.exceptions import (
    InvalidKeySetUrl,
    LineItemNotFoundException,
    LtiDeepLinkingResponseException,
    LtiException,
    MissingRequiredClaim,
    PreflightRequestValidationException,
    UnsupportedGrantType,
)
from lti1p3platform.framework.templates import template
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.response import generate_next_link
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
)

LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER = LIS + "Learner"
INSTRUCTOR = LIS + "Instructor"

# Built-in course data: two contexts, a resource link each, five members each
# (instructors and learners, one Inactive), users with full PII.
USERS = {
    "instructor-1": {"name": "Ada Lovelace", "email": "ada@example.edu"},
    "instructor-2": {"name": "Alan Turing", "email": "alan@example.edu"},
    "student-1": {"name": "Grace Hopper", "email": "grace@example.edu"},
    "student-2": {"name": "Edsger Dijkstra", "email": "edsger@example.edu"},
    "student-3": {"name": "Barbara Liskov", "email": "barbara@example.edu"},
    "student-4": {"name": "Donald Knuth", "email": "donald@example.edu"},
}
CONTEXTS = {
    "context-1": {
        "label": "CS101",
        "title": "Introduction to Computing",
        "resource_link": "rl-context-1",
        "members": [
            ("instructor-1", INSTRUCTOR, "Active"),
            ("instructor-2", INSTRUCTOR, "Active"),
            ("student-1", LEARNER, "Active"),
            ("student-2", LEARNER, "Active"),
            ("student-3", LEARNER, "Active"),
            ("student-4", LEARNER, "Inactive"),
        ],
    },
    "context-2": {
        "label": "CS201",
        "title": "Algorithms",
        "resource_link": "rl-context-2",
        "members": [
            ("instructor-1", INSTRUCTOR, "Active"),
            ("student-1", LEARNER, "Active"),
            ("student-2", LEARNER, "Active"),
            ("student-3", LEARNER, "Active"),
            ("student-4", LEARNER, "Inactive"),
        ],
    },
}
# launch kind -> (user, context, role, PII sent, email sent)
KINDS = {
    "student": ("student-1", "context-1", LEARNER, True, True),
    "student_no_pii": ("student-2", "context-1", LEARNER, False, False),
    "instructor": ("instructor-1", "context-1", INSTRUCTOR, True, True),
    "instructor_no_pii": ("instructor-2", "context-1", INSTRUCTOR, False, True),
    "deep_linking": ("instructor-1", "context-1", INSTRUCTOR, True, True),
    "nrps": ("instructor-1", "context-1", INSTRUCTOR, True, True),
    "ags_context_1": ("student-1", "context-1", LEARNER, True, True),
    "ags_context_2": ("student-1", "context-2", LEARNER, True, True),
}
DL_ACCEPT_TYPES = ["link", "ltiResourceLink"]


def parse_args(argv):
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default=env("ACCREDIT_LTI_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("ACCREDIT_LTI_PORT", "0") or 0))
    p.add_argument("--issuer", default=env("ACCREDIT_LTI_ISSUER"), help="default: http://host:port")
    p.add_argument("--client-id", default=env("ACCREDIT_LTI_CLIENT_ID"))
    p.add_argument("--deployment-id", default=env("ACCREDIT_LTI_DEPLOYMENT_ID"))
    p.add_argument("--tool-login-url", default=env("ACCREDIT_LTI_TOOL_LOGIN_URL"))
    p.add_argument("--tool-launch-url", default=env("ACCREDIT_LTI_TOOL_LAUNCH_URL"))
    p.add_argument("--tool-jwks-url", default=env("ACCREDIT_LTI_TOOL_JWKS_URL"))
    args = p.parse_args(argv)
    missing = [
        name
        for name in (
            "port",
            "client_id",
            "deployment_id",
            "tool_login_url",
            "tool_launch_url",
            "tool_jwks_url",
        )
        if not getattr(args, name)
    ]
    if missing:
        p.error("missing: " + ", ".join("--" + m.replace("_", "-") for m in missing))
    if not args.issuer:
        args.issuer = f"http://{args.host}:{args.port}"
    return args


class FlaskRequest(Request):
    """Port of lti1p3platform/framework/django/request.py to Flask."""

    def build_metadata(self, req):
        return {
            "method": req.method,
            "form_data": req.form.to_dict(),
            "json": req.get_json(silent=True) if "json" in (req.mimetype or "") else None,
            "get_data": req.args.to_dict(),
            "headers": req.headers,
            "content_type": req.mimetype,
            "path": req.path,
        }


def json_response(resp):
    """Port of lti1p3platform/framework/django/response.py (wrap_json_resp)."""
    if 200 <= resp.code < 300:
        if resp.result and "content" in resp.result:
            data = resp.result["content"]
        else:
            data = resp.result
        out = Response(json.dumps(data), status=resp.code, content_type=resp.media_type)
        if resp.result and "next" in resp.result and resp.result["next"]:
            out.headers["Link"] = generate_next_link(resp.result["next"])
        return out
    return Response(
        json.dumps({"error": resp.message}), status=resp.code, content_type=resp.media_type
    )


def page(status, title, text):
    body = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return body, status, {"Content-Type": "text/html; charset=utf-8"}


def create_app(args):
    app = Flask(__name__)
    base = f"http://{args.host}:{args.port}"

    # The platform's key pair (a fresh RSA key per process).
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()

    class PlatformConf(LTI1P3PlatformConfAbstract):
        """The registration of the harness tool, as the library's README shows it.
        One instance per request (the library keeps the JWT being validated on
        the instance, so a shared one would race between Flask threads)."""

        def init_platform_config(self, **kwargs):
            self._registration = self.get_registration_by_params()

        def get_registration_by_params(self, **kwargs):
            return (
                Registration()
                .set_iss(args.issuer)
                .set_client_id(args.client_id)
                .set_deployment_id(args.deployment_id)
                .set_launch_url(args.tool_launch_url)
                .set_deeplink_launch_url(args.tool_launch_url)
                .set_oidc_login_url(args.tool_login_url)
                .set_tool_key_set_url(args.tool_jwks_url)
                .set_platform_public_key(public_pem)
                .set_platform_private_key(private_pem)
            )

    # Launches started and not yet completed: lti_message_hint -> (kind, user).
    # The library leaves "who is logged in" to the app; this is that session.
    pending = {}
    lock = threading.Lock()

    class OIDCLogin(OIDCLoginAbstract):
        def set_lti_message_hint(self, **kwargs):
            self._lti_message_hint = kwargs["hint"]

        def get_redirect(self, url):
            return redirect(url, code=302)

    class MessageLaunch(LTIAdvantageMessageLaunchAbstract):
        def prepare_launch(self, preflight_response):
            # The README's duty for the app: the login_hint must be the user who
            # started the launch; lti_message_hint names the launch.
            with lock:
                started = pending.get(preflight_response.get("lti_message_hint") or "")
            if started is None:
                raise PreflightRequestValidationException("unknown lti_message_hint")
            kind, user_id = started
            if preflight_response.get("login_hint") != user_id:
                raise PreflightRequestValidationException("login_hint does not match the user")
            _, ctx, role, pii, email = KINDS[kind]
            user = USERS[user_id]
            self.set_user_data(
                user_id,
                [role],
                full_name=user["name"] if pii else None,
                email_address=user["email"] if email else None,
            )
            context = CONTEXTS[ctx]
            self.set_launch_context_claim(
                ctx,
                context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
                context_title=context["title"],
                context_label=context["label"],
            )
            if kind == "deep_linking":
                # The library types `extra_data` as a dict, but DL 2.0 `data` is an
                # opaque string: it is passed through unchanged.
                self.set_dl(
                    f"{base}/lti/dl/return",
                    title="Add an activity",
                    accept_types=set(DL_ACCEPT_TYPES),
                    extra_data="<opaque>",
                )
                return
            self.set_resource_link_claim(context["resource_link"], title=f"{context['label']} quiz")
            self.set_nrps(f"{base}/lti/contexts/{ctx}/memberships")
            self.set_ags(f"{base}/lti/contexts/{ctx}/lineitems")

        def render_launch_form(self, launch_data, **kwargs):
            # The library's own auto-submitting form template.
            return template.render(launch_data)

    # ---- AGS/NRPS storage: the library's abstract data methods ----------------
    lineitems = {}  # line item URL -> line item
    scores = {}  # line item URL -> {userId: score}
    counter = itertools.count(1)

    def paged(items, page, limit):
        page = int(page or 1)
        if not limit:
            return {"content": items, "has_next": False}
        limit = int(limit)
        start = (page - 1) * limit
        return {"content": items[start : start + limit], "has_next": start + limit < len(items)}

    def parse_time(value):
        try:
            return datetime.datetime.fromisoformat(str(value))
        except ValueError:
            return None

    class Ags(AssignmentsGradesService):
        def __init__(self, ctx, lineitem_url=None):
            self.ctx = ctx
            super().__init__(
                FlaskRequest(request),
                PlatformConf(),
                f"{base}/lti/contexts/{ctx}/lineitems",
                lineitem_url,
            )

        def find_lineitems(
            self, page=1, limit=None, line_item_id=None, resource_link_id=None, resource_id=None, tag=None
        ):
            with lock:
                items = [
                    dict(i)
                    for url, i in lineitems.items()
                    if url.startswith(self.ags.lineitems_url + "/")
                    and (line_item_id is None or url == line_item_id)
                    and (resource_link_id is None or i.get("resourceLinkId") == resource_link_id)
                    and (resource_id is None or i.get("resourceId") == resource_id)
                    and (tag is None or i.get("tag") == tag)
                ]
            return paged(items, page, limit)

        def find_lineitem(self, line_item_id):
            with lock:
                if line_item_id not in lineitems:
                    raise LineItemNotFoundException(line_item_id)
                return dict(lineitems[line_item_id])

        def create_lineitem(self, creation_data):
            item = dict(creation_data)
            item["id"] = f"{self.ags.lineitems_url}/{next(counter)}"
            with lock:
                lineitems[item["id"]] = item
                scores[item["id"]] = {}
            return dict(item)

        def update_lineitem(self, update_data):
            with lock:
                if update_data["id"] not in lineitems:
                    raise LineItemNotFoundException(update_data["id"])
                lineitems[update_data["id"]] = dict(update_data)
            return dict(update_data)

        def delete_lineitem(self, line_item_id):
            with lock:
                if lineitems.pop(line_item_id, None) is None:
                    raise LineItemNotFoundException(line_item_id)
                scores.pop(line_item_id, None)

        def update_score(self, line_item_id, score):
            with lock:
                if line_item_id not in lineitems:
                    raise LineItemNotFoundException(line_item_id)
                mine = scores[line_item_id]
                user = str(score.get("userId"))
                old = mine.get(user)
                if old is not None:
                    before, now = parse_time(old.get("timestamp")), parse_time(score.get("timestamp"))
                    if before and now and now <= before:
                        return UpdateScoreStatus.OLD_TIMESTAMP
                mine[user] = dict(score)
                return UpdateScoreStatus.SUCCESS if old else UpdateScoreStatus.CREATED

        def get_results(self, line_item_id, page=1, limit=None, user_id=None):
            with lock:
                if line_item_id not in lineitems:
                    raise LineItemNotFoundException(line_item_id)
                results = []
                for user, s in scores[line_item_id].items():
                    if user_id is not None and user != user_id:
                        continue
                    result = {"id": f"{line_item_id}/results/{user}", "scoreOf": line_item_id, "userId": user}
                    if s.get("scoreGiven") is not None:
                        result["resultScore"] = s["scoreGiven"]
                        result["resultMaximum"] = s.get("scoreMaximum", 1)
                    if s.get("comment"):
                        result["comment"] = s["comment"]
                    results.append(result)
            return paged(results, page, limit)

    class Nrps(NamesRoleProvisioningService):
        def __init__(self, ctx):
            self.ctx = ctx
            super().__init__(FlaskRequest(request), PlatformConf(), f"{base}/lti/contexts/{ctx}/memberships")

        def get_member_data_page(self, page=1, limit=None, role=None, since=None):
            members = []
            for user_id, member_role, status in CONTEXTS[self.ctx]["members"]:
                if role and role not in (member_role, member_role.rsplit("#", 1)[-1]):
                    continue
                members.append(
                    {
                        "user_id": user_id,
                        "roles": [member_role],
                        "status": status,
                        "name": USERS[user_id]["name"],
                        "email": USERS[user_id]["email"],
                    }
                )
            return paged(members, page, limit)

        def get_context_by_id(self):
            c = CONTEXTS[self.ctx]
            return Context(id=self.ctx, label=c["label"], title=c["title"])

        def is_resource_link_valid(self, context_id, resource_link_id):
            return CONTEXTS[context_id]["resource_link"] == resource_link_id

    def known_context(ctx):
        if ctx not in CONTEXTS:
            return page(404, "Not found", f"no context {ctx}")
        return None

    # ---- routes ---------------------------------------------------------------
    @app.get("/health")
    def health():
        return "ok"

    @app.get("/lti/start")
    def start():
        kind = request.args.get("launch", "")
        if kind not in KINDS or request.args.get("client_id", args.client_id) != args.client_id:
            return page(404, "Not found", f"no launch {kind!r} for this client")
        user_id = KINDS[kind][0]
        hint = secrets.token_urlsafe(16)
        with lock:
            pending[hint] = (kind, user_id)
        login = OIDCLogin(FlaskRequest(request), PlatformConf())
        login.set_lti_message_hint(hint=hint)
        return login.initiate_login(user_id)

    @app.route("/lti/auth", methods=["GET", "POST"])
    def auth():
        launch = MessageLaunch(FlaskRequest(request), PlatformConf())
        try:
            return launch.lti_launch()
        except PreflightRequestValidationException as e:
            return page(400, "LTI launch refused", str(e) or "invalid authentication request")

    @app.get("/lti/jwks")
    def jwks():
        return jsonify(PlatformConf().get_jwks())

    @app.post("/lti/token")
    def token():
        # RFC 6749 §5.2 error mapping for the library's exceptions (it has none).
        try:
            return jsonify(PlatformConf().get_access_token(request.form.to_dict()))
        except MissingRequiredClaim as e:
            return jsonify(error="invalid_request", error_description=str(e)), 400
        except UnsupportedGrantType:
            return jsonify(error="unsupported_grant_type"), 400
        except (LtiException, InvalidKeySetUrl, jwt.InvalidTokenError) as e:
            return jsonify(error="invalid_client", error_description=str(e)), 401

    @app.post("/lti/dl/return")
    def dl_return():
        platform = PlatformConf().set_accepted_deeplinking_types(DL_ACCEPT_TYPES)
        try:
            items = platform.validate_deeplinking_resp(request.form.to_dict())
        except (LtiDeepLinkingResponseException, LtiException, jwt.InvalidTokenError) as e:
            return page(400, "Deep Linking response refused", str(e) or type(e).__name__)
        shown = "; ".join(f"{i.get('type')}: {i.get('title', '')} {i.get('url', '')}" for i in items)
        return page(200, "Content added", shown or "no items")

    @app.route("/lti/contexts/<ctx>/lineitems", methods=["GET", "POST"])
    def ags_lineitems(ctx):
        if (missing := known_context(ctx)) is not None:
            return missing
        svc = Ags(ctx)
        handler = svc.handle_get_lineitems if request.method == "GET" else svc.handle_create_lineitem
        return json_response(svc.handle_resp(handler))

    @app.route("/lti/contexts/<ctx>/lineitems/<int:n>", methods=["GET", "PUT", "DELETE"])
    def ags_lineitem(ctx, n):
        if (missing := known_context(ctx)) is not None:
            return missing
        url = f"{base}/lti/contexts/{ctx}/lineitems/{n}"
        svc = Ags(ctx, url)
        handler = {
            "GET": svc.handle_get_lineitem,
            "PUT": svc.handle_update_lineitem,
            "DELETE": svc.handle_delete_lineitem,
        }[request.method]
        return json_response(svc.handle_resp(handler, line_item_id=url))

    @app.post("/lti/contexts/<ctx>/lineitems/<int:n>/scores")
    def ags_scores(ctx, n):
        if (missing := known_context(ctx)) is not None:
            return missing
        url = f"{base}/lti/contexts/{ctx}/lineitems/{n}"
        svc = Ags(ctx, url)
        return json_response(svc.handle_resp(svc.handle_update_score, line_item_id=url))

    @app.get("/lti/contexts/<ctx>/lineitems/<int:n>/results")
    def ags_results(ctx, n):
        if (missing := known_context(ctx)) is not None:
            return missing
        url = f"{base}/lti/contexts/{ctx}/lineitems/{n}"
        svc = Ags(ctx, url)
        return json_response(svc.handle_resp(svc.handle_get_results, line_item_id=url))

    @app.get("/lti/contexts/<ctx>/memberships")
    def nrps(ctx):
        if (missing := known_context(ctx)) is not None:
            return missing
        svc = Nrps(ctx)
        return json_response(svc.handle_resp(svc.handle_get_members))

    return app


def main(argv):
    args = parse_args(argv)
    app = create_app(args)
    print(f"lti1p3platform launcher listening on http://{args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main(sys.argv[1:])
