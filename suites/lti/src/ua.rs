//! The harness as the user agent (browser) of an LTI launch.
//!
//! An OIDC launch is a browser dance: login initiation → 302 to the platform →
//! auto-submitting `form_post` page → POST to the tool → maybe more redirects. The
//! harness plays the browser so it can see and record every hop: each request
//! goes through a [`RecordingClient`] with its own cookie jar (one jar per case, so
//! state cookies never leak between cases), redirects are followed by hand (at
//! most [`MAX_HOPS`], then a clear "redirect loop" error), and pages that submit a
//! form on load are submitted the way a browser would. Candidate HTML is parsed
//! defensively: nothing here panics on what a candidate sends.
//!
//! This user agent keeps every cookie and applies no SameSite or third-party
//! cookie rules: that makes known-bad launches reach the tool reliably, but it
//! cannot tell whether a real browser would keep the tool's state cookie. With
//! `--browser` the launches a user makes run in Chromium instead
//! ([`crate::browser`]) and are judged from the same [`Hop`]s.

use std::time::Duration;

use reqwest::Method;
use url::Url;

use accredit_core::evidence::EvidenceLog;
use accredit_core::http::{Captured, HttpError, RecordingClient, client_builder};

use crate::html::{HtmlForm, auto_submit_form};

/// Automatic steps (redirects and form submissions) after the first request.
pub const MAX_HOPS: usize = 10;

/// Why a browse did not end on a page.
#[derive(Debug, thiserror::Error)]
pub enum UaError {
    /// The cookie-enabled client could not be built.
    #[error("could not build the browser client: {0}")]
    Client(String),
    /// A request failed (refused, reset, timed out...).
    #[error("{method} {url} failed: {error}")]
    Http {
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// What happened.
        error: HttpError,
        /// The hops that completed before.
        hops: Vec<Hop>,
    },
    /// More than [`MAX_HOPS`] automatic steps.
    #[error("redirect loop: more than {max} redirects or auto-submitted forms (last URL {last})")]
    RedirectLoop {
        /// The limit.
        max: usize,
        /// The last URL requested.
        last: String,
        /// Every hop.
        hops: Vec<Hop>,
    },
    /// No time left before the case deadline.
    #[error("no time left before the case timeout (at {url})")]
    OutOfTime {
        /// Next URL.
        url: String,
    },
}

/// A navigation: what a browser does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nav {
    /// GET or POST.
    pub method: Method,
    /// Target.
    pub url: Url,
    /// Form fields: the query for GET is already in `url`; for POST, the body.
    pub form: Vec<(String, String)>,
}

impl Nav {
    /// A GET of `url` with `params` appended to its query.
    pub fn get(mut url: Url, params: &[(String, String)]) -> Nav {
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        Nav {
            method: Method::GET,
            url,
            form: vec![],
        }
    }

    /// A form POST.
    pub fn post(url: Url, form: Vec<(String, String)>) -> Nav {
        Nav {
            method: Method::POST,
            url,
            form,
        }
    }

    fn from_form(form: &HtmlForm, base: &Url) -> Option<Nav> {
        let action = form.action.as_deref().filter(|a| !a.trim().is_empty());
        let url = match action {
            Some(a) => base.join(a.trim()).ok()?,
            None => base.clone(),
        };
        if form.method.eq_ignore_ascii_case("post") {
            Some(Nav::post(url, form.fields.clone()))
        } else {
            let mut url = url;
            url.set_query(None);
            Some(Nav::get(url, &form.fields))
        }
    }

    /// Parameters sent: the query pairs for GET, the form for POST.
    pub fn params(&self) -> Vec<(String, String)> {
        if self.method == Method::POST {
            self.form.clone()
        } else {
            self.url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        }
    }
}

/// One completed step.
#[derive(Debug, Clone)]
pub struct Hop {
    /// What was requested.
    pub nav: Nav,
    /// Status answered.
    pub status: u16,
    /// Index of the exchange in the case evidence.
    pub seq: usize,
    /// The response.
    pub response: Captured,
}

/// A finished browse: every hop, the last one being the page the browser stopped on.
#[derive(Debug, Clone)]
pub struct Journey {
    /// Every hop in order (never empty).
    pub hops: Vec<Hop>,
}

impl Journey {
    /// The page the browser stopped on.
    pub fn last(&self) -> Option<&Hop> {
        self.hops.last()
    }
}

/// A browser with its own cookie jar, recording into a case's evidence.
pub struct UserAgent {
    http: RecordingClient,
    mock: RecordingClient,
    mock_origins: Vec<url::Origin>,
}

impl UserAgent {
    /// A fresh browser (empty cookie jar) recording into `evidence`.
    pub fn new(evidence: EvidenceLog) -> Result<UserAgent, UaError> {
        let client = client_builder()
            .cookie_store(true)
            .build()
            .map_err(|e| UaError::Client(e.to_string()))?;
        let http = RecordingClient::new(client, evidence);
        Ok(UserAgent {
            mock: http.to_mock(),
            http,
            mock_origins: Vec::new(),
        })
    }

    /// A fresh browser for a running case: records into the case's evidence and
    /// sends the profile's `[candidate] http_headers` with every request to the
    /// candidate (never to the harness's own mocks).
    pub fn for_case(cx: &accredit_core::CaseCx) -> Result<UserAgent, UaError> {
        let client = client_builder()
            .cookie_store(true)
            .build()
            .map_err(|e| UaError::Client(e.to_string()))?;
        let http = cx.http_with(client);
        Ok(UserAgent {
            mock: http.to_mock(),
            http,
            mock_origins: Vec::new(),
        })
    }

    /// Records requests to `origin` (the harness's own mock) as harness-to-mock
    /// exchanges rather than harness-to-candidate ones.
    pub fn with_mock_origin(mut self, base: &Url) -> UserAgent {
        self.mock_origins.push(base.origin());
        self
    }

    fn client_for(&self, url: &Url) -> &RecordingClient {
        if self.mock_origins.contains(&url.origin()) {
            &self.mock
        } else {
            &self.http
        }
    }

    async fn send(&self, nav: &Nav, time_left: Duration) -> Result<Captured, HttpError> {
        let client = self.client_for(&nav.url);
        let builder = client
            .inner()
            .request(nav.method.clone(), nav.url.clone())
            .timeout(time_left.min(accredit_core::http::REQUEST_TIMEOUT))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        let builder = if nav.method == Method::POST {
            builder.form(&nav.form)
        } else {
            builder
        };
        client.send(builder).await
    }

    /// Navigates to `first`, then follows redirects and auto-submitting forms
    /// until a page that is neither, within `deadline` overall.
    pub async fn browse(&self, first: Nav, deadline: Duration) -> Result<Journey, UaError> {
        let t0 = std::time::Instant::now();
        let mut hops: Vec<Hop> = Vec::new();
        let mut nav = first;
        loop {
            let left = deadline.saturating_sub(t0.elapsed());
            if left.is_zero() {
                return Err(UaError::OutOfTime {
                    url: nav.url.to_string(),
                });
            }
            let resp = match self.send(&nav, left).await {
                Ok(r) => r,
                Err(error) => {
                    return Err(UaError::Http {
                        method: nav.method.to_string(),
                        url: nav.url.to_string(),
                        error,
                        hops,
                    });
                }
            };
            let next = next_nav(&nav, &resp);
            hops.push(Hop {
                status: resp.status.as_u16(),
                seq: resp.seq,
                nav: nav.clone(),
                response: resp,
            });
            let Some(next) = next else {
                return Ok(Journey { hops });
            };
            if hops.len() > MAX_HOPS {
                return Err(UaError::RedirectLoop {
                    max: MAX_HOPS,
                    last: next.url.to_string(),
                    hops,
                });
            }
            nav = next;
        }
    }
}

/// What a browser does after `resp`: follow a redirect, submit an auto-submitting
/// form, or stop.
fn next_nav(nav: &Nav, resp: &Captured) -> Option<Nav> {
    let status = resp.status.as_u16();
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        let loc = resp.location()?;
        // 307/308 repeat the method and body; the others become GET.
        if matches!(status, 307 | 308) && nav.method == Method::POST {
            return Some(Nav::post(loc, nav.form.clone()));
        }
        return Some(Nav::get(loc, &[]));
    }
    if !resp.status.is_success() {
        return None;
    }
    let is_html = resp
        .header("content-type")
        .is_none_or(|ct| ct.to_ascii_lowercase().contains("html"));
    if !is_html {
        return None;
    }
    let text = resp.text();
    let form = auto_submit_form(&text)?;
    Nav::from_form(&form, &resp.url)
}
