//! Chromium's DevTools network log, turned into hops and evidence exchanges.
//!
//! Why: both browser modes (the tool side's `--browser`, [`crate::browser`], and
//! the platform side's scripted launches, [`crate::platform::scripted`]) let
//! Chromium make the launch's requests itself, so the harness's
//! [`accredit_core::http::RecordingClient`] never sees them. What Chromium did is
//! read back from its performance log (`Network.*` events, as chromedriver
//! returns them) and turned into
//! - [`Hop`]s, so a browser launch is judged by the same code as an HTTP one;
//! - [`Exchange`]s (`recorded_by: "chromium"`), so a reviewer finds the browser's
//!   page loads, redirects and form posts in `evidence/<case>.json` and the HTML
//!   report exactly like the HTTP user agent's, with bodies captured under the
//!   same caps, JWTs (the `form_post` `id_token`) decoded, and the same
//!   structural redaction (cookies, secret headers and form fields).
//!
//! One implementation for both modes; they differ only in which frames count
//! ([`Scope`]). The log is candidate-controlled data (URLs, headers, status
//! lines come from the candidate's answers) and chromedriver's own format:
//! every event that does not have the expected shape is skipped, never a panic.
//!
//! Cookies: Chromium leaves `Cookie` and `Set-Cookie` out of the headers of
//! `requestWillBeSent`/`responseReceived` and reports the raw headers in
//! `*ExtraInfo` events, which carry only the `requestId` (shared by every hop of
//! a redirect chain) and may arrive before or after the event they belong to.
//! They are matched by position within the chain (the k-th extra info of an id
//! to its k-th hop), only when the counts agree (requests) or the status code
//! agrees (responses), and only headers the hop lacks are added: a header is
//! never attributed to the wrong hop, at worst left out.
//!
//! Known limit: DevTools does not always carry a POST body (`postData` is left
//! out of large bodies); such a request is recorded with an empty body. Bodies
//! of responses are not in the log: only the final document (read from the page)
//! is recorded.

use std::collections::HashMap;

use base64::Engine as _;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use url::Url;

use accredit_core::evidence::{RedactUrl as _, capture_body, capture_headers, find_jwts};
use accredit_core::http::Captured;
use accredit_core::reports::{Direction, Exchange, HttpRequest, HttpResponse, Redactor};

use crate::ua::{Hop, Nav};

/// Most characters of a failed load's description (it can be a whole
/// `chrome-error:` page) kept as the exchange's `error`.
const MAX_ERROR: usize = 2000;

/// Which document requests a [`NetLog`] turns into hops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every frame's (the scripted launch: the LMS page itself is the launch).
    AllFrames,
    /// Only the frames below the first top-level page (the tool's iframe in the
    /// harness's platform page). The top-level page's loads are still kept for
    /// the evidence ([`ChromiumHop::top`]) but are not hops, do not count as
    /// activity and are never "in flight".
    Subframes,
}

/// Document requests rebuilt from DevTools `Network.*` events.
#[derive(Debug)]
pub(crate) struct NetLog {
    scope: Scope,
    /// In-scope document events absorbed so far (progress detection).
    pub(crate) events: usize,
    /// The first frame seen (the top-level page), for [`Scope::Subframes`].
    main_frame: Option<String>,
    /// Every document request, in order.
    pub(crate) hops: Vec<PendingHop>,
    /// requestId → index of its current hop (a redirect reuses the id).
    current: HashMap<String, usize>,
    /// requestId → indices of its hops, in order (the redirect chain).
    chains: HashMap<String, Vec<usize>>,
    /// requestId → raw request headers of `requestWillBeSentExtraInfo`, in order.
    request_extra: HashMap<String, Vec<HeaderMap>>,
    /// requestId → status and raw headers of `responseReceivedExtraInfo`, in order.
    response_extra: HashMap<String, Vec<(Option<u16>, HeaderMap)>>,
    /// Cookies Chromium refused to store or to send, with its reasons.
    pub(crate) notes: Vec<String>,
}

impl Default for NetLog {
    fn default() -> NetLog {
        NetLog::new(Scope::AllFrames)
    }
}

/// One document request while the log is being read.
#[derive(Debug)]
pub(crate) struct PendingHop {
    pub(crate) nav: Nav,
    /// Made by the top-level page (out of scope under [`Scope::Subframes`]).
    pub(crate) top: bool,
    pub(crate) request_headers: HeaderMap,
    pub(crate) status: Option<u16>,
    pub(crate) headers: HeaderMap,
    pub(crate) failure: Option<String>,
    /// `wallTime` of the request (seconds since the epoch).
    pub(crate) wall: Option<f64>,
    /// DevTools monotonic `timestamp`s (seconds) of the request and its answer.
    pub(crate) sent: Option<f64>,
    pub(crate) answered: Option<f64>,
}

/// A finished document request: the hop the judging code reads, plus what only
/// the evidence needs.
#[derive(Debug, Clone)]
pub(crate) struct ChromiumHop {
    /// The hop (status 0 and the failure as body when nothing was loaded).
    pub(crate) hop: Hop,
    /// The request headers DevTools reported.
    pub(crate) request_headers: HeaderMap,
    /// When Chromium sent it (RFC 3339), from the event's wall clock.
    pub(crate) started_at: Option<String>,
    /// Until its answer, from DevTools' monotonic clock (0 when unknown).
    pub(crate) duration_ms: u64,
    /// Made by the top-level page (not a hop under [`Scope::Subframes`]).
    pub(crate) top: bool,
}

impl NetLog {
    /// An empty log keeping the hops of `scope`.
    pub(crate) fn new(scope: Scope) -> NetLog {
        NetLog {
            scope,
            events: 0,
            main_frame: None,
            hops: Vec::new(),
            current: HashMap::new(),
            chains: HashMap::new(),
            request_extra: HashMap::new(),
            response_extra: HashMap::new(),
            notes: Vec::new(),
        }
    }

    /// Absorbs one answer of chromedriver's `se/log` (`performance`): an array of
    /// entries whose `message` is a JSON string. Anything else is skipped.
    pub(crate) fn absorb(&mut self, log: &Value) {
        for entry in log.as_array().into_iter().flatten() {
            let Some(msg) = entry
                .get("message")
                .and_then(Value::as_str)
                .and_then(|m| serde_json::from_str::<Value>(m).ok())
            else {
                continue;
            };
            let method = msg
                .pointer("/message/method")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Some(params) = msg.pointer("/message/params") {
                self.event(method, params);
            }
        }
    }

    fn in_scope(&self, i: usize) -> bool {
        self.hops.get(i).is_some_and(|h| !h.top)
    }

    fn event(&mut self, method: &str, p: &Value) {
        let id = p
            .get("requestId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let at = p.get("timestamp").and_then(Value::as_f64);
        match method {
            "Network.requestWillBeSent"
                if p.get("type").and_then(Value::as_str) == Some("Document") =>
            {
                let frame = p
                    .get("frameId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if self.main_frame.is_none() {
                    self.main_frame = Some(frame.clone());
                }
                let top = self.scope == Scope::Subframes
                    && self.main_frame.as_deref() == Some(frame.as_str());
                if !top {
                    self.events += 1;
                }
                if let (Some(r), Some(&i)) = (p.get("redirectResponse"), self.current.get(&id))
                    && let Some(h) = self.hops.get_mut(i)
                {
                    h.status = status_of(r);
                    h.headers = headers(r.get("headers"));
                    h.answered = at;
                }
                let Some(nav) = nav_of(p.get("request")) else {
                    return;
                };
                self.chains
                    .entry(id.clone())
                    .or_default()
                    .push(self.hops.len());
                self.current.insert(id, self.hops.len());
                self.hops.push(PendingHop {
                    nav,
                    top,
                    request_headers: headers(p.pointer("/request/headers")),
                    status: None,
                    headers: HeaderMap::new(),
                    failure: None,
                    wall: p.get("wallTime").and_then(Value::as_f64),
                    sent: at,
                    answered: None,
                });
            }
            "Network.responseReceived" => {
                if let Some(&i) = self.current.get(&id) {
                    if self.in_scope(i) {
                        self.events += 1;
                    }
                    if let Some(h) = self.hops.get_mut(i) {
                        let r = p.get("response");
                        h.status = r.and_then(status_of);
                        h.headers = headers(r.and_then(|r| r.get("headers")));
                        h.answered = at;
                    }
                }
            }
            "Network.loadingFailed" => {
                if let Some(&i) = self.current.get(&id) {
                    if self.in_scope(i) {
                        self.events += 1;
                    }
                    if let Some(h) = self.hops.get_mut(i) {
                        let text = p
                            .get("errorText")
                            .and_then(Value::as_str)
                            .unwrap_or("failed");
                        let blocked = p
                            .get("blockedReason")
                            .or_else(|| p.get("corsErrorStatus"))
                            .map(|b| format!(" (blocked: {b})"))
                            .unwrap_or_default();
                        h.failure = Some(format!("{text}{blocked}"));
                        h.answered = at;
                    }
                }
            }
            "Network.requestWillBeSentExtraInfo" => {
                if !id.is_empty() {
                    self.request_extra
                        .entry(id.clone())
                        .or_default()
                        .push(headers(p.get("headers")));
                }
                let url = self.url_of(&id);
                for c in p
                    .get("associatedCookies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let reasons = reasons(c.get("blockedReasons"));
                    if !reasons.is_empty() {
                        let name = c
                            .pointer("/cookie/name")
                            .and_then(Value::as_str)
                            .unwrap_or("?");
                        self.notes.push(format!(
                            "Chromium did not send cookie `{name}` ({reasons}) with {url}"
                        ));
                    }
                }
            }
            "Network.responseReceivedExtraInfo" => {
                if !id.is_empty() {
                    self.response_extra
                        .entry(id.clone())
                        .or_default()
                        .push((status_of_key(p, "statusCode"), headers(p.get("headers"))));
                }
                for c in p
                    .get("blockedCookies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let reasons = reasons(c.get("blockedReasons"));
                    let line = c.get("cookieLine").and_then(Value::as_str).unwrap_or("?");
                    // (No URL: this event may come after the redirect it
                    // belongs to has already started the next request.)
                    self.notes.push(format!(
                        "Chromium refused to store a cookie ({reasons}): `{line}`"
                    ));
                }
            }
            _ => {}
        }
    }

    fn url_of(&self, id: &str) -> String {
        self.current
            .get(id)
            .and_then(|&i| self.hops.get(i))
            .map(|h| h.nav.url.to_string())
            .unwrap_or_else(|| "a request outside the iframe".into())
    }

    /// Whether a document request is still waiting for its answer: any in
    /// scope for [`Scope::AllFrames`], the iframe's latest for
    /// [`Scope::Subframes`] (a navigation the next one replaced never answers).
    pub(crate) fn in_flight(&self) -> bool {
        let open = |h: &PendingHop| h.status.is_none() && h.failure.is_none();
        match self.scope {
            Scope::AllFrames => self.hops.iter().any(open),
            Scope::Subframes => self.hops.iter().rev().find(|h| !h.top).is_some_and(open),
        }
    }

    /// Per hop in scope: start time (RFC 3339) and duration (ms).
    pub(crate) fn times(&self) -> Vec<(Option<String>, u64)> {
        self.hops.iter().filter(|h| !h.top).map(timing).collect()
    }

    /// The hops in scope.
    pub(crate) fn into_hops(self) -> Vec<Hop> {
        self.finish()
            .into_iter()
            .filter(|c| !c.top)
            .map(|c| c.hop)
            .collect()
    }

    /// Adds the headers of the `*ExtraInfo` events (cookies) to the hops they
    /// belong to, as far as that is certain (see the module docs).
    fn merge_extra_info(&mut self) {
        for (id, chain) in &self.chains {
            if let Some(extra) = self.request_extra.get(id)
                && extra.len() == chain.len()
            {
                for (&i, raw) in chain.iter().zip(extra) {
                    if let Some(h) = self.hops.get_mut(i) {
                        add_missing(&mut h.request_headers, raw);
                    }
                }
            }
            for (&i, (status, raw)) in chain
                .iter()
                .zip(self.response_extra.get(id).into_iter().flatten())
            {
                if let Some(h) = self.hops.get_mut(i)
                    && status.is_some()
                    && *status == h.status
                {
                    add_missing(&mut h.headers, raw);
                }
            }
        }
    }

    /// Every document request (top-level ones included, flagged), finished.
    pub(crate) fn finish(mut self) -> Vec<ChromiumHop> {
        self.merge_extra_info();
        self.hops
            .into_iter()
            .map(|h| {
                let (started_at, duration_ms) = timing(&h);
                let status = if h.failure.is_some() {
                    0
                } else {
                    h.status.unwrap_or(0)
                };
                let body = h
                    .failure
                    .map(|f| format!("the browser did not load this page: {f}"))
                    .unwrap_or_default();
                ChromiumHop {
                    hop: Hop {
                        status,
                        seq: usize::MAX,
                        response: Captured {
                            status: reqwest::StatusCode::from_u16(status)
                                .unwrap_or(reqwest::StatusCode::BAD_GATEWAY),
                            headers: h.headers,
                            url: h.nav.url.clone(),
                            body: body.into_bytes().into(),
                            seq: usize::MAX,
                        },
                        nav: h.nav,
                    },
                    request_headers: h.request_headers,
                    started_at,
                    duration_ms,
                    top: h.top,
                }
            })
            .collect()
    }
}

fn timing(h: &PendingHop) -> (Option<String>, u64) {
    let started = h
        .wall
        .filter(|w| w.is_finite())
        .and_then(|w| chrono::DateTime::from_timestamp_millis((w * 1000.0) as i64))
        .map(|t| t.to_rfc3339());
    let ms = match (h.sent, h.answered) {
        (Some(a), Some(b)) if b >= a && (b - a).is_finite() => ((b - a) * 1000.0) as u64,
        _ => 0,
    };
    (started, ms)
}

fn status_of(r: &Value) -> Option<u16> {
    status_of_key(r, "status")
}

fn status_of_key(r: &Value, key: &str) -> Option<u16> {
    r.get(key)
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
}

/// Adds to `to` every header of `raw` whose name `to` does not have.
fn add_missing(to: &mut HeaderMap, raw: &HeaderMap) {
    for name in raw.keys() {
        if !to.contains_key(name) {
            for v in raw.get_all(name) {
                to.append(name.clone(), v.clone());
            }
        }
    }
}

/// The evidence exchange of one hop Chromium made: request (method, URL,
/// `headers`, the form body re-encoded), response (status, headers, body as far
/// as the hop has one) or the failure, JWTs decoded; structural redaction with
/// `redactor`, bodies capped by [`capture_body`]. `started_at` falls back to now.
pub(crate) fn exchange(
    hop: &Hop,
    request_headers: &HeaderMap,
    started_at: Option<&str>,
    duration_ms: u64,
    direction: Direction,
    redactor: &Redactor,
) -> Exchange {
    let body = if hop.nav.method == Method::POST {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(hop.nav.form.iter())
            .finish()
    } else {
        String::new()
    };
    let request = HttpRequest {
        method: hop.nav.method.to_string(),
        url: redactor.redact_urlencoded_url(hop.nav.url.as_str()),
        headers: capture_headers(request_headers, redactor),
        body: capture_body(
            body.as_bytes(),
            (!body.is_empty()).then_some("application/x-www-form-urlencoded"),
            redactor,
        ),
    };
    let response = (hop.status != 0).then(|| HttpResponse {
        status: hop.status,
        headers: capture_headers(&hop.response.headers, redactor),
        body: capture_body(
            &hop.response.body,
            hop.response.header("content-type"),
            redactor,
        ),
    });
    let error = (hop.status == 0).then(|| {
        let text: String = hop.response.text().chars().take(MAX_ERROR).collect();
        redactor.redact_str(&text).into_owned()
    });
    let jwts = find_jwts(&request, response.as_ref());
    Exchange {
        seq: 0,
        direction,
        recorded_by: Some("chromium".into()),
        started_at: started_at
            .map(str::to_string)
            .unwrap_or_else(|| chrono::Utc::now().to_rfc3339()),
        duration_ms,
        request,
        response,
        error,
        jwts,
    }
}

fn reasons(v: Option<&Value>) -> String {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// DevTools headers (an object of strings) as a header map; invalid names or
/// values are dropped.
pub(crate) fn headers(v: Option<&Value>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in v.and_then(Value::as_object).into_iter().flatten() {
        let value = v.as_str().unwrap_or_default();
        // DevTools joins repeated headers with newlines.
        for part in value.split('\n') {
            if let (Ok(name), Ok(val)) = (
                reqwest::header::HeaderName::from_bytes(k.as_bytes()),
                reqwest::header::HeaderValue::from_str(part),
            ) {
                map.append(name, val);
            }
        }
    }
    map
}

/// A DevTools `Request` as a [`Nav`]: method, URL and the form fields of its
/// body (`postData`, or the newer base64 `postDataEntries`).
pub(crate) fn nav_of(request: Option<&Value>) -> Option<Nav> {
    let r = request?;
    let url = Url::parse(r.get("url")?.as_str()?).ok()?;
    let method = Method::from_bytes(r.get("method")?.as_str()?.as_bytes()).ok()?;
    let form = r
        .get("postData")
        .and_then(Value::as_str)
        .map(|body| {
            url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .or_else(|| {
            r.get("postDataEntries").and_then(Value::as_array).map(|e| {
                let bytes: Vec<u8> = e
                    .iter()
                    .filter_map(|x| x.get("bytes").and_then(Value::as_str))
                    .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    .flatten()
                    .collect();
                url::form_urlencoded::parse(&bytes)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
        })
        .unwrap_or_default();
    Some(Nav { method, url, form })
}

#[cfg(test)]
mod tests {
    use super::*;
    use accredit_core::jose::{SigningKey, sign_rs256};
    use rstest::rstest;
    use serde_json::json;

    const PLATFORM: &str = "http://localhost:7001";
    const TOOL: &str = "http://127.0.0.1:7002";

    /// A performance-log entry as chromedriver returns it.
    fn entry(method: &str, params: Value) -> Value {
        json!({
            "level": "INFO",
            "timestamp": 0,
            "message": json!({ "message": { "method": method, "params": params }, "webview": "x" })
                .to_string(),
        })
    }

    fn sent(id: &str, frame: &str, method: &str, url: &str, at: f64, extra: Value) -> Value {
        let mut p = json!({
            "requestId": id, "frameId": frame, "type": "Document",
            "timestamp": at, "wallTime": 1_700_000_000.0 + at,
            "request": { "url": url, "method": method,
                         "headers": { "User-Agent": "HeadlessChrome" } },
        });
        for (k, v) in extra.as_object().into_iter().flatten() {
            let target = if k.starts_with("postData") {
                p.get_mut("request")
            } else {
                Some(&mut p)
            };
            if let Some(obj) = target.and_then(Value::as_object_mut) {
                obj.insert(k.clone(), v.clone());
            }
        }
        entry("Network.requestWillBeSent", p)
    }

    fn answered(id: &str, status: u16, at: f64) -> Value {
        entry(
            "Network.responseReceived",
            json!({ "requestId": id, "type": "Document", "timestamp": at,
                    "response": { "status": status, "headers": { "Content-Type": "text/html" } } }),
        )
    }

    fn id_token() -> String {
        let key = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
        sign_rs256(
            &json!({ "iss": "https://platform.example", "aud": "tool", "nonce": "n-1" }),
            &key,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The tool side's launch: the platform page, then in its iframe the tool's
    /// login (302 with a state cookie), the platform's auth endpoint, the
    /// `form_post` to the tool carrying the cookie back.
    fn launch_log(token: &str) -> Value {
        Value::Array(vec![
            sent(
                "top",
                "F0",
                "GET",
                &format!("{PLATFORM}/?a=1"),
                1.0,
                json!({}),
            ),
            answered("top", 200, 1.01),
            sent(
                "r1",
                "F1",
                "GET",
                &format!("{TOOL}/lti/login?x=1"),
                2.0,
                json!({}),
            ),
            // Raw headers of the redirect's response, before the next hop starts.
            entry(
                "Network.responseReceivedExtraInfo",
                json!({ "requestId": "r1", "statusCode": 302, "headers": {
                    "Location": format!("{PLATFORM}/lti/auth?state=s"),
                    "Set-Cookie": "st=secret-state; SameSite=None; Secure" } }),
            ),
            sent(
                "r1",
                "F1",
                "GET",
                &format!("{PLATFORM}/lti/auth?state=s"),
                2.25,
                json!({ "redirectResponse": { "status": 302, "headers": {
                    "Location": format!("{PLATFORM}/lti/auth?state=s") } } }),
            ),
            answered("r1", 200, 2.5),
            sent(
                "r2",
                "F1",
                "POST",
                &format!("{TOOL}/lti/launch"),
                3.0,
                json!({ "postData": format!("id_token={token}&state=s") }),
            ),
            // The request's raw headers arrive after the request.
            entry(
                "Network.requestWillBeSentExtraInfo",
                json!({ "requestId": "r2", "associatedCookies": [],
                        "headers": { "Cookie": "st=secret-state", "User-Agent": "other" } }),
            ),
            answered("r2", 200, 3.5),
        ])
    }

    fn exchanges(net: NetLog, redactor: &Redactor) -> Vec<Exchange> {
        net.finish()
            .iter()
            .map(|c| {
                let direction = if c.hop.nav.url.as_str().starts_with(PLATFORM) {
                    Direction::HarnessToMock
                } else {
                    Direction::HarnessToCandidate
                };
                exchange(
                    &c.hop,
                    &c.request_headers,
                    c.started_at.as_deref(),
                    c.duration_ms,
                    direction,
                    redactor,
                )
            })
            .collect()
    }

    fn header<'a>(headers: &'a [accredit_core::reports::Header], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    #[test]
    fn every_document_request_becomes_an_exchange_with_cookies_redacted_and_the_id_token_decoded() {
        let token = id_token();
        let mut net = NetLog::new(Scope::Subframes);
        net.absorb(&launch_log(&token));
        let xs = exchanges(net, &Redactor::default());
        let seen: Vec<(Direction, &str, Option<u16>)> = xs
            .iter()
            .map(|x| {
                (
                    x.direction,
                    x.request.method.as_str(),
                    x.response.as_ref().map(|r| r.status),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (Direction::HarnessToMock, "GET", Some(200)),
                (Direction::HarnessToCandidate, "GET", Some(302)),
                (Direction::HarnessToMock, "GET", Some(200)),
                (Direction::HarnessToCandidate, "POST", Some(200)),
            ],
            "the platform page too, in order"
        );
        assert!(
            xs.iter()
                .all(|x| x.recorded_by.as_deref() == Some("chromium"))
        );

        let login = &xs[1];
        assert_eq!(login.duration_ms, 250, "until the redirect answered");
        assert!(
            login.started_at.starts_with("2023-11-14T22:13:22"),
            "{}",
            login.started_at
        );
        let resp = login
            .response
            .as_ref()
            .unwrap_or_else(|| panic!("answered"));
        assert_eq!(
            header(&resp.headers, "location"),
            Some(format!("{PLATFORM}/lti/auth?state=s").as_str())
        );
        let set_cookie = header(&resp.headers, "set-cookie").unwrap_or_default();
        assert!(
            set_cookie.starts_with("st=[redacted]") && set_cookie.contains("SameSite=None"),
            "Set-Cookie from the extra info, value redacted: {set_cookie}"
        );
        assert!(
            !serde_json::to_string(&xs)
                .unwrap_or_default()
                .contains("secret-state")
        );

        let post = &xs[3];
        assert_eq!(
            post.request.body.text.as_deref(),
            Some(format!("id_token={token}&state=s").as_str())
        );
        assert_eq!(post.jwts.len(), 1, "{:?}", post.jwts);
        assert_eq!(post.jwts[0].found_in, "request.form.id_token");
        assert_eq!(post.jwts[0].claims["iss"], "https://platform.example");
        assert_eq!(post.jwts[0].header["alg"], "RS256");
        assert_eq!(
            header(&post.request.headers, "cookie"),
            Some("st=[redacted]")
        );
        assert_eq!(
            header(&post.request.headers, "user-agent"),
            Some("HeadlessChrome"),
            "the event's own headers win over the extra info's"
        );
    }

    #[test]
    fn subframes_scope_keeps_the_platform_page_out_of_the_hops() {
        let mut net = NetLog::new(Scope::Subframes);
        net.absorb(&launch_log("a.b.c"));
        assert_eq!(net.events, 5, "top-level events are not progress");
        assert_eq!(net.times().len(), 3);
        let paths: Vec<String> = net
            .into_hops()
            .iter()
            .map(|h| h.nav.url.path().to_string())
            .collect();
        assert_eq!(paths, ["/lti/login", "/lti/auth", "/lti/launch"]);

        let mut all = NetLog::new(Scope::AllFrames);
        all.absorb(&launch_log("a.b.c"));
        assert_eq!(all.into_hops().len(), 4);
    }

    #[test]
    fn extra_info_that_cannot_be_placed_with_certainty_is_left_out() {
        let mut net = NetLog::new(Scope::Subframes);
        net.absorb(&Value::Array(vec![
            sent("top", "F0", "GET", &format!("{PLATFORM}/"), 1.0, json!({})),
            sent(
                "r1",
                "F1",
                "GET",
                &format!("{TOOL}/lti/login"),
                2.0,
                json!({}),
            ),
            sent(
                "r1",
                "F1",
                "GET",
                &format!("{PLATFORM}/lti/auth"),
                2.1,
                json!({ "redirectResponse": { "status": 302, "headers": {} } }),
            ),
            answered("r1", 200, 2.2),
            // Status 200 where the first hop of the chain answered 302.
            entry(
                "Network.responseReceivedExtraInfo",
                json!({ "requestId": "r1", "statusCode": 200,
                        "headers": { "Set-Cookie": "a=1" } }),
            ),
            // One request extra info for a chain of two: which hop is unknown.
            entry(
                "Network.requestWillBeSentExtraInfo",
                json!({ "requestId": "r1", "headers": { "Cookie": "b=2" } }),
            ),
        ]));
        let xs = exchanges(net, &Redactor::default());
        assert_eq!(xs.len(), 3);
        for x in &xs {
            assert_eq!(header(&x.request.headers, "cookie"), None, "{x:?}");
            let resp = x
                .response
                .as_ref()
                .map(|r| r.headers.as_slice())
                .unwrap_or(&[]);
            assert_eq!(header(resp, "set-cookie"), None, "{x:?}");
        }
    }

    #[test]
    fn a_failed_load_is_an_error_and_bodies_are_capped() {
        let mut net = NetLog::new(Scope::Subframes);
        net.absorb(&Value::Array(vec![
            sent("top", "F0", "GET", &format!("{PLATFORM}/"), 1.0, json!({})),
            sent(
                "r1",
                "F1",
                "GET",
                &format!("{TOOL}/lti/login"),
                2.0,
                json!({}),
            ),
            entry(
                "Network.loadingFailed",
                json!({ "requestId": "r1", "errorText": "net::ERR_BLOCKED_BY_RESPONSE",
                        "blockedReason": "xfo", "timestamp": 2.5 }),
            ),
        ]));
        let mut done = net.finish();
        let x = exchange(
            &done[1].hop,
            &done[1].request_headers,
            None,
            0,
            Direction::HarnessToCandidate,
            &Redactor::default(),
        );
        assert!(x.response.is_none());
        assert!(
            x.error
                .as_deref()
                .is_some_and(|e| e.contains("ERR_BLOCKED_BY_RESPONSE") && e.contains("xfo")),
            "{x:?}"
        );
        assert!(!x.started_at.is_empty(), "falls back to now");

        // The final document read from the page can be large: capped like every body.
        let big = "<p>x</p>".repeat(accredit_core::evidence::BODY_CAPTURE_LIMIT / 4);
        done[0].hop.status = 200;
        done[0].hop.response.body = big.clone().into_bytes().into();
        let x = exchange(
            &done[0].hop,
            &done[0].request_headers,
            None,
            0,
            Direction::HarnessToMock,
            &Redactor::default(),
        );
        let body = x.response.map(|r| r.body).unwrap_or_default();
        assert!(body.truncated);
        assert_eq!(body.size as usize, big.len());
        assert_eq!(
            body.text.map(|t| t.len()),
            Some(accredit_core::evidence::BODY_CAPTURE_LIMIT)
        );
    }

    #[rstest]
    #[case::not_an_array(json!({ "not": "an array" }))]
    #[case::garbage_entries(json!([1, "x", null, { "message": "not json" }, { "message": "{\"message\":{}}" }]))]
    #[case::no_request(json!([entry("Network.requestWillBeSent", json!({ "requestId": "1", "type": "Document" }))]))]
    #[case::relative_url(json!([entry("Network.requestWillBeSent", json!({ "requestId": "1", "type": "Document",
        "request": { "url": "/relative", "method": "GET" } }))]))]
    #[case::bad_method(json!([entry("Network.requestWillBeSent", json!({ "requestId": "1", "type": "Document",
        "request": { "url": "http://x/", "method": "GE T" } }))]))]
    #[case::params_not_an_object(json!([entry("Network.responseReceived", json!("params")),
        entry("Network.loadingFailed", json!([1, 2])),
        entry("Network.responseReceivedExtraInfo", json!({ "requestId": 5, "blockedCookies": "x" }))]))]
    fn malformed_events_are_skipped(#[case] log: Value) {
        let mut net = NetLog::new(Scope::Subframes);
        net.absorb(&log);
        assert!(!net.in_flight());
        assert!(net.finish().is_empty());
    }

    #[test]
    fn malformed_fields_of_a_real_request_never_panic() {
        let mut net = NetLog::new(Scope::AllFrames);
        net.absorb(&Value::Array(vec![
            entry(
                "Network.requestWillBeSent",
                json!({ "requestId": "1", "type": "Document", "frameId": 7,
                        "timestamp": "soon", "wallTime": 1e300,
                        "request": { "url": "http://x/", "method": "POST",
                                     "headers": { "Bad Name": "v", "X-Ok": "a\nb", "X-Num": 3 },
                                     "postDataEntries": [{ "bytes": "!!not base64" }, { "bytes": 4 }] } }),
            ),
            entry(
                "Network.responseReceived",
                json!({ "requestId": "1", "timestamp": -1.0,
                        "response": { "status": 70000, "headers": ["x"] } }),
            ),
            entry(
                "Network.responseReceivedExtraInfo",
                json!({ "requestId": "1", "statusCode": "302", "headers": { "Set-Cookie": 1 } }),
            ),
        ]));
        let done = net.finish();
        assert_eq!(done.len(), 1);
        let c = &done[0];
        assert_eq!(
            c.hop.status, 0,
            "a status that is no HTTP status is no answer"
        );
        assert_eq!(c.started_at, None);
        assert_eq!(c.duration_ms, 0);
        assert!(c.hop.nav.form.is_empty());
        assert_eq!(c.request_headers.get_all("x-ok").iter().count(), 2);
        assert!(c.request_headers.get("x-num").is_some());
        let x = exchange(
            &c.hop,
            &c.request_headers,
            None,
            0,
            Direction::HarnessToCandidate,
            &Redactor::default(),
        );
        assert!(x.response.is_none());
    }
}
