//! The platform's OIDC authentication endpoint and key set, beyond the official
//! tests: authentication requests that must get no id_token (Security Framework
//! §5.1.1, OIDC Core §3.1.2), the `lti_deployment_id` of the login initiation,
//! and the JWKS rules (HX-SEC-14).
//!
//! How the negative cases work: the case starts a real launch but stops its
//! browser before it reaches the harness tool's login URL, so it holds a genuine
//! `login_hint` / `lti_message_hint` pair; it sends one crafted authentication
//! request (one parameter wrong), following redirects only on the platform, and
//! judges: no id_token issued (no form carrying one, no redirect carrying one),
//! and nothing sent to an unregistered redirect URI. Then a *control*: the same
//! request unmodified must get an id_token, or the refusal proved nothing (a
//! platform that refuses everything is not secure, it is broken), and the case
//! is an `error`.

use futures::FutureExt;
use serde_json::Value;

use accredit_core::jose::JwkSet;
use accredit_core::{Case, CaseCx, CaseMeta, Level, Outcome, Verdict};

use super::browse::{StopAt, Trip, snippet};
use super::checks::LTI;
use super::core::ROLE;
use super::fixture::{HeldLogin, LaunchKind, PlatformFixture, failed};
use crate::html::forms;
use crate::ua::Nav;

const SEC: &str = "1EdTech Security Framework 1.0";
const SEC_AUTH_URL: &str =
    "https://www.imsglobal.org/spec/security/v1p0/#step-2-authentication-request";
const SEC_RESPONSE_URL: &str =
    "https://www.imsglobal.org/spec/security/v1p0/#step-3-authentication-response";
const ATTACKER: &str = "https://attacker.example/lti/launch";

/// The launch kinds a negative case may hold, in order of preference.
const HOLD_KINDS: [LaunchKind; 4] = [
    LaunchKind::Student,
    LaunchKind::Instructor,
    LaunchKind::StudentNoPii,
    LaunchKind::InstructorNoPii,
];

/// Holds the first configured core launch.
async fn hold(fx: &PlatformFixture, cx: &CaseCx) -> Result<HeldLogin, Verdict> {
    let Some(kind) = HOLD_KINDS
        .into_iter()
        .find(|k| fx.profile().launches.get(*k).is_some() || fx.profile().scripted(*k).is_some())
    else {
        return Err(Verdict::skip(
            "no core launch (student, instructor, ...) is configured in [lti-platform.launches]",
        ));
    };
    fx.hold_login(cx, kind).await
}

/// The strict authentication request for `held`, as the harness tool sends it.
fn auth_params(fx: &PlatformFixture, held: &HeldLogin) -> Vec<(String, String)> {
    let fresh = || uuid::Uuid::new_v4().simple().to_string();
    let mut p: Vec<(String, String)> = vec![
        ("scope".into(), "openid".into()),
        ("response_type".into(), "id_token".into()),
        ("response_mode".into(), "form_post".into()),
        ("prompt".into(), "none".into()),
        ("client_id".into(), fx.profile().client_id.clone()),
        ("redirect_uri".into(), fx.redirect_uri().to_string()),
        (
            "login_hint".into(),
            held.param("login_hint").unwrap_or_default().to_string(),
        ),
        ("state".into(), format!("st-{}", fresh())),
        ("nonce".into(), format!("nc-{}", fresh())),
    ];
    if let Some(mh) = held.param("lti_message_hint") {
        p.push(("lti_message_hint".into(), mh.to_string()));
    }
    p
}

/// Replaces (or with `None` removes) parameter `name`.
fn with(mut p: Vec<(String, String)>, name: &str, value: Option<&str>) -> Vec<(String, String)> {
    p.retain(|(k, _)| k != name);
    if let Some(v) = value {
        p.push((name.into(), v.into()));
    }
    p
}

/// Sends an authentication request, following redirects on the platform only.
async fn send_auth(
    fx: &PlatformFixture,
    cx: &CaseCx,
    held: &HeldLogin,
    params: &[(String, String)],
) -> Result<Trip, Verdict> {
    let auth = fx.profile().auth_url.0.clone();
    let origin = auth.origin();
    held.browser
        .go(
            Nav::get(auth, params),
            StopAt::Leaving(origin),
            false,
            cx.remaining(),
        )
        .await
        .map_err(|e| failed("the authentication request is answered", e.message.clone()))
}

/// Where an id_token went, if one was issued in `trip`.
fn issued_token(trip: &Trip) -> Option<String> {
    for h in &trip.hops {
        if h.response.status.is_success()
            && forms(&h.response.text())
                .iter()
                .any(|f| f.fields.iter().any(|(k, _)| k == "id_token"))
        {
            return Some(format!(
                "{} {} answered a form carrying an id_token",
                h.nav.method, h.nav.url
            ));
        }
    }
    if let Some(nav) = &trip.held {
        let in_query = nav.url.query_pairs().any(|(k, _)| k == "id_token");
        let in_fragment = nav
            .url
            .fragment()
            .is_some_and(|f| f.split('&').any(|kv| kv.starts_with("id_token=")));
        if in_query || in_fragment {
            return Some(format!(
                "the browser was redirected to {} with an id_token",
                nav.url.origin().ascii_serialization()
            ));
        }
    }
    None
}

/// Judges a request that must get no id_token.
fn judge_refused(v: &mut Verdict, trip: &Trip, attacker: bool) {
    let token = issued_token(trip);
    v.require(
        "no id_token is issued",
        token.is_none(),
        token.clone().unwrap_or_default(),
    );
    if attacker {
        let to_attacker = trip
            .held
            .as_ref()
            .is_some_and(|n| n.url.as_str().starts_with("https://attacker.example"));
        v.require(
            "the browser is not sent to the unregistered redirect_uri",
            !to_attacker,
            "the platform redirected to https://attacker.example (it must show a local error page)",
        );
    }
    let last = trip.hops.last().map(|h| h.status).unwrap_or(0);
    let error_redirect = trip
        .held
        .as_ref()
        .is_some_and(|n| n.url.query_pairs().any(|(k, _)| k == "error"));
    if token.is_none() {
        v.check(
            "the refusal is an error page or an OAuth error response",
            if (400..500).contains(&last) || (200..300).contains(&last) || error_redirect {
                Outcome::Pass
            } else {
                Outcome::Warn
            },
            if last >= 500 {
                format!("HTTP {last}: refused by a server error")
            } else if (400..500).contains(&last) || (200..300).contains(&last) || error_redirect {
                String::new()
            } else {
                format!("HTTP {last} without an OAuth `error`")
            },
        );
    }
}

/// Authentication request parameters.
type Params = Vec<(String, String)>;

/// One negative authentication request and its control.
async fn negative(
    fx: &PlatformFixture,
    cx: &CaseCx,
    what: &str,
    mutate: fn(Params) -> Params,
    attacker: bool,
) -> Verdict {
    let held = match hold(fx, cx).await {
        Ok(h) => h,
        Err(v) => return v,
    };
    let good = auth_params(fx, &held);
    cx.log(format!("crafted authentication request: {what}"));
    let trip = match send_auth(fx, cx, &held, &mutate(good.clone())).await {
        Ok(t) => t,
        Err(v) => return v,
    };
    let mut v = Verdict::new();
    judge_refused(&mut v, &trip, attacker);
    cx.log("control: the same authentication request, unmodified");
    let control = match send_auth(fx, cx, &held, &good).await {
        Ok(t) => t,
        Err(v) => return v,
    };
    if issued_token(&control).is_none() {
        let last = control
            .hops
            .last()
            .map(|h| format!("HTTP {}: {}", h.status, snippet(&h.response.text(), 200)))
            .unwrap_or_default();
        return Verdict::error(format!(
            "control failed: the unmodified authentication request with the same login got no id_token ({last}), so the refusal proves nothing"
        ));
    }
    v.check(
        "control: the unmodified request gets an id_token",
        Outcome::Pass,
        "",
    );
    v
}

/// HX-OIDC-P-05: the login's `lti_deployment_id` is the claim's.
async fn deployment_id(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let Some(kind) = HOLD_KINDS
        .into_iter()
        .find(|k| fx.profile().launches.get(*k).is_some() || fx.profile().scripted(*k).is_some())
    else {
        return Verdict::skip("no core launch is configured in [lti-platform.launches]");
    };
    let l = match fx.launch(cx, kind).await {
        Ok(l) => l,
        Err(v) => return v,
    };
    let Some(login) = l.initiation_param("lti_deployment_id").map(str::to_string) else {
        return Verdict::skip(
            "the login initiation carries no lti_deployment_id (it is optional): nothing to compare",
        );
    };
    let claim = l
        .claims
        .get(format!("{LTI}deployment_id"))
        .and_then(Value::as_str);
    let mut v = Verdict::new();
    v.require(
        "the id_token's deployment_id is the login's lti_deployment_id",
        claim == Some(login.as_str()),
        format!("login `{login}`, claim {claim:?}"),
    );
    v
}

/// HX-SEC-14: the platform JWKS.
async fn jwks(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let url = fx.profile().jwks_url.as_str();
    let resp = match cx.http().get(url).await {
        Ok(r) => r,
        Err(e) => return failed("the JWKS is served", format!("GET {url}: {e}")),
    };
    let mut v = Verdict::new();
    if !v.require(
        "the JWKS is served (200)",
        resp.status.is_success(),
        format!("GET {url} answered HTTP {}", resp.status.as_u16()),
    ) {
        return v;
    }
    let body: Value = match resp.json() {
        Ok(b) => b,
        Err(e) => {
            v.require("the JWKS is JSON", false, e.to_string());
            return v;
        }
    };
    judge_jwks(&mut v, &body);
    v
}

/// The JWKS rules on a parsed document.
pub(crate) fn judge_jwks(v: &mut Verdict, body: &Value) {
    let keys = body.get("keys").and_then(Value::as_array);
    if !v.require(
        "the JWKS is {\"keys\": [...]} with at least one key",
        keys.is_some_and(|k| !k.is_empty()),
        format!("the document is {}", snippet(&body.to_string(), 200)),
    ) {
        return;
    }
    let set: Result<JwkSet, _> = serde_json::from_value(body.clone());
    let Ok(set) = set else {
        v.require("every key is a JWK", false, "the keys do not parse as JWKs");
        return;
    };
    let mut problems = Vec::new();
    let mut no_alg = Vec::new();
    let mut kids = std::collections::BTreeSet::new();
    for (i, k) in set.keys.iter().enumerate() {
        let name = k.kid.clone().unwrap_or_else(|| format!("keys[{i}]"));
        match k.kid.as_deref() {
            None | Some("") => problems.push(format!("{name}: no kid")),
            Some(kid) => {
                if !kids.insert(kid.to_string()) {
                    problems.push(format!("kid `{kid}` is used twice"));
                }
            }
        }
        if k.kty != "RSA" {
            problems.push(format!("{name}: kty is `{}`", k.kty));
        }
        if k.n.as_deref().is_none_or(str::is_empty) || k.e.as_deref().is_none_or(str::is_empty) {
            problems.push(format!("{name}: n or e missing"));
        }
        let private = k.private_members();
        if !private.is_empty() {
            problems.push(format!(
                "{name}: publishes private members {}",
                private.join(", ")
            ));
        }
        if k.alg.as_deref() != Some("RS256") {
            no_alg.push(name);
        }
    }
    v.require(
        "every key has a unique kid, kty RSA, n and e, and no private member",
        problems.is_empty(),
        problems.join("; "),
    );
    v.recommend(
        "every key advertises alg RS256",
        no_alg.is_empty(),
        format!("without alg RS256: {}", no_alg.join(", ")),
    );
}

/// A harness extension on the authentication endpoint.
const fn hx(
    id: &'static str,
    title: &'static str,
    section: &'static str,
    url: &'static str,
    requirement: &'static str,
    tags: &'static [&'static str],
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: ROLE,
        spec_document: SEC,
        spec_section: section,
        spec_url: url,
        requirement,
        level: Level::Must,
        official: false,
        tags,
        exclusive: false,
    }
}

const AUTH_SECTION: &str = "5.1.1.2 Step 2: Authentication Request";
const AUTH_TAGS: &[&str] = &["oidc", "security", "extension"];

/// The OIDC and JWKS cases.
pub(crate) fn cases() -> Vec<Case<PlatformFixture>> {
    vec![
        Case {
            meta: hx(
                "lti.platform.oidc.unregistered-redirect-uri",
                "An authentication request with an unregistered redirect_uri gets no id_token and no redirect",
                "5.1.1.3 Step 3: Authentication Response",
                SEC_RESPONSE_URL,
                "The Platform MUST validate that the redirect_uri is one of the redirect URIs registered for the client_id; it then sends the id_token only to that URI. RFC 6749 4.1.2.1: if the redirection URI is invalid, the authorization server MUST NOT automatically redirect the user-agent to it.",
                AUTH_TAGS,
            ),
            run: |fx, cx| {
                negative(
                    fx,
                    cx,
                    "redirect_uri = https://attacker.example/lti/launch",
                    |p| with(p, "redirect_uri", Some(ATTACKER)),
                    true,
                )
                .boxed()
            },
        },
        Case {
            meta: hx(
                "lti.platform.oidc.response-type",
                "An authentication request with response_type=code gets no id_token",
                AUTH_SECTION,
                SEC_AUTH_URL,
                "response_type: REQUIRED. As the LTI message is sent in the id_token, the value MUST be id_token.",
                AUTH_TAGS,
            ),
            run: |fx, cx| {
                negative(
                    fx,
                    cx,
                    "response_type = code",
                    |p| with(p, "response_type", Some("code")),
                    false,
                )
                .boxed()
            },
        },
        Case {
            meta: hx(
                "lti.platform.oidc.scope",
                "An authentication request without the openid scope gets no id_token",
                AUTH_SECTION,
                SEC_AUTH_URL,
                "scope: REQUIRED as per OpenID Connect Core, the value MUST be openid.",
                AUTH_TAGS,
            ),
            run: |fx, cx| {
                negative(
                    fx,
                    cx,
                    "scope = profile",
                    |p| with(p, "scope", Some("profile")),
                    false,
                )
                .boxed()
            },
        },
        Case {
            meta: hx(
                "lti.platform.oidc.prompt",
                "An authentication request without prompt=none gets no id_token",
                AUTH_SECTION,
                SEC_AUTH_URL,
                "prompt: REQUIRED. Since the message launch is meant to be sent from a platform where the user is already logged in, the value MUST be none.",
                AUTH_TAGS,
            ),
            run: |fx, cx| negative(fx, cx, "no prompt", |p| with(p, "prompt", None), false).boxed(),
        },
        Case {
            meta: hx(
                "lti.platform.oidc.login-hint-mismatch",
                "An authentication request with another login_hint gets no id_token",
                "5.1.1.3 Step 3: Authentication Response",
                SEC_RESPONSE_URL,
                "login_hint: REQUIRED, as supplied by the platform in the login initiation request. The Platform MUST validate that the login_hint is for the current user and otherwise refuse the request (login_required).",
                AUTH_TAGS,
            ),
            run: |fx, cx| {
                negative(
                    fx,
                    cx,
                    "login_hint of another user",
                    |p| with(p, "login_hint", Some("accredit-another-user")),
                    false,
                )
                .boxed()
            },
        },
        Case {
            meta: hx(
                "lti.platform.oidc.nonce-missing",
                "An authentication request without nonce gets no id_token",
                AUTH_SECTION,
                SEC_AUTH_URL,
                "nonce: REQUIRED. String value used to associate a Client session with an ID Token, and to mitigate replay attacks.",
                AUTH_TAGS,
            ),
            run: |fx, cx| negative(fx, cx, "no nonce", |p| with(p, "nonce", None), false).boxed(),
        },
        Case {
            meta: hx(
                "lti.platform.oidc.unknown-client",
                "An authentication request from an unregistered client_id gets no id_token",
                AUTH_SECTION,
                SEC_AUTH_URL,
                "client_id: REQUIRED. The Tool's Client ID for this issuer. OIDC Core 3.1.2.2: the Authorization Server MUST verify that the client_id is valid.",
                AUTH_TAGS,
            ),
            run: |fx, cx| {
                negative(
                    fx,
                    cx,
                    "client_id unknown",
                    |p| with(p, "client_id", Some("accredit-unregistered-client")),
                    false,
                )
                .boxed()
            },
        },
        Case {
            meta: CaseMeta {
                spec_document: "LTI Core 1.3",
                ..hx(
                    "lti.platform.oidc.deployment-id",
                    "The login's lti_deployment_id is the id_token's deployment_id",
                    "4.1.2 Deployment ID / login initiation lti_deployment_id",
                    "https://www.imsglobal.org/spec/lti/v1p3/#lti_deployment_id-login-parameter",
                    "lti_deployment_id: the new optional parameter lti_deployment_id that if included, MUST contain the same deployment id that would be passed in the https://purl.imsglobal.org/spec/lti/claim/deployment_id claim for the subsequent LTI message launch.",
                    &["oidc", "extension"],
                )
            },
            run: |fx, cx| deployment_id(fx, cx).boxed(),
        },
        Case {
            meta: hx(
                "lti.platform.jwks",
                "The platform JWKS: {\"keys\": [...]}, kid/kty/n/e on every key, no private member",
                "6.3 Key Set URL / 6.4 JSON Web Key",
                "https://www.imsglobal.org/spec/security/v1p0/#h_key-set-url",
                "The key set URL returns a JWK Set (RFC 7517). Each JWK MUST have a kid; a key MUST NOT be published with its private members; RS256 is the expected algorithm.",
                &["security", "extension"],
            ),
            run: |fx, cx| jwks(fx, cx).boxed(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::super::fixture::param;
    use super::*;
    use serde_json::json;

    fn outcome(body: Value) -> Outcome {
        let mut v = Verdict::new();
        judge_jwks(&mut v, &body);
        v.outcome()
    }

    #[test]
    fn jwks_rules() {
        let key = accredit_core::jose::SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
        let good = serde_json::to_value(key.jwks().unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outcome(good.clone()), Outcome::Pass);
        let mut leaked = good.clone();
        leaked["keys"][0]["d"] = json!("secret");
        assert_eq!(outcome(leaked), Outcome::Fail);
        let mut no_kid = good.clone();
        if let Some(o) = no_kid["keys"][0].as_object_mut() {
            o.remove("kid");
        }
        assert_eq!(outcome(no_kid), Outcome::Fail);
        let mut no_alg = good.clone();
        if let Some(o) = no_alg["keys"][0].as_object_mut() {
            o.remove("alg");
        }
        assert_eq!(outcome(no_alg), Outcome::Warn);
        let mut twice = good.clone();
        let k = twice["keys"][0].clone();
        if let Some(a) = twice["keys"].as_array_mut() {
            a.push(k);
        }
        assert_eq!(outcome(twice), Outcome::Fail);
        assert_eq!(outcome(json!({"keys": []})), Outcome::Fail);
        assert_eq!(outcome(json!([good])), Outcome::Fail);
    }

    #[test]
    fn params_are_replaced_or_removed() {
        let p = vec![
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "2".to_string()),
        ];
        assert_eq!(param(&with(p.clone(), "a", Some("x")), "a"), Some("x"));
        assert_eq!(param(&with(p, "a", None), "a"), None);
    }
}
