//! Reference-platform mode: launches the platform starts itself from its
//! built-in course data, a strict OIDC authentication endpoint for them, the
//! built-in NRPS memberships, and the enforcing Deep Linking return.
//!
//! Why a second mode beside launch plans: the `lti-platform` suite certifies an
//! LMS by playing the *tool*; to test that suite (and to demo it) accredit needs a
//! platform that behaves like a real, conformant one: it decides the claims, it
//! refuses bad authentication requests instead of only recording them, and it
//! refuses bad Deep Linking responses. Injected [`PlatformFault`]s break one rule
//! each so the suite can prove it sees every defect.
//!
//! Flow: `GET /lti/start?client_id=..&launch=<kind>` binds a fresh opaque
//! `login_hint` and `lti_message_hint` to the kind, the client and its deployment,
//! and answers `302` to the tool's login URL (third-party-initiated login). The
//! tool's authentication request is recognised by its `lti_message_hint`.
//!
//! Refusals: every invalid authentication request gets a **local `400` page**
//! (HTML when the client accepts it, else JSON `{"error", "error_description"}`)
//! carrying the OAuth 2.0 / OIDC error code (`invalid_request`,
//! `unsupported_response_type`, `invalid_scope`, `login_required`,
//! `unauthorized_client`). The platform never redirects or posts an error to a
//! redirect URI: for an unregistered one that is required (RFC 6749 §4.1.2.1), and
//! one behaviour for every refusal keeps the suite's judgement simple (no
//! id_token, no navigation to the tool).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use crate::course::{self, LaunchBinding, LaunchKind};
use crate::deep_link::{self, DL, DL_CHECKS, DeepLinkReturn, RuleCheck};
use crate::fault::PlatformFault;
use crate::plan::{self, AuthRequestSeen, Issued, LaunchPlan};
use crate::services::{NRPS_MEDIA_TYPE, NRPS_SCOPE, bearer, param, params};
use crate::{ClientRegistration, Shared, html_escape};

/// The deployment used when a registration lists none.
pub const DEFAULT_DEPLOYMENT_ID: &str = "deployment-1";
/// The opaque `since` of the NRPS differences link.
const SINCE: &str = "Snap-2026a";

/// State of the reference-platform mode.
#[derive(Default)]
pub(crate) struct Reference {
    /// Launches by `lti_message_hint`.
    launches: HashMap<String, LaunchBinding>,
    /// Claims of issued Deep Linking requests, by `lti_message_hint`.
    dl_requests: HashMap<String, Value>,
    /// Nonces of accepted Deep Linking responses (replay detection).
    dl_nonces: HashSet<String>,
    /// Every Deep Linking response posted to a built-in return URL.
    dl_returns: Vec<DeepLinkReturn>,
}

impl Reference {
    pub(crate) fn dl_returns(&self) -> Vec<DeepLinkReturn> {
        self.dl_returns.clone()
    }
    pub(crate) fn is_builtin(&self, message_hint: &str) -> bool {
        self.launches.contains_key(message_hint)
    }
}

fn local_error(
    headers: &HeaderMap,
    status: StatusCode,
    code: &str,
    problems: &[String],
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        let items: String = problems
            .iter()
            .map(|p| format!("<li>{}</li>", html_escape(p)))
            .collect();
        (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{code}</title></head><body>\
                 <h1>Launch refused</h1><p>error: <code>{code}</code></p><ul>{items}</ul></body></html>"
            ),
        )
            .into_response()
    } else {
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"error": code, "error_description": problems.join("; ")})),
        )
            .into_response()
    }
}

/// `GET /lti/start?client_id=..&launch=<kind>`: binds a launch and sends the
/// browser to the tool's login initiation URL.
pub(crate) fn start(
    s: &Shared,
    headers: &HeaderMap,
    client: &ClientRegistration,
    kind: &str,
) -> Response {
    let Some(kind) = LaunchKind::parse(kind) else {
        let known: Vec<&str> = LaunchKind::ALL.iter().map(|k| k.as_str()).collect();
        return local_error(
            headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &[format!(
                "unknown launch `{kind}` (known: {})",
                known.join(", ")
            )],
        );
    };
    let Some(login_url) = client.login_url.as_deref() else {
        return local_error(
            headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &[format!("client `{}` has no login_url", client.client_id)],
        );
    };
    let mut url = match url::Url::parse(login_url) {
        Ok(u) => u,
        Err(e) => {
            return local_error(
                headers,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &[format!("login_url `{login_url}` is not a URL: {e}")],
            );
        }
    };
    let login_hint = format!("lh-{}", uuid::Uuid::new_v4().simple());
    let message_hint = format!("mh-{}", uuid::Uuid::new_v4().simple());
    let deployment_id = client
        .deployment_ids
        .first()
        .cloned()
        .unwrap_or_else(|| DEFAULT_DEPLOYMENT_ID.to_string());
    let target_link_uri = crate::auth::target_of(client);
    let mut dl_return_url = format!(
        "{}{}?launch=",
        s.endpoints.base_url,
        deep_link::DL_RETURN_PATH
    );
    dl_return_url.extend(url::form_urlencoded::byte_serialize(
        message_hint.as_bytes(),
    ));
    let binding = LaunchBinding {
        kind,
        login_hint: login_hint.clone(),
        client_id: client.client_id.clone(),
        deployment_id: deployment_id.clone(),
        target_link_uri: target_link_uri.clone(),
        dl_return_url,
    };
    plan::lock(&s.reference)
        .launches
        .insert(message_hint.clone(), binding);
    url.query_pairs_mut()
        .append_pair("iss", &s.config.issuer)
        .append_pair("login_hint", &login_hint)
        .append_pair("target_link_uri", &target_link_uri)
        .append_pair("lti_message_hint", &message_hint)
        .append_pair("client_id", &client.client_id)
        .append_pair("lti_deployment_id", &deployment_id);
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, url.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

/// One refusal reason: the OAuth error code and the message.
type Problem = (&'static str, String);

/// Checks an authentication request against its launch binding (Security
/// Framework §5.1.1.2, OIDC Core §3.1.2.1), skipping what injected faults ignore.
fn problems(s: &Shared, p: &[(String, String)], b: &LaunchBinding) -> Vec<Problem> {
    let has = |f| s.config.has(f);
    let mut out: Vec<Problem> = Vec::new();
    let client_id = param(p, "client_id");
    let client = client_id.and_then(|id| s.config.client(id));
    match client_id {
        None => out.push(("invalid_request", "`client_id` is missing".into())),
        Some(id) if client.is_none() && !has(PlatformFault::AcceptsUnknownClient) => out.push((
            "unauthorized_client",
            format!("`client_id` `{id}` is not registered"),
        )),
        Some(id) if client.is_some() && id != b.client_id => out.push((
            "invalid_request",
            format!("`client_id` `{id}` is not the client this launch was started for"),
        )),
        Some(_) => {}
    }
    let registered = s.config.client(&b.client_id);
    match param(p, "redirect_uri") {
        None => out.push(("invalid_request", "`redirect_uri` is missing".into())),
        Some(uri)
            if !has(PlatformFault::AcceptsUnregisteredRedirectUri)
                && !registered.is_some_and(|c| {
                    c.redirect_uris
                        .iter()
                        .any(|r| crate::auth::same_uri(r, uri))
                }) =>
        {
            out.push((
                "invalid_request",
                format!("`redirect_uri` `{uri}` is not registered for this client"),
            ))
        }
        Some(_) => {}
    }
    let rt = param(p, "response_type");
    if rt != Some("id_token") && !has(PlatformFault::IgnoresResponseType) {
        out.push((
            "unsupported_response_type",
            format!("`response_type` is {rt:?}, must be `id_token`"),
        ));
    }
    let scope = param(p, "scope");
    if !scope.is_some_and(|v| v.split(' ').any(|x| x == "openid"))
        && !has(PlatformFault::IgnoresScope)
    {
        out.push((
            "invalid_scope",
            format!("`scope` is {scope:?}, must be `openid`"),
        ));
    }
    let mode = param(p, "response_mode");
    if mode != Some("form_post") {
        out.push((
            "invalid_request",
            format!("`response_mode` is {mode:?}, must be `form_post`"),
        ));
    }
    let prompt = param(p, "prompt");
    if prompt != Some("none") && !has(PlatformFault::IgnoresPrompt) {
        out.push((
            "invalid_request",
            format!("`prompt` is {prompt:?}, must be `none`"),
        ));
    }
    let hint = param(p, "login_hint");
    if hint != Some(b.login_hint.as_str()) && !has(PlatformFault::IgnoresLoginHint) {
        out.push((
            "login_required",
            format!("`login_hint` {hint:?} is not the user this launch was started for"),
        ));
    }
    if param(p, "nonce").is_none_or(str::is_empty) && !has(PlatformFault::NonceOptional) {
        out.push(("invalid_request", "`nonce` is missing or empty".into()));
    }
    if param(p, "state").is_none_or(str::is_empty) {
        out.push(("invalid_request", "`state` is missing or empty".into()));
    }
    out
}

/// The authentication request of a built-in launch (its `lti_message_hint`
/// names one): refuse or issue the id_token.
pub(crate) fn authorize(
    s: &Shared,
    method: &str,
    headers: &HeaderMap,
    p: &[(String, String)],
    message_hint: &str,
) -> Response {
    let Some(binding) = plan::lock(&s.reference).launches.get(message_hint).cloned() else {
        return local_error(
            headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &["unknown `lti_message_hint`".into()],
        );
    };
    let found = problems(s, p, &binding);
    let hint = param(p, "login_hint").unwrap_or_default().to_string();
    let messages: Vec<String> = found.iter().map(|(_, m)| m.clone()).collect();
    plan::lock(&s.plans).record_seen(
        &hint,
        AuthRequestSeen {
            method: method.to_string(),
            params: p.to_vec(),
            problems: messages.clone(),
        },
    );
    if let Some((code, _)) = found.first() {
        return local_error(headers, StatusCode::BAD_REQUEST, code, &messages);
    }
    let aud = param(p, "client_id").unwrap_or(&binding.client_id);
    let nonce = param(p, "nonce").filter(|n| !n.is_empty());
    let claims = course::claims(&s.config, &s.endpoints.base_url, &binding, aud, nonce);
    let id_token = match course::sign(&s.config, &claims, &s.key) {
        Ok(t) => t,
        Err(e) => {
            return local_error(
                headers,
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &[format!("the platform could not sign the id_token: {e}")],
            );
        }
    };
    if binding.kind == LaunchKind::DeepLinking {
        plan::lock(&s.reference)
            .dl_requests
            .insert(message_hint.to_string(), claims);
    }
    let state = param(p, "state").unwrap_or_default();
    let redirect_uri = param(p, "redirect_uri").unwrap_or_default();
    plan::lock(&s.plans).record_issued(
        &hint,
        Issued {
            id_token: id_token.clone(),
            state: state.to_string(),
            nonce: nonce.unwrap_or_default().to_string(),
            redirect_uri: redirect_uri.to_string(),
        },
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        crate::auth::form_post_page(redirect_uri, &id_token, state),
    )
        .into_response()
}

/// Checks of a Deep Linking response that each fault stops enforcing.
fn ignored_checks(s: &Shared) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (fault, idx) in [
        (PlatformFault::DlAcceptsWrongAud, &[1usize, 2][..]),
        (PlatformFault::DlAcceptsExpired, &[3][..]),
        (PlatformFault::DlAcceptsWrongDeployment, &[6, 7][..]),
        (PlatformFault::DlAcceptsMissingData, &[8][..]),
        (PlatformFault::DlAcceptsUnacceptedTypes, &[9][..]),
    ] {
        if s.config.has(fault) {
            out.extend(idx.iter().filter_map(|i| DL_CHECKS.get(*i).copied()));
        }
    }
    out
}

/// The name of the replay rule added to built-in Deep Linking checks.
pub const DL_REPLAY_CHECK: &str = "nonce not replayed";

/// `POST /lti/dl/return?launch=<lti_message_hint>`: enforces the rules on the
/// tool's `LtiDeepLinkingResponse` (Deep Linking 2.0 §4.5): 200 and a page
/// listing the created items, or 400 and the failed rules.
pub(crate) async fn dl_return(s: &Shared, launch: &str, jwt: Option<String>) -> Response {
    let request = plan::lock(&s.reference).dl_requests.get(launch).cloned();
    let Some(request) = request else {
        return dl_page(
            StatusCode::BAD_REQUEST,
            "Deep Linking response refused",
            "<li>no Deep Linking request was issued for this return URL</li>".into(),
        );
    };
    let mut judged = deep_link::judge(s, jwt, Some(&LaunchPlan::signed(request))).await;
    let ignored = ignored_checks(s);
    for c in &mut judged.checks {
        if ignored.contains(&c.name.as_str()) && !c.ok {
            c.ok = true;
            c.detail = String::new();
        }
    }
    let nonce = judged
        .claims
        .as_ref()
        .and_then(|c| c.get("nonce"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let replayed = !nonce.is_empty()
        && plan::lock(&s.reference).dl_nonces.contains(&nonce)
        && !s.config.has(PlatformFault::DlAcceptsReplay);
    judged.checks.push(RuleCheck {
        name: DL_REPLAY_CHECK.into(),
        ok: !replayed,
        detail: if replayed {
            format!("nonce `{nonce}` was already used by an accepted response")
        } else {
            String::new()
        },
    });
    if s.config.has(PlatformFault::DlRejectsValidResponse) {
        judged.checks.push(RuleCheck {
            name: "platform accepts responses".into(),
            ok: false,
            detail: "injected fault: every response is refused".into(),
        });
    }
    let valid = judged.valid();
    let resp = if valid {
        plan::lock(&s.reference).dl_nonces.insert(nonce);
        let items: String = judged
            .claims
            .as_ref()
            .and_then(|c| c.get(format!("{DL}content_items")))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| {
                let text = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or_default();
                format!(
                    "<li class=\"content-item\">{} <a href=\"{}\">{}</a></li>",
                    html_escape(text("type")),
                    html_escape(text("url")),
                    html_escape(if text("title").is_empty() {
                        text("url")
                    } else {
                        text("title")
                    })
                )
            })
            .collect();
        dl_page(StatusCode::OK, "Content added", items)
    } else {
        let items: String = judged
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| {
                format!(
                    "<li>{}: {}</li>",
                    html_escape(&c.name),
                    html_escape(&c.detail)
                )
            })
            .collect();
        dl_page(
            StatusCode::BAD_REQUEST,
            "Deep Linking response refused",
            items,
        )
    };
    plan::lock(&s.reference).dl_returns.push(judged);
    resp
}

fn dl_page(status: StatusCode, title: &str, items: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><h1>{title}</h1><ul>{items}</ul></body></html>"
        ),
    )
        .into_response()
}

fn opaque_cursor(n: usize) -> String {
    format!("Pg{n}Rk")
}

fn cursor_page(c: &str) -> Option<usize> {
    c.strip_prefix("Pg")?.strip_suffix("Rk")?.parse().ok()
}

fn has_role(member: &Value, role: &str) -> bool {
    member["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|r| r == role || r.rsplit_once('#').is_some_and(|(_, short)| short == role))
}

fn nrps_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `GET /lti/courses/{ctx}/memberships[?role=..][&rlid=..][&limit=..][&cursor=..][&since=..]`:
/// NRPS 2.0 memberships of a built-in context, behind the NRPS scope.
pub(crate) async fn memberships(
    State(s): State<Arc<Shared>>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let has = |f| s.config.has(f);
    let granted = plan::lock(&s.services).granted(&bearer(&headers));
    let Some(scopes) = granted
        .or_else(|| has(PlatformFault::AcceptsBadBearer).then(crate::fault::every_service_scope))
    else {
        return nrps_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the bearer token was not issued by this platform, or expired",
        );
    };
    if !scopes.iter().any(|x| x == NRPS_SCOPE) && !has(PlatformFault::ScopesNotEnforced) {
        return nrps_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the token was not granted the NRPS scope",
        );
    }
    let (Some(all), Some((title, label))) = (course::members(&ctx), course::context_info(&ctx))
    else {
        return nrps_error(StatusCode::NOT_FOUND, "not_found", "no such context");
    };
    let q = params(query.clone().unwrap_or_default().as_bytes());
    if let Some(rlid) = param(&q, "rlid")
        && rlid != course::resource_link_of(&ctx)
    {
        return nrps_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "`rlid` is not a resource link of this context",
        );
    }
    let base = format!(
        "{}{}/{ctx}/memberships",
        s.endpoints.base_url,
        course::COURSE_NRPS_PATH
    );
    let self_url = match &query {
        Some(q) if !q.is_empty() => format!("{base}?{q}"),
        _ => base.clone(),
    };
    let media = if has(PlatformFault::NrpsWrongMediaType) {
        "application/json"
    } else {
        NRPS_MEDIA_TYPE
    };
    let context = json!({"id": ctx, "label": label, "title": title});
    if let Some(since) = param(&q, "since") {
        if since != SINCE || has(PlatformFault::NrpsDifferencesBroken) {
            return nrps_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "unknown `since` snapshot",
            );
        }
        let body = json!({"id": self_url, "context": context,
                          "members": course::differences(&ctx).unwrap_or_default()});
        return ([(header::CONTENT_TYPE, media)], body.to_string()).into_response();
    }
    let role = param(&q, "role").filter(|_| !has(PlatformFault::NrpsRoleFilterIgnored));
    let filtered: Vec<Value> = all
        .into_iter()
        .filter(|m| role.is_none_or(|r| has_role(m, r)))
        .collect();
    let limit = param(&q, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .map(|l| l.clamp(1, 100));
    let page = match param(&q, "cursor") {
        None => 0,
        Some(c) => match cursor_page(c) {
            Some(p) => p,
            None => {
                return nrps_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "unknown cursor: follow the Link rel=\"next\" URL as given",
                );
            }
        },
    };
    let size = limit.unwrap_or(filtered.len().max(1));
    let members: Vec<Value> = filtered
        .iter()
        .skip(page * size)
        .take(size)
        .cloned()
        .collect();
    let mut links = Vec::new();
    if (page + 1) * size < filtered.len() && !has(PlatformFault::NrpsNoLinkHeader) {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in q.iter().filter(|(k, _)| k != "cursor") {
            next.append_pair(k, v);
        }
        next.append_pair("cursor", &opaque_cursor(page + 1));
        links.push(format!("<{base}?{}>; rel=\"next\"", next.finish()));
    }
    links.push(format!("<{base}?since={SINCE}>; rel=\"differences\""));
    let body = json!({"id": self_url, "context": context, "members": members});
    let mut resp = ([(header::CONTENT_TYPE, media)], body.to_string()).into_response();
    if let Ok(v) = links.join(", ").parse() {
        resp.headers_mut().insert(header::LINK, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(cursor_page(&opaque_cursor(4)), Some(4));
        assert_eq!(cursor_page("pg4rk"), None);
    }
}

// --- Optional login (require_login) -------------------------------------------
//
// Why: a real LMS starts launches behind its own login, from a link in a course
// page; the `lti-platform` suite's scripted-browser mode logs in, opens a page and
// clicks that link in Chromium. With [`crate::RunningPlatform::require_login`]
// the reference platform behaves the same way, so that mode is tested for real:
// `GET /login` is a plain form (`#username`, `#password`, `button[type=submit]`),
// `POST /login` sets an `HttpOnly` session cookie and shows `#dashboard`, and
// `GET /course/{kind}?client_id=..` (session required) holds one
// `<a id="launch-{kind}">` to the built-in start URL. Built-in start URLs then
// refuse requests without the session (401 `login_required`).

/// Where the login form is served (GET) and submitted (POST).
pub const LOGIN_PAGE_PATH: &str = "/login";
/// Course pages: `/course/{kind}?client_id=..`, one launch link each.
pub const COURSE_PAGE_PATH: &str = "/course";
/// The session cookie set by a successful login.
pub const SESSION_COOKIE: &str = "accredit_lms_session";

/// The login requirement and the sessions it issued.
#[derive(Default)]
pub(crate) struct LoginGate {
    /// `(username, password)` when start URLs require a session.
    credentials: Option<(String, String)>,
    /// Session ids issued by successful logins.
    sessions: HashSet<String>,
}

impl LoginGate {
    /// Turns the requirement on with these credentials.
    pub(crate) fn require(&mut self, username: &str, password: &str) {
        self.credentials = Some((username.to_string(), password.to_string()));
    }
}

/// Whether built-in launches may start for this request: no login required, or
/// the request carries a live session cookie.
pub(crate) fn may_start(s: &Shared, headers: &HeaderMap) -> bool {
    let gate = plan::lock(&s.login);
    if gate.credentials.is_none() {
        return true;
    }
    session_of(headers).is_some_and(|id| gate.sessions.contains(&id))
}

/// The 401 answered to a built-in start URL without a session.
pub(crate) fn login_required(headers: &HeaderMap) -> Response {
    local_error(
        headers,
        StatusCode::UNAUTHORIZED,
        "login_required",
        &[format!(
            "this platform requires a logged-in session (cookie `{SESSION_COOKIE}`) to start a launch: log in at {LOGIN_PAGE_PATH}"
        )],
    )
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!(
            "<!doctype html><html><head><title>{t}</title></head><body><h1>{t}</h1>{body}</body></html>",
            t = html_escape(title)
        ),
    )
        .into_response()
}

fn login_form(status: StatusCode, message: &str) -> Response {
    let note = if message.is_empty() {
        String::new()
    } else {
        format!("<p id=\"login-error\">{}</p>", html_escape(message))
    };
    page(
        status,
        "Reference LMS: log in",
        &format!(
            "{note}<form method=\"post\" action=\"{LOGIN_PAGE_PATH}\">\
             <label>User <input id=\"username\" name=\"username\" autocomplete=\"off\"></label>\
             <label>Password <input id=\"password\" name=\"password\" type=\"password\"></label>\
             <button type=\"submit\">Log in</button></form>"
        ),
    )
}

/// `GET /login`: the login form.
pub(crate) async fn login_page() -> Response {
    login_form(StatusCode::OK, "")
}

/// `POST /login`: checks the credentials; on success sets the session cookie and
/// shows the dashboard, else answers 401 with the form and an error.
pub(crate) async fn login_submit(
    State(s): State<Arc<Shared>>,
    axum::extract::Form(fields): axum::extract::Form<Vec<(String, String)>>,
) -> Response {
    let given = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let mut gate = plan::lock(&s.login);
    let ok = match &gate.credentials {
        Some((u, p)) => given("username") == u && given("password") == p,
        // Without a requirement any non-empty user may log in (demo use).
        None => !given("username").is_empty(),
    };
    if !ok {
        return login_form(StatusCode::UNAUTHORIZED, "Invalid username or password.");
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    gate.sessions.insert(id.clone());
    drop(gate);
    let mut resp = page(
        StatusCode::OK,
        "Reference LMS: dashboard",
        &format!(
            "<div id=\"dashboard\"><p>Logged in as {}.</p></div>",
            html_escape(given("username"))
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax"
    )) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /course/{kind}?client_id=..`: a course page with the launch link of
/// `kind` (`<a id="launch-{kind}">`); without a session, a redirect to the login.
pub(crate) async fn course_page(
    State(s): State<Arc<Shared>>,
    Path(kind): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !may_start(&s, &headers) {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, LOGIN_PAGE_PATH)]).into_response();
    }
    let Some(kind) = LaunchKind::parse(&kind) else {
        return page(
            StatusCode::NOT_FOUND,
            "No such course page",
            &format!("<p>unknown launch `{}`</p>", html_escape(&kind)),
        );
    };
    let q = params(query.as_deref().unwrap_or_default().as_bytes());
    let Some(client_id) = param(&q, "client_id") else {
        return page(
            StatusCode::BAD_REQUEST,
            "No client",
            "<p>the course page needs ?client_id=</p>",
        );
    };
    let mut href = format!("{}?client_id=", crate::START_PATH);
    href.extend(url::form_urlencoded::byte_serialize(client_id.as_bytes()));
    href.push_str("&launch=");
    href.push_str(kind.as_str());
    page(
        StatusCode::OK,
        &format!("Reference LMS course: {}", kind.as_str()),
        &format!(
            "<p><a id=\"launch-{k}\" href=\"{h}\">Open the tool ({k})</a></p>",
            k = html_escape(kind.as_str()),
            h = html_escape(&href)
        ),
    )
}
