"""A minimal LTI 1.3 tool built on pylti1p3 2.0.0 and Flask, for interop tests.

Why it exists: accredit's lti-tool suite is checked against a third-party tool
library, not only against our own reference tool. This is the smallest honest
Flask app a pylti1p3 user would write: the library's Flask adapters
(FlaskOIDCLogin, FlaskMessageLaunch, FlaskRequest) manage the Flask session and
the state cookies, so the state and nonce checks the suite exercises are the
library's own. Nothing here second-guesses pylti1p3: a launch is accepted
exactly when `get_launch_data()` returns.

The harness is the platform: issuer, client_id, deployment_id, the OIDC auth URL
and the JWKS URL come from the command line (or ACCREDIT_LTI_* environment
variables). Endpoints:

  GET/POST /login   OIDC third-party-initiated login (redirect_uri = /launch)
  POST     /launch  id_token + state; 200 "LTI launch accepted" or 401 with the
                    library's reason. Any other exception propagates (Flask 500),
                    as in an app that only catches pylti1p3's LtiException.
                    A Deep Linking request is answered with pylti1p3's
                    auto-submitting response form: one ltiResourceLink item
                    (pylti1p3 itself refuses a request whose accept_types lack
                    ltiResourceLink, so no other type is ever asked for), or
                    no item when the request targets /launch?dl_action=cancel
                    (the app's documented "cancel" target, standing for the
                    picker's cancel button);
                    a launch with the NRPS claim reads every memberships page
                    (pylti1p3's service connector: token, then Link rel=next);
                    a launch with the AGS claim finds or creates the line item
                    (by tag), posts the learner's score and reads the results,
                    through pylti1p3's AssignmentsGradesService.
  GET      /jwks    the tool's public key (a fresh RSA key per process), which
                    verifies its Deep Linking responses
  GET      /health  readiness probe

Run: python pylti1p3_launcher.py --port 8123 --issuer https://p.example \
       --client-id c --deployment-id d --auth-url http://127.0.0.1:9/lti/auth \
       --jwks-url http://127.0.0.1:9/lti/jwks
"""

import argparse
import datetime
import html
import os
import secrets
import sys
import urllib.parse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify
from pylti1p3.contrib.flask import (
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, LtiServiceException, OIDCException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.tool_config import ToolConfDict

SUCCESS_MARKER = "LTI launch accepted"


def parse_args(argv):
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default=env("ACCREDIT_LTI_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("ACCREDIT_LTI_PORT", "0") or 0))
    p.add_argument("--issuer", default=env("ACCREDIT_LTI_ISSUER"))
    p.add_argument("--client-id", default=env("ACCREDIT_LTI_CLIENT_ID"))
    p.add_argument("--deployment-id", default=env("ACCREDIT_LTI_DEPLOYMENT_ID"))
    p.add_argument("--auth-url", default=env("ACCREDIT_LTI_AUTH_URL"))
    p.add_argument("--jwks-url", default=env("ACCREDIT_LTI_JWKS_URL"))
    p.add_argument(
        "--token-url",
        default=env("ACCREDIT_LTI_TOKEN_URL"),
        help="default: the auth URL's directory + /token",
    )
    args = p.parse_args(argv)
    missing = [
        name
        for name in ("port", "issuer", "client_id", "deployment_id", "auth_url", "jwks_url")
        if not getattr(args, name)
    ]
    if missing:
        p.error("missing: " + ", ".join("--" + m.replace("_", "-") for m in missing))
    return args


def create_app(args):
    app = Flask(__name__)
    # A real app has a stable secret; a per-process random one is enough here.
    app.secret_key = secrets.token_hex(32)
    base = f"http://{args.host}:{args.port}"
    launch_url = f"{base}/launch"
    tool_conf = ToolConfDict(
        {
            args.issuer: [
                {
                    "default": True,
                    "client_id": args.client_id,
                    "auth_login_url": args.auth_url,
                    # The harness platform's token endpoint (NRPS).
                    "auth_token_url": args.token_url
                    or args.auth_url.rsplit("/", 1)[0] + "/token",
                    "key_set_url": args.jwks_url,
                    "key_set": None,
                    "deployment_ids": [args.deployment_id],
                }
            ]
        }
    )

    # The tool's own key pair, registered the way pylti1p3 documents it.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    tool_conf.set_private_key(args.issuer, private_pem, client_id=args.client_id)
    tool_conf.set_public_key(args.issuer, public_pem, client_id=args.client_id)

    def page(status, title, text):
        body = (
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
        )
        return body, status, {"Content-Type": "text/html; charset=utf-8"}

    @app.get("/health")
    def health():
        return "ok"

    @app.get("/jwks")
    def jwks():
        return jsonify(tool_conf.get_jwks())

    @app.route("/login", methods=["GET", "POST"])
    def login():
        oidc = FlaskOIDCLogin(FlaskRequest(), tool_conf)
        try:
            # redirect_uri is the registered launch URL; the target_link_uri of the
            # login is carried by the signed claim.
            return oidc.redirect(launch_url)
        except OIDCException as e:
            return page(400, "LTI login refused", str(e))

    @app.post("/launch")
    def launch():
        message_launch = FlaskMessageLaunch(FlaskRequest(), tool_conf)
        try:
            data = message_launch.get_launch_data()
        except LtiException as e:
            return page(401, "LTI launch refused", str(e))
        if message_launch.is_deep_link_launch():
            return deep_link_response(message_launch, data)
        user = data.get("name") or data.get("sub") or "anonymous"
        text = f"User: {user}"
        if message_launch.has_nrps():
            # What a tool does with the NRPS claim: read the whole roster.
            try:
                members = message_launch.get_nrps().get_members()
                text += f"; members: {len(members)}"
            except LtiException as e:
                text += f"; members unavailable: {e}"
        if message_launch.has_ags():
            text += "; " + grade(message_launch, data)
        return page(200, SUCCESS_MARKER, text)

    def deep_link_response(message_launch, data):
        # What an app does with a Deep Linking request. pylti1p3 has already
        # refused any request whose accept_types lack ltiResourceLink
        # (message_validators/deep_link.py:20-23), so one resource link always
        # fits; one item also fits accept_multiple = false.
        target = data.get("https://purl.imsglobal.org/spec/lti/claim/target_link_uri", "")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        if query.get("dl_action") == ["cancel"]:
            # The user cancelled: DL 2.3 asks for a response all the same.
            return message_launch.get_deep_link().output_response_form([])
        resource = (
            DeepLinkResource()
            .set_url(launch_url)
            .set_title("pylti1p3 activity")
            .set_custom_params({"activity": "pylti1p3-1"})
        )
        return message_launch.get_deep_link().output_response_form([resource])

    def grade(message_launch, data):
        # What a tool does with the AGS claim, the way pylti1p3 documents it:
        # find or create its line item, post the learner's score, read results.
        # The timestamp is the app's to supply: ISO 8601, milliseconds, UTC.
        ags = message_launch.get_ags()
        link = data.get(
            "https://purl.imsglobal.org/spec/lti/claim/resource_link", {}
        ).get("id", "")
        now = datetime.datetime.now(datetime.timezone.utc)
        score = (
            Grade()
            .set_user_id(data.get("sub"))
            .set_score_given(7)
            .set_score_maximum(10)
            .set_activity_progress("Completed")
            .set_grading_progress("FullyGraded")
            .set_timestamp(now.isoformat(timespec="milliseconds"))
        )
        endpoint = data.get("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint", {})
        try:
            if not endpoint.get("lineitems"):
                # One line item named by the claim (AGS 3.1.1.3): score it there.
                ags.put_grade(score)
                return "score posted"
            lineitem = ags.find_or_create_lineitem(
                LineItem()
                .set_tag("grade")
                .set_label("pylti1p3 quiz")
                .set_score_maximum(10)
                .set_resource_id("pylti1p3-quiz")
                .set_resource_link_id(link)
            )
            ags.put_grade(score, lineitem)
            return f"results: {len(ags.get_grades(lineitem))}"
        except (LtiException, LtiServiceException) as e:
            return f"grades unavailable: {e}"

    return app


def main(argv):
    args = parse_args(argv)
    app = create_app(args)
    print(f"pylti1p3 launcher listening on http://{args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main(sys.argv[1:])
