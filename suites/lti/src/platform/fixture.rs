//! The running state every `lti-platform` case shares: the profile, the harness
//! tool ([`accredit_mock_tool::probe`]) and its key, plus the operations cases
//! build on: one complete OIDC launch of a given kind, signing the tool's JWTs,
//! and OAuth 2 client-credentials tokens.
//!
//! Why launches are per case, not shared: every case must be independent and
//! parallel-safe, and its evidence must hold the exchanges it judged. A launch is a
//! few loopback requests; sharing one would make a case's verdict depend on
//! evidence recorded in another case.
//!
//! Two ways to start a launch, one result: a launch-start URL fetched by the HTTP
//! browser (`browse`), or, for the kinds `[lti-platform.browser]` scripts, a login
//! and a click in headless Chromium (`scripted`). Both end in the same
//! [`CapturedLaunch`], so every case judges a launch the same way whichever way it
//! started.

use serde_json::{Value, json};
use url::Url;

use accredit_core::http::{Captured, HttpError, RecordingClient};
use accredit_core::jose::{self, SigningKey, now_secs};
use accredit_core::{CaseCx, Outcome, Verdict};
use accredit_mock_tool::probe::ProbeTool;
use accredit_mock_tool::{LAUNCH_PATH, LOGIN_PATH};

use super::browse::{Browser, StopAt, snippet};
use super::profile::{BrowserScript, LtiPlatformProfile, ScriptedLaunch};
use super::scripted;
use crate::ua::{Hop, Nav};

/// The kinds of launch a platform is asked to start (one launch URL each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LaunchKind {
    /// Full-PII student resource link launch.
    Student,
    /// Student launch without PII.
    StudentNoPii,
    /// Full-PII instructor resource link launch.
    Instructor,
    /// Instructor launch without PII (email allowed).
    InstructorNoPii,
    /// An `LtiDeepLinkingRequest`.
    DeepLinking,
    /// Instructor launch with the NRPS claim.
    Nrps,
    /// Student launch with the AGS claim, first context.
    AgsContext1,
    /// Student launch with the AGS claim, second context.
    AgsContext2,
}

impl LaunchKind {
    /// Every kind, in profile order.
    pub(crate) const ALL: [LaunchKind; 8] = [
        LaunchKind::Student,
        LaunchKind::StudentNoPii,
        LaunchKind::Instructor,
        LaunchKind::InstructorNoPii,
        LaunchKind::DeepLinking,
        LaunchKind::Nrps,
        LaunchKind::AgsContext1,
        LaunchKind::AgsContext2,
    ];

    /// The key under `[lti-platform.launches]` (also the reference platform's
    /// `launch=` value).
    pub(crate) fn profile_key(self) -> &'static str {
        match self {
            LaunchKind::Student => "student",
            LaunchKind::StudentNoPii => "student_no_pii",
            LaunchKind::Instructor => "instructor",
            LaunchKind::InstructorNoPii => "instructor_no_pii",
            LaunchKind::DeepLinking => "deep_linking",
            LaunchKind::Nrps => "nrps",
            LaunchKind::AgsContext1 => "ags_context_1",
            LaunchKind::AgsContext2 => "ags_context_2",
        }
    }

    /// Whether the user launching is a learner (else an instructor).
    pub(crate) fn is_learner(self) -> bool {
        matches!(
            self,
            LaunchKind::Student
                | LaunchKind::StudentNoPii
                | LaunchKind::AgsContext1
                | LaunchKind::AgsContext2
        )
    }

    /// The `message_type` the launch must carry.
    pub(crate) fn message_type(self) -> &'static str {
        if self == LaunchKind::DeepLinking {
            "LtiDeepLinkingRequest"
        } else {
            "LtiResourceLinkRequest"
        }
    }
}

/// One launch as the harness tool received it.
#[derive(Debug, Clone)]
pub(crate) struct CapturedLaunch {
    /// The kind asked for.
    pub(crate) kind: LaunchKind,
    /// Login initiation params the harness tool received.
    pub(crate) initiation: Vec<(String, String)>,
    /// The nonce the harness tool sent in its auth request.
    pub(crate) nonce: String,
    /// The state the harness tool sent in its auth request.
    pub(crate) state: String,
    /// The raw id_token.
    pub(crate) id_token: String,
    /// Decoded JOSE header, NOT verified.
    pub(crate) header: Value,
    /// Decoded claims, NOT verified.
    pub(crate) claims: Value,
    /// How the id_token reached the redirect URI (`POST` for form_post).
    pub(crate) launch_method: String,
    /// The URL the id_token was sent to.
    pub(crate) launch_url: String,
    /// Every parameter of that request (id_token, state...).
    pub(crate) launch_params: Vec<(String, String)>,
    /// The browser that made the launch (its cookies are the user's session).
    pub(crate) browser: Browser,
}

impl CapturedLaunch {
    /// The first initiation parameter `name`.
    pub(crate) fn initiation_param(&self, name: &str) -> Option<&str> {
        param(&self.initiation, name)
    }
}

/// A login initiation stopped before it reached the tool: the material for a
/// hand-crafted authentication request.
#[derive(Clone)]
pub(crate) struct HeldLogin {
    /// The initiation parameters (query of the redirect, or the form posted).
    pub(crate) initiation: Vec<(String, String)>,
    /// The browser (with the platform's cookies).
    pub(crate) browser: Browser,
}

impl HeldLogin {
    /// The first initiation parameter `name`.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        param(&self.initiation, name)
    }
}

/// The first value of `name` in `params`.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A failing verdict with one named check.
pub(crate) fn failed(name: &str, detail: impl Into<String>) -> Verdict {
    let mut v = Verdict::new();
    v.require(name, false, detail);
    v
}

/// The `lti-platform` suite's fixture.
pub(crate) struct PlatformFixture {
    pub(crate) profile: LtiPlatformProfile,
    pub(crate) probe: ProbeTool,
    pub(crate) key: SigningKey,
    pub(crate) tool_base: Url,
    /// chromedriver, when some launch kinds are scripted (`--browser`).
    pub(crate) driver: Option<crate::browser::BrowserDriver>,
}

/// Grant type and assertion type of the client-credentials token request.
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

impl PlatformFixture {
    /// The profile.
    pub(crate) fn profile(&self) -> &LtiPlatformProfile {
        &self.profile
    }

    /// The `aud` of client assertions.
    pub(crate) fn token_audience(&self) -> &str {
        self.profile.token_audience()
    }

    /// The harness tool's launch URL (its redirect_uri).
    pub(crate) fn redirect_uri(&self) -> &str {
        &self.probe.urls().launch_url
    }

    fn skip_reason(kind: LaunchKind) -> Verdict {
        Verdict::skip(format!(
            "no `launches.{}` URL in [lti-platform]; the official certification counts a skipped test as failed",
            kind.profile_key()
        ))
    }

    fn browser(&self, cx: &CaseCx, start: &Url) -> Browser {
        Browser::new(
            cx,
            &self.tool_base,
            self.profile.session_cookie.as_ref().map(|s| s.expose()),
            Some(start),
        )
    }

    fn describe_last(hops: &[Hop]) -> String {
        match hops.last() {
            Some(h) => format!(
                "the browser stopped at {} {} with HTTP {}: {}",
                h.nav.method,
                h.nav.url,
                h.status,
                snippet(&h.response.text(), 200)
            ),
            None => "no request completed".into(),
        }
    }

    /// One complete OIDC launch of `kind` through the harness UA, every hop
    /// recorded in cx's evidence.
    /// Err: a ready verdict (skip when the launch URL is not configured, fail/error
    /// with the reason otherwise).
    pub(crate) async fn launch(
        &self,
        cx: &CaseCx,
        kind: LaunchKind,
    ) -> Result<CapturedLaunch, Verdict> {
        if let Some((script, entry)) = self.profile.scripted(kind) {
            return self.launch_scripted(cx, kind, script, entry).await;
        }
        let Some(start) = self.profile.launches.get(kind) else {
            return Err(Self::skip_reason(kind));
        };
        let browser = self.browser(cx, &start.0);
        cx.log(format!(
            "starting the {} launch at {start}",
            kind.profile_key()
        ));
        let trip = browser
            .go(
                Nav::get(start.0.clone(), &[]),
                StopAt::End,
                true,
                cx.remaining(),
            )
            .await
            .map_err(|e| {
                failed(
                    "the launch reaches the tool",
                    format!("{} ({})", e.message, Self::describe_last(&e.hops)),
                )
            })?;
        let hops = trip.hops;
        let Some(login) = hops
            .iter()
            .find(|h| browser.is_tool(&h.nav.url, LOGIN_PATH))
        else {
            return Err(failed(
                "OIDC login initiation reaches the tool's login URL",
                format!(
                    "the platform never sent the browser to {} ({})",
                    self.probe.urls().login_url,
                    Self::describe_last(&hops)
                ),
            ));
        };
        let state = login
            .response
            .location()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "state")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
        let Some(recorded) = self.probe.login(&state) else {
            return Err(Verdict::error(format!(
                "the harness tool has no record of its login with state `{state}`"
            )));
        };
        cx.correlate(state.clone());
        let Some(launch) = hops
            .iter()
            .find(|h| browser.is_tool(&h.nav.url, LAUNCH_PATH))
        else {
            return Err(failed(
                "an id_token is sent to the redirect_uri",
                format!(
                    "after the authentication request, nothing reached {} ({})",
                    self.redirect_uri(),
                    Self::describe_last(&hops)
                ),
            ));
        };
        let launch_params = launch.nav.params();
        let Some(id_token) = param(&launch_params, "id_token").map(str::to_string) else {
            return Err(failed(
                "an id_token is sent to the redirect_uri",
                format!(
                    "the {} to the redirect_uri carries no `id_token` (parameters: {})",
                    launch.nav.method,
                    launch_params
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let decoded = jose::decode_unverified(&id_token).map_err(|e| {
            failed(
                "the id_token is a compact JWS",
                format!("it does not parse: {e}"),
            )
        })?;
        let mut launch_url = launch.nav.url.clone();
        if launch.nav.method == reqwest::Method::GET {
            launch_url.set_query(None);
        }
        Ok(CapturedLaunch {
            kind,
            initiation: recorded.initiation,
            nonce: recorded.nonce,
            state,
            id_token,
            header: decoded.header,
            claims: decoded.claims,
            launch_method: launch.nav.method.to_string(),
            launch_url: launch_url.to_string(),
            launch_params,
            browser,
        })
    }

    /// One launch of `kind` by the scripted login and click in Chromium; the
    /// harness tool's record of it becomes the [`CapturedLaunch`].
    async fn launch_scripted(
        &self,
        cx: &CaseCx,
        kind: LaunchKind,
        script: &BrowserScript,
        entry: &ScriptedLaunch,
    ) -> Result<CapturedLaunch, Verdict> {
        let Some(driver) = self.driver.as_ref() else {
            return Err(Verdict::error(format!(
                "[lti-platform.browser.launches] scripts the {} launch, but the run has no browser (run with --browser)",
                kind.profile_key()
            )));
        };
        cx.log(format!(
            "starting the {} launch in headless Chromium: log in, open {}, click `{}`",
            kind.profile_key(),
            entry.page,
            entry.click.as_str()
        ));
        let has_launch = |state: &str| !self.probe.launches(state).is_empty();
        let clicked = scripted::run(
            driver,
            cx,
            script,
            entry,
            &self.tool_base,
            &has_launch,
            cx.remaining(),
        )
        .await
        .map_err(|e| Verdict::error(e.to_string()))?;
        scripted::record_hops(cx, &clicked, &self.tool_base);
        let last = || {
            format!(
                "the browser ended at {}: {}",
                clicked.final_url,
                snippet(&clicked.text, 200)
            )
        };
        let Some(state) = clicked.state.clone() else {
            if !scripted::reached_tool_login(&clicked.hops, &self.tool_base) {
                return Err(failed(
                    "OIDC login initiation reaches the tool's login URL",
                    format!(
                        "after the click, the platform never sent the browser to {} ({})",
                        self.probe.urls().login_url,
                        last()
                    ),
                ));
            }
            return Err(failed(
                "an id_token is sent to the redirect_uri",
                format!(
                    "after the authentication request, no launch carrying the harness tool's state reached {} ({})",
                    self.redirect_uri(),
                    last()
                ),
            ));
        };
        let Some(recorded) = self.probe.login(&state) else {
            return Err(Verdict::error(format!(
                "the harness tool has no record of its login with state `{state}`"
            )));
        };
        cx.correlate(state.clone());
        let Some(received) = self.probe.launches(&state).into_iter().next() else {
            return Err(Verdict::error(format!(
                "the harness tool has no record of the launch with state `{state}`"
            )));
        };
        let launch_params = received.params.clone();
        let Some(id_token) = param(&launch_params, "id_token").map(str::to_string) else {
            return Err(failed(
                "an id_token is sent to the redirect_uri",
                format!(
                    "the {} to the redirect_uri carries no `id_token` (parameters: {})",
                    received.method,
                    launch_params
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let decoded = jose::decode_unverified(&id_token).map_err(|e| {
            failed(
                "the id_token is a compact JWS",
                format!("it does not parse: {e}"),
            )
        })?;
        // The URL Chromium actually sent the launch to (query dropped for a GET).
        let launch_url = clicked
            .hops
            .iter()
            .rev()
            .find(|h| {
                h.nav.url.origin() == self.tool_base.origin()
                    && h.nav.url.path() == LAUNCH_PATH
                    && param(&h.nav.params(), "state") == Some(state.as_str())
            })
            .map(|h| {
                let mut u = h.nav.url.clone();
                if h.nav.method == reqwest::Method::GET {
                    u.set_query(None);
                }
                u.to_string()
            })
            .unwrap_or_else(|| self.redirect_uri().to_string());
        let browser = Browser::new(
            cx,
            &self.tool_base,
            clicked.cookies.as_deref(),
            Some(&entry.page.0),
        );
        Ok(CapturedLaunch {
            kind,
            initiation: recorded.initiation,
            nonce: recorded.nonce,
            state,
            id_token,
            header: decoded.header,
            claims: decoded.claims,
            launch_method: received.method.clone(),
            launch_url,
            launch_params,
            browser,
        })
    }

    /// For a scripted kind without a launch URL: the start URL behind its launch
    /// element (logged in with Chromium) and an HTTP browser holding the LMS
    /// cookies; the OIDC negative cases must stop the browser before the harness
    /// tool, which only the HTTP browser can do.
    async fn scripted_start(
        &self,
        cx: &CaseCx,
        kind: LaunchKind,
        script: &BrowserScript,
        entry: &ScriptedLaunch,
    ) -> Result<(Url, Browser), Verdict> {
        let Some(driver) = self.driver.as_ref() else {
            return Err(Verdict::error(format!(
                "[lti-platform.browser.launches] scripts the {} launch, but the run has no browser (run with --browser)",
                kind.profile_key()
            )));
        };
        let link = scripted::link(driver, cx, script, entry, cx.remaining())
            .await
            .map_err(|e| Verdict::error(e.to_string()))?;
        let Some((url, cookies)) = link else {
            return Err(Verdict::skip(format!(
                "the scripted {} launch element `{}` has no http(s) `href`: this case must stop the launch before the harness tool, which needs a launch URL; add `launches.{}` to [lti-platform]",
                kind.profile_key(),
                entry.click.as_str(),
                kind.profile_key()
            )));
        };
        let browser = Browser::new(cx, &self.tool_base, cookies.as_deref(), Some(&url));
        Ok((url, browser))
    }

    /// Starts a launch of `kind` but stops the browser before it reaches the
    /// harness tool's login URL: the initiation is returned for a hand-crafted
    /// authentication request (OIDC negative cases).
    pub(crate) async fn hold_login(
        &self,
        cx: &CaseCx,
        kind: LaunchKind,
    ) -> Result<HeldLogin, Verdict> {
        let (start, browser) = match (self.profile.launches.get(kind), self.profile.scripted(kind))
        {
            (Some(start), _) => (start.0.clone(), self.browser(cx, &start.0)),
            (None, Some((script, entry))) => self.scripted_start(cx, kind, script, entry).await?,
            (None, None) => return Err(Self::skip_reason(kind)),
        };
        let trip = browser
            .go(
                Nav::get(start, &[]),
                StopAt::ToolLogin,
                true,
                cx.remaining(),
            )
            .await
            .map_err(|e| {
                failed(
                    "OIDC login initiation reaches the tool's login URL",
                    format!("{} ({})", e.message, Self::describe_last(&e.hops)),
                )
            })?;
        let Some(held) = trip.held else {
            return Err(failed(
                "OIDC login initiation reaches the tool's login URL",
                format!(
                    "the platform never sent the browser to {} ({})",
                    self.probe.urls().login_url,
                    Self::describe_last(&trip.hops)
                ),
            ));
        };
        let initiation = held.params();
        if let Some(hint) = param(&initiation, "login_hint") {
            cx.correlate(hint.to_string());
        }
        Ok(HeldLogin {
            initiation,
            browser,
        })
    }

    /// RS256 JWS signed with the harness tool key (header has kid);
    /// `header_extra` members override/extend (a `null` member removes it).
    pub(crate) fn sign_jwt(&self, header_extra: &Value, claims: &Value) -> Result<String, Verdict> {
        let mut header = jose::rs256_header(&self.key);
        if let (Some(h), Some(extra)) = (header.as_object_mut(), header_extra.as_object()) {
            for (k, v) in extra {
                if v.is_null() {
                    h.remove(k);
                } else {
                    h.insert(k.clone(), v.clone());
                }
            }
        }
        jose::sign(&header, claims, &self.key)
            .map_err(|e| Verdict::error(format!("the harness could not sign a JWT: {e}")))
    }

    /// Fresh valid client-assertion claims: iss=sub=client_id, aud=token_audience,
    /// iat=now, exp=now+300, jti=fresh.
    pub(crate) fn assertion_claims(&self) -> Value {
        let now = now_secs();
        json!({
            "iss": self.profile.client_id,
            "sub": self.profile.client_id,
            "aud": self.token_audience(),
            "iat": now,
            "exp": now + 300,
            "jti": format!("accredit-{}", uuid::Uuid::new_v4()),
        })
    }

    /// POST token_url (client_credentials, jwt-bearer assertion, scope), recorded.
    pub(crate) async fn token_request(
        &self,
        cx: &CaseCx,
        assertion: &str,
        scope: &str,
    ) -> Result<Captured, HttpError> {
        self.token_request_with(cx.http(), assertion, scope).await
    }

    async fn token_request_with(
        &self,
        http: &RecordingClient,
        assertion: &str,
        scope: &str,
    ) -> Result<Captured, HttpError> {
        http.post_form(
            self.profile.token_url.as_str(),
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion),
                ("scope", scope),
            ],
        )
        .await
    }

    /// A valid access token for exactly `scopes`, or a verdict saying why none was
    /// obtained.
    pub(crate) async fn access_token(
        &self,
        cx: &CaseCx,
        scopes: &[&str],
    ) -> Result<String, Verdict> {
        let assertion = self.sign_jwt(&Value::Null, &self.assertion_claims())?;
        let scope = scopes.join(" ");
        let name = "the token endpoint issues an access token";
        let resp = self
            .token_request(cx, &assertion, &scope)
            .await
            .map_err(|e| failed(name, format!("POST {}: {e}", self.profile.token_url)))?;
        if !resp.status.is_success() {
            return Err(failed(
                name,
                format!(
                    "POST {} for scope `{scope}` answered HTTP {}: {}",
                    self.profile.token_url,
                    resp.status.as_u16(),
                    snippet(&resp.text(), 300)
                ),
            ));
        }
        let body: Value = resp
            .json()
            .map_err(|e| failed(name, format!("the token response is not JSON: {e}")))?;
        match body.get("access_token").and_then(Value::as_str) {
            Some(t) if !t.is_empty() => {
                cx.evidence.redactor().add_secret(t);
                Ok(t.to_string())
            }
            _ => Err(failed(
                name,
                "the token response has no non-empty `access_token` string",
            )),
        }
    }
}

/// Whether an outcome counts as a refusal, for the tool-to-platform messages the
/// platform must refuse: 4xx refused (pass), 2xx accepted (fail), 5xx `warn`
/// (refused, but by crashing), anything else `fail`.
pub(crate) fn refusal_outcome(status: u16) -> (Outcome, String) {
    match status {
        400..=499 => (Outcome::Pass, String::new()),
        200..=299 => (Outcome::Fail, format!("accepted (HTTP {status})")),
        500..=599 => (
            Outcome::Warn,
            format!("HTTP {status}: refused, but by a server error rather than a 4xx answer"),
        ),
        _ => (Outcome::Fail, format!("unexpected HTTP {status}")),
    }
}
