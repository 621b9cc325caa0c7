//! A Caliper Analytics 1.1/1.2 **endpoint**: the harness's side when it certifies
//! a sensor (`caliper-sensor`), and the reference endpoint the `caliper-endpoint`
//! suite is proven against.
//!
//! Why one server for both roles: the sensor suite needs an endpoint that answers
//! exactly as the specification says (so a sensor sees conformant responses) and
//! keeps every request it received, raw, for judging; that is also what a
//! conformant reference endpoint is. [`Fault`]s make it deliberately wrong, one
//! defect at a time, for the endpoint suite's fault matrix.
//!
//! Behaviour (Caliper 1.2 §6): any path; `POST` with `Authorization: Bearer
//! <token>` and `Content-Type: application/json` carrying one envelope → `200`
//! with an empty body; no/bad credentials → `401`; another content type → `415`;
//! not JSON, no envelope, or a malformed envelope → `400`; an unsupported
//! `dataVersion` → `422` (refusals carry RFC 7807 problem details). `GET` with
//! credentials → `200` and the endpoint configuration (§6.2). Bodies over
//! [`MOCK_REQUEST_LIMIT`] get `413` and bodies that do not arrive within
//! `body_timeout_ms` get `408`; both are recorded like any other request.
//!
//! Every request is recorded twice on purpose: through
//! [`accredit_core::evidence::record_layer`] (redacted evidence for the report)
//! and as a [`Received`] (the body in full, the credential reduced to
//! [`AuthSeen`]) for the suite to judge. The two are linked by the
//! [`REQUEST_ID_HEADER`] response header.

mod envelope;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use http_body_util::BodyExt;
use serde::Deserialize;

use accredit_core::evidence::{
    MOCK_REQUEST_LIMIT, Recorder, capture_body, capture_headers, record_layer,
};
use accredit_core::profile::Secret;
use accredit_core::reports::{Body as EvBody, Direction, Exchange, HttpRequest, HttpResponse};

pub use envelope::{ENVELOPE_KEYS, Rejection, check as check_envelope, is_caliper_datetime};

/// The Caliper 1.1 context IRI (an envelope `dataVersion`).
pub const CONTEXT_V1P1: &str = "http://purl.imsglobal.org/ctx/caliper/v1p1";
/// The Caliper 1.2 context IRI (an envelope `dataVersion`).
pub const CONTEXT_V1P2: &str = "http://purl.imsglobal.org/ctx/caliper/v1p2";
/// The path the endpoint advertises (it answers on every path).
pub const ENDPOINT_PATH: &str = "/caliper";
/// Response header carrying the endpoint's sequence number of a request.
pub const REQUEST_ID_HEADER: &str = "x-accredit-request";
/// Name written into the `recorded_by` of evidence.
pub const MOCK_NAME: &str = "mock-caliper-endpoint";

/// A deliberate defect of the reference endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Answers 200 to an envelope with missing, extra or ill-typed properties.
    AcceptMalformedEnvelope,
    /// Answers 200 to a request without an `Authorization` header.
    AcceptMissingAuth,
    /// Answers 200 to any bearer token.
    AcceptAnyToken,
    /// Answers 200 to an envelope whose `dataVersion` it does not support.
    AcceptUnsupportedVersion,
    /// Answers 400 instead of 415 to a wrong `Content-Type`.
    BadRequestForWrongContentType,
    /// Refuses Caliper 1.1 envelopes with 422.
    RejectV1p1,
    /// Has no configuration resource: `GET` is answered 405.
    NoConfiguration,
    /// The configuration lacks `caliper_supported_versions` and has a custom property.
    ConfigWithoutVersions,
    /// Accepts envelopes with `201 Created` and a JSON body (allowed, not best practice).
    CreatedWithBody,
    /// Answers a body that is not JSON with `500` (a crash) instead of 400.
    ServerErrorForNotJson,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 10] = [
        Fault::AcceptMalformedEnvelope,
        Fault::AcceptMissingAuth,
        Fault::AcceptAnyToken,
        Fault::AcceptUnsupportedVersion,
        Fault::BadRequestForWrongContentType,
        Fault::RejectV1p1,
        Fault::NoConfiguration,
        Fault::ConfigWithoutVersions,
        Fault::CreatedWithBody,
        Fault::ServerErrorForNotJson,
    ];
}

fn default_versions() -> Vec<String> {
    vec![CONTEXT_V1P1.into(), CONTEXT_V1P2.into()]
}
fn default_body_timeout_ms() -> u64 {
    10_000
}
fn default_max_recorded() -> usize {
    10_000
}

/// The endpoint's configuration (TOML for a stand-alone endpoint).
///
/// ```toml
/// listen = "127.0.0.1:9010"
/// token = "env:CALIPER_TOKEN"        # the bearer token sensors must send
/// # supported_versions = ["http://purl.imsglobal.org/ctx/caliper/v1p2"]
/// # faults = ["accept-missing-auth"]
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// The bearer token sensors must present.
    pub token: Secret,
    /// `dataVersion` values accepted (default: the 1.1 and 1.2 context IRIs).
    #[serde(default = "default_versions")]
    pub supported_versions: Vec<String>,
    /// How long a request body may take to arrive before `408`.
    #[serde(default = "default_body_timeout_ms")]
    pub body_timeout_ms: u64,
    /// Requests kept as [`Received`] (later ones are counted, not kept).
    #[serde(default = "default_max_recorded")]
    pub max_recorded: usize,
    /// Injected defects (empty for a conformant endpoint).
    #[serde(default)]
    pub faults: Vec<Fault>,
}

impl EndpointConfig {
    /// A conformant endpoint on `listen` accepting `token`, 1.1 and 1.2.
    pub fn reference(listen: SocketAddr, token: Secret) -> EndpointConfig {
        EndpointConfig {
            listen,
            token,
            supported_versions: default_versions(),
            body_timeout_ms: default_body_timeout_ms(),
            max_recorded: default_max_recorded(),
            faults: Vec::new(),
        }
    }
}

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The config file cannot be read or parsed.
    #[error("caliper endpoint config {path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The listen address cannot be bound.
    #[error("caliper endpoint cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server failed.
    #[error("caliper endpoint server: {0}")]
    Serve(std::io::Error),
}

/// Reads an endpoint config file.
pub fn load_config(path: &std::path::Path) -> Result<EndpointConfig, EndpointError> {
    let err = |message: String| EndpointError::Config {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| err(e.to_string()))
}

/// What the `Authorization` header of a request held (never the credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSeen {
    /// No `Authorization` header.
    Missing,
    /// A scheme other than `Bearer` (the scheme name is kept).
    OtherScheme(String),
    /// `Bearer` with the configured token.
    Bearer,
    /// `Bearer` with another token.
    WrongToken,
    /// Not valid header text.
    Unreadable,
}

/// One request the endpoint received, kept for judging.
#[derive(Clone)]
pub struct Received {
    /// Sequence number (also in the [`REQUEST_ID_HEADER`] response header).
    pub seq: usize,
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Request headers; the `Authorization` value is replaced by `[redacted]`.
    pub headers: Vec<(String, String)>,
    /// The credential, judged against the configured token.
    pub auth: AuthSeen,
    /// The full body (empty when it was refused).
    pub body: Bytes,
    /// Status answered.
    pub status: u16,
    /// Why the body was refused before the handler saw it (413, 408, 400).
    pub refused: Option<String>,
    /// Why the endpoint refused the message, when it did.
    pub problem: Option<String>,
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Received")
            .field("seq", &self.seq)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("auth", &self.auth)
            .field("body_len", &self.body.len())
            .field("status", &self.status)
            .field("refused", &self.refused)
            .field("problem", &self.problem)
            .finish()
    }
}

impl Received {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

struct Shared {
    config: EndpointConfig,
    received: Mutex<Vec<Received>>,
    next_seq: AtomicUsize,
    in_flight: AtomicUsize,
    events: AtomicUsize,
    recorder: Option<Recorder>,
}

impl Shared {
    fn has(&self, f: Fault) -> bool {
        self.config.faults.contains(&f)
    }

    fn keep(&self, r: Received) {
        let mut g = lock(&self.received);
        if g.len() < self.config.max_recorded {
            g.push(r);
        }
    }

    fn auth_of(&self, headers: &HeaderMap) -> AuthSeen {
        let Some(v) = headers.get(header::AUTHORIZATION) else {
            return AuthSeen::Missing;
        };
        let Ok(v) = v.to_str() else {
            return AuthSeen::Unreadable;
        };
        let (scheme, cred) = v.split_once(' ').unwrap_or((v, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return AuthSeen::OtherScheme(scheme.chars().take(20).collect());
        }
        if constant_time_eq(
            cred.trim().as_bytes(),
            self.config.token.expose().as_bytes(),
        ) {
            AuthSeen::Bearer
        } else {
            AuthSeen::WrongToken
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn headers_of(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| {
            let value = if n == header::AUTHORIZATION {
                "[redacted]".to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (n.as_str().to_string(), value)
        })
        .collect()
}

/// A running endpoint. Dropping it stops the server.
pub struct RunningEndpoint {
    addr: SocketAddr,
    url: String,
    shared: Arc<Shared>,
    server: accredit_core::server::ServerHandle,
}

impl std::fmt::Debug for RunningEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEndpoint")
            .field("addr", &self.addr)
            .field("faults", &self.shared.config.faults)
            .finish_non_exhaustive()
    }
}

impl RunningEndpoint {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL sensors are configured with (`http://addr/caliper`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request kept so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }

    /// Requests answered so far (kept or not).
    pub fn request_count(&self) -> usize {
        self.shared.next_seq.load(Ordering::SeqCst)
    }

    /// Requests whose body is still being read or handled.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// Event and entity describes in accepted envelopes so far.
    pub fn accepted_describes(&self) -> usize {
        self.shared.events.load(Ordering::SeqCst)
    }

    /// A human description (for a stand-alone endpoint).
    pub fn describe(&self) -> String {
        format!(
            "Caliper endpoint listening on {}\n  URL:      {} (any path is accepted)\n  token:    {}\n  versions: {}\n  faults:   {:?}",
            self.addr,
            self.url,
            self.shared.config.token.reference(),
            self.shared.config.supported_versions.join(", "),
            self.shared.config.faults
        )
    }

    /// Stops the server and waits (at most 3 s) for it to finish.
    pub async fn shutdown(&self) {
        self.server.shutdown().await;
    }
}

/// Decrements the in-flight count when a request is done, however it ends.
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Outermost layer: reads the body under a size limit and a time limit, so a
/// huge or slow sender gets a recorded 413/408 instead of holding the endpoint.
async fn body_guard(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    shared.in_flight.fetch_add(1, Ordering::SeqCst);
    let _guard = InFlight(Arc::clone(&shared));
    let started_at = chrono::Utc::now();
    let t0 = Instant::now();
    let (parts, body) = req.into_parts();
    let limit = Duration::from_millis(shared.config.body_timeout_ms);
    let read = tokio::time::timeout(
        limit,
        http_body_util::Limited::new(body, MOCK_REQUEST_LIMIT).collect(),
    )
    .await;
    let refusal = match read {
        Ok(Ok(c)) => {
            let req = Request::from_parts(parts, Body::from(c.to_bytes()));
            return next.run(req).await;
        }
        Ok(Err(e)) if e.to_string().contains("length limit") => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over the {MOCK_REQUEST_LIMIT}-byte limit: refused"),
        ),
        Ok(Err(e)) => (
            StatusCode::BAD_REQUEST,
            format!("request body could not be read: {e}"),
        ),
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "request body did not arrive within {} ms: refused",
                limit.as_millis()
            ),
        ),
    };
    let seq = shared.next_seq.fetch_add(1, Ordering::SeqCst);
    let (status, why) = refusal;
    shared.keep(Received {
        seq,
        method: parts.method.to_string(),
        path: parts.uri.to_string(),
        headers: headers_of(&parts.headers),
        auth: shared.auth_of(&parts.headers),
        body: Bytes::new(),
        status: status.as_u16(),
        refused: Some(why.clone()),
        problem: Some(why.clone()),
    });
    let resp = problem(status, "Request body refused", &why, seq);
    if let Some(rec) = &shared.recorder {
        let redactor = rec.router.redactor().clone();
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("mock");
        rec.router.record(Exchange {
            seq: 0,
            direction: Direction::CandidateToMock,
            recorded_by: Some(rec.mock.to_string()),
            started_at: started_at.to_rfc3339(),
            duration_ms: t0.elapsed().as_millis() as u64,
            request: HttpRequest {
                method: parts.method.to_string(),
                url: redactor
                    .redact_str(&format!("http://{host}{}", parts.uri))
                    .into_owned(),
                headers: capture_headers(&parts.headers, &redactor),
                body: EvBody {
                    size: 0,
                    truncated: true,
                    text: None,
                    base64: None,
                },
            },
            response: Some(HttpResponse {
                status: status.as_u16(),
                headers: capture_headers(resp.headers(), &redactor),
                body: capture_body(why.as_bytes(), Some("text/plain"), &redactor),
            }),
            error: Some(why),
            jwts: vec![],
        });
    }
    resp
}

fn problem(status: StatusCode, title: &str, detail: &str, seq: usize) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    with_seq(resp, seq)
}

fn with_seq(mut resp: Response, seq: usize) -> Response {
    if let Ok(v) = HeaderValue::from_str(&seq.to_string()) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    resp
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// What the endpoint answers, before recording.
enum Answer {
    Ok,
    Config,
    Refuse(StatusCode, &'static str, String),
}

fn decide(shared: &Shared, method: &Method, headers: &HeaderMap, body: &[u8]) -> Answer {
    let unauthorized = |why: &str| {
        Answer::Refuse(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            format!("{why}; send `Authorization: Bearer <token>`"),
        )
    };
    match shared.auth_of(headers) {
        AuthSeen::Bearer => {}
        AuthSeen::Missing if shared.has(Fault::AcceptMissingAuth) => {}
        AuthSeen::WrongToken | AuthSeen::OtherScheme(_) if shared.has(Fault::AcceptAnyToken) => {}
        AuthSeen::Missing => return unauthorized("no Authorization header"),
        AuthSeen::OtherScheme(s) => {
            return unauthorized(&format!("authorization scheme `{s}` is not Bearer"));
        }
        AuthSeen::WrongToken => return unauthorized("the bearer token is not valid here"),
        AuthSeen::Unreadable => return unauthorized("the Authorization header is not text"),
    }
    if method == Method::GET {
        if shared.has(Fault::NoConfiguration) {
            return Answer::Refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                "this endpoint accepts POST only".into(),
            );
        }
        return Answer::Config;
    }
    if method != Method::POST {
        return Answer::Refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
            format!("{method} is not allowed: send envelopes with POST"),
        );
    }
    if !is_json_content_type(headers) {
        let status = if shared.has(Fault::BadRequestForWrongContentType) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        };
        return Answer::Refuse(
            status,
            "Unsupported Media Type",
            "Content-Type must be application/json".into(),
        );
    }
    let mut versions = shared.config.supported_versions.clone();
    if shared.has(Fault::RejectV1p1) {
        versions.retain(|v| v != CONTEXT_V1P1);
    }
    match envelope::check(body, &versions) {
        Ok(n) => {
            shared.events.fetch_add(n, Ordering::Relaxed);
            Answer::Ok
        }
        Err(Rejection::Malformed(_)) if shared.has(Fault::AcceptMalformedEnvelope) => Answer::Ok,
        Err(Rejection::UnsupportedVersion(_)) if shared.has(Fault::AcceptUnsupportedVersion) => {
            Answer::Ok
        }
        Err(Rejection::NotJson(_)) if shared.has(Fault::ServerErrorForNotJson) => Answer::Refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "unexpected end of input".into(),
        ),
        Err(r) => {
            let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let title = if r.status() == 422 {
                "Unsupported dataVersion"
            } else {
                "Bad Request"
            };
            Answer::Refuse(status, title, r.detail().to_string())
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    // The guard already read the body into memory; this cannot fail or block.
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let seq = shared.next_seq.fetch_add(1, Ordering::SeqCst);
    let answer = decide(&shared, &parts.method, &parts.headers, &body);
    let (status, problem_detail, resp) = match answer {
        Answer::Ok if shared.has(Fault::CreatedWithBody) => {
            let mut resp = Response::new(Body::from("{\"received\":true}"));
            *resp.status_mut() = StatusCode::CREATED;
            (StatusCode::CREATED, None, with_seq(resp, seq))
        }
        Answer::Ok => {
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = StatusCode::OK;
            (StatusCode::OK, None, with_seq(resp, seq))
        }
        Answer::Config => {
            let mut cfg = serde_json::json!({
                "caliper_maximum_payload_size": MOCK_REQUEST_LIMIT / 1024,
                "caliper_supported_versions": shared.config.supported_versions,
                "caliper_supported_extensions": {
                    "endpoint_name": "accredit reference Caliper endpoint",
                    "endpoint_version": env!("CARGO_PKG_VERSION"),
                },
            });
            if shared.has(Fault::ConfigWithoutVersions)
                && let Some(o) = cfg.as_object_mut()
            {
                o.remove("caliper_supported_versions");
                o.insert("endpoint_status".into(), "ok".into());
            }
            let mut resp = Response::new(Body::from(cfg.to_string()));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            (StatusCode::OK, None, with_seq(resp, seq))
        }
        Answer::Refuse(status, title, detail) => {
            let mut resp = problem(status, title, &detail, seq);
            if status == StatusCode::METHOD_NOT_ALLOWED {
                resp.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
            }
            if status == StatusCode::UNAUTHORIZED {
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"caliper\""),
                );
            }
            (status, Some(detail), resp)
        }
    };
    shared.keep(Received {
        seq,
        method: parts.method.to_string(),
        path: parts.uri.to_string(),
        headers: headers_of(&parts.headers),
        auth: shared.auth_of(&parts.headers),
        body,
        status: status.as_u16(),
        refused: None,
        problem: problem_detail,
    });
    resp
}

fn router(shared: Arc<Shared>, recorder: Option<Recorder>) -> Router {
    let app = Router::new()
        .fallback(handle)
        .with_state(Arc::clone(&shared));
    let app = match recorder {
        Some(rec) => app.layer(axum::middleware::from_fn_with_state(rec, record_layer)),
        None => app,
    };
    app.layer(axum::middleware::from_fn_with_state(shared, body_guard))
}

/// Starts the endpoint on `config.listen`. Every inbound request is recorded
/// through `recorder` when given.
pub async fn start(
    config: EndpointConfig,
    recorder: Option<Recorder>,
) -> Result<RunningEndpoint, EndpointError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| EndpointError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| EndpointError::Bind {
            addr: config.listen,
            source,
        })?;
    let url = format!("{}{ENDPOINT_PATH}", crate::endpoints_for(addr).base_url);
    let shared = Arc::new(Shared {
        config,
        received: Mutex::new(Vec::new()),
        next_seq: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        events: AtomicUsize::new(0),
        recorder: recorder.clone(),
    });
    let app = router(Arc::clone(&shared), recorder);
    let server = accredit_core::server::ServerHandle::spawn(listener, app);
    Ok(RunningEndpoint {
        addr,
        url,
        shared,
        server,
    })
}

/// Runs the endpoint until Ctrl-C (a stand-alone reference endpoint).
pub async fn serve(config: EndpointConfig) -> Result<(), EndpointError> {
    let running = start(config, None).await?;
    eprintln!("{}", running.describe());
    eprintln!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .map_err(EndpointError::Serve)?;
    running.shutdown().await;
    Ok(())
}

/// Starts the reference endpoint on a free loopback port with `token` and
/// `faults` (empty for a conformant endpoint), for the demo and the tests; the
/// suite crate's `endpoint_demo_profile` writes the `[caliper-endpoint]` table.
pub async fn start_reference_endpoint_for_demo(
    token: Secret,
    faults: Vec<Fault>,
    recorder: Option<Recorder>,
) -> Result<RunningEndpoint, EndpointError> {
    let listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut config = EndpointConfig::reference(listen, token);
    config.faults = faults;
    start(config, recorder).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_with_defaults_and_refuses_unknown_keys() {
        let cfg: Result<EndpointConfig, _> = toml::from_str(
            "listen = \"127.0.0.1:0\"\ntoken = \"file:/dev/null\"\nfaults = [\"accept-missing-auth\"]\n",
        );
        let cfg = cfg.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.supported_versions, default_versions());
        assert_eq!(cfg.faults, vec![Fault::AcceptMissingAuth]);
        let inline: Result<EndpointConfig, _> =
            toml::from_str("listen = \"127.0.0.1:0\"\ntoken = \"hunter2\"\n");
        assert!(inline.is_err(), "inline tokens are refused");
        let unknown: Result<EndpointConfig, _> =
            toml::from_str("listen = \"127.0.0.1:0\"\ntoken = \"file:/dev/null\"\ntokn = \"x\"\n");
        assert!(unknown.is_err());
    }

    #[test]
    fn credentials_are_compared_exactly_and_never_kept() {
        let shared = Shared {
            config: EndpointConfig::reference(
                SocketAddr::from(([127, 0, 0, 1], 0)),
                Secret::from_value("env:T", "tok-123"),
            ),
            received: Mutex::new(Vec::new()),
            next_seq: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            events: AtomicUsize::new(0),
            recorder: None,
        };
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(header::AUTHORIZATION, v);
            }
            h
        };
        assert_eq!(shared.auth_of(&with("Bearer tok-123")), AuthSeen::Bearer);
        assert_eq!(shared.auth_of(&with("bearer tok-123")), AuthSeen::Bearer);
        assert_eq!(
            shared.auth_of(&with("Bearer tok-1234")),
            AuthSeen::WrongToken
        );
        assert_eq!(
            shared.auth_of(&with("Basic dG9r")),
            AuthSeen::OtherScheme("Basic".into())
        );
        assert_eq!(shared.auth_of(&HeaderMap::new()), AuthSeen::Missing);
        let kept = headers_of(&with("Bearer tok-123"));
        assert_eq!(kept, vec![("authorization".into(), "[redacted]".into())]);
    }
}
