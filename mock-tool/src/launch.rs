//! Login initiation and launch validation: the heart of the reference tool.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::Value;

use accredit_core::jose::{self, ClaimRules, JoseError, JwkSet, SigningKey, VerifyPolicy};

use crate::{Fault, Pending, SUCCESS_MARKER, Shared, html_escape, lock};

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";
/// How long a login may wait for its launch, and a used nonce is remembered.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// How long the platform's JWKS is cached.
const JWKS_TTL: Duration = Duration::from_secs(300);
/// Bound on stored logins and nonces (oldest dropped first).
const MAX_ENTRIES: usize = 10_000;
/// Prefix of the state cookie's name; the state itself follows, so several
/// launches in one browser do not overwrite each other.
pub(crate) const STATE_COOKIE_PREFIX: &str = "lti1p3_state_";

/// A refusal: HTTP status and reason, shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) reason: String,
}

fn refuse(status: StatusCode, reason: impl Into<String>) -> Refusal {
    Refusal {
        status,
        reason: reason.into(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>LTI launch refused</title></head>\
             <body><h1>LTI launch refused</h1><p>{}</p></body></html>",
            html_escape(&self.reason)
        );
        (
            self.status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response()
    }
}

fn params_of(method: &Method, query: Option<String>, body: &[u8]) -> Vec<(String, String)> {
    let bytes = if method == Method::POST {
        body.to_vec()
    } else {
        query.unwrap_or_default().into_bytes()
    };
    url::form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

pub(crate) async fn index(State(s): State<Arc<Shared>>) -> Response {
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>accredit reference tool</title></head><body>\
         <h1>accredit reference LTI 1.3 tool</h1><p>login: <code>{}</code><br>launch: <code>{}</code><br>JWKS: <code>{}</code></p></body></html>",
        html_escape(&s.urls.login_url),
        html_escape(&s.urls.launch_url),
        html_escape(&s.urls.jwks_url)
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// The tool's key set (`{"keys": [...]}`, public members only). Two faults
/// break it the ways the Security Framework forbids: a key without `kid`
/// ([`Fault::JwksWithoutKid`]), and the private members published beside the
/// public ones ([`Fault::JwksLeaksPrivateKey`], the real private key, so a
/// reader could forge the tool's signatures).
pub(crate) async fn jwks(State(s): State<Arc<Shared>>) -> Response {
    if !s.has(Fault::JwksWithoutKid) && !s.has(Fault::JwksLeaksPrivateKey) {
        return Json(s.jwks.clone()).into_response();
    }
    let mut set = s.jwks.clone();
    for key in &mut set.keys {
        if s.has(Fault::JwksWithoutKid) {
            key.kid = None;
        }
        if s.has(Fault::JwksLeaksPrivateKey) {
            match private_members(&s.key) {
                Ok(members) => key.extra.extend(members),
                Err(e) => {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("cannot export the private key: {e}"),
                    )
                        .into_response();
                }
            }
        }
    }
    Json(set).into_response()
}

/// The RSA private members of `key` as JWK members (RFC 7518 §6.3.2).
fn private_members(key: &SigningKey) -> Result<Vec<(String, Value)>, String> {
    let pem = key.to_pem().map_err(|e| e.to_string())?;
    let rsa = openssl::rsa::Rsa::private_key_from_pem(&pem).map_err(|e| e.to_string())?;
    let b64 = |n: Option<&openssl::bn::BigNumRef>| {
        Value::String(n.map(|n| jose::b64url(&n.to_vec())).unwrap_or_default())
    };
    Ok(vec![
        ("d".into(), b64(Some(rsa.d()))),
        ("p".into(), b64(rsa.p())),
        ("q".into(), b64(rsa.q())),
        ("dp".into(), b64(rsa.dmp1())),
        ("dq".into(), b64(rsa.dmq1())),
        ("qi".into(), b64(rsa.iqmp())),
    ])
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

fn prune<T>(map: &mut std::collections::HashMap<String, T>, created: impl Fn(&T) -> Instant) {
    map.retain(|_, v| created(v).elapsed() < PENDING_TTL);
    while map.len() >= MAX_ENTRIES {
        let oldest = map
            .iter()
            .min_by_key(|(_, v)| created(v))
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => {
                map.remove(&k);
            }
            None => break,
        }
    }
}

/// Checks the login initiation parameters against the registration.
fn check_login(s: &Shared, params: &[(String, String)]) -> Result<(String, String), Refusal> {
    let reg = &s.config.registration;
    let iss =
        param(params, "iss").ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "`iss` is missing"))?;
    if iss != reg.issuer {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "unknown issuer `{iss}` (this tool is registered with `{}`)",
                reg.issuer
            ),
        ));
    }
    let login_hint = param(params, "login_hint")
        .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "`login_hint` is missing"))?;
    let target = param(params, "target_link_uri")
        .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "`target_link_uri` is missing"))?;
    if let Some(c) = param(params, "client_id")
        && c != reg.client_id
    {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("unknown client_id `{c}` for issuer `{iss}`"),
        ));
    }
    if let Some(d) = param(params, "lti_deployment_id")
        && !reg.deployment_ids.iter().any(|x| x == d)
    {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("unknown lti_deployment_id `{d}`"),
        ));
    }
    Ok((login_hint.to_string(), target.to_string()))
}

fn state_cookie(s: &Shared, state: &str) -> String {
    // Partitioned (CHIPS): kept by browsers that block third-party cookies,
    // in the partition of the platform page the tool is framed in.
    let site = if s.secure_cookies {
        "SameSite=None; Secure; Partitioned"
    } else {
        "SameSite=Lax"
    };
    format!(
        "{STATE_COOKIE_PREFIX}{state}={state}; Path=/; HttpOnly; Max-Age={}; {site}",
        PENDING_TTL.as_secs()
    )
}

/// OIDC third-party-initiated login (GET or POST).
pub(crate) async fn login(
    State(s): State<Arc<Shared>>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = params_of(&method, query, &body);
    let (login_hint, target) = match check_login(&s, &params) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let reg = &s.config.registration;
    let mut url = match url::Url::parse(&reg.auth_url) {
        Ok(u) => u,
        Err(e) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("misconfigured platform auth URL: {e}"),
            )
            .into_response();
        }
    };
    let target = if s.has(Fault::DropTargetQuery) {
        target.split('?').next().unwrap_or_default().to_string()
    } else {
        target
    };
    let state = new_id("st-");
    let nonce = new_id("no-");
    {
        let mut pending = lock(&s.pending);
        prune(&mut pending, |p| p.created);
        pending.insert(
            state.clone(),
            Pending {
                nonce: nonce.clone(),
                target_link_uri: target,
                created: Instant::now(),
            },
        );
    }
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("scope", "openid")
            .append_pair("response_type", "id_token")
            .append_pair("response_mode", "form_post")
            .append_pair("prompt", "none")
            .append_pair("client_id", &reg.client_id)
            .append_pair("redirect_uri", &s.urls.launch_url)
            .append_pair("login_hint", &login_hint);
        if let Some(h) = params.iter().find(|(k, _)| k == "lti_message_hint")
            && !s.has(Fault::DropMessageHint)
        {
            q.append_pair("lti_message_hint", &h.1);
        }
        q.append_pair("state", &state).append_pair("nonce", &nonce);
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, url.to_string()),
            (header::SET_COOKIE, state_cookie(&s, &state)),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

fn cookie_has_state(headers: &HeaderMap, state: &str) -> bool {
    let name = format!("{STATE_COOKIE_PREFIX}{state}");
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(k, v)| k == name && v == state)
}

async fn fetch_platform_keys(s: &Shared) -> Result<JwkSet, Refusal> {
    let url = &s.config.registration.jwks_url;
    let fail = |why: String| {
        refuse(
            StatusCode::UNAUTHORIZED,
            format!("cannot verify the id_token: platform JWKS {url}: {why}"),
        )
    };
    let resp = s
        .http
        .get(url)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(fail(format!("HTTP {}", resp.status())));
    }
    let set: JwkSet = resp.json().await.map_err(|e| fail(e.to_string()))?;
    *lock(&s.platform_keys) = Some((set.clone(), Instant::now()));
    Ok(set)
}

fn cached_keys(s: &Shared) -> Option<JwkSet> {
    lock(&s.platform_keys)
        .as_ref()
        .filter(|(_, at)| at.elapsed() < JWKS_TTL)
        .map(|(k, _)| k.clone())
}

fn token_refusal(e: JoseError) -> Refusal {
    refuse(StatusCode::UNAUTHORIZED, format!("invalid id_token: {e}"))
}

/// Signature, alg and kid; re-fetches the JWKS once on an unknown kid (key rotation).
async fn verified_claims(s: &Shared, token: &str) -> Result<Value, Refusal> {
    let policy = VerifyPolicy::default();
    let (mut keys, fresh) = match cached_keys(s) {
        Some(k) => (k, false),
        None => (fetch_platform_keys(s).await?, true),
    };
    let mut result = jose::verify(token, &keys, &policy);
    if matches!(result, Err(JoseError::UnknownKid(_))) && !fresh && !s.has(Fault::NoJwksRefetch) {
        keys = fetch_platform_keys(s).await?;
        result = jose::verify(token, &keys, &policy);
    }
    let unverified = || {
        jose::decode_unverified(token)
            .map(|d| d.claims)
            .map_err(token_refusal)
    };
    match result {
        Ok(v) => Ok(v.claims),
        Err(JoseError::BadSignature) if s.has(Fault::SkipSignatureCheck) => unverified(),
        Err(JoseError::AlgNone) if s.has(Fault::AcceptAlgNone) => unverified(),
        Err(JoseError::SymmetricAlg(_)) if s.has(Fault::AcceptHs256) => {
            // The classic key-confusion bug: the key chosen by kid, fed to HMAC as text.
            let kid = jose::decode_unverified(token)
                .ok()
                .and_then(|d| {
                    d.header
                        .get("kid")
                        .and_then(Value::as_str)
                        .map(String::from)
                })
                .unwrap_or_default();
            let pem = keys
                .find(&kid)
                .ok_or_else(|| token_refusal(JoseError::UnknownKid(kid.clone())))?
                .rsa_public_pem()
                .map_err(token_refusal)?;
            jose::verify_hs256_insecure(token, &pem)
                .map(|d| d.claims)
                .map_err(token_refusal)
        }
        Err(e) => Err(token_refusal(e)),
    }
}

fn claim_str<'a>(claims: &'a Value, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

fn bad(reason: String) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, reason)
}

/// The LTI message claims (LTI Core 1.3 §5.3).
fn check_lti_claims(s: &Shared, claims: &Value, pending: &Pending) -> Result<(), Refusal> {
    let c = |n: &str| format!("{LTI}{n}");
    let deep_link = match claim_str(claims, &c("message_type")) {
        Some("LtiResourceLinkRequest") => false,
        Some("LtiDeepLinkingRequest") => true,
        Some(other) => return Err(bad(format!("unsupported message_type `{other}`"))),
        None => return Err(bad("the message_type claim is missing".into())),
    };
    match claim_str(claims, &c("version")) {
        Some("1.3.0") => {}
        Some(other) => return Err(bad(format!("LTI version `{other}` is not 1.3.0"))),
        None => return Err(bad("the version claim is missing".into())),
    }
    let deployment = claim_str(claims, &c("deployment_id"))
        .ok_or_else(|| bad("the deployment_id claim is missing".into()))?;
    if !s.has(Fault::AcceptUnknownDeployment)
        && !s
            .config
            .registration
            .deployment_ids
            .iter()
            .any(|d| d == deployment)
    {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            format!("unknown deployment_id `{deployment}`"),
        ));
    }
    match claims.get("sub") {
        None => {} // anonymous launch (LTI Core 5.3.6.1)
        Some(Value::String(sub)) if !sub.is_empty() && sub.len() <= 255 => {}
        Some(_) => {
            return Err(bad(
                "`sub` must be a non-empty string of at most 255 characters".into(),
            ));
        }
    }
    let roles_ok = claims
        .get(c("roles"))
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().all(Value::is_string));
    if !roles_ok {
        return Err(bad(
            "the roles claim is missing or not an array of strings".into()
        ));
    }
    if deep_link {
        let settings = claims.get(format!("{DL}deep_linking_settings"));
        let return_ok = settings
            .and_then(|st| st.get("deep_link_return_url"))
            .and_then(Value::as_str)
            .is_some_and(|u| url::Url::parse(u).is_ok());
        let types_ok = settings
            .and_then(|st| st.get("accept_types"))
            .is_some_and(Value::is_array);
        if !return_ok || !types_ok {
            return Err(bad(
                "deep_linking_settings must hold a deep_link_return_url and accept_types".into(),
            ));
        }
        return check_target(claims, pending);
    }
    let rl_ok = claims
        .get(c("resource_link"))
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .is_some_and(|id| !id.is_empty());
    if !rl_ok {
        return Err(bad("the resource_link claim or its id is missing".into()));
    }
    check_target(claims, pending)
}

fn check_target(claims: &Value, pending: &Pending) -> Result<(), Refusal> {
    match claim_str(claims, &format!("{LTI}target_link_uri")) {
        Some(t) if t == pending.target_link_uri => Ok(()),
        Some(t) => Err(bad(format!(
            "target_link_uri claim `{t}` differs from the login's `{}`",
            pending.target_link_uri
        ))),
        None => Err(bad("the target_link_uri claim is missing".into())),
    }
}

fn check_replay(s: &Shared, claims: &Value) -> Result<(), Refusal> {
    if s.has(Fault::IgnoreNonce) {
        return Ok(());
    }
    let nonce = claim_str(claims, "nonce").unwrap_or_default().to_string();
    let mut used = lock(&s.used_nonces);
    prune(&mut used, |at| *at);
    if used.contains_key(&nonce) {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            format!("nonce `{nonce}` was already used (replay)"),
        ));
    }
    used.insert(nonce, Instant::now());
    Ok(())
}

async fn validate_launch(
    s: &Shared,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Result<Value, Refusal> {
    if s.has(Fault::RefuseAllLaunches) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "this tool refuses every launch (injected fault)",
        ));
    }
    let state = param(params, "state").ok_or_else(|| bad("`state` is missing".into()))?;
    let token = param(params, "id_token").ok_or_else(|| bad("`id_token` is missing".into()))?;
    let pending = if s.has(Fault::NoStateCheck) {
        pending_without_state_check(s, state, token)?
    } else {
        if !cookie_has_state(headers, state) {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                "the state cookie set at login was not sent back (cookies blocked, or a forged state)",
            ));
        }
        lock(&s.pending).remove(state).ok_or_else(|| {
            refuse(
                StatusCode::UNAUTHORIZED,
                "unknown, expired or already used state",
            )
        })?
    };
    let claims = verified_claims(s, token).await?;
    let reg = &s.config.registration;
    let loose_aud = s.has(Fault::IgnoreAzp) || s.has(Fault::IgnoreAudience);
    let loose_iss = s.has(Fault::IgnoreIssuer) || s.has(Fault::LenientIssuer);
    let loose_nonce = s.has(Fault::IgnoreNonce) || s.has(Fault::NonceUnbound);
    let leeway = if s.has(Fault::NoLeeway) {
        0
    } else if s.has(Fault::ExcessiveLeeway) {
        3600
    } else {
        s.config.leeway_secs
    };
    let rules = ClaimRules {
        issuer: (!loose_iss).then(|| reg.issuer.clone()),
        audience: (!loose_aud).then(|| reg.client_id.clone()),
        nonce: (!loose_nonce).then(|| pending.nonce.clone()),
        leeway,
        check_exp: !s.has(Fault::AcceptExpired),
        check_iat: true,
        max_age: None,
        now: None,
    };
    check_faulty_claims(s, &claims, &pending)?;
    jose::check_claims(&claims, &rules).map_err(token_refusal)?;
    check_replay(s, &claims)?;
    check_lti_claims(s, &claims, &pending)?;
    Ok(claims)
}

/// The `NoStateCheck` fault: any state is taken, the login is found by the
/// token's (unverified) nonce, as state-less tools do.
fn pending_without_state_check(s: &Shared, state: &str, token: &str) -> Result<Pending, Refusal> {
    let mut pending = lock(&s.pending);
    if let Some(p) = pending.remove(state) {
        return Ok(p);
    }
    let nonce = jose::decode_unverified(token)
        .ok()
        .and_then(|d| {
            d.claims
                .get("nonce")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .unwrap_or_default();
    let key = pending
        .iter()
        .find(|(_, p)| p.nonce == nonce)
        .map(|(k, _)| k.clone());
    key.and_then(|k| pending.remove(&k)).ok_or_else(|| {
        refuse(
            StatusCode::UNAUTHORIZED,
            "no login matches this launch (injected fault: state not checked)",
        )
    })
}

/// The weakened checks some faults put in place of the strict ones.
fn check_faulty_claims(s: &Shared, claims: &Value, pending: &Pending) -> Result<(), Refusal> {
    let reg = &s.config.registration;
    if s.has(Fault::IgnoreAzp) && !s.has(Fault::IgnoreAudience) {
        let ok = match claims.get("aud") {
            Some(Value::String(a)) => *a == reg.client_id,
            Some(Value::Array(items)) => items.iter().any(|a| a.as_str() == Some(&reg.client_id)),
            _ => false,
        };
        if !ok {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                "`aud` lacks the client_id",
            ));
        }
    }
    if s.has(Fault::LenientIssuer) && !s.has(Fault::IgnoreIssuer) {
        let iss = claim_str(claims, "iss").unwrap_or_default();
        if iss.trim_end_matches('/') != reg.issuer.trim_end_matches('/') {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                format!("unknown issuer `{iss}`"),
            ));
        }
    }
    if s.has(Fault::NonceUnbound) && !s.has(Fault::IgnoreNonce) {
        let nonce = claim_str(claims, "nonce").unwrap_or_default();
        let issued = nonce == pending.nonce || lock(&s.pending).values().any(|p| p.nonce == nonce);
        if !issued {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                format!("nonce `{nonce}` was not issued by this tool"),
            ));
        }
    }
    Ok(())
}

fn success_page(claims: &Value, services: &str) -> String {
    let c = |n: &str| claims.get(format!("{LTI}{n}"));
    let user = claim_str(claims, "name")
        .or_else(|| claim_str(claims, "email"))
        .or_else(|| claim_str(claims, "sub"))
        .unwrap_or("anonymous");
    let roles: Vec<&str> = c("roles")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let context = c("context")
        .and_then(|x| x.get("title").or_else(|| x.get("id")))
        .and_then(Value::as_str)
        .unwrap_or("(no context)");
    let link = c("resource_link")
        .and_then(|x| x.get("title").or_else(|| x.get("id")))
        .and_then(Value::as_str)
        .unwrap_or("");
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{SUCCESS_MARKER}</title></head><body>\
         <h1>{SUCCESS_MARKER}</h1><p>User: <span id=\"user\">{}</span> (sub {})</p>\
         <p>Roles: <span id=\"roles\">{}</span></p><p>Context: <span id=\"context\">{}</span></p>\
         <p>Resource link: {}</p><p id=\"services\">{}</p></body></html>",
        html_escape(user),
        html_escape(claim_str(claims, "sub").unwrap_or("-")),
        html_escape(&roles.join(", ")),
        html_escape(context),
        html_escape(link),
        html_escape(services)
    )
}

/// The query parameter (`name=value`) that marks a Deep Linking launch as a
/// cancelled selection: a Deep Linking request whose `target_link_uri` carries
/// it (e.g. `<launch_url>?dl_action=cancel`) is answered as if the user had
/// pressed "cancel" in a picker: a response with no content items (DL §2.3,
/// "even if the user selects or creates no items").
///
/// Why a URL: a harness cannot press a button in a tool's picker, so the tool
/// documents a launch target that behaves like the cancel button, and the
/// `lti-tool` profile names it (`dl_cancel_url`).
pub const DL_CANCEL_QUERY: &str = "dl_action=cancel";

/// Whether the (verified) request targets the cancel URL ([`DL_CANCEL_QUERY`]).
fn cancelled(request: &Value) -> bool {
    let Some((name, value)) = DL_CANCEL_QUERY.split_once('=') else {
        return false;
    };
    claim_str(request, &format!("{LTI}target_link_uri"))
        .and_then(|t| url::Url::parse(t).ok())
        .is_some_and(|u| u.query_pairs().any(|(k, v)| k == name && v == value))
}

/// The items the reference tool "selects" for a Deep Linking request: one item
/// of a type the request accepts (`ltiResourceLink` pointing at the tool's own
/// launch URL when accepted, else a plain `link` to the tool's home page, else
/// nothing), never more than one, so `accept_multiple` is always honoured.
/// A cancelled selection ([`DL_CANCEL_QUERY`]) is empty.
fn selected_items(s: &Shared, settings: &Value, cancel: bool) -> Value {
    if cancel {
        return serde_json::json!([]);
    }
    let accepts = |t: &str| {
        settings
            .get("accept_types")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(t)))
    };
    let resource_link = s.has(Fault::IgnoresAcceptTypes) || accepts("ltiResourceLink");
    if !resource_link && !accepts("link") {
        return serde_json::json!([]);
    }
    let item = |n: u32| {
        if resource_link {
            serde_json::json!({
                "type": "ltiResourceLink",
                "title": format!("accredit reference activity {n}"),
                "url": s.urls.launch_url,
                "custom": {"accredit_item": format!("reference-activity-{n}")},
            })
        } else {
            serde_json::json!({
                "type": "link",
                "title": format!("accredit reference page {n}"),
                "url": format!("{}/", s.urls.base_url.trim_end_matches('/')),
            })
        }
    };
    let count = if s.has(Fault::IgnoresAcceptMultiple) {
        2
    } else {
        1
    };
    Value::Array((1..=count).map(item).collect())
}

/// The answer to a validated `LtiDeepLinkingRequest` (Deep Linking 2.0 §4.5):
/// an auto-submitting form posting the signed response to `deep_link_return_url`,
/// with the items of [`selected_items`]. With [`Fault::NoResponseOnCancel`], a
/// cancelled selection is a dead-end page instead (nothing posted).
fn deep_link_response(s: &Shared, request: &Value) -> Result<String, Refusal> {
    let settings = request
        .get(format!("{DL}deep_linking_settings"))
        .cloned()
        .unwrap_or(Value::Null);
    let return_url = settings
        .get("deep_link_return_url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let cancel = cancelled(request);
    if cancel && s.has(Fault::NoResponseOnCancel) {
        return Ok("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Selection cancelled</title></head>\
                   <body><h1>Selection cancelled</h1><p>You may close this window.</p></body></html>"
            .to_string());
    }
    let reg = &s.config.registration;
    let now = jose::now_secs();
    let items = selected_items(s, &settings, cancel);
    let mut claims = serde_json::json!({
        "iss": reg.client_id,
        "aud": if s.has(Fault::DlWrongAudience) { reg.client_id.clone() } else { reg.issuer.clone() },
        "iat": now,
        "exp": now + 300,
        "nonce": new_id("dl-"),
        format!("{LTI}message_type"): "LtiDeepLinkingResponse",
        format!("{LTI}version"): "1.3.0",
        format!("{LTI}deployment_id"): request.get(format!("{LTI}deployment_id")).cloned().unwrap_or(Value::Null),
        format!("{DL}content_items"): items,
    });
    if let (Some(data), Some(obj)) = (settings.get("data"), claims.as_object_mut())
        && !s.has(Fault::DlNoData)
    {
        obj.insert(format!("{DL}data"), data.clone());
    }
    let signed = if s.has(Fault::DlForeignKey) {
        SigningKey::generate().and_then(|k| jose::sign_rs256(&claims, &k.with_kid(s.key.kid())))
    } else {
        jose::sign_rs256(&claims, &s.key)
    };
    let jwt = signed.map_err(|e| {
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("could not sign the Deep Linking response: {e}"),
        )
    })?;
    Ok(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Returning your selection</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">\
         <input type=\"hidden\" name=\"JWT\" value=\"{}\"/>\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        html_escape(&return_url),
        html_escape(&jwt)
    ))
}

/// The launch (redirect_uri): POST `id_token` and `state`.
pub(crate) async fn launch(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = params_of(&Method::POST, None, &body);
    match validate_launch(&s, &headers, &params).await {
        Ok(claims)
            if claim_str(&claims, &format!("{LTI}message_type"))
                == Some("LtiDeepLinkingRequest") =>
        {
            match deep_link_response(&s, &claims) {
                Ok(page) => (
                    StatusCode::OK,
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-store"),
                    ],
                    page,
                )
                    .into_response(),
                Err(r) => r.into_response(),
            }
        }
        Ok(claims) => {
            let mut members = match crate::services::memberships_url(&claims) {
                None => String::new(),
                Some(url) => match crate::services::all_members(&s, &url).await {
                    Ok(m) => format!("Members: {}", m.len()),
                    Err(e) => format!("Members unavailable: {e}"),
                },
            };
            if let Some(ags) = crate::ags::claim(&claims) {
                let line = match crate::ags::grade(&s, &ags, &claims).await {
                    Ok(l) => l,
                    Err(e) => format!("Grades unavailable: {e}"),
                };
                members = [members, line]
                    .into_iter()
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ");
            }
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                success_page(&claims, &members),
            )
                .into_response()
        }
        Err(r) => {
            tracing::debug!(status = %r.status, reason = %r.reason, "launch refused");
            r.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::exact("lti1p3_state_st-1=st-1", true)]
    #[case::among_others("a=b; lti1p3_state_st-1=st-1; c=d", true)]
    #[case::other_state("lti1p3_state_st-2=st-2", false)]
    #[case::wrong_value("lti1p3_state_st-1=st-2", false)]
    #[case::none("", false)]
    fn state_cookie_is_matched_exactly(#[case] cookie: &str, #[case] ok: bool) {
        let mut h = HeaderMap::new();
        if let Ok(v) = cookie.parse() {
            h.insert(header::COOKIE, v);
        }
        assert_eq!(cookie_has_state(&h, "st-1"), ok);
    }

    #[test]
    fn success_page_escapes_candidate_text() {
        let page = success_page(
            &serde_json::json!({"name": "<script>x</script>", "sub": "u"}),
            "",
        );
        assert!(page.contains(SUCCESS_MARKER));
        assert!(page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>"));
    }
}
