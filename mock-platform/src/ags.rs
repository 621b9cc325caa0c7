//! Assignment and Grade Services 2.0 on the platform side: the line-item
//! container, line items, scores and results, each behind its own scope.
//!
//! Why judge and record: CERT §6.4 leaves AGS to the tool ("it is the
//! responsibility of the Tool alone to work with the AGS API"), so what the
//! certification can judge is what the tool *sent*. Every request is kept
//! ([`AgsRequestSeen`]) with its method, URL query, media-type headers, token,
//! scopes and the problems found in its body; the suite's cases judge those.
//!
//! URL layout: the launch's `login_hint` is the context segment
//! (`/lti/ags/{ctx}/lineitems`), so every request is filed under the case that
//! launched. Every line item `id` carries a query string ([`LINEITEM_QUERY`]):
//! AGS 3.4.1 and 3.3.1 derive the scores and results URLs by appending to the
//! *path* and keeping the query, and a tool that appends to the whole string
//! ends up POSTing to the line item itself (recorded as a misdirected score).
//! A scores or results request that dropped the query is still served (the
//! query carries nothing this platform needs) but recorded with
//! `query_kept = false`, so one wrong URL fails one case.
//!
//! Rules (AGS 2.0): container filters `resource_link_id`, `resource_id`, `tag`
//! and `limit` with `Link: rel="next"` (3.2.4); a new line item needs a
//! non-blank `label` and `scoreMaximum` > 0 (3.2.7, 3.2.8) and keeps `resourceId`
//! and `tag` verbatim (3.2.5); a score needs `userId`, a sub-second ISO 8601
//! `timestamp` with a time zone, the `activityProgress` and `gradingProgress`
//! enumerations and `scoreMaximum` whenever `scoreGiven` is present (3.4.4–3.4.9);
//! `scoreGiven` above `scoreMaximum` is accepted (3.4.4 "MUST support"); a score
//! no newer than the last one stored is ignored (3.4.9). A token without the
//! endpoint's scope gets 403, an unknown, expired or revoked token 401 (RFC 6750).
//! [`crate::RunningPlatform::ags_revoke_first_token`] makes the first request of
//! a context revoke its token and answer 401, to see the tool request a new one.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};

use crate::plan;
use crate::services::{bearer, param, params};
use crate::{CONTEXTS, PlatformFault, Shared};

/// Path prefix of the AGS endpoints; the context follows.
pub const AGS_PATH: &str = "/lti/ags";
/// The query every line item `id` carries.
pub const LINEITEM_QUERY: &str = "x=1";
/// Full line-item management scope.
pub const AGS_SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
/// Read-only line-item scope.
pub const AGS_SCOPE_LINEITEM_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
/// Results read scope.
pub const AGS_SCOPE_RESULT_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
/// Score publish scope.
pub const AGS_SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/// Line item media type.
pub const LINEITEM_MEDIA_TYPE: &str = "application/vnd.ims.lis.v2.lineitem+json";
/// Line item container media type.
pub const LINEITEMS_MEDIA_TYPE: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
/// Score media type.
pub const SCORE_MEDIA_TYPE: &str = "application/vnd.ims.lis.v1.score+json";
/// Result container media type.
pub const RESULTS_MEDIA_TYPE: &str = "application/vnd.ims.lis.v2.resultcontainer+json";
/// `activityProgress` values (AGS 3.4.7).
pub const ACTIVITY_PROGRESS: [&str; 5] = [
    "Initialized",
    "Started",
    "InProgress",
    "Submitted",
    "Completed",
];
/// `gradingProgress` values (AGS 3.4.8).
pub const GRADING_PROGRESS: [&str; 5] = [
    "FullyGraded",
    "Pending",
    "PendingManual",
    "Failed",
    "NotReady",
];
/// Container page size when the tool sends no `limit`.
const DEFAULT_PAGE: usize = 50;

/// Which AGS endpoint a request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgsEndpoint {
    /// The line-item container (`lineitems`).
    Container,
    /// One line item (its `id` URL).
    LineItem,
    /// `{lineitem}/scores`.
    Scores,
    /// `{lineitem}/results`.
    Results,
}

/// One AGS request as received and judged.
#[derive(Debug, Clone, PartialEq)]
pub struct AgsRequestSeen {
    /// The endpoint reached.
    pub endpoint: AgsEndpoint,
    /// HTTP method.
    pub method: String,
    /// Line item number, for item, scores and results URLs.
    pub item: Option<usize>,
    /// The raw query string as received.
    pub query: Option<String>,
    /// Item-derived URLs: the line item's query was kept ([`LINEITEM_QUERY`]).
    pub query_kept: bool,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The bearer token presented.
    pub token: String,
    /// The token was issued here and is unexpired and not revoked.
    pub token_valid: bool,
    /// The scopes the token was granted.
    pub scopes: Vec<String>,
    /// The token carried a scope that allows this method on this endpoint.
    pub scope_ok: bool,
    /// The JSON body, when one was sent.
    pub body: Option<Value>,
    /// What was wrong with the body (empty = valid).
    pub problems: Vec<String>,
    /// Scores: stored (false when refused or older than the last one stored).
    pub applied: bool,
    /// HTTP status answered.
    pub status: u16,
}

#[derive(Default)]
struct Context {
    /// Line items by number; `None` once deleted.
    items: Vec<Option<Value>>,
    /// Latest applied score per (item, user).
    scores: HashMap<(usize, String), (DateTime<FixedOffset>, Value)>,
    revoke_first: bool,
    requests: Vec<AgsRequestSeen>,
}

/// AGS state of every context.
#[derive(Default)]
pub(crate) struct Ags {
    contexts: HashMap<String, Context>,
}

impl Ags {
    pub(crate) fn requests(&self, ctx: &str) -> Vec<AgsRequestSeen> {
        self.contexts
            .get(ctx)
            .map(|c| c.requests.clone())
            .unwrap_or_default()
    }
    pub(crate) fn line_items(&self, ctx: &str) -> Vec<Value> {
        self.contexts
            .get(ctx)
            .map(|c| c.items.iter().flatten().cloned().collect())
            .unwrap_or_default()
    }
    /// Creates a line item as the platform (a coupled line item, AGS 4.3.1):
    /// returns its `id`.
    pub(crate) fn seed(&mut self, base: &str, ctx: &str, mut item: Value) -> String {
        let c = self.contexts.entry(ctx.to_string()).or_default();
        let id = item_url(base, ctx, c.items.len() + 1);
        if let Some(obj) = item.as_object_mut() {
            obj.insert("id".into(), Value::String(id.clone()));
        }
        c.items.push(Some(item));
        id
    }
    pub(crate) fn revoke_first_token(&mut self, ctx: &str) {
        self.contexts
            .entry(ctx.to_string())
            .or_default()
            .revoke_first = true;
    }
}

/// The container URL of context `ctx`.
pub(crate) fn lineitems_url(base: &str, ctx: &str) -> String {
    format!("{base}{AGS_PATH}/{ctx}/lineitems")
}

fn item_url(base: &str, ctx: &str, n: usize) -> String {
    format!("{base}{AGS_PATH}/{ctx}/lineitems/{n}?{LINEITEM_QUERY}")
}

/// Checks a score `timestamp`: ISO 8601 with sub-second precision and a time
/// zone designator (`Z`, `+hh:mm` or `+hh`, AGS 3.4.9.1).
pub fn parse_score_timestamp(ts: &str) -> Result<DateTime<FixedOffset>, String> {
    let frac = ts.get(19..20) == Some(".")
        && ts
            .get(20..)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    if !frac {
        return Err(format!(
            "timestamp `{ts}` has no sub-second precision (AGS 3.4.9)"
        ));
    }
    // `+00` (hours only) is valid per AGS 3.4.9.1; RFC 3339 wants `+00:00`.
    let bytes = ts.as_bytes();
    let normalized = match bytes.len().checked_sub(3).and_then(|i| ts.get(i..)) {
        Some(tz)
            if (tz.starts_with('+') || tz.starts_with('-'))
                && tz[1..].chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{ts}:00")
        }
        _ => ts.to_string(),
    };
    DateTime::parse_from_rfc3339(&normalized)
        .map_err(|e| format!("timestamp `{ts}` is not ISO 8601 with a time zone: {e}"))
}

/// Problems of a line item body (AGS 3.2.5, 3.2.7, 3.2.8).
fn line_item_problems(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if !body.is_object() {
        return vec!["the body is not a JSON object".into()];
    }
    if body
        .get("label")
        .and_then(Value::as_str)
        .is_none_or(|l| l.trim().is_empty())
    {
        out.push("`label` is missing or blank (AGS 3.2.7)".into());
    }
    if !body
        .get("scoreMaximum")
        .and_then(Value::as_f64)
        .is_some_and(|m| m > 0.0)
    {
        out.push("`scoreMaximum` is missing or not > 0 (AGS 3.2.8)".into());
    }
    out
}

/// Problems of a score body (AGS 3.4.4–3.4.9), and its parsed timestamp.
fn score_problems(body: &Value) -> (Vec<String>, Option<DateTime<FixedOffset>>) {
    let mut out = Vec::new();
    if !body.is_object() {
        return (vec!["the body is not a JSON object".into()], None);
    }
    if body
        .get("userId")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        out.push("`userId` is missing or empty (AGS 3.4.5)".into());
    }
    let ts = match body.get("timestamp").and_then(Value::as_str) {
        None => {
            out.push("`timestamp` is missing (AGS 3.4.9)".into());
            None
        }
        Some(t) => match parse_score_timestamp(t) {
            Ok(d) => Some(d),
            Err(e) => {
                out.push(e);
                None
            }
        },
    };
    for (name, allowed, sec) in [
        ("activityProgress", &ACTIVITY_PROGRESS, "3.4.7"),
        ("gradingProgress", &GRADING_PROGRESS, "3.4.8"),
    ] {
        let got = body.get(name).and_then(Value::as_str);
        if !got.is_some_and(|g| allowed.contains(&g)) {
            out.push(format!(
                "`{name}` is {got:?}, not one of {allowed:?} (AGS {sec})"
            ));
        }
    }
    match body.get("scoreGiven") {
        None | Some(Value::Null) => {}
        Some(g) => {
            if !g.as_f64().is_some_and(|g| g >= 0.0) {
                out.push(format!("`scoreGiven` {g} is not a number >= 0 (AGS 3.4.4)"));
            }
            if !body
                .get("scoreMaximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| m > 0.0)
            {
                out.push(
                    "`scoreGiven` without a `scoreMaximum` > 0 (AGS 3.4.4: MUST be present when scoreGiven is)"
                        .into(),
                );
            }
        }
    }
    (out, ts)
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

fn media_type_is(content_type: Option<&str>, want: &str) -> bool {
    content_type.is_some_and(|c| {
        c.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(want))
    })
}

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// What one request is, before it is answered.
struct Incoming {
    seen: AgsRequestSeen,
}

impl Incoming {
    fn new(
        s: &Shared,
        endpoint: AgsEndpoint,
        method: &Method,
        item: Option<usize>,
        headers: &HeaderMap,
        query: Option<String>,
        allowed: &[&str],
    ) -> Incoming {
        let token = bearer(headers);
        let granted = plan::lock(&s.services).granted(&token).or_else(|| {
            // The fault: a token this platform never issued is taken as one
            // that holds every scope; issued tokens keep their own scopes.
            s.config
                .has(PlatformFault::AcceptsBadBearer)
                .then(crate::fault::every_service_scope)
        });
        let scopes = granted.clone().unwrap_or_default();
        let scope_ok = scopes.iter().any(|x| allowed.contains(&x.as_str()))
            || s.config.has(PlatformFault::ScopesNotEnforced);
        let query_kept = query.as_deref() == Some(LINEITEM_QUERY);
        Incoming {
            seen: AgsRequestSeen {
                endpoint,
                method: method.to_string(),
                item,
                query,
                query_kept,
                accept: header_str(headers, header::ACCEPT),
                content_type: header_str(headers, header::CONTENT_TYPE),
                token,
                token_valid: granted.is_some(),
                scopes,
                scope_ok,
                body: None,
                problems: Vec::new(),
                applied: false,
                status: 200,
            },
        }
    }

    /// 401/403 when the token or its scope is wrong; revokes the token of a
    /// context that asked for it. Records the refusal.
    fn refuse_unauthorized(&mut self, s: &Shared, ctx: &str) -> Option<Response> {
        let refusal = if !self.seen.token_valid {
            Some((
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the bearer token was not issued by this platform, expired or was revoked",
            ))
        } else {
            let revoke = {
                let mut ags = plan::lock(&s.ags);
                let c = ags.contexts.entry(ctx.to_string()).or_default();
                std::mem::take(&mut c.revoke_first)
            };
            if revoke {
                plan::lock(&s.services).revoke(&self.seen.token);
                self.seen.token_valid = false;
                Some((
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "the bearer token was revoked: request a new one",
                ))
            } else if !self.seen.scope_ok {
                Some((
                    StatusCode::FORBIDDEN,
                    "insufficient_scope",
                    "the token was not granted a scope that allows this request",
                ))
            } else {
                None
            }
        };
        let (status, err, description) = refusal?;
        Some(self.finish_ref(s, ctx, error(status, err, description)))
    }

    fn finish(mut self, s: &Shared, ctx: &str, resp: Response) -> Response {
        self.seen.status = resp.status().as_u16();
        plan::lock(&s.ags)
            .contexts
            .entry(ctx.to_string())
            .or_default()
            .requests
            .push(self.seen);
        resp
    }

    fn finish_ref(&mut self, s: &Shared, ctx: &str, resp: Response) -> Response {
        let taken = Incoming {
            seen: self.seen.clone(),
        };
        taken.finish(s, ctx, resp)
    }
}

fn json_body(media_type: &'static str, status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, media_type)],
        body.to_string(),
    )
        .into_response()
}

/// The context whose store a request uses: its own, except that the
/// `AgsContextsMixed` fault puts both built-in contexts in one store.
fn store_ctx(s: &Shared, ctx: String) -> String {
    if s.config.has(PlatformFault::AgsContextsMixed) && CONTEXTS.contains(&ctx.as_str()) {
        CONTEXTS[0].to_string()
    } else {
        ctx
    }
}

fn parse_item(n: &str) -> Option<usize> {
    n.parse().ok()
}

/// `GET {ctx}/lineitems`: filters and paging.
pub(crate) async fn container_get(
    State(s): State<Arc<Shared>>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let ctx = store_ctx(&s, ctx);
    let mut inc = Incoming::new(
        &s,
        AgsEndpoint::Container,
        &Method::GET,
        None,
        &headers,
        query.clone(),
        &[AGS_SCOPE_LINEITEM, AGS_SCOPE_LINEITEM_READONLY],
    );
    if let Some(r) = inc.refuse_unauthorized(&s, &ctx) {
        return r;
    }
    let q = params(query.unwrap_or_default().as_bytes());
    let items = plan::lock(&s.ags).line_items(&ctx);
    let ignore_filters = s.config.has(PlatformFault::AgsFiltersIgnored);
    let matches = |item: &Value, key: &str, param_name: &str| {
        ignore_filters
            || param(&q, param_name)
                .is_none_or(|want| item.get(key).and_then(Value::as_str) == Some(want))
    };
    let filtered: Vec<Value> = items
        .into_iter()
        .filter(|i| {
            matches(i, "resourceLinkId", "resource_link_id")
                && matches(i, "resourceId", "resource_id")
                && matches(i, "tag", "tag")
        })
        .collect();
    let limit = param(&q, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .map(|l| l.clamp(1, 100))
        .unwrap_or(DEFAULT_PAGE);
    let page = param(&q, "page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = Value::Array(
        filtered
            .iter()
            .skip(page * limit)
            .take(limit)
            .cloned()
            .collect(),
    );
    if s.config.has(PlatformFault::AgsContainerNotArray) {
        body = json!({ "lineItems": body });
    }
    let mut resp = json_body(LINEITEMS_MEDIA_TYPE, StatusCode::OK, &body);
    if (page + 1) * limit < filtered.len() {
        // The next URL repeats the filters (AGS 3.2.4: the tool uses it as is).
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in q.iter().filter(|(k, _)| k != "page") {
            next.append_pair(k, v);
        }
        next.append_pair("page", &(page + 1).to_string());
        let link = format!(
            "<{}?{}>; rel=\"next\"",
            lineitems_url(&s.endpoints.base_url, &ctx),
            next.finish()
        );
        if let Ok(v) = link.parse() {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
    inc.finish(&s, &ctx, resp)
}

/// `POST {ctx}/lineitems`: creates a line item.
pub(crate) async fn container_post(
    State(s): State<Arc<Shared>>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let ctx = store_ctx(&s, ctx);
    let mut inc = Incoming::new(
        &s,
        AgsEndpoint::Container,
        &Method::POST,
        None,
        &headers,
        query,
        &[AGS_SCOPE_LINEITEM],
    );
    inc.seen.body = serde_json::from_slice(&body).ok();
    if let Some(r) = inc.refuse_unauthorized(&s, &ctx) {
        return r;
    }
    let rules: fn(&Value) -> Vec<String> = if s.config.has(PlatformFault::AgsNoLineItemValidation) {
        |_| Vec::new()
    } else {
        line_item_problems
    };
    if let Some(r) = refuse_body(&mut inc, &s, &ctx, LINEITEM_MEDIA_TYPE, rules) {
        return r;
    }
    let mut item = inc.seen.body.clone().unwrap_or(Value::Null);
    if s.config.has(PlatformFault::AgsDropsResourceIdTag)
        && let Some(obj) = item.as_object_mut()
    {
        obj.remove("resourceId");
        obj.remove("tag");
    }
    let created = {
        let mut ags = plan::lock(&s.ags);
        let c = ags.contexts.entry(ctx.clone()).or_default();
        let n = c.items.len() + 1;
        if let Some(obj) = item.as_object_mut() {
            obj.insert(
                "id".into(),
                Value::String(item_url(&s.endpoints.base_url, &ctx, n)),
            );
        }
        c.items.push(Some(item.clone()));
        n
    };
    inc.seen.item = Some(created);
    inc.seen.applied = true;
    let resp = json_body(LINEITEM_MEDIA_TYPE, StatusCode::CREATED, &item);
    inc.finish(&s, &ctx, resp)
}

/// 415 for a wrong Content-Type, 400 for a body with problems; records them.
fn refuse_body(
    inc: &mut Incoming,
    s: &Shared,
    ctx: &str,
    media_type: &str,
    problems: fn(&Value) -> Vec<String>,
) -> Option<Response> {
    if !media_type_is(inc.seen.content_type.as_deref(), media_type) {
        inc.seen.problems.push(format!(
            "Content-Type is {:?}, not {media_type}",
            inc.seen.content_type
        ));
        let r = error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            &format!("Content-Type must be {media_type}"),
        );
        return Some(inc.finish_ref(s, ctx, r));
    }
    let found = match &inc.seen.body {
        Some(b) => problems(b),
        None => vec!["the body is not JSON".into()],
    };
    if found.is_empty() {
        return None;
    }
    let description = found.join("; ");
    inc.seen.problems = found;
    let r = error(StatusCode::BAD_REQUEST, "invalid_request", &description);
    Some(inc.finish_ref(s, ctx, r))
}

fn not_found(inc: Incoming, s: &Shared, ctx: &str, n: &str) -> Response {
    let r = error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no line item `{n}` in this context"),
    );
    inc.finish(s, ctx, r)
}

fn stored_item(s: &Shared, ctx: &str, n: Option<usize>) -> Option<Value> {
    let n = n?;
    let ags = plan::lock(&s.ags);
    ags.contexts.get(ctx)?.items.get(n.checked_sub(1)?)?.clone()
}

/// `GET|PUT|DELETE {ctx}/lineitems/{n}`; a POST here is a score sent to the
/// line item URL instead of `{lineitem}/scores` (recorded, 405).
pub(crate) async fn item(
    State(s): State<Arc<Shared>>,
    Path((ctx, n)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let ctx = store_ctx(&s, ctx);
    let num = parse_item(&n);
    let (endpoint, allowed): (AgsEndpoint, &[&str]) = match method {
        Method::GET => (
            AgsEndpoint::LineItem,
            &[AGS_SCOPE_LINEITEM, AGS_SCOPE_LINEITEM_READONLY],
        ),
        // A score sent to the line item URL (recorded as a POST to it).
        Method::POST => (AgsEndpoint::LineItem, &[AGS_SCOPE_SCORE]),
        _ => (AgsEndpoint::LineItem, &[AGS_SCOPE_LINEITEM]),
    };
    let mut inc = Incoming::new(&s, endpoint, &method, num, &headers, query, allowed);
    inc.seen.body = serde_json::from_slice(&body).ok();
    if method == Method::POST {
        inc.seen.query_kept = false;
        inc.seen.problems.push(
            "POST to the line item URL: scores go to the line item path + `/scores` (AGS 3.4.1)"
                .into(),
        );
        let r = error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "scores are POSTed to the line item path with /scores appended, query kept",
        );
        return inc.finish(&s, &ctx, r);
    }
    if let Some(r) = inc.refuse_unauthorized(&s, &ctx) {
        return r;
    }
    let Some(current) = stored_item(&s, &ctx, num) else {
        return not_found(inc, &s, &ctx, &n);
    };
    match method {
        Method::GET => {
            let r = json_body(LINEITEM_MEDIA_TYPE, StatusCode::OK, &current);
            inc.finish(&s, &ctx, r)
        }
        Method::PUT => {
            if let Some(r) =
                refuse_body(&mut inc, &s, &ctx, LINEITEM_MEDIA_TYPE, line_item_problems)
            {
                return r;
            }
            let mut updated = inc.seen.body.clone().unwrap_or(Value::Null);
            if let Some(obj) = updated.as_object_mut() {
                // The id and resourceLinkId are the platform's (AGS 3.2.6).
                obj.insert("id".into(), current["id"].clone());
                match current.get("resourceLinkId") {
                    Some(r) => obj.insert("resourceLinkId".into(), r.clone()),
                    None => obj.remove("resourceLinkId"),
                };
            }
            if let Some(i) = num.and_then(|n| n.checked_sub(1)) {
                let mut ags = plan::lock(&s.ags);
                if let Some(slot) = ags.contexts.get_mut(&ctx).and_then(|c| c.items.get_mut(i)) {
                    *slot = Some(updated.clone());
                }
            }
            inc.seen.applied = true;
            let r = json_body(LINEITEM_MEDIA_TYPE, StatusCode::OK, &updated);
            inc.finish(&s, &ctx, r)
        }
        _ => {
            if let Some(i) = num.and_then(|n| n.checked_sub(1)) {
                let mut ags = plan::lock(&s.ags);
                if let Some(c) = ags.contexts.get_mut(&ctx) {
                    if let Some(slot) = c.items.get_mut(i) {
                        *slot = None;
                    }
                    c.scores.retain(|(item, _), _| *item != i + 1);
                }
            }
            inc.seen.applied = true;
            inc.finish(&s, &ctx, StatusCode::NO_CONTENT.into_response())
        }
    }
}

/// `POST {ctx}/lineitems/{n}/scores`.
pub(crate) async fn scores(
    State(s): State<Arc<Shared>>,
    Path((ctx, n)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let ctx = store_ctx(&s, ctx);
    let num = parse_item(&n);
    let mut inc = Incoming::new(
        &s,
        AgsEndpoint::Scores,
        &Method::POST,
        num,
        &headers,
        query,
        &[AGS_SCOPE_SCORE],
    );
    inc.seen.body = serde_json::from_slice(&body).ok();
    if let Some(r) = inc.refuse_unauthorized(&s, &ctx) {
        return r;
    }
    if stored_item(&s, &ctx, num).is_none() {
        return not_found(inc, &s, &ctx, &n);
    }
    if let Some(r) = refuse_body(&mut inc, &s, &ctx, SCORE_MEDIA_TYPE, |b| {
        score_problems(b).0
    }) {
        return r;
    }
    let score = inc.seen.body.clone().unwrap_or(Value::Null);
    if s.config.has(PlatformFault::AgsRejectsScoreAboveMaximum)
        && let (Some(g), Some(m)) = (
            score.get("scoreGiven").and_then(Value::as_f64),
            score.get("scoreMaximum").and_then(Value::as_f64),
        )
        && g > m
    {
        let r = error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "scoreGiven is above scoreMaximum",
        );
        return inc.finish(&s, &ctx, r);
    }
    let (_, ts) = score_problems(&score);
    let user = score["userId"].as_str().unwrap_or_default().to_string();
    if let (Some(ts), Some(n)) = (ts, num) {
        let mut ags = plan::lock(&s.ags);
        let c = ags.contexts.entry(ctx.clone()).or_default();
        let key = (n, user);
        // AGS 3.4.9: never update from a score no newer than the last one.
        let newer = s.config.has(PlatformFault::AgsIgnoresScoreTimestamp)
            || c.scores.get(&key).is_none_or(|(last, _)| ts > *last);
        if newer {
            c.scores.insert(key, (ts, score));
            inc.seen.applied = true;
        } else {
            inc.seen
                .problems
                .push("timestamp not later than the last score stored: ignored (AGS 3.4.9)".into());
        }
    }
    inc.finish(&s, &ctx, StatusCode::NO_CONTENT.into_response())
}

/// `GET {ctx}/lineitems/{n}/results[?user_id=..&limit=..]`.
pub(crate) async fn results(
    State(s): State<Arc<Shared>>,
    Path((ctx, n)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let ctx = store_ctx(&s, ctx);
    let num = parse_item(&n);
    let q = params(query.clone().unwrap_or_default().as_bytes());
    let mut inc = Incoming::new(
        &s,
        AgsEndpoint::Results,
        &Method::GET,
        num,
        &headers,
        query.clone(),
        &[AGS_SCOPE_RESULT_READONLY],
    );
    // The line item's own query is kept when it is among the parameters.
    inc.seen.query_kept = q.iter().any(|(k, v)| format!("{k}={v}") == LINEITEM_QUERY);
    if let Some(r) = inc.refuse_unauthorized(&s, &ctx) {
        return r;
    }
    let Some(item) = stored_item(&s, &ctx, num) else {
        return not_found(inc, &s, &ctx, &n);
    };
    let item_max = item["scoreMaximum"].as_f64().unwrap_or(1.0);
    let result_max = if s.config.has(PlatformFault::AgsResultMaximumZero) {
        0.0
    } else {
        item_max
    };
    let item_id = item["id"].as_str().unwrap_or_default().to_string();
    let user_filter = param(&q, "user_id").map(String::from);
    let limit = param(&q, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .map(|l| l.clamp(1, 100))
        .unwrap_or(DEFAULT_PAGE);
    let mut list: Vec<Value> = {
        let ags = plan::lock(&s.ags);
        let mut rows: Vec<(String, Value)> = ags
            .contexts
            .get(&ctx)
            .map(|c| {
                c.scores
                    .iter()
                    .filter(|((i, u), _)| {
                        Some(*i) == num && user_filter.as_deref().is_none_or(|f| f == u)
                    })
                    .map(|((_, u), (_, sc))| (u.clone(), sc.clone()))
                    .collect()
            })
            .unwrap_or_default();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.into_iter()
            .map(|(u, sc)| {
                // Scores are re-scaled to the line item's maximum (AGS 3.4.4).
                let given = sc.get("scoreGiven").and_then(Value::as_f64);
                let max = sc.get("scoreMaximum").and_then(Value::as_f64);
                let score = match (given, max) {
                    (Some(g), Some(m)) if m > 0.0 => json!(g * item_max / m),
                    _ => Value::Null,
                };
                json!({
                    "id": format!("{}{AGS_PATH}/{ctx}/lineitems/{n}/results/{u}", s.endpoints.base_url),
                    "scoreOf": item_id,
                    "userId": u,
                    "resultScore": score,
                    "resultMaximum": result_max,
                    "comment": sc.get("comment").cloned().unwrap_or(Value::Null),
                })
            })
            .collect()
    };
    list.truncate(limit);
    let r = json_body(RESULTS_MEDIA_TYPE, StatusCode::OK, &Value::Array(list));
    inc.finish(&s, &ctx, r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::offset("2017-04-16T18:54:36.736+00:00", true)]
    #[case::zulu("2017-04-16T18:54:36.736Z", true)]
    #[case::hours_only("2017-04-16T18:54:36.736+00", true)]
    #[case::other_zone("2017-04-16T18:54:36.7-05:00", true)]
    #[case::no_fraction("2017-04-16T18:54:36Z", false)]
    #[case::no_zone("2017-04-16T18:54:36.736", false)]
    #[case::date_only("2017-04-16", false)]
    #[case::epoch("1492368876", false)]
    fn score_timestamps(#[case] ts: &str, #[case] ok: bool) {
        assert_eq!(parse_score_timestamp(ts).is_ok(), ok, "{ts}");
    }

    #[rstest]
    #[case::valid(json!({"userId": "u", "timestamp": "2017-04-16T18:54:36.736Z", "activityProgress": "Completed", "gradingProgress": "FullyGraded", "scoreGiven": 11, "scoreMaximum": 10}), 0)]
    #[case::no_score(json!({"userId": "u", "timestamp": "2017-04-16T18:54:36.736Z", "activityProgress": "Started", "gradingProgress": "NotReady"}), 0)]
    #[case::no_user(json!({"timestamp": "2017-04-16T18:54:36.736Z", "activityProgress": "Completed", "gradingProgress": "FullyGraded"}), 1)]
    #[case::bad_enums(json!({"userId": "u", "timestamp": "2017-04-16T18:54:36.736Z", "activityProgress": "Done", "gradingProgress": "Graded"}), 2)]
    #[case::given_without_max(json!({"userId": "u", "timestamp": "2017-04-16T18:54:36.736Z", "activityProgress": "Completed", "gradingProgress": "FullyGraded", "scoreGiven": 3}), 1)]
    #[case::negative(json!({"userId": "u", "timestamp": "2017-04-16T18:54:36.736Z", "activityProgress": "Completed", "gradingProgress": "FullyGraded", "scoreGiven": -1, "scoreMaximum": 3}), 1)]
    fn score_bodies(#[case] body: Value, #[case] problems: usize) {
        assert_eq!(score_problems(&body).0.len(), problems, "{body}");
    }
}
