//! Evidence capture: every HTTP exchange of a case, both directions.
//!
//! [`EvidenceLog`] is one case's append-only record. The harness's own requests
//! are recorded by [`crate::http::RecordingClient`]; requests the candidate sends
//! to a mock are recorded by [`record_layer`] on the mock's router and handed to
//! the [`EvidenceRouter`], which files each under the case that claimed one of the
//! keys it contains (a fresh `login_hint`, `state`, token...), or under the run's
//! unattributed log. Capture applies structural redaction immediately, so secrets
//! never sit in memory in evidence form either.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use http_body_util::BodyExt;

use accredit_reports::{
    Body, CaseEvidence, DecodedJwt, Direction, Exchange, Header, HttpRequest, HttpResponse,
    LogLine, Redactor,
};

/// Bytes of a body kept in evidence; the rest is dropped and marked truncated.
pub const BODY_CAPTURE_LIMIT: usize = 64 * 1024;

/// Bytes a mock accepts in one request body before answering 413.
pub const MOCK_REQUEST_LIMIT: usize = 4 * 1024 * 1024;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// One case's evidence. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct EvidenceLog {
    inner: Arc<Mutex<CaseEvidence>>,
    redactor: Redactor,
}

impl EvidenceLog {
    /// A new, empty log for `case_id`.
    pub fn new(case_id: &str, redactor: Redactor) -> EvidenceLog {
        EvidenceLog {
            inner: Arc::new(Mutex::new(CaseEvidence {
                case_id: case_id.to_string(),
                ..CaseEvidence::default()
            })),
            redactor,
        }
    }

    /// The redactor used at capture time.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Appends an exchange; sequence numbers are assigned here.
    pub fn push(&self, mut ex: Exchange) {
        let mut g = lock(&self.inner);
        ex.seq = g.exchanges.len() as u32;
        g.exchanges.push(ex);
    }

    /// Appends a log line.
    pub fn log(&self, at: Duration, text: String) {
        let text = self.redactor.redact_str(&text).into_owned();
        lock(&self.inner).log.push(LogLine {
            at_ms: at.as_millis() as u64,
            text,
        });
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> CaseEvidence {
        lock(&self.inner).clone()
    }

    /// Number of exchanges recorded so far.
    pub fn len(&self) -> usize {
        lock(&self.inner).exchanges.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Exchanges recorded by mocks (candidate to mock), for judging service calls.
    pub fn inbound(&self) -> Vec<Exchange> {
        lock(&self.inner)
            .exchanges
            .iter()
            .filter(|e| e.direction == Direction::CandidateToMock)
            .cloned()
            .collect()
    }
}

#[derive(Default)]
struct RouterInner {
    claims: Vec<(String, &'static str, EvidenceLog)>,
}

/// Files requests that mocks receive under the case that claimed them.
#[derive(Clone)]
pub struct EvidenceRouter {
    inner: Arc<Mutex<RouterInner>>,
    unattributed: EvidenceLog,
}

impl std::fmt::Debug for EvidenceRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceRouter").finish_non_exhaustive()
    }
}

/// Case id under which unattributed inbound exchanges are written.
pub const UNATTRIBUTED: &str = "_unattributed";

impl EvidenceRouter {
    /// A router whose unattributed log uses `redactor`.
    pub fn new(redactor: Redactor) -> EvidenceRouter {
        EvidenceRouter {
            inner: Arc::new(Mutex::new(RouterInner::default())),
            unattributed: EvidenceLog::new(UNATTRIBUTED, redactor),
        }
    }

    /// The redactor for captures that happen in mocks.
    pub fn redactor(&self) -> &Redactor {
        self.unattributed.redactor()
    }

    /// `case` claims every exchange whose URL or body contains `key`.
    pub fn claim(&self, key: String, case: &'static str, log: EvidenceLog) {
        if key.len() < 8 {
            tracing::warn!(
                case,
                "correlation key shorter than 8 characters may mis-attribute evidence"
            );
        }
        lock(&self.inner).claims.push((key, case, log));
    }

    /// Drops every claim of `case` (called by the runner when the case ends).
    pub fn release(&self, case: &str) {
        lock(&self.inner).claims.retain(|(_, c, _)| *c != case);
    }

    /// Files an exchange; returns the case it went to, if any.
    pub fn record(&self, ex: Exchange) -> Option<&'static str> {
        let target = {
            let g = lock(&self.inner);
            g.claims
                .iter()
                .find(|(key, _, _)| exchange_mentions(&ex, key))
                .map(|(_, case, log)| (*case, log.clone()))
        };
        match target {
            Some((case, log)) => {
                log.push(ex);
                Some(case)
            }
            None => {
                self.unattributed.push(ex);
                None
            }
        }
    }

    /// Everything nobody claimed.
    pub fn unattributed(&self) -> CaseEvidence {
        self.unattributed.snapshot()
    }
}

fn exchange_mentions(ex: &Exchange, key: &str) -> bool {
    ex.request.url.contains(key)
        || ex
            .request
            .body
            .text
            .as_deref()
            .is_some_and(|t| t.contains(key))
        || ex.request.headers.iter().any(|h| h.value.contains(key))
        || ex.jwts.iter().any(|j| j.claims.to_string().contains(key))
}

/// Captures a body: full size, capped text or base64, truncation flag; applies
/// structural redaction according to the content type.
pub fn capture_body(bytes: &[u8], content_type: Option<&str>, redactor: &Redactor) -> Body {
    let truncated = bytes.len() > BODY_CAPTURE_LIMIT;
    let kept = &bytes[..bytes.len().min(BODY_CAPTURE_LIMIT)];
    match std::str::from_utf8(kept) {
        Ok(text) => Body {
            size: bytes.len() as u64,
            truncated,
            text: Some(if truncated {
                redactor.redact_str(text).into_owned()
            } else {
                redactor.redact_body_text(content_type, text)
            }),
            base64: None,
        },
        Err(e) if truncated && e.error_len().is_none() => {
            // Cut in the middle of a UTF-8 sequence: keep the valid prefix as text.
            let text = String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned();
            Body {
                size: bytes.len() as u64,
                truncated,
                text: Some(redactor.redact_str(&text).into_owned()),
                base64: None,
            }
        }
        Err(_) => Body {
            size: bytes.len() as u64,
            truncated,
            text: None,
            base64: Some(
                base64::engine::general_purpose::STANDARD.encode(redactor.redact_bytes(kept)),
            ),
        },
    }
}

/// Captures headers with redaction.
pub fn capture_headers(headers: &http::HeaderMap, redactor: &Redactor) -> Vec<Header> {
    headers
        .iter()
        .map(|(name, value)| Header {
            name: name.as_str().to_string(),
            value: redactor.header_value(name.as_str(), &String::from_utf8_lossy(value.as_bytes())),
        })
        .collect()
}

/// Decodes a compact JWS without verifying it. Returns `None` when `s` is not
/// shaped like one (three base64url segments whose first two are JSON objects).
pub fn decode_jwt(s: &str) -> Option<(serde_json::Value, serde_json::Value)> {
    let mut parts = s.split('.');
    let (h, p, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || h.len() < 4 {
        return None;
    }
    let dec = |seg: &str| -> Option<serde_json::Value> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(seg.trim_end_matches('='))
            .ok()?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        v.is_object().then_some(v)
    };
    let header = dec(h)?;
    header.get("alg")?;
    Some((header, dec(p)?))
}

/// Finds JWT-shaped tokens in a captured exchange: form fields, query parameters,
/// `Authorization: Bearer`, JSON string members and HTML form inputs.
pub fn find_jwts(req: &HttpRequest, resp: Option<&HttpResponse>) -> Vec<DecodedJwt> {
    let mut out = Vec::new();
    let mut push = |found_in: String, raw: &str| {
        if let Some((header, claims)) = decode_jwt(raw)
            && !out.iter().any(|j: &DecodedJwt| j.raw == raw)
        {
            out.push(DecodedJwt {
                found_in,
                raw: raw.to_string(),
                header,
                claims,
            });
        }
    };
    if let Ok(u) = url::Url::parse(&req.url) {
        for (k, v) in u.query_pairs() {
            push(format!("request.query.{k}"), &v);
        }
    }
    for h in &req.headers {
        if let Some(tok) = h.value.strip_prefix("Bearer ") {
            push(format!("request.header.{}", h.name), tok);
        }
    }
    scan_body("request", &req.body, &mut push);
    if let Some(r) = resp {
        for h in &r.headers {
            if h.name == "location"
                && let Ok(u) = url::Url::parse(&h.value)
            {
                for (k, v) in u.query_pairs().chain(
                    u.fragment()
                        .map(|f| url::form_urlencoded::parse(f.as_bytes()))
                        .into_iter()
                        .flatten(),
                ) {
                    push(format!("response.location.{k}"), &v);
                }
            }
        }
        scan_body("response", &r.body, &mut push);
    }
    out
}

fn scan_body(side: &str, body: &Body, push: &mut impl FnMut(String, &str)) {
    let Some(text) = body.text.as_deref() else {
        return;
    };
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(text)
    {
        scan_json(&format!("{side}.json"), &v, push);
        return;
    }
    if !text.contains('<') && text.contains('=') {
        for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
            push(format!("{side}.form.{k}"), &v);
        }
        return;
    }
    // HTML (auto-submitting form_post pages) or anything else: look for tokens.
    for token in
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
    {
        if token.len() > 20 && token.matches('.').count() == 2 {
            push(format!("{side}.body"), token);
        }
    }
}

fn scan_json(path: &str, v: &serde_json::Value, push: &mut impl FnMut(String, &str)) {
    match v {
        serde_json::Value::String(s) => push(path.to_string(), s),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| scan_json(&format!("{path}[{i}]"), x, push)),
        serde_json::Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| scan_json(&format!("{path}.{k}"), x, push)),
        _ => {}
    }
}

/// State for [`record_layer`]: which mock is recording and where exchanges go.
#[derive(Clone, Debug)]
pub struct Recorder {
    /// Name written into `recorded_by`, e.g. `mock-platform`.
    pub mock: &'static str,
    /// Destination.
    pub router: EvidenceRouter,
}

/// Axum middleware that records every request a mock receives, with its
/// response. Bodies over [`MOCK_REQUEST_LIMIT`] are refused with 413 (and recorded).
///
/// Use with `axum::middleware::from_fn_with_state(recorder, record_layer)`.
pub async fn record_layer(
    axum::extract::State(rec): axum::extract::State<Recorder>,
    req: Request,
    next: Next,
) -> Response {
    // The harness's own user agent (following a redirect to this mock) records
    // its side of the exchange itself; recording it here too would duplicate it
    // under the wrong direction.
    if is_harness_request(req.headers()) {
        return next.run(req).await;
    }
    let started_at = chrono::Utc::now();
    let t0 = Instant::now();
    let redactor = rec.router.redactor().clone();
    let (parts, body) = req.into_parts();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("mock")
        .to_string();
    let url = format!("http://{host}{}", parts.uri);
    let req_ct = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let collected = http_body_util::Limited::new(body, MOCK_REQUEST_LIMIT)
        .collect()
        .await;
    let bytes = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            let request = HttpRequest {
                method: parts.method.to_string(),
                url: redactor.redact_str(&url).into_owned(),
                headers: capture_headers(&parts.headers, &redactor),
                body: Body {
                    size: 0,
                    truncated: true,
                    text: None,
                    base64: None,
                },
            };
            let status = if e.to_string().contains("length limit") {
                413
            } else {
                400
            };
            rec.router.record(Exchange {
                seq: 0,
                direction: Direction::CandidateToMock,
                recorded_by: Some(rec.mock.to_string()),
                started_at: started_at.to_rfc3339(),
                duration_ms: t0.elapsed().as_millis() as u64,
                request,
                response: Some(HttpResponse {
                    status,
                    headers: vec![],
                    body: Body::default(),
                }),
                error: Some(format!("request body refused: {e}")),
                jwts: vec![],
            });
            let mut resp = Response::new(AxumBody::from(format!("request body refused: {e}")));
            *resp.status_mut() =
                http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
            return resp;
        }
    };
    let request = HttpRequest {
        method: parts.method.to_string(),
        url: redactor.redact_urlencoded_url(&url),
        headers: capture_headers(&parts.headers, &redactor),
        body: capture_body(&bytes, req_ct.as_deref(), &redactor),
    };
    let req = Request::from_parts(parts, AxumBody::from(bytes));
    let resp = next.run(req).await;
    let (rparts, rbody) = resp.into_parts();
    let rbytes = match rbody.collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => bytes::Bytes::new(),
    };
    let resp_ct = rparts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let response = HttpResponse {
        status: rparts.status.as_u16(),
        headers: capture_headers(&rparts.headers, &redactor),
        body: capture_body(&rbytes, resp_ct.as_deref(), &redactor),
    };
    let jwts = find_jwts(&request, Some(&response));
    rec.router.record(Exchange {
        seq: 0,
        direction: Direction::CandidateToMock,
        recorded_by: Some(rec.mock.to_string()),
        started_at: started_at.to_rfc3339(),
        duration_ms: t0.elapsed().as_millis() as u64,
        request,
        response: Some(response),
        error: None,
        jwts,
    });
    Response::from_parts(rparts, AxumBody::from(rbytes))
}

/// The User-Agent prefix of every request the harness itself sends.
pub const HARNESS_USER_AGENT_PREFIX: &str = "accredit/";

fn is_harness_request(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with(HARNESS_USER_AGENT_PREFIX))
}

/// URL redaction: secret-named query parameters and known secrets.
pub trait RedactUrl {
    /// Redacts the query string of `url`.
    fn redact_urlencoded_url(&self, url: &str) -> String;
}

impl RedactUrl for Redactor {
    fn redact_urlencoded_url(&self, url: &str) -> String {
        match url.split_once('?') {
            Some((base, query)) => format!(
                "{}?{}",
                self.redact_str(base),
                self.redact_urlencoded(query)
            ),
            None => self.redact_str(url).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: &str, claims: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.c2ln", e(header), e(claims))
    }

    #[test]
    fn jwts_are_found_in_form_posts_and_bearer_headers() {
        let tok = jwt(
            r#"{"alg":"RS256","kid":"k1"}"#,
            r#"{"iss":"https://p.example","nonce":"n"}"#,
        );
        let req = HttpRequest {
            method: "POST".into(),
            url: "http://tool/launch".into(),
            headers: vec![Header {
                name: "authorization".into(),
                value: format!("Bearer {tok}"),
            }],
            body: Body {
                size: 10,
                truncated: false,
                text: Some(format!("id_token={tok}&state=s")),
                base64: None,
            },
        };
        let found = find_jwts(&req, None);
        assert_eq!(found.len(), 1, "deduplicated by raw value");
        assert_eq!(found[0].claims["iss"], "https://p.example");
        assert_eq!(found[0].header["kid"], "k1");
    }

    #[test]
    fn non_jwts_are_ignored() {
        assert!(decode_jwt("a.b.c").is_none());
        assert!(decode_jwt("www.example.com").is_none());
    }

    #[test]
    fn bodies_are_capped_and_marked() {
        let big = vec![b'a'; BODY_CAPTURE_LIMIT + 10];
        let b = capture_body(&big, Some("text/plain"), &Redactor::default());
        assert!(b.truncated);
        assert_eq!(b.size as usize, BODY_CAPTURE_LIMIT + 10);
        assert_eq!(b.text.map(|t| t.len()), Some(BODY_CAPTURE_LIMIT));
    }

    #[test]
    fn router_files_by_claimed_key() {
        let router = EvidenceRouter::new(Redactor::default());
        let log = EvidenceLog::new("case.a", Redactor::default());
        router.claim("hint-1234567890".into(), "case.a", log.clone());
        let ex = |url: &str| Exchange {
            seq: 0,
            direction: Direction::CandidateToMock,
            recorded_by: None,
            started_at: String::new(),
            duration_ms: 0,
            request: HttpRequest {
                method: "GET".into(),
                url: url.into(),
                headers: vec![],
                body: Body::default(),
            },
            response: None,
            error: None,
            jwts: vec![],
        };
        assert_eq!(
            router.record(ex("http://m/auth?login_hint=hint-1234567890")),
            Some("case.a")
        );
        assert_eq!(router.record(ex("http://m/other")), None);
        router.release("case.a");
        assert_eq!(
            router.record(ex("http://m/auth?login_hint=hint-1234567890")),
            None
        );
        assert_eq!(log.len(), 1);
        assert_eq!(router.unattributed().exchanges.len(), 2);
    }
}
