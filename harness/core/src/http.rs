//! The harness's HTTP client: every request it sends is evidence.
//!
//! [`RecordingClient`] wraps a `reqwest::Client` built by [`base_client`] (no
//! proxy, no automatic redirects: the harness must see every 302 and its
//! `Location`). Response bodies are read with a hard limit so a candidate that
//! streams forever or sends gigabytes yields a clear error instead of exhausting
//! memory.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::evidence::{EvidenceLog, RedactUrl, capture_body, capture_headers, find_jwts};
use accredit_reports::{Direction, Exchange, HttpRequest, HttpResponse};

/// Largest response body the harness reads from a candidate.
pub const RESPONSE_LIMIT: usize = 8 * 1024 * 1024;

/// Default per-request timeout (a case's own timeout still applies on top).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Builds the harness's base client: no proxy, no redirects, no cookies, timeouts.
pub fn base_client() -> reqwest::Result<reqwest::Client> {
    client_builder().build()
}

/// The base builder, for suites that add a cookie store.
pub fn client_builder() -> reqwest::ClientBuilder {
    with_shared_tls(
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("accredit/", env!("CARGO_PKG_VERSION"))),
    )
}

/// `builder` with the process's shared TLS connector ([`shared_tls`]).
///
/// Why: building a reqwest client with native-tls loads and parses the
/// system's root certificates, 60–90 ms of CPU each time, and the suites build
/// a fresh client for every case (a fresh browser is a fresh cookie jar), the
/// mocks one per start. The connector is reference-counted, so sharing it
/// makes a client ~10 µs. The verification is the same: the connector is
/// native-tls's default (system roots, hostname checks). If it cannot be
/// built, the builder is left as it was and `build()` reports the problem as
/// before.
pub fn with_shared_tls(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    match shared_tls() {
        Some(tls) => builder.use_preconfigured_tls(tls),
        None => builder,
    }
}

/// The TLS connector every client of this process shares (built on first use).
pub fn shared_tls() -> Option<native_tls::TlsConnector> {
    static TLS: std::sync::OnceLock<Option<native_tls::TlsConnector>> = std::sync::OnceLock::new();
    TLS.get_or_init(|| native_tls::TlsConnector::new().ok())
        .clone()
}

/// Why a request got no usable response.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The request could not be built.
    #[error("bad request: {0}")]
    Build(String),
    /// Transport failure: refused, reset, timed out, TLS...
    #[error("{0}")]
    Transport(String),
    /// The response body exceeded [`RESPONSE_LIMIT`].
    #[error("response body exceeds {limit} bytes (read {read} before stopping)")]
    TooLarge {
        /// The limit.
        limit: usize,
        /// Bytes read.
        read: usize,
    },
}

/// A response read in full (up to the limit).
#[derive(Debug, Clone)]
pub struct Captured {
    /// Status code.
    pub status: reqwest::StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// The final URL.
    pub url: url::Url,
    /// Body bytes.
    pub body: Bytes,
    /// Sequence number of the recorded exchange in the case's evidence.
    pub seq: usize,
}

impl Captured {
    /// Body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Location` header resolved against the request URL.
    pub fn location(&self) -> Option<url::Url> {
        self.header("location").and_then(|l| self.url.join(l).ok())
    }
}

/// A client that records every exchange into a case's evidence.
#[derive(Clone, Debug)]
pub struct RecordingClient {
    client: reqwest::Client,
    log: EvidenceLog,
    direction: Direction,
    candidate_headers: std::sync::Arc<Vec<(String, String)>>,
}

impl RecordingClient {
    /// Wraps `client`, recording into `log`.
    pub fn new(client: reqwest::Client, log: EvidenceLog) -> RecordingClient {
        RecordingClient {
            client,
            log,
            direction: Direction::HarnessToCandidate,
            candidate_headers: Default::default(),
        }
    }

    /// The same recorder over another client (e.g. one with a cookie store),
    /// keeping the profile's candidate headers.
    pub fn with_client(&self, client: reqwest::Client) -> RecordingClient {
        RecordingClient {
            client,
            ..self.clone()
        }
    }

    /// Adds headers sent with every harness-to-candidate request (from the
    /// profile's `[candidate] http_headers`), unless the request sets them itself.
    pub fn with_candidate_headers(mut self, headers: Vec<(String, String)>) -> RecordingClient {
        self.candidate_headers = std::sync::Arc::new(headers);
        self
    }

    /// The same client, recording exchanges as calls to the harness's own mock.
    pub fn to_mock(&self) -> RecordingClient {
        RecordingClient {
            direction: Direction::HarnessToMock,
            ..self.clone()
        }
    }

    /// The wrapped client, to build requests with.
    pub fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> Result<Captured, HttpError> {
        self.send(self.client.get(url)).await
    }

    /// `POST url` with a URL-encoded form.
    pub async fn post_form<T: serde::Serialize + ?Sized>(
        &self,
        url: &str,
        form: &T,
    ) -> Result<Captured, HttpError> {
        self.send(self.client.post(url).form(form)).await
    }

    /// Sends a request and records it, whatever happens.
    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Result<Captured, HttpError> {
        let req = builder
            .build()
            .map_err(|e| HttpError::Build(e.to_string()))?;
        self.execute(req).await
    }

    /// Executes a built request and records it, whatever happens.
    pub async fn execute(&self, mut req: reqwest::Request) -> Result<Captured, HttpError> {
        if self.direction == Direction::HarnessToCandidate {
            for (name, value) in self.candidate_headers.iter() {
                if let (Ok(n), Ok(v)) = (
                    reqwest::header::HeaderName::from_bytes(name.as_bytes()),
                    reqwest::header::HeaderValue::from_str(value),
                ) && !req.headers().contains_key(&n)
                {
                    req.headers_mut().insert(n, v);
                }
            }
        }
        let redactor = self.log.redactor().clone();
        let started_at = chrono::Utc::now();
        let t0 = Instant::now();
        let req_ct = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let req_body = req
            .body()
            .and_then(|b| b.as_bytes())
            .map(|b| b.to_vec())
            .unwrap_or_default();
        let request = HttpRequest {
            method: req.method().to_string(),
            url: redactor.redact_urlencoded_url(req.url().as_str()),
            headers: capture_headers(req.headers(), &redactor),
            body: capture_body(&req_body, req_ct.as_deref(), &redactor),
        };
        let record = |response: Option<HttpResponse>, error: Option<String>| {
            let jwts = find_jwts(&request, response.as_ref());
            self.log.push(Exchange {
                seq: 0,
                direction: self.direction,
                recorded_by: None,
                started_at: started_at.to_rfc3339(),
                duration_ms: t0.elapsed().as_millis() as u64,
                request: request.clone(),
                response,
                error,
                jwts,
            });
            self.log.len() - 1
        };
        let resp = match self.client.execute(req).await {
            Ok(r) => r,
            Err(e) => {
                let msg = describe_reqwest_error(&e);
                record(None, Some(msg.clone()));
                return Err(HttpError::Transport(msg));
            }
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let url = resp.url().clone();
        let mut resp = resp;
        let mut body = Vec::new();
        let mut failure = None;
        loop {
            match resp.chunk().await {
                Ok(None) => break,
                Ok(Some(c)) => {
                    if body.len() + c.len() > RESPONSE_LIMIT {
                        let take = RESPONSE_LIMIT - body.len();
                        body.extend_from_slice(&c[..take]);
                        failure = Some(HttpError::TooLarge {
                            limit: RESPONSE_LIMIT,
                            read: body.len(),
                        });
                        break;
                    }
                    body.extend_from_slice(&c);
                }
                Err(e) => {
                    failure = Some(HttpError::Transport(format!(
                        "connection failed while reading the body: {}",
                        describe_reqwest_error(&e)
                    )));
                    break;
                }
            }
        }
        let resp_ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let response = HttpResponse {
            status: status.as_u16(),
            headers: capture_headers(&headers, &redactor),
            body: capture_body(&body, resp_ct.as_deref(), &redactor),
        };
        let seq = record(Some(response), failure.as_ref().map(|f| f.to_string()));
        if let Some(f) = failure {
            return Err(f);
        }
        Ok(Captured {
            status,
            headers,
            url,
            body: Bytes::from(body),
            seq,
        })
    }
}

/// A one-line description of a reqwest error with its causes.
pub fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirect error"
    } else if e.is_body() || e.is_decode() {
        "bad response body"
    } else {
        "request failed"
    };
    let mut msg = format!("{kind}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}
