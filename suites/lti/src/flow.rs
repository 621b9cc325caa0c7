//! One OIDC launch, driven end to end, and how to read its outcome.
//!
//! [`run_launch`] plans the id_token at the mock platform under a fresh
//! `login_hint`, starts the login at the tool, and lets the [`UserAgent`] follow
//! the tool's redirect to the platform, the platform's `form_post` page back to the
//! tool, and whatever the tool does next. [`LaunchRun`] then answers the questions
//! cases ask: what did the authentication request look like, did the id_token reach
//! the tool, and did the tool accept or refuse it ([`Reaction`]).

use std::time::Duration;

use reqwest::Method;
use url::Url;

use accredit_core::CaseCx;
use accredit_core::Verdict;
use accredit_mock_platform::{AUTH_PATH, LaunchPlan, RunningPlatform};

use crate::browser::{BrowserDriver, BrowserLaunch};
use crate::profile::LtiToolProfile;
use crate::ua::{Hop, Journey, Nav, UaError, UserAgent};

/// What every lti-tool case works with.
pub struct Fixture {
    /// The candidate's profile table.
    pub profile: LtiToolProfile,
    /// The harness's platform.
    pub platform: RunningPlatform,
    /// `--browser`: the real browser for the launches a user makes
    /// ([`run_user_launch`]); `None` = the HTTP user agent everywhere.
    pub browser: Option<BrowserDriver>,
}

/// How the harness sends the login initiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// Query parameters.
    Get,
    /// Form POST.
    Post,
}

/// The fresh, unguessable values of one launch; all are correlation keys.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// `login_hint` sent to the tool.
    pub login_hint: String,
    /// `lti_message_hint` sent to the tool.
    pub message_hint: String,
    /// Short unique tag for payload ids.
    pub tag: String,
    /// The `target_link_uri` login parameter; `None` = the profile's launch URL.
    pub target_link_uri: Option<String>,
}

impl Attempt {
    /// New values, claimed by `cx` so the mocks' records land in its evidence.
    pub fn new(cx: &CaseCx) -> Attempt {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let a = Attempt {
            login_hint: format!("lh-{id}"),
            message_hint: format!("mh-{}", uuid::Uuid::new_v4().simple()),
            tag: id.get(..12).unwrap_or(&id).to_string(),
            target_link_uri: None,
        };
        cx.correlate(a.login_hint.clone());
        cx.correlate(a.message_hint.clone());
        a
    }
}

/// The browser's journey through one launch.
#[derive(Debug, Clone)]
pub struct LaunchRun {
    /// Every hop.
    pub journey: Journey,
    /// Index of the hop to the platform's authentication endpoint.
    pub auth: Option<usize>,
    /// Index of the hop that posted the id_token to the tool.
    pub delivered: Option<usize>,
}

/// How the tool reacted to a delivered launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// 2xx (with the success marker, when configured).
    Accepted(u16),
    /// 2xx without the configured success marker.
    NoMarker(u16),
    /// 4xx.
    Refused(u16),
    /// 5xx.
    Crashed(u16),
    /// Anything else (1xx, a 3xx without a usable Location).
    Unclear(u16),
}

impl LaunchRun {
    /// The authentication request's parameters, if the browser got there.
    pub fn auth_params(&self) -> Option<Vec<(String, String)>> {
        self.auth
            .and_then(|i| self.journey.hops.get(i))
            .map(|h| h.nav.params())
    }

    /// The hop the browser stopped on.
    pub fn last(&self) -> Option<&Hop> {
        self.journey.last()
    }

    /// The first hop (the login initiation).
    pub fn first(&self) -> Option<&Hop> {
        self.journey.hops.first()
    }

    /// How the tool reacted to the launch (`None` when it was never delivered).
    pub fn reaction(&self, marker: Option<&str>) -> Option<Reaction> {
        self.delivered?;
        let last = self.last()?;
        let s = last.status;
        Some(match s {
            200..=299 => match marker {
                Some(m) if !last.response.text().contains(m) => Reaction::NoMarker(s),
                _ => Reaction::Accepted(s),
            },
            400..=499 => Reaction::Refused(s),
            500..=599 => Reaction::Crashed(s),
            _ => Reaction::Unclear(s),
        })
    }

    /// Why the id_token never reached the tool, when it did not.
    pub fn undelivered_reason(&self, platform: &RunningPlatform, hint: &str) -> Option<String> {
        if self.delivered.is_some() {
            return None;
        }
        if self.auth.is_none() {
            return Some(match self.first() {
                Some(h) => format!(
                    "the tool's login initiation did not lead to the platform's authentication endpoint: it answered HTTP {}{}",
                    h.status,
                    h.response
                        .header("location")
                        .map(|l| format!(" with Location {l}"))
                        .unwrap_or_else(|| format!(": {}", snippet(&h.response.text())))
                ),
                None => "the login initiation got no answer".into(),
            });
        }
        let problems: Vec<String> = platform
            .auth_requests(hint)
            .last()
            .map(|s| s.problems.clone())
            .unwrap_or_default();
        Some(if problems.is_empty() {
            "the platform's form_post page was not submitted to the tool".into()
        } else {
            format!(
                "the platform refused the authentication request: {}",
                problems.join("; ")
            )
        })
    }
}

/// A short, single-line excerpt of a body for messages: the visible text of an
/// HTML page (its `<body>`, tags stripped), or the start of any other body. A
/// binary body is named, not quoted: raw bytes would make the message unreadable.
pub fn snippet(text: &str) -> String {
    if looks_binary(text) {
        return "a binary (non-text) body".into();
    }
    let lower = text.to_ascii_lowercase();
    let body = lower
        .find("<body")
        .and_then(|i| text.get(i..))
        .unwrap_or(text);
    let mut visible = String::with_capacity(body.len().min(4096));
    let mut in_tag = false;
    for c in body.chars().take(16 * 1024) {
        match c {
            '<' => {
                in_tag = true;
                visible.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => visible.push(c),
            _ => {}
        }
    }
    let decoded = crate::html::decode_entities(&visible);
    let printable: String = decoded
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat: String = printable.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

/// Whether the start of `text` holds a NUL, or more than a tenth of control or
/// replacement characters (what lossy decoding makes of bytes that are not UTF-8).
pub(crate) fn looks_binary(text: &str) -> bool {
    let mut total = 0usize;
    let mut odd = 0usize;
    for c in text.chars().take(1024) {
        if c == '\0' {
            return true;
        }
        total += 1;
        if c == '\u{FFFD}' || (c.is_control() && !c.is_whitespace()) {
            odd += 1;
        }
    }
    odd * 10 > total
}

fn is_platform_auth(url: &Url, platform: &RunningPlatform) -> bool {
    url.port_or_known_default() == Some(platform.addr().port())
        && url.path() == AUTH_PATH
        && url.host_str().is_some_and(|h| {
            h == "localhost"
                || h == "127.0.0.1"
                || h == "[::1]"
                || h == platform.addr().ip().to_string()
        })
}

/// Time a case leaves itself to report a clear error before the runner's timeout.
const MARGIN: Duration = Duration::from_millis(300);

/// Runs one launch: plans `plan` under `attempt.login_hint`, sends the login
/// initiation with `method`, and browses to the end. `Err` is a message for an
/// `error` verdict: the tool could not be reached or the browse broke.
pub async fn run_launch(
    fx: &Fixture,
    cx: &CaseCx,
    ua: &UserAgent,
    attempt: &Attempt,
    plan: LaunchPlan,
    method: LoginMethod,
) -> Result<LaunchRun, String> {
    fx.platform.plan(
        attempt.login_hint.clone(),
        plan.expecting_message_hint(attempt.message_hint.clone()),
    );
    browse_login(fx, cx, ua, attempt, method).await
}

/// The login initiation request of `attempt`.
fn login_nav(fx: &Fixture, attempt: &Attempt, method: LoginMethod) -> Nav {
    let p = &fx.profile;
    let target = attempt
        .target_link_uri
        .as_deref()
        .unwrap_or(p.launch_url.as_str());
    let params: Vec<(String, String)> = [
        ("iss", p.issuer.as_str()),
        ("login_hint", attempt.login_hint.as_str()),
        ("target_link_uri", target),
        ("lti_message_hint", attempt.message_hint.as_str()),
        ("client_id", p.client_id.as_str()),
        ("lti_deployment_id", p.deployment_id.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let login = p.login_url.0.clone();
    match method {
        LoginMethod::Get => Nav::get(login, &params),
        LoginMethod::Post => Nav::post(login, params),
    }
}

/// Sends the login initiation and browses to the end, without planning a launch
/// (used directly for a login the platform must not complete: it answers the
/// authentication request with an error page, and the tool's state and nonce of
/// that login stay unused).
pub async fn browse_login(
    fx: &Fixture,
    cx: &CaseCx,
    ua: &UserAgent,
    attempt: &Attempt,
    method: LoginMethod,
) -> Result<LaunchRun, String> {
    let first = login_nav(fx, attempt, method);
    cx.log(format!(
        "login initiation ({method:?}) to {} with login_hint {}",
        fx.profile.login_url, attempt.login_hint
    ));
    let journey = ua
        .browse(first, cx.remaining().saturating_sub(MARGIN))
        .await
        .map_err(|e| describe_ua_error(&e, fx))?;
    Ok(finish_run(fx, cx, journey))
}

/// After an accepted launch, GETs the profile's `services_trigger_url` (if any)
/// in the launch's browser session, so a tool that makes its service calls on
/// demand rather than on launch makes them now. Without the key, nothing is
/// requested: the tool is expected to call on launch.
pub async fn trigger_services(fx: &Fixture, cx: &CaseCx, ua: &UserAgent) -> Result<(), String> {
    let Some(url) = &fx.profile.services_trigger_url else {
        return Ok(());
    };
    cx.log(format!("services trigger: GET {url}"));
    ua.browse(
        Nav::get(url.0.clone(), &[]),
        cx.remaining().saturating_sub(MARGIN),
    )
    .await
    .map_err(|e| format!("the services trigger URL {url} could not be requested: {e}"))
    .and_then(|journey| match journey.last() {
        Some(h) if h.status >= 400 => Err(format!(
            "the services trigger URL {url} answered HTTP {}",
            h.status
        )),
        _ => Ok(()),
    })
}

/// [`run_launch`] as a user's browser makes it: with `--browser`, in headless
/// Chromium, the tool in an iframe of a platform page on another site
/// ([`crate::browser`]); otherwise through `ua`. Used by the cases that are
/// launches a real user makes (the valid launches, the Deep Linking request).
pub async fn run_user_launch(
    fx: &Fixture,
    cx: &CaseCx,
    ua: &UserAgent,
    attempt: &Attempt,
    plan: LaunchPlan,
    method: LoginMethod,
) -> Result<LaunchRun, String> {
    let Some(browser) = fx.browser.as_ref() else {
        return run_launch(fx, cx, ua, attempt, plan, method).await;
    };
    fx.platform.plan(
        attempt.login_hint.clone(),
        plan.expecting_message_hint(attempt.message_hint.clone()),
    );
    let first = login_nav(fx, attempt, method);
    cx.log(format!(
        "login initiation ({method:?}) to {} with login_hint {}, in headless Chromium: the tool in an iframe of a platform page on another site",
        fx.profile.login_url, attempt.login_hint
    ));
    let launch = browser
        .launch(
            fx.platform.addr().port(),
            &attempt.login_hint,
            &first,
            cx.remaining().saturating_sub(MARGIN),
        )
        .await
        .map_err(|e| format!("--browser: {e}"))?;
    launch.record_exchanges(cx);
    log_browser_launch(cx, &launch);
    if launch.hops.is_empty() {
        log_screenshot(cx, &launch);
        return Err(format!(
            "--browser: the iframe made no request to the tool's login URL {} (final iframe URL {})",
            fx.profile.login_url, launch.final_url
        ));
    }
    let run = finish_run(
        fx,
        cx,
        Journey {
            hops: launch.hops.clone(),
        },
    );
    let platform_port = Some(fx.platform.addr().port());
    let ended_well = run.last().is_some_and(|h| {
        (200..300).contains(&h.status)
            && (h.nav.url.port_or_known_default() == platform_port
                || marker_ok(&h.response.text(), fx.profile.success_marker.as_deref()))
    });
    if run.delivered.is_none() || !ended_well {
        log_screenshot(cx, &launch);
    }
    Ok(run)
}

fn marker_ok(text: &str, marker: Option<&str>) -> bool {
    marker.is_none_or(|m| text.contains(m))
}

/// Writes what the browser did into the case log: the page, every document
/// request of the iframe, the cookies it refused, the final URL and text.
fn log_browser_launch(cx: &CaseCx, launch: &BrowserLaunch) {
    cx.log(format!(
        "browser: platform page {} with the tool in an iframe",
        launch.page_url
    ));
    for h in &launch.hops {
        let fields: Vec<&str> = h.nav.form.iter().map(|(k, _)| k.as_str()).collect();
        let form = if fields.is_empty() {
            String::new()
        } else {
            format!(" (form: {})", fields.join(", "))
        };
        cx.log(format!(
            "browser (iframe): {} {}{form} -> {}",
            h.nav.method,
            h.nav.url,
            if h.status == 0 {
                format!("not loaded: {}", h.response.text())
            } else {
                format!("HTTP {}", h.status)
            }
        ));
    }
    for note in &launch.cookie_notes {
        cx.log(format!("browser: {note}"));
    }
    let text: String = launch.text.chars().take(2000).collect();
    cx.log(format!(
        "browser: final iframe URL {}; page text: {}",
        launch.final_url,
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    ));
}

fn log_screenshot(cx: &CaseCx, launch: &BrowserLaunch) {
    if let Some(url) = launch.screenshot_data_url() {
        cx.log(format!("browser screenshot (PNG): {url}"));
    }
}

/// Where the browse's hops went: the authentication request and the delivery.
fn finish_run(fx: &Fixture, cx: &CaseCx, journey: Journey) -> LaunchRun {
    let auth = journey
        .hops
        .iter()
        .position(|h| is_platform_auth(&h.nav.url, &fx.platform));
    let delivered = auth.and_then(|a| {
        journey
            .hops
            .iter()
            .enumerate()
            .skip(a + 1)
            .find_map(|(i, h)| {
                (h.nav.method == Method::POST && h.nav.form.iter().any(|(k, _)| k == "id_token"))
                    .then_some(i)
            })
    });
    let run = LaunchRun {
        journey,
        auth,
        delivered,
    };
    if let Some(params) = run.auth_params() {
        for key in ["state", "nonce"] {
            if let Some((_, v)) = params.iter().find(|(k, v)| k == key && v.len() >= 8) {
                cx.correlate(v.clone());
            }
        }
    }
    run
}

fn describe_ua_error(e: &UaError, fx: &Fixture) -> String {
    match e {
        // Reached, but it sent more than the harness reads: not "unreachable".
        UaError::Http {
            hops,
            error: error @ accredit_core::http::HttpError::TooLarge { .. },
            ..
        } if hops.is_empty() => format!(
            "the tool's login URL {} answered with an oversized response: {error}",
            fx.profile.login_url
        ),
        UaError::Http { hops, error, .. } if hops.is_empty() => format!(
            "could not reach the tool's login URL {}: {error}",
            fx.profile.login_url
        ),
        UaError::Http {
            hops,
            method,
            url,
            error,
        } => format!(
            "the launch broke off after {} step(s): {method} {url}: {error}",
            hops.len()
        ),
        other => other.to_string(),
    }
}

/// Judges a delivered launch that must be accepted.
pub fn require_accepted(v: &mut Verdict, run: &LaunchRun, marker: Option<&str>) -> bool {
    let detail = match run.reaction(marker) {
        Some(Reaction::Accepted(_)) => String::new(),
        Some(Reaction::NoMarker(s)) => format!(
            "HTTP {s} but the page lacks the success marker {:?}",
            marker.unwrap_or_default()
        ),
        Some(Reaction::Refused(s)) | Some(Reaction::Unclear(s)) => format!(
            "the tool answered HTTP {s}: {}",
            run.last()
                .map(|h| snippet(&h.response.text()))
                .unwrap_or_default()
        ),
        Some(Reaction::Crashed(s)) => format!(
            "the tool crashed (HTTP {s}): {}",
            run.last()
                .map(|h| snippet(&h.response.text()))
                .unwrap_or_default()
        ),
        None => "the launch was never delivered".into(),
    };
    v.require("valid launch accepted", detail.is_empty(), detail)
}

/// Judges a delivered launch that must be refused: 4xx (or a 2xx page without the
/// configured success marker) passes, acceptance fails, 5xx warns.
pub fn judge_refusal(v: &mut Verdict, run: &LaunchRun, marker: Option<&str>, what: &str) {
    judge_refusal_as(v, run, marker, what, accredit_core::Outcome::Fail);
}

/// [`judge_refusal`] where acceptance counts as `accepted` (`Warn` for a SHOULD).
pub fn judge_refusal_as(
    v: &mut Verdict,
    run: &LaunchRun,
    marker: Option<&str>,
    what: &str,
    accepted: accredit_core::Outcome,
) {
    let name = format!("refused: {what}");
    let body = || {
        run.last()
            .map(|h| snippet(&h.response.text()))
            .unwrap_or_default()
    };
    match run.reaction(marker) {
        Some(Reaction::Refused(s)) => {
            v.check(
                name,
                accredit_core::Outcome::Pass,
                format!("HTTP {s}: {}", body()),
            );
        }
        Some(Reaction::NoMarker(s)) => {
            v.check(
                name,
                accredit_core::Outcome::Pass,
                format!("HTTP {s} without the success marker: {}", body()),
            );
        }
        Some(Reaction::Accepted(s)) => {
            v.check(
                name,
                accepted,
                format!("the tool accepted it (HTTP {s}): {}", body()),
            );
        }
        Some(Reaction::Crashed(s)) => {
            v.check(
                name,
                accredit_core::Outcome::Warn,
                format!("crashed rather than refused (HTTP {s}): {}", body()),
            );
        }
        Some(Reaction::Unclear(s)) => {
            v.check(
                name,
                accredit_core::Outcome::Review,
                format!("HTTP {s}: neither an accepted page nor a refusal; judge the evidence"),
            );
        }
        None => {
            v.check(
                name,
                accredit_core::Outcome::Error,
                "the launch was never delivered",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use accredit_core::Outcome;
    use accredit_core::http::Captured;
    use rstest::rstest;

    fn hop(method: Method, url: &str, form: &[(&str, &str)], status: u16, body: &str) -> Hop {
        let url = Url::parse(url).unwrap_or_else(|e| panic!("{e}"));
        let nav = Nav {
            method,
            url: url.clone(),
            form: form
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        Hop {
            nav,
            status,
            seq: 0,
            response: Captured {
                status: reqwest::StatusCode::from_u16(status).unwrap_or_else(|e| panic!("{e}")),
                headers: reqwest::header::HeaderMap::new(),
                url,
                body: body.as_bytes().to_vec().into(),
                seq: 0,
            },
        }
    }

    fn run(final_status: u16, body: &str, delivered: bool) -> LaunchRun {
        let hops = vec![
            hop(Method::GET, "http://tool/login", &[], 302, ""),
            hop(Method::GET, "http://127.0.0.1:9/lti/auth", &[], 200, "form"),
            hop(
                Method::POST,
                "http://tool/launch",
                &[("id_token", "a.b.c"), ("state", "s")],
                final_status,
                body,
            ),
        ];
        LaunchRun {
            journey: Journey { hops },
            auth: Some(1),
            delivered: delivered.then_some(2),
        }
    }

    #[rstest]
    #[case::accepted(
        200,
        "<body>Welcome</body>",
        Some("Welcome"),
        Some(Reaction::Accepted(200))
    )]
    #[case::accepted_without_marker_config(
        200,
        "<body>hi</body>",
        None,
        Some(Reaction::Accepted(200))
    )]
    #[case::no_marker(
        200,
        "<body>Error: bad token</body>",
        Some("Welcome"),
        Some(Reaction::NoMarker(200))
    )]
    #[case::refused(401, "nope", None, Some(Reaction::Refused(401)))]
    #[case::crashed(500, "boom", None, Some(Reaction::Crashed(500)))]
    #[case::unclear(302, "", None, Some(Reaction::Unclear(302)))]
    fn reactions(
        #[case] status: u16,
        #[case] body: &str,
        #[case] marker: Option<&str>,
        #[case] expected: Option<Reaction>,
    ) {
        assert_eq!(run(status, body, true).reaction(marker), expected);
    }

    #[test]
    fn an_undelivered_launch_has_no_reaction() {
        assert_eq!(run(200, "", false).reaction(None), None);
    }

    #[rstest]
    #[case::refusal_passes(401, None, Outcome::Pass)]
    #[case::acceptance_fails(200, None, Outcome::Fail)]
    #[case::missing_marker_counts_as_refusal(200, Some("Welcome"), Outcome::Pass)]
    #[case::crash_warns(500, None, Outcome::Warn)]
    #[case::unclear_needs_review(302, None, Outcome::Review)]
    fn refusal_judging(
        #[case] status: u16,
        #[case] marker: Option<&str>,
        #[case] expected: Outcome,
    ) {
        let mut v = Verdict::new();
        judge_refusal(
            &mut v,
            &run(status, "<body>page</body>", true),
            marker,
            "a bad token",
        );
        assert_eq!(v.outcome(), expected, "{}", v.message());
        if expected == Outcome::Warn {
            assert!(
                v.message().contains("crashed rather than refused"),
                "{}",
                v.message()
            );
        }
    }

    #[rstest]
    #[case::html(
        "<html><head><title>T</title></head><body><h1>Refused</h1><p>bad &amp; sad</p></body></html>",
        "Refused bad & sad"
    )]
    #[case::plain("  a\n  b ", "a b")]
    #[case::broken_tag("<body><p unclosed", "")]
    #[case::binary("\u{1}\u{2}\u{FFFD}\u{FFFD}ab\u{3}", "a binary (non-text) body")]
    #[case::stray_control("a line\u{7}of ordinary text", "a line of ordinary text")]
    fn snippets_show_visible_text(#[case] body: &str, #[case] expected: &str) {
        assert_eq!(snippet(body), expected);
    }

    #[test]
    fn long_snippets_are_cut() {
        let s = snippet(&"é".repeat(500));
        assert_eq!(s.chars().count(), 201);
        assert!(s.ends_with('…'));
    }
}
