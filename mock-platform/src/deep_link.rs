//! The Deep Linking return endpoint: where a tool posts its
//! `LtiDeepLinkingResponse` (Deep Linking 2.0 §2.3, §4.5).
//!
//! Why it judges and records instead of only answering: the tool's response is
//! the evidence for CERT §6.2 ("Response Format Valid", "Response Timestamps
//! Valid", "Signature Valid", "Required Claims Verified"). Each rule is one named
//! check, kept under the `attempt` query parameter of the return URL (the suite
//! puts its login_hint there, so parallel cases never mix their responses; a
//! tool MUST post to `deep_link_return_url` as given, query included).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use accredit_core::jose::{self, ClaimRules, JwkSet, VerifyPolicy};

use crate::plan::{self, LaunchPlan};
use crate::{Shared, html_escape};

/// Path of the Deep Linking return endpoint.
pub const DL_RETURN_PATH: &str = "/lti/dl/return";
/// Claim prefix of Deep Linking 2.0.
pub const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";
const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";

/// One rule applied to a Deep Linking response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCheck {
    /// What the rule checks.
    pub name: String,
    /// Whether it held.
    pub ok: bool,
    /// Why not (empty when it held).
    pub detail: String,
}

/// A Deep Linking response as received and judged.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepLinkReturn {
    /// The `JWT` form field, when present.
    pub jwt: Option<String>,
    /// Its claims, decoded without verification (for evidence and messages).
    pub claims: Option<Value>,
    /// Every rule, in order.
    pub checks: Vec<RuleCheck>,
}

impl DeepLinkReturn {
    fn check(&mut self, name: &str, ok: bool, detail: impl Into<String>) {
        self.checks.push(RuleCheck {
            name: name.into(),
            ok,
            detail: if ok { String::new() } else { detail.into() },
        });
    }

    /// Whether every rule held.
    pub fn valid(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Names of the rules, in the order they are recorded.
pub const DL_CHECKS: [&str; 10] = [
    "signature: RS256 with a kid found in the tool's JWKS",
    "iss is the tool's client_id",
    "aud is the platform issuer",
    "timestamps: iat not in the future, exp not passed",
    "nonce present",
    "message_type is LtiDeepLinkingResponse",
    "version is 1.3.0",
    "deployment_id is the request's",
    "data echoed unaltered",
    "content_items well-formed and of accepted types",
];

fn attempt_of(query: Option<&str>) -> String {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "attempt")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub(crate) async fn tool_keys(s: &Shared, client_id: &str) -> Result<JwkSet, String> {
    let url = s
        .config
        .client(client_id)
        .and_then(|c| c.jwks_url.clone())
        .ok_or_else(|| format!("no JWKS URL is registered for client `{client_id}`"))?;
    let resp = s
        .http
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("tool JWKS {url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("tool JWKS {url}: HTTP {}", resp.status()));
    }
    resp.json::<JwkSet>()
        .await
        .map_err(|e| format!("tool JWKS {url}: {e}"))
}

fn settings(plan: Option<&LaunchPlan>) -> Option<&Value> {
    plan.and_then(|p| p.claims.get(format!("{DL}deep_linking_settings")))
}

/// Content items (DL §3): an array of objects with a `type` the request accepts;
/// `link`, `file` and `image` need a `url`, `html` needs `html`.
fn content_items_problem(claims: &Value, accept: &[&str], multiple: bool) -> Option<String> {
    let items = match claims.get(format!("{DL}content_items")) {
        None | Some(Value::Null) => return None,
        Some(Value::Array(a)) => a,
        Some(_) => return Some("content_items is not an array".into()),
    };
    if !multiple && items.len() > 1 {
        return Some(format!(
            "{} items although accept_multiple is false",
            items.len()
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let Some(t) = item.get("type").and_then(Value::as_str) else {
            return Some(format!("item {i} has no `type`"));
        };
        if !accept.contains(&t) {
            return Some(format!(
                "item {i} has type `{t}`, not in accept_types {accept:?}"
            ));
        }
        let need = match t {
            "link" | "file" | "image" => Some("url"),
            "html" => Some("html"),
            _ => None,
        };
        if let Some(n) = need
            && item
                .get(n)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            return Some(format!("item {i} (`{t}`) has no `{n}`"));
        }
    }
    None
}

/// Judges one response against the request planned under `plan`.
pub(crate) async fn judge(
    s: &Shared,
    jwt: Option<String>,
    plan: Option<&LaunchPlan>,
) -> DeepLinkReturn {
    let mut r = DeepLinkReturn {
        jwt: jwt.clone(),
        claims: None,
        checks: Vec::new(),
    };
    let Some(token) = jwt else {
        for name in DL_CHECKS {
            r.check(name, false, "no `JWT` form field was posted");
        }
        return r;
    };
    let claims = match jose::decode_unverified(&token) {
        Ok(d) => d.claims,
        Err(e) => {
            for name in DL_CHECKS {
                r.check(name, false, format!("the JWT cannot be decoded: {e}"));
            }
            return r;
        }
    };
    r.claims = Some(claims.clone());
    let client_id = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let expected_client = plan
        .and_then(|p| p.claims.get("aud"))
        .and_then(Value::as_str);
    let sig = match tool_keys(s, expected_client.unwrap_or(&client_id)).await {
        Ok(keys) => jose::verify(&token, &keys, &VerifyPolicy::default())
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    r.check(DL_CHECKS[0], sig.is_ok(), sig.err().unwrap_or_default());
    let rule = |rules: ClaimRules| {
        jose::check_claims(&claims, &rules)
            .map_err(|e| e.to_string())
            .err()
    };
    let no_time = ClaimRules {
        check_exp: false,
        check_iat: false,
        ..ClaimRules::default()
    };
    let iss = match expected_client {
        Some(c) => rule(ClaimRules {
            issuer: Some(c.to_string()),
            ..no_time.clone()
        }),
        None => Some("no Deep Linking request was planned for this attempt".into()),
    };
    r.check(DL_CHECKS[1], iss.is_none(), iss.unwrap_or_default());
    let aud = rule(ClaimRules {
        audience: Some(s.config.issuer.clone()),
        ..no_time.clone()
    });
    r.check(DL_CHECKS[2], aud.is_none(), aud.unwrap_or_default());
    let times = rule(ClaimRules::default());
    r.check(DL_CHECKS[3], times.is_none(), times.unwrap_or_default());
    let nonce_ok = claims
        .get("nonce")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    r.check(DL_CHECKS[4], nonce_ok, "`nonce` is missing or empty");
    let str_claim = |name: &str| claims.get(format!("{LTI}{name}")).and_then(Value::as_str);
    let mt = str_claim("message_type");
    r.check(
        DL_CHECKS[5],
        mt == Some("LtiDeepLinkingResponse"),
        format!("message_type is {mt:?}"),
    );
    let version = str_claim("version");
    r.check(
        DL_CHECKS[6],
        version == Some("1.3.0"),
        format!("version is {version:?}"),
    );
    let want_dep = plan.and_then(|p| p.claims.get(format!("{LTI}deployment_id")));
    let got_dep = claims.get(format!("{LTI}deployment_id"));
    r.check(
        DL_CHECKS[7],
        want_dep.is_some() && want_dep == got_dep,
        format!("deployment_id is {got_dep:?}, the request's is {want_dep:?}"),
    );
    let settings = settings(plan);
    let want_data = settings.and_then(|st| st.get("data"));
    let got_data = claims.get(format!("{DL}data"));
    r.check(
        DL_CHECKS[8],
        want_data.is_none() || want_data == got_data,
        format!("data is {got_data:?}, the request sent {want_data:?}"),
    );
    let accept: Vec<&str> = settings
        .and_then(|st| st.get("accept_types"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let multiple = settings
        .and_then(|st| st.get("accept_multiple"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let items = content_items_problem(&claims, &accept, multiple);
    r.check(DL_CHECKS[9], items.is_none(), items.unwrap_or_default());
    r
}

/// `POST /lti/dl/return?attempt=<login_hint>`: form field `JWT`. With
/// `?launch=<lti_message_hint>` (the return URL of a built-in launch) the response
/// is enforced by [`crate::reference::dl_return`] instead.
pub(crate) async fn dl_return(
    State(s): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let jwt = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "JWT")
        .map(|(_, v)| v.into_owned());
    let launch = url::form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "launch")
        .map(|(_, v)| v.into_owned());
    if let Some(launch) = launch {
        // A built-in launch of the reference platform: enforce, don't only judge.
        return crate::reference::dl_return(&s, &launch, jwt).await;
    }
    let attempt = attempt_of(query.as_deref());
    let planned = plan::lock(&s.plans).get(&attempt);
    let judged = judge(&s, jwt, planned.as_ref()).await;
    let status = if judged.valid() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let items: String = judged
        .checks
        .iter()
        .map(|c| {
            format!(
                "<li>{} {}{}</li>",
                if c.ok { "ok" } else { "FAILED" },
                html_escape(&c.name),
                if c.ok {
                    String::new()
                } else {
                    format!(": {}", html_escape(&c.detail))
                }
            )
        })
        .collect();
    plan::lock(&s.plans).record_deep_link(&attempt, judged);
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Deep Linking response</title></head>\
             <body><h1>Deep Linking response received</h1><ul>{items}</ul></body></html>"
        ),
    )
        .into_response()
}
