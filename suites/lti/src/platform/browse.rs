//! The harness's browser for platform certification.
//!
//! Why not [`crate::ua::UserAgent`]: a platform's launch starts behind its login,
//! so the first request must carry the vendor's session cookie (seeded into the
//! jar, then kept by the jar like any browser cookie), and the OIDC negative cases
//! must be able to stop *before* the browser reaches the harness tool's login URL,
//! keeping the initiation for requests they craft themselves. The navigation rules
//! are the same: follow redirects, submit auto-submitting forms, at most
//! [`MAX_HOPS`] steps, record every hop (requests to the harness tool as
//! harness-to-mock exchanges).

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use url::Url;

use accredit_core::CaseCx;
use reqwest::cookie::CookieStore;

use accredit_core::http::{Captured, RecordingClient};

use crate::html::auto_submit_form;
use crate::ua::{Hop, MAX_HOPS, Nav};

/// Where a browse stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StopAt {
    /// Run to the final page.
    End,
    /// Stop before requesting the harness tool's login URL.
    ToolLogin,
    /// Stop before any request outside this origin (the platform's): a redirect
    /// to a tool, or to an attacker, is kept unmade in [`Trip::held`].
    Leaving(url::Origin),
}

/// A finished browse.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trip {
    /// Every completed hop.
    pub(crate) hops: Vec<Hop>,
    /// With [`StopAt::ToolLogin`]: the navigation to the tool's login URL that was
    /// not made (its parameters are the login initiation); with
    /// [`StopAt::Leaving`], the navigation out of the origin.
    pub(crate) held: Option<Nav>,
}

/// Why a browse did not end on a page.
#[derive(Debug, Clone)]
pub(crate) struct BrowseError {
    /// What happened.
    pub(crate) message: String,
    /// The hops completed before.
    pub(crate) hops: Vec<Hop>,
}

/// A browser with its own cookie jar.
#[derive(Clone)]
pub(crate) struct Browser {
    http: RecordingClient,
    mock: RecordingClient,
    tool_base: Url,
    jar: Arc<reqwest::cookie::Jar>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("tool_base", &self.tool_base.as_str())
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// A fresh browser for `cx`; `session_cookie` (a `Cookie` header value) is put
    /// in the jar for `start_url`'s origin.
    pub(crate) fn new(
        cx: &CaseCx,
        tool_base: &Url,
        session_cookie: Option<&str>,
        start_url: Option<&Url>,
    ) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        if let (Some(cookie), Some(url)) = (session_cookie, start_url) {
            let mut origin = url.clone();
            origin.set_path("/");
            origin.set_query(None);
            for pair in cookie.split(';').map(str::trim).filter(|p| p.contains('=')) {
                jar.add_cookie_str(&format!("{pair}; Path=/"), &origin);
            }
        }
        // The run's client (no redirects, no cookie store) with this browser's own
        // jar applied by hand: building a client per browser costs far more than
        // a launch.
        let http = cx.http().clone();
        Browser {
            mock: http.to_mock(),
            http,
            tool_base: tool_base.clone(),
            jar,
        }
    }

    /// Whether `url` is the harness tool's `path`.
    pub(crate) fn is_tool(&self, url: &Url, path: &str) -> bool {
        url.origin() == self.tool_base.origin() && url.path() == path
    }

    fn client_for(&self, url: &Url) -> &RecordingClient {
        if url.origin() == self.tool_base.origin() {
            &self.mock
        } else {
            &self.http
        }
    }

    /// One request, recorded, not followed.
    pub(crate) async fn send(&self, nav: &Nav, time_left: Duration) -> Result<Captured, String> {
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
        let builder = match self.jar.cookies(&nav.url) {
            Some(c) => builder.header(reqwest::header::COOKIE, c),
            None => builder,
        };
        let resp = client
            .send(builder)
            .await
            .map_err(|e| format!("{} {} failed: {e}", nav.method, nav.url))?;
        let mut set = resp.headers.get_all(reqwest::header::SET_COOKIE).iter();
        self.jar.set_cookies(&mut set, &resp.url);
        Ok(resp)
    }

    /// Navigates to `first` and follows redirects and auto-submitting forms
    /// (only redirects when `follow_forms` is false) until a page that is neither,
    /// or until the next step would request the tool's login URL with
    /// [`StopAt::ToolLogin`].
    pub(crate) async fn go(
        &self,
        first: Nav,
        stop: StopAt,
        follow_forms: bool,
        deadline: Duration,
    ) -> Result<Trip, BrowseError> {
        let t0 = std::time::Instant::now();
        let mut hops: Vec<Hop> = Vec::new();
        let mut nav = first;
        loop {
            let hold = match &stop {
                StopAt::End => false,
                StopAt::ToolLogin => self.is_tool(&nav.url, accredit_mock_tool::LOGIN_PATH),
                StopAt::Leaving(origin) => nav.url.origin() != *origin,
            };
            if hold {
                return Ok(Trip {
                    hops,
                    held: Some(nav),
                });
            }
            let left = deadline.saturating_sub(t0.elapsed());
            if left.is_zero() {
                return Err(BrowseError {
                    message: format!("no time left before the case timeout (at {})", nav.url),
                    hops,
                });
            }
            let resp = match self.send(&nav, left).await {
                Ok(r) => r,
                Err(message) => return Err(BrowseError { message, hops }),
            };
            let next = next_nav(&nav, &resp, follow_forms);
            hops.push(Hop {
                status: resp.status.as_u16(),
                seq: resp.seq,
                nav: nav.clone(),
                response: resp,
            });
            let Some(next) = next else {
                return Ok(Trip { hops, held: None });
            };
            if hops.len() > MAX_HOPS {
                return Err(BrowseError {
                    message: format!(
                        "redirect loop: more than {MAX_HOPS} redirects or auto-submitted forms (last URL {})",
                        next.url
                    ),
                    hops,
                });
            }
            nav = next;
        }
    }
}

/// What a browser does after `resp`: follow a redirect, submit an auto-submitting
/// form (when `follow_forms`), or stop.
pub(crate) fn next_nav(nav: &Nav, resp: &Captured, follow_forms: bool) -> Option<Nav> {
    let status = resp.status.as_u16();
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        let loc = resp.location()?;
        if matches!(status, 307 | 308) && nav.method == Method::POST {
            return Some(Nav::post(loc, nav.form.clone()));
        }
        return Some(Nav::get(loc, &[]));
    }
    if !follow_forms || !resp.status.is_success() {
        return None;
    }
    let is_html = resp
        .header("content-type")
        .is_none_or(|ct| ct.to_ascii_lowercase().contains("html"));
    if !is_html {
        return None;
    }
    let form = auto_submit_form(&resp.text())?;
    let action = form.action.as_deref().filter(|a| !a.trim().is_empty());
    let url = match action {
        Some(a) => resp.url.join(a.trim()).ok()?,
        None => resp.url.clone(),
    };
    if form.method.eq_ignore_ascii_case("post") {
        Some(Nav::post(url, form.fields))
    } else {
        let mut url = url;
        url.set_query(None);
        Some(Nav::get(url, &form.fields))
    }
}

/// The first `max` characters of `text`, on one line (for messages).
pub(crate) fn snippet(text: &str, max: usize) -> String {
    // A candidate may answer anything: never paste binary bytes into a message.
    if crate::flow::looks_binary(text) {
        return "a binary (non-text) body".into();
    }
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::IntoResponse;
    use axum::routing::get;

    fn cx() -> CaseCx {
        let meta = accredit_core::CaseMeta {
            id: "t",
            title: "t",
            role: "platform",
            spec_document: "d",
            spec_section: "s",
            spec_url: "u",
            requirement: "r",
            level: accredit_core::Level::Must,
            official: false,
            tags: &[],
            exclusive: false,
        };
        let redactor = accredit_core::reports::Redactor::default();
        let client = accredit_core::http::base_client().unwrap_or_else(|e| panic!("{e}"));
        CaseCx::new(
            meta,
            accredit_core::evidence::EvidenceLog::new("t", redactor.clone()),
            accredit_core::evidence::EvidenceRouter::new(redactor),
            client,
            Duration::from_secs(10),
            vec![],
        )
    }

    fn cookies(h: &HeaderMap) -> String {
        h.get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }

    /// `/start` needs the session cookie, sets another and redirects to `/form`,
    /// which needs both and answers an auto-submitting form to the tool's login.
    async fn lms() -> (accredit_core::server::ServerHandle, Url) {
        let app = axum::Router::new()
            .route(
                "/start",
                get(|h: HeaderMap| async move {
                    if !cookies(&h).contains("sess=abc") {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    (
                        StatusCode::FOUND,
                        [
                            (header::SET_COOKIE, "step=2; Path=/"),
                            (header::LOCATION, "/form"),
                        ],
                    )
                        .into_response()
                }),
            )
            .route(
                "/form",
                get(|h: HeaderMap| async move {
                    let c = cookies(&h);
                    if !(c.contains("sess=abc") && c.contains("step=2")) {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    (
                        [(header::CONTENT_TYPE, "text/html")],
                        "<html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"http://tool.invalid/lti/login\"><input type=\"hidden\" name=\"login_hint\" value=\"u1\"></form></body></html>",
                    )
                        .into_response()
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let base = Url::parse(&format!("http://{addr}/")).unwrap_or_else(|e| panic!("{e}"));
        (
            accredit_core::server::ServerHandle::spawn(listener, app),
            base,
        )
    }

    #[tokio::test]
    async fn the_session_cookie_and_set_cookies_are_sent_and_the_login_is_held() {
        let (server, base) = lms().await;
        let start = base.join("/start").unwrap_or_else(|e| panic!("{e}"));
        let tool = Url::parse("http://tool.invalid/").unwrap_or_else(|e| panic!("{e}"));
        let cx = cx();
        let b = Browser::new(&cx, &tool, Some("sess=abc; other=1"), Some(&start));
        let trip = b
            .go(
                Nav::get(start.clone(), &[]),
                StopAt::ToolLogin,
                true,
                Duration::from_secs(5),
            )
            .await
            .unwrap_or_else(|e| panic!("{}", e.message));
        let statuses: Vec<u16> = trip.hops.iter().map(|h| h.status).collect();
        assert_eq!(statuses, vec![302, 200]);
        let held = trip
            .held
            .unwrap_or_else(|| panic!("the login was not held"));
        assert_eq!(held.method, Method::POST);
        assert_eq!(held.params(), vec![("login_hint".into(), "u1".into())]);
        assert_eq!(cx.evidence.len(), 2, "both hops are evidence");

        // Without the session cookie the platform refuses: the browse ends there.
        let b = Browser::new(&cx, &tool, None, Some(&start));
        let trip = b
            .go(
                Nav::get(start, &[]),
                StopAt::ToolLogin,
                true,
                Duration::from_secs(5),
            )
            .await
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert!(trip.held.is_none());
        assert_eq!(trip.hops.last().map(|h| h.status), Some(401));
        server.shutdown().await;
    }
}
