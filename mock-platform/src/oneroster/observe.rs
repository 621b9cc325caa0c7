//! Consumer mode of the mock SIS: every request a consumer sends is observed,
//! and the conditions a real SIS imposes are injected on purpose.
//!
//! Why: the `oneroster-consumer` suite certifies the *consumer* (the candidate
//! calls us). What a consumer does right or wrong shows only under conditions
//! a friendly SIS never creates: a server maximum page size below the
//! consumer's `limit` (does it follow to the last page?), a `429` with
//! `Retry-After` and a `503` (does it wait, retry, and give up in bounded
//! time?), extension metadata and absent optional fields (does it tolerate
//! them?). [`Conditions`] says which to inject; [`Observer`] keeps, per
//! request, what arrived and what was answered ([`Observed`]), including the
//! page facts (offset, count, total, `next` link) the paging cases judge.
//!
//! The layer sits *inside* the evidence recorder, so injected refusals are
//! recorded like any other answer; each response carries
//! [`REQUEST_SEQ_HEADER`] so the suite can match recorded exchanges to
//! observations. Choices, documented once here:
//!
//! - Page cap: a collection `limit` above [`Conditions::max_page_size`] is
//!   lowered before the query runs, so `X-Total-Count` and `Link` stay true
//!   (a SIS may cap page sizes; the consumer must follow `next`, or advance
//!   `offset` by what it received).
//! - Injections count requests per collection (`users` counts `/users`, not
//!   `/users/{id}`), 1-based; token requests never count.
//! - Outage: one collection answers `503` every time, to see that retries stop.
//! - Extension fields go on even-numbered pages (the first page is page 0),
//!   absent optional fields on odd-numbered ones, so a consumer that chokes on
//!   one condition is told apart from one that chokes on the other.
//! - OneRoster 1.1 ([`V1P1_BASE_PATH`]) is observed and conditioned like
//!   1.2. Its requests are signed with OAuth 1.0a over the query, so lowering
//!   `limit` would break a signature the verifier behind must judge: the
//!   layer checks the consumer's own signature first and, only when it is
//!   valid, re-signs the rewritten request with the same key, nonce, timestamp
//!   and method ([`Observer::with_oauth1`]); an invalid one passes untouched
//!   (uncapped) and is refused by the SIS as sent.
//! - Gradebook writes (`PUT`/`POST` under [`GRADEBOOK_BASE_PATH`]) go to the
//!   SIS; when it has no gradebook surface (404/405) and
//!   [`Conditions::accept_writes`] is set, the layer stores nothing and answers
//!   `201` with the body echoed, so the suite can still judge what was written.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use accredit_core::evidence::Recorder;

use accredit_core::oauth1;

use super::{BASE_PATH, RunningSis, SisConfig, SisError, TOKEN_PATH, V1P1_BASE_PATH};

/// Response header carrying the observation's sequence number.
pub const REQUEST_SEQ_HEADER: &str = "x-accredit-request-seq";
/// Base path of the 1.2 gradebook service.
pub const GRADEBOOK_BASE_PATH: &str = "/ims/oneroster/gradebook/v1p2";
/// Largest request body kept (bigger bodies are refused with 413).
pub const BODY_LIMIT: usize = 1 << 20;
/// Requests whose bodies are kept (later ones are kept without body).
pub const MAX_KEPT_BODIES: usize = 10_000;
/// Largest response body rewritten (bigger ones pass through untouched).
const RESPONSE_LIMIT: usize = 16 << 20;
/// The extension member added to `metadata` on extension pages.
pub const EXTENSION_METADATA_KEY: &str = "x-accredit.districtCode";
/// The unknown top-level member added to records on extension pages.
pub const EXTENSION_FIELD: &str = "x-accredit-extension";

/// Optional 1.2 members removed on odd pages (absent is legal for each).
pub const OPTIONAL_FIELDS: &[&str] = &[
    "metadata",
    "middleName",
    "preferredFirstName",
    "preferredMiddleName",
    "preferredLastName",
    "pronouns",
    "email",
    "sms",
    "phone",
    "agents",
    "grades",
    "userMasterIdentifier",
    "location",
    "subjects",
    "subjectCodes",
    "periods",
    "resources",
    "beginDate",
    "endDate",
    "primary",
];

/// One injected refusal: the `nth` request (1-based) to `collection` is
/// answered `status`, with `Retry-After: retry_after` seconds when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// Collection path segment (`users`, `classes`...).
    pub collection: String,
    /// Which request to that collection (1-based).
    pub nth: u32,
    /// 429 or 503.
    pub status: u16,
    /// `Retry-After` in seconds.
    pub retry_after: Option<u64>,
}

/// What the SIS does to a consumer on purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// Server maximum page size (a larger `limit` is lowered to it).
    pub max_page_size: Option<u64>,
    /// Refusals on chosen requests.
    pub inject: Vec<Injection>,
    /// A collection that answers 503 (no `Retry-After`) to every request.
    pub outage: Option<String>,
    /// Extension metadata and an unknown `x-` member on even pages.
    pub extension_fields: bool,
    /// [`OPTIONAL_FIELDS`] removed on odd pages.
    pub strip_optional: bool,
    /// Answer gradebook writes when the SIS has no gradebook surface.
    pub accept_writes: bool,
}

impl Conditions {
    /// Nothing injected: observation only.
    pub fn observe_only() -> Conditions {
        Conditions::default()
    }
}

/// The paging facts of one collection response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Collection path segment.
    pub collection: String,
    /// Offset served.
    pub offset: u64,
    /// Limit applied (after the page cap).
    pub limit: u64,
    /// Records on the page.
    pub count: u64,
    /// `X-Total-Count`.
    pub total: u64,
    /// The `rel="next"` URL, if any.
    pub next: Option<String>,
    /// The decoded `filter` parameter.
    pub filter: Option<String>,
    /// Extension fields were added to this page.
    pub extended: bool,
    /// Optional fields were removed from this page.
    pub stripped: bool,
}

/// What the SIS injected into one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// Status sent.
    pub status: u16,
    /// `Retry-After` sent, in seconds.
    pub retry_after: Option<u64>,
    /// Part of the permanent outage.
    pub outage: bool,
}

/// One request the consumer sent, with what it was answered.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Arrival order, from 1.
    pub seq: usize,
    /// Arrival time since the observer was created.
    pub at: Duration,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string, as sent.
    pub query: Option<String>,
    /// Headers (lower-case names; values lossily decoded).
    pub headers: Vec<(String, String)>,
    /// Request body (at most [`BODY_LIMIT`]).
    pub body: Vec<u8>,
    /// Status answered.
    pub status: u16,
    /// The injected refusal, if any.
    pub injected: Option<Injected>,
    /// Paging facts of a served collection page.
    pub page: Option<Page>,
    /// The access token issued by a token response.
    pub issued_token: Option<String>,
    /// The layer answered a gradebook write itself.
    pub write_sunk: bool,
    /// Arrival wall-clock time, in seconds since the Unix epoch (what an
    /// OAuth 1.0a `oauth_timestamp` is judged against).
    pub received_unix: i64,
}

impl Observed {
    /// The first header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The collection path segment of a rostering request (`users` for
    /// `/users` and `/users/{id}`).
    pub fn collection(&self) -> Option<&str> {
        rostering_segments(&self.path).and_then(|s| s.first().copied())
    }

    /// Whether this is a rostering collection (list) request.
    pub fn is_list(&self) -> bool {
        rostering_segments(&self.path).is_some_and(|s| s.len() == 1)
    }

    /// The decoded query parameters.
    pub fn params(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect()
    }
}

fn rostering_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path
        .strip_prefix(BASE_PATH)
        .or_else(|| path.strip_prefix(V1P1_BASE_PATH))?
        .trim_matches('/');
    (!rest.is_empty()).then(|| rest.split('/').collect())
}

struct Inner {
    conditions: Conditions,
    t0: Instant,
    seq: AtomicUsize,
    in_flight: AtomicUsize,
    per_collection: Mutex<HashMap<String, u32>>,
    observed: Mutex<Vec<Observed>>,
    /// 1.1 consumer key and secret, to re-sign capped requests.
    oauth1: Option<(String, String)>,
}

/// Shared observation state (cheap to clone).
#[derive(Clone)]
pub struct Observer(Arc<Inner>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer")
            .field("conditions", &self.0.conditions)
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Observer {
    /// An observer imposing `conditions`.
    pub fn new(conditions: Conditions) -> Observer {
        Observer(Arc::new(Inner {
            conditions,
            t0: Instant::now(),
            seq: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            per_collection: Mutex::new(HashMap::new()),
            observed: Mutex::new(Vec::new()),
            oauth1: None,
        }))
    }

    /// An observer imposing `conditions` that may re-sign the OneRoster 1.1
    /// requests it rewrites (the page cap), with the SIS's consumer key and
    /// secret, when the consumer's own signature is valid.
    pub fn with_oauth1(
        conditions: Conditions,
        consumer_key: &str,
        consumer_secret: &str,
    ) -> Observer {
        Observer(Arc::new(Inner {
            conditions,
            t0: Instant::now(),
            seq: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            per_collection: Mutex::new(HashMap::new()),
            observed: Mutex::new(Vec::new()),
            oauth1: Some((consumer_key.to_string(), consumer_secret.to_string())),
        }))
    }

    /// The `Authorization` header for a 1.1 request rewritten to `new_query`,
    /// or `None` when the request as sent is not validly signed by the
    /// configured consumer (then it must not be rewritten).
    fn resign(
        &self,
        host: &str,
        path: &str,
        query: Option<&str>,
        authorization: Option<&str>,
        new_query: &str,
    ) -> Option<String> {
        let (key, secret) = self.0.oauth1.as_ref()?;
        let oauth = oauth1::parse_authorization(authorization?).ok()?;
        let sent = oauth1::SignedParams::from_pairs(&oauth);
        if sent.consumer_key.as_deref() != Some(key.as_str()) {
            return None;
        }
        let base_uri = format!("http://{host}{path}");
        let data: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let method = oauth1::check_signature("GET", &base_uri, &oauth, &data, secret).ok()?;
        let url = url::Url::parse(&format!("{base_uri}?{new_query}")).ok()?;
        let signing = oauth1::Signing {
            consumer_key: key,
            consumer_secret: secret,
            method,
            timestamp: sent.timestamp.as_deref()?.parse().ok()?,
            nonce: sent.nonce.as_deref()?,
        };
        oauth1::authorization_header(&signing, "GET", &url, &[]).ok()
    }

    /// The conditions imposed.
    pub fn conditions(&self) -> &Conditions {
        &self.0.conditions
    }

    /// Every finished request, in arrival order.
    pub fn requests(&self) -> Vec<Observed> {
        let mut v = lock(&self.0.observed).clone();
        v.sort_by_key(|o| o.seq);
        v
    }

    /// Requests that have arrived (finished or not).
    pub fn request_count(&self) -> usize {
        self.0.seq.load(Ordering::SeqCst)
    }

    /// Requests being answered now.
    pub fn in_flight(&self) -> usize {
        self.0.in_flight.load(Ordering::SeqCst)
    }

    fn refusal(&self, collection: &str) -> Option<Injected> {
        let c = &self.0.conditions;
        if c.outage.as_deref() == Some(collection) {
            return Some(Injected {
                status: 503,
                retry_after: None,
                outage: true,
            });
        }
        let n = {
            let mut m = lock(&self.0.per_collection);
            let n = m.entry(collection.to_string()).or_insert(0);
            *n += 1;
            *n
        };
        c.inject
            .iter()
            .find(|i| i.collection == collection && i.nth == n)
            .map(|i| Injected {
                status: i.status,
                retry_after: i.retry_after,
                outage: false,
            })
    }
}

/// Starts the SIS with `observer` watching (and conditioning) every request.
pub async fn start_observed(
    config: SisConfig,
    observer: Observer,
    recorder: Option<Recorder>,
) -> Result<RunningSis, SisError> {
    super::start_with(config, recorder, Some(observer)).await
}

/// Wraps the SIS router in the observation layer.
pub(super) fn wrap(app: Router, observer: Observer) -> Router {
    app.layer(axum::middleware::from_fn_with_state(
        observer,
        observe_layer,
    ))
}

struct FlightGuard(Observer);

impl Drop for FlightGuard {
    fn drop(&mut self) {
        self.0.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn busy(inj: &Injected) -> Response {
    let (minor, text) = if inj.status == 429 {
        ("server_busy", "too many requests: slow down")
    } else {
        ("server_busy", "service temporarily unavailable")
    };
    let body = json!({
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": text,
        "imsx_CodeMinor": {"imsx_codeMinorField": [{
            "imsx_codeMinorFieldName": "TargetEndSystem",
            "imsx_codeMinorFieldValue": minor,
        }]},
    });
    let status = StatusCode::from_u16(inj.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut resp = (status, axum::Json(body)).into_response();
    if let Some(s) = inj.retry_after
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// The query with `limit` lowered to `cap` (added when absent: the default
/// 100 is above any cap worth injecting).
fn capped_query(query: Option<&str>, cap: u64) -> String {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    let mut seen = false;
    for (k, v) in &pairs {
        if k == "limit" {
            seen = true;
            let lowered = match v.parse::<u64>() {
                Ok(n) if n > cap => cap.to_string(),
                _ => v.clone(),
            };
            ser.append_pair(k, &lowered);
        } else {
            ser.append_pair(k, v);
        }
    }
    if !seen {
        ser.append_pair("limit", &cap.to_string());
    }
    ser.finish()
}

fn next_link(headers: &http::HeaderMap) -> Option<String> {
    let link = headers.get(header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.trim().split_once(';')?;
        params
            .split(';')
            .any(|p| {
                p.trim()
                    .trim_start_matches("rel=")
                    .trim_matches('"')
                    .eq_ignore_ascii_case("next")
                    && p.trim().starts_with("rel=")
            })
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

fn edit_records(v: &mut Value, extend: bool, strip: bool) -> u64 {
    let Value::Object(env) = v else { return 0 };
    let Some(Value::Array(records)) = env.values_mut().next() else {
        return 0;
    };
    for r in records.iter_mut() {
        let Value::Object(m) = r else { continue };
        if strip {
            for f in OPTIONAL_FIELDS {
                m.remove(*f);
            }
        }
        if extend {
            let meta = m
                .entry("metadata")
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if !meta.is_object() {
                *meta = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(meta) = meta {
                meta.insert(EXTENSION_METADATA_KEY.into(), json!("D-0042"));
                meta.insert("x-accredit.sync".into(), json!({"batch": 7, "tags": ["a"]}));
            }
            m.insert(
                EXTENSION_FIELD.into(),
                json!({"source": "accredit mock SIS", "note": "unknown member: ignore it"}),
            );
        }
    }
    records.len() as u64
}

fn param_u64(params: &[(String, String)], name: &str) -> Option<u64> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

async fn observe_layer(State(obs): State<Observer>, req: Request, next: Next) -> Response {
    let seq = obs.0.seq.fetch_add(1, Ordering::SeqCst) + 1;
    obs.0.in_flight.fetch_add(1, Ordering::SeqCst);
    let _guard = FlightGuard(obs.clone());
    let at = obs.0.t0.elapsed();
    let (mut parts, body) = req.into_parts();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut o = Observed {
        seq,
        at,
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        headers,
        body: Vec::new(),
        status: 0,
        injected: None,
        page: None,
        issued_token: None,
        write_sunk: false,
        received_unix: chrono::Utc::now().timestamp(),
    };
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            let resp = (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body refused: {e}"),
            )
                .into_response();
            return finish(&obs, o, resp);
        }
    };
    o.body = bytes.to_vec();
    let segs = rostering_segments(&path);
    let collection = segs.as_ref().and_then(|s| s.first()).map(|c| c.to_string());
    let is_list = segs.as_ref().is_some_and(|s| s.len() == 1);
    if is_list
        && let Some(c) = &collection
        && let Some(inj) = obs.refusal(c)
    {
        let resp = busy(&inj);
        o.injected = Some(inj);
        return finish(&obs, o, resp);
    }
    let cond = obs.conditions().clone();
    if is_list
        && parts.method == http::Method::GET
        && let Some(cap) = cond.max_page_size
    {
        let q = capped_query(query.as_deref(), cap);
        let changed = Some(q.as_str()) != query.as_deref();
        let signed = if changed && path.starts_with(V1P1_BASE_PATH) {
            let host = o.header("host").unwrap_or_default().to_string();
            obs.resign(
                &host,
                &path,
                query.as_deref(),
                o.header("authorization"),
                &q,
            )
            .map(Some)
        } else {
            Some(None)
        };
        // `None`: a 1.1 request not validly signed is passed on as sent.
        if let Some(auth) = signed
            && let Ok(uri) = format!("{path}?{q}").parse::<http::Uri>()
        {
            parts.uri = uri;
            if let Some(a) = auth
                && let Ok(v) = HeaderValue::from_str(&a)
            {
                parts.headers.insert(header::AUTHORIZATION, v);
            }
        }
    }
    let served_params: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let req = Request::from_parts(parts, Body::from(bytes.clone()));
    let resp = next.run(req).await;
    let status = resp.status();

    // Gradebook writes with no gradebook surface behind: echo them.
    if cond.accept_writes
        && matches!(method.as_str(), "PUT" | "POST")
        && path.starts_with(GRADEBOOK_BASE_PATH)
        && matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        )
    {
        o.write_sunk = true;
        let echoed = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
        let resp = (StatusCode::CREATED, axum::Json(echoed)).into_response();
        return finish(&obs, o, resp);
    }

    let token_response = path == TOKEN_PATH && status == StatusCode::OK;
    let page_response =
        is_list && method == "GET" && status == StatusCode::OK && collection.is_some();
    if !token_response && !page_response {
        return finish(&obs, o, resp);
    }
    let (mut rparts, rbody) = resp.into_parts();
    let rbytes = match axum::body::to_bytes(rbody, RESPONSE_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            let resp = (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("response too large to observe: {e}"),
            )
                .into_response();
            return finish(&obs, o, resp);
        }
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&rbytes) else {
        return finish(&obs, o, Response::from_parts(rparts, Body::from(rbytes)));
    };
    if token_response {
        o.issued_token = value
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_string);
        return finish(&obs, o, Response::from_parts(rparts, Body::from(rbytes)));
    }
    let limit = param_u64(&served_params, "limit").unwrap_or(super::DEFAULT_LIMIT);
    let offset = param_u64(&served_params, "offset").unwrap_or(0);
    let index = offset.checked_div(limit).unwrap_or(0);
    let extend = cond.extension_fields && index.is_multiple_of(2);
    let strip = cond.strip_optional && !index.is_multiple_of(2);
    let count = edit_records(&mut value, extend, strip);
    let total = rparts
        .headers
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    o.page = Some(Page {
        collection: collection.unwrap_or_default(),
        offset,
        limit,
        count,
        total,
        next: next_link(&rparts.headers),
        filter: served_params
            .iter()
            .find(|(k, _)| k == "filter")
            .map(|(_, v)| v.clone()),
        extended: extend && count > 0,
        stripped: strip && count > 0,
    });
    let out = serde_json::to_vec(&value).unwrap_or_else(|_| rbytes.to_vec());
    rparts.headers.remove(header::CONTENT_LENGTH);
    finish(&obs, o, Response::from_parts(rparts, Body::from(out)))
}

fn finish(obs: &Observer, mut o: Observed, mut resp: Response) -> Response {
    o.status = resp.status().as_u16();
    if let Ok(v) = HeaderValue::from_str(&o.seq.to_string()) {
        resp.headers_mut().insert(REQUEST_SEQ_HEADER, v);
    }
    let mut list = lock(&obs.0.observed);
    // A runaway consumer must not grow memory without bound: past this many
    // requests, bodies are no longer kept (the request itself still is).
    if list.len() >= MAX_KEPT_BODIES {
        o.body = Vec::new();
    }
    list.push(o);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_cap_lowers_or_adds_limit_and_keeps_the_rest() {
        assert_eq!(
            capped_query(Some("limit=100&offset=8&filter=status%3D%27active%27"), 4),
            "limit=4&offset=8&filter=status%3D%27active%27"
        );
        assert_eq!(capped_query(Some("limit=2"), 4), "limit=2");
        assert_eq!(capped_query(None, 4), "limit=4");
    }

    #[test]
    fn next_is_found_among_links() {
        let mut h = http::HeaderMap::new();
        h.insert(
            header::LINK,
            HeaderValue::from_static(
                "<http://x/u?limit=4&offset=0>; rel=\"first\", <http://x/u?limit=4&offset=4>; rel=\"next\"",
            ),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("http://x/u?limit=4&offset=4")
        );
        h.insert(
            header::LINK,
            HeaderValue::from_static("<http://x/u?offset=0>; rel=\"first\""),
        );
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn refusals_count_per_collection_and_the_outage_is_permanent() {
        let obs = Observer::new(Conditions {
            inject: vec![Injection {
                collection: "users".into(),
                nth: 2,
                status: 429,
                retry_after: Some(1),
            }],
            outage: Some("academicSessions".into()),
            ..Conditions::default()
        });
        assert_eq!(obs.refusal("users"), None);
        assert_eq!(obs.refusal("classes"), None);
        assert_eq!(obs.refusal("users").map(|i| i.status), Some(429));
        assert_eq!(obs.refusal("users"), None);
        for _ in 0..3 {
            assert!(obs.refusal("academicSessions").is_some_and(|i| i.outage));
        }
    }

    #[test]
    fn a_capped_1p1_request_is_re_signed_only_when_its_own_signature_holds() {
        let obs = Observer::with_oauth1(Conditions::default(), "key", "s3cr3t");
        let path = format!("{V1P1_BASE_PATH}/users");
        let sign = |secret: &str| {
            let url = url::Url::parse(&format!("http://127.0.0.1:9{path}?limit=100"))
                .unwrap_or_else(|e| panic!("{e}"));
            let s = oauth1::Signing {
                consumer_key: "key",
                consumer_secret: secret,
                method: oauth1::SignatureMethod::HmacSha256,
                timestamp: 1_700_000_000,
                nonce: "n1",
            };
            oauth1::authorization_header(&s, "GET", &url, &[]).unwrap_or_else(|e| panic!("{e}"))
        };
        let good = sign("s3cr3t");
        let resigned = obs
            .resign(
                "127.0.0.1:9",
                &path,
                Some("limit=100"),
                Some(&good),
                "limit=4",
            )
            .unwrap_or_else(|| panic!("a valid request is re-signed"));
        let oauth = oauth1::parse_authorization(&resigned).unwrap_or_else(|e| panic!("{e}"));
        let base = format!("http://127.0.0.1:9{path}");
        let data = vec![("limit".to_string(), "4".to_string())];
        assert!(oauth1::check_signature("GET", &base, &oauth, &data, "s3cr3t").is_ok());
        assert_eq!(
            oauth1::SignedParams::from_pairs(&oauth).nonce.as_deref(),
            Some("n1")
        );
        // A wrong signature, or none, is passed on as sent.
        let bad = sign("wrong");
        assert_eq!(
            obs.resign(
                "127.0.0.1:9",
                &path,
                Some("limit=100"),
                Some(&bad),
                "limit=4"
            ),
            None
        );
        assert_eq!(
            obs.resign("127.0.0.1:9", &path, Some("limit=100"), None, "limit=4"),
            None
        );
        // Without credentials nothing is re-signed.
        let plain = Observer::new(Conditions::default());
        assert_eq!(
            plain.resign(
                "127.0.0.1:9",
                &path,
                Some("limit=100"),
                Some(&good),
                "limit=4"
            ),
            None
        );
    }
}
