//! Scripted-browser launches (`[lti-platform.browser]`): log in to the LMS and
//! click its launch link in headless Chromium.
//!
//! Why: many LMSs have no URL that starts a launch when fetched; a launch starts
//! from a link or button in a course page behind the LMS's login form, often
//! wired up by JavaScript. The harness cannot certify such a platform with its
//! HTTP browser ([`super::browse`]), so for the launch kinds the profile scripts,
//! it does what a user does: open the login page, type the credentials into the
//! configured fields, submit, open the course page, click the configured element,
//! and let Chromium run the whole OIDC dance (platform → harness tool login →
//! platform authentication endpoint → `form_post` to the harness tool).
//!
//! Decisions:
//! - **One login per case.** Each case gets a fresh Chromium session (fresh
//!   profile, fresh cookies, see [`BrowserDriver`]), logs in and clicks. Sharing a
//!   session would make cases depend on each other's browser state and put one
//!   case's login in another's evidence; a login costs about a second.
//! - **Evidence.** The login itself is *not* recorded (its form carries the
//!   password): Chromium's network log is drained after the login. From the course
//!   page on, every document request Chromium made (any frame) becomes a [`Hop`]
//!   and an exchange in the case evidence (requests to the harness tool as
//!   harness-to-mock), with the same redaction as every recorded exchange; the
//!   hops are also written to the case log, like the tool side's `--browser`.
//!   The credentials and the LMS cookies are registered with the redactor.
//! - **When is the launch done.** When Chromium has sent a request carrying
//!   `state` to the harness tool's launch URL and the harness tool has recorded a
//!   launch under that state; the judged launch is the tool's record, exactly as in
//!   the URL mode. A page that stays quiet without reaching the tool ends the wait
//!   early, so a broken launch fails fast instead of running into the timeout.
//! - **The user's session afterwards.** The LMS cookies Chromium holds on the
//!   course page are copied into the HTTP [`Browser`] returned with the launch, so
//!   follow-up requests made "as the user" (the Deep Linking return) carry them.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use url::Url;

use accredit_core::CaseCx;
use accredit_core::evidence::RedactUrl as _;
use accredit_core::reports::Direction;
use accredit_mock_tool::{LAUNCH_PATH, LOGIN_PATH};

use super::profile::{BrowserScript, CssSelector, ScriptedLaunch};
use crate::browser::{BrowserDriver, BrowserError, PerfLog, cmd};
use crate::chromium_log::{self, NetLog};
use crate::ua::Hop;

/// Time between two looks at the browser.
const POLL: Duration = Duration::from_millis(200);
/// Longest the harness waits for one element of the script to appear.
const ELEMENT_WAIT: Duration = Duration::from_secs(10);
/// Consecutive polls without any network activity after which a click that has
/// not reached the harness tool's launch URL is taken as finished (6 s).
const QUIET_POLLS: u32 = 30;
/// Time kept back from the case's budget to judge the launch.
const MARGIN: Duration = Duration::from_secs(2);

/// Why a scripted launch could not be run or did not finish.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScriptError {
    /// The browser itself failed (session, WebDriver command, timeout).
    #[error("--browser: {0}")]
    Browser(#[from] BrowserError),
    /// The scripted login did not succeed.
    #[error(
        "the scripted login at {login_url} failed: {why} (check [lti-platform.browser] username, password and the login selectors)"
    )]
    Login {
        /// The profile's `login_url`.
        login_url: String,
        /// What was seen.
        why: String,
    },
    /// The launch element could not be found or clicked.
    #[error("the launch element `{selector}` on {page}: {why}")]
    Click {
        /// The page opened.
        page: String,
        /// The `click` selector.
        selector: String,
        /// What was seen.
        why: String,
    },
}

/// What a scripted launch did.
#[derive(Debug, Clone)]
pub(crate) struct Clicked {
    /// Every document request from the course page on, in order.
    pub(crate) hops: Vec<Hop>,
    /// Per hop: when Chromium sent it (RFC 3339) and how long until its answer
    /// (ms), from the DevTools events' clocks.
    pub(crate) times: Vec<(Option<String>, u64)>,
    /// The `state` of the request that reached the harness tool's launch URL, when
    /// one did and the harness tool recorded it.
    pub(crate) state: Option<String>,
    /// The LMS cookies (a `Cookie` header value) of the course page.
    pub(crate) cookies: Option<String>,
    /// The top-level URL at the end.
    pub(crate) final_url: String,
    /// The top-level page's visible text at the end (capped).
    pub(crate) text: String,
}

/// Runs `launch` (login, page, click, OIDC dance) in a fresh Chromium session
/// within `budget`. `tool_base` is the harness tool's base URL; `has_launch`
/// says whether the harness tool has recorded a launch under a state.
pub(crate) async fn run(
    driver: &BrowserDriver,
    cx: &CaseCx,
    script: &BrowserScript,
    launch: &ScriptedLaunch,
    tool_base: &Url,
    has_launch: &(dyn Fn(&str) -> bool + Send + Sync),
    budget: Duration,
) -> Result<Clicked, ScriptError> {
    let redactor = cx.evidence.redactor();
    redactor.add_secret(script.username.expose());
    redactor.add_secret(script.password.expose());
    let t0 = Instant::now();
    let budget = budget.saturating_sub(MARGIN);
    let session = driver.session(budget).await?;
    let left = || budget.saturating_sub(t0.elapsed());
    let result = drive(
        &session.client,
        cx,
        script,
        launch,
        tool_base,
        has_launch,
        &left,
    )
    .await;
    session.close().await;
    result
}

async fn drive(
    client: &Client,
    cx: &CaseCx,
    script: &BrowserScript,
    launch: &ScriptedLaunch,
    tool_base: &Url,
    has_launch: &(dyn Fn(&str) -> bool + Send + Sync),
    left: &(dyn Fn() -> Duration + Send + Sync),
) -> Result<Clicked, ScriptError> {
    login(client, cx, script, left).await?;
    // Forget the login's requests: the form post carries the password.
    cmd(
        "reading the performance log",
        left(),
        client.issue_cmd(PerfLog),
    )
    .await?;

    let page = launch.page.as_str();
    cx.log(format!("browser: opening {page}"));
    cmd("opening the launch page", left(), client.goto(page)).await?;
    let click_err = |why: String| ScriptError::Click {
        page: page.to_string(),
        selector: launch.click.as_str().to_string(),
        why,
    };
    let target = match find(client, &launch.click, left()).await {
        Ok(e) => e,
        Err(e) => {
            let at = where_am_i(client, left()).await;
            return Err(click_err(format!(
                "not found within {ELEMENT_WAIT:?} ({e}); the browser is at {at} (did the login work?)"
            )));
        }
    };
    let cookies = platform_cookies(client, cx, left()).await;
    if let Ok(Some(href)) = cmd("reading the link", left(), target.attr("href")).await {
        cx.log(format!(
            "browser: clicking `{}` (href {href})",
            launch.click.as_str()
        ));
    } else {
        cx.log(format!("browser: clicking `{}`", launch.click.as_str()));
    }
    cmd("clicking the launch element", left(), target.click())
        .await
        .map_err(|e| click_err(e.to_string()))?;

    let mut net = NetLog::default();
    let mut quiet = 0u32;
    let mut state = None;
    while !left().is_zero() {
        tokio::time::sleep(POLL.min(left())).await;
        let before = net.events;
        net.absorb(
            &cmd(
                "reading the performance log",
                left(),
                client.issue_cmd(PerfLog),
            )
            .await?,
        );
        if let Some(s) = net.launch_state(tool_base)
            && has_launch(&s)
        {
            state = Some(s);
            break;
        }
        quiet = if net.events == before && !net.in_flight() {
            quiet + 1
        } else {
            0
        };
        if quiet >= QUIET_POLLS {
            break;
        }
    }
    let final_url = where_am_i(client, left().max(POLL)).await;
    let text = cmd(
        "reading the page text",
        left().max(POLL),
        client.execute(
            "return document.body ? document.body.innerText : '';",
            vec![],
        ),
    )
    .await
    .ok()
    .and_then(|v| v.as_str().map(|s| s.chars().take(2000).collect::<String>()))
    .unwrap_or_default();
    let times = net.times();
    Ok(Clicked {
        hops: net.into_hops(),
        times,
        state,
        cookies,
        final_url,
        text,
    })
}

/// Logs in, opens the launch page and reads the launch element's `href` (made
/// absolute by the browser) and the LMS cookies, without clicking: for the OIDC
/// negative cases, which replay the start with the HTTP browser and stop it
/// before the harness tool. `Ok(None)` when the element has no `href` (a
/// JavaScript-only launch button).
pub(crate) async fn link(
    driver: &BrowserDriver,
    cx: &CaseCx,
    script: &BrowserScript,
    launch: &ScriptedLaunch,
    budget: Duration,
) -> Result<Option<(Url, Option<String>)>, ScriptError> {
    let redactor = cx.evidence.redactor();
    redactor.add_secret(script.username.expose());
    redactor.add_secret(script.password.expose());
    let t0 = Instant::now();
    let budget = budget.saturating_sub(MARGIN);
    let session = driver.session(budget).await?;
    let left = || budget.saturating_sub(t0.elapsed());
    let result = read_link(&session.client, cx, script, launch, &left).await;
    session.close().await;
    result
}

async fn read_link(
    client: &Client,
    cx: &CaseCx,
    script: &BrowserScript,
    launch: &ScriptedLaunch,
    left: &(dyn Fn() -> Duration + Send + Sync),
) -> Result<Option<(Url, Option<String>)>, ScriptError> {
    login(client, cx, script, left).await?;
    let page = launch.page.as_str();
    cmd("opening the launch page", left(), client.goto(page)).await?;
    let click_err = |why: String| ScriptError::Click {
        page: page.to_string(),
        selector: launch.click.as_str().to_string(),
        why,
    };
    let target = match find(client, &launch.click, left()).await {
        Ok(e) => e,
        Err(e) => {
            let at = where_am_i(client, left()).await;
            return Err(click_err(format!(
                "not found within {ELEMENT_WAIT:?} ({e}); the browser is at {at} (did the login work?)"
            )));
        }
    };
    let href = cmd("reading the link", left(), target.prop("href"))
        .await
        .map_err(|e| click_err(e.to_string()))?;
    let Some(url) = href
        .and_then(|h| Url::parse(&h).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    else {
        return Ok(None);
    };
    let cookies = platform_cookies(client, cx, left()).await;
    cx.log(format!("browser: the launch element links to {url}"));
    Ok(Some((url, cookies)))
}

/// Opens the login page, fills in and submits the form, and checks the result.
async fn login(
    client: &Client,
    cx: &CaseCx,
    script: &BrowserScript,
    left: &(dyn Fn() -> Duration + Send + Sync),
) -> Result<(), ScriptError> {
    let login_url = script.login_url.as_str();
    let fail = |why: String| ScriptError::Login {
        login_url: login_url.to_string(),
        why,
    };
    cx.log(format!("browser: logging in at {login_url}"));
    cmd("opening the login page", left(), client.goto(login_url)).await?;
    for (key, sel, value) in [
        (
            "username_selector",
            &script.username_selector,
            &script.username,
        ),
        (
            "password_selector",
            &script.password_selector,
            &script.password,
        ),
    ] {
        let field = find(client, sel, left()).await.map_err(|e| {
            fail(format!(
                "no element matches {key} `{}` within {ELEMENT_WAIT:?} ({e})",
                sel.as_str()
            ))
        })?;
        cmd(
            "typing into the login form",
            left(),
            field.send_keys(value.expose()),
        )
        .await
        .map_err(|e| fail(format!("cannot type into {key} `{}`: {e}", sel.as_str())))?;
    }
    let submit = find(client, &script.submit_selector, left())
        .await
        .map_err(|e| {
            fail(format!(
                "no element matches submit_selector `{}` within {ELEMENT_WAIT:?} ({e})",
                script.submit_selector.as_str()
            ))
        })?;
    cmd("submitting the login form", left(), submit.click())
        .await
        .map_err(|e| fail(format!("cannot click the submit button: {e}")))?;
    match &script.logged_in_selector {
        Some(sel) => {
            if let Err(e) = find(client, sel, left()).await {
                let at = where_am_i(client, left().max(POLL)).await;
                let text = cmd(
                    "reading the page text",
                    left().max(POLL),
                    client.execute(
                        "return document.body ? document.body.innerText : '';",
                        vec![],
                    ),
                )
                .await
                .ok()
                .and_then(|v| v.as_str().map(|s| super::browse::snippet(s, 200)))
                .unwrap_or_default();
                return Err(fail(format!(
                    "after submitting, no element matches logged_in_selector `{}` within {ELEMENT_WAIT:?} ({e}); the browser is at {at}: {text}",
                    sel.as_str()
                )));
            }
            cx.log(format!(
                "browser: logged in (`{}` is on the page)",
                sel.as_str()
            ));
        }
        None => {
            // Wait until the submit button's page has been replaced.
            let t = Instant::now();
            while t.elapsed() < ELEMENT_WAIT && !left().is_zero() {
                if submit.attr("type").await.is_err() {
                    break;
                }
                tokio::time::sleep(POLL.min(left())).await;
            }
            cx.log("browser: login form submitted (no logged_in_selector to confirm it)");
        }
    }
    Ok(())
}

/// Waits (bounded) for an element matching `sel`.
async fn find(
    client: &Client,
    sel: &CssSelector,
    left: Duration,
) -> Result<fantoccini::elements::Element, String> {
    let limit = left.min(ELEMENT_WAIT);
    client
        .wait()
        .at_most(limit)
        .every(POLL)
        .for_element(Locator::Css(sel.as_str()))
        .await
        .map_err(|e| e.to_string())
}

/// The top-level URL, or why it is unknown.
async fn where_am_i(client: &Client, left: Duration) -> String {
    match cmd("reading the URL", left, client.current_url()).await {
        Ok(u) => u.to_string(),
        Err(e) => format!("an unknown page ({e})"),
    }
}

/// The cookies of the current (platform) page as a `Cookie` header value; their
/// values are registered with the redactor.
async fn platform_cookies(client: &Client, cx: &CaseCx, left: Duration) -> Option<String> {
    let cookies = cmd("reading the cookies", left, client.get_all_cookies())
        .await
        .ok()?;
    let pairs: Vec<String> = cookies
        .iter()
        .map(|c| {
            cx.evidence.redactor().add_secret(c.value());
            format!("{}={}", c.name(), c.value())
        })
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

/// Writes the hops into the case evidence (as exchanges) and log.
pub(crate) fn record_hops(cx: &CaseCx, clicked: &Clicked, tool_base: &Url) {
    let redactor = cx.evidence.redactor();
    let no_headers = reqwest::header::HeaderMap::new();
    for (i, h) in clicked.hops.iter().enumerate() {
        let (started_at, duration_ms) = match clicked.times.get(i) {
            Some((t, ms)) => (t.as_deref(), *ms),
            None => (None, 0),
        };
        let direction = if h.nav.url.origin() == tool_base.origin() {
            Direction::HarnessToMock
        } else {
            Direction::HarnessToCandidate
        };
        cx.evidence.push(chromium_log::exchange(
            h,
            &no_headers,
            started_at,
            duration_ms,
            direction,
            redactor,
        ));
        let fields: Vec<&str> = h.nav.form.iter().map(|(k, _)| k.as_str()).collect();
        let form = if fields.is_empty() {
            String::new()
        } else {
            format!(" (form: {})", fields.join(", "))
        };
        cx.log(format!(
            "browser: {} {}{form} -> {}",
            h.nav.method,
            redactor.redact_urlencoded_url(h.nav.url.as_str()),
            if h.status == 0 {
                format!("not loaded: {}", h.response.text())
            } else {
                format!("HTTP {}", h.status)
            }
        ));
    }
    cx.log(format!(
        "browser: final URL {}; page text: {}",
        clicked.final_url,
        super::browse::snippet(&clicked.text, 400)
    ));
}

/// Whether any hop requested the harness tool's login URL.
pub(crate) fn reached_tool_login(hops: &[Hop], tool_base: &Url) -> bool {
    hops.iter()
        .any(|h| h.nav.url.origin() == tool_base.origin() && h.nav.url.path() == LOGIN_PATH)
}

/// The scripted launch's view of Chromium's network log (shared with the tool
/// side's `--browser`, [`crate::chromium_log`]): every frame's document requests.
impl NetLog {
    /// The `state` of the last answered request to the harness tool's launch URL.
    fn launch_state(&self, tool_base: &Url) -> Option<String> {
        self.hops.iter().rev().find_map(|h| {
            let to_launch = h.nav.url.origin() == tool_base.origin()
                && h.nav.url.path() == LAUNCH_PATH
                && (h.status.is_some() || h.failure.is_some());
            if !to_launch {
                return None;
            }
            h.nav
                .params()
                .into_iter()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ua::Nav;
    use serde_json::{Value, json};

    fn entry(method: &str, params: Value) -> Value {
        json!({ "message": json!({ "message": { "method": method, "params": params } }).to_string() })
    }

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
            Duration::from_secs(60),
            vec![],
        )
    }

    fn script(base: &str, password: &str) -> BrowserScript {
        let u = |s: &str| {
            accredit_core::profile::HttpUrl(Url::parse(s).unwrap_or_else(|e| panic!("{e}")))
        };
        let sel = |s: &str| CssSelector(s.to_string());
        BrowserScript {
            login_url: u(&format!("{base}/login")),
            username: accredit_core::profile::Secret::from_value("env:U", "alice"),
            password: accredit_core::profile::Secret::from_value("env:P", password),
            username_selector: sel("#username"),
            password_selector: sel("#password"),
            submit_selector: sel("button[type=submit]"),
            logged_in_selector: Some(sel("#dashboard")),
            launches: Default::default(),
        }
    }

    /// The OIDC negative cases' path for a scripted kind: log in in Chromium, read
    /// the launch link and the session, then start the launch over HTTP with them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn link_reads_the_start_url_and_the_session_behind_the_login() {
        if std::env::var("ACCREDIT_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
            return;
        }
        let settings = accredit_core::BrowserSettings::from_env();
        if let Some(problem) = settings.problem() {
            panic!("{problem}; or set ACCREDIT_SKIP_BROWSER_TESTS=1");
        }
        let platform = accredit_mock_platform::start_reference_platform(
            accredit_mock_platform::ClientRegistration {
                client_id: "c".into(),
                redirect_uris: vec!["http://127.0.0.1:9/lti/launch".into()],
                deployment_ids: vec![],
                login_url: Some("http://127.0.0.1:9/lti/login".into()),
                target_link_uri: None,
                jwks_url: None,
            },
            [],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        platform.require_login("alice", "right");
        let base = platform
            .endpoints()
            .base_url
            .trim_end_matches('/')
            .to_string();
        let kind = accredit_mock_platform::LaunchKind::Student;
        let launch = ScriptedLaunch {
            page: accredit_core::profile::HttpUrl(
                Url::parse(&platform.course_page_url("c", kind)).unwrap_or_else(|e| panic!("{e}")),
            ),
            click: CssSelector("#launch-student".into()),
        };
        let driver = BrowserDriver::start(settings)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let cx = cx();

        let found = link(
            &driver,
            &cx,
            &script(&base, "right"),
            &launch,
            cx.remaining(),
        )
        .await;
        let (url, cookies) = found
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the launch link has an href"));
        assert_eq!(url.as_str(), platform.launch_start_url("c", kind));
        let cookies = cookies.unwrap_or_default();
        assert!(
            cookies.contains(accredit_mock_platform::SESSION_COOKIE),
            "{cookies}"
        );
        // The session copied out of Chromium works for the HTTP browser.
        let tool = Url::parse("http://127.0.0.1:9/").unwrap_or_else(|e| panic!("{e}"));
        let http = super::super::browse::Browser::new(&cx, &tool, Some(&cookies), Some(&url));
        let resp = http
            .send(&Nav::get(url.clone(), &[]), Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.status.as_u16(), 302);

        let wrong = link(
            &driver,
            &cx,
            &script(&base, "wrong"),
            &launch,
            cx.remaining(),
        )
        .await;
        match wrong {
            Err(ScriptError::Login { why, .. }) => {
                assert!(why.contains("logged_in_selector"), "{why}")
            }
            other => panic!("a wrong password must be a login error: {other:?}"),
        }
        driver.shutdown().await;
        platform.shutdown().await;
    }

    #[test]
    fn the_net_log_finds_the_launch_state_only_once_answered() {
        let tool = Url::parse("http://127.0.0.1:4000/").unwrap_or_else(|e| panic!("{e}"));
        let mut net = NetLog::default();
        net.absorb(&json!([
            entry(
                "Network.requestWillBeSent",
                json!({ "requestId": "1", "type": "Document", "frameId": "F",
                    "wallTime": 1_700_000_000.25, "timestamp": 10.0,
                    "request": { "url": "http://127.0.0.1:4000/lti/launch", "method": "POST",
                                 "postData": "id_token=a.b.c&state=S1" } })
            ),
            entry(
                "Network.requestWillBeSent",
                json!({ "requestId": "2", "type": "Image",
                    "request": { "url": "http://127.0.0.1:4000/x.png", "method": "GET" } })
            ),
        ]));
        assert_eq!(net.hops.len(), 1);
        assert!(net.in_flight());
        assert_eq!(net.launch_state(&tool), None);
        net.absorb(&json!([entry(
            "Network.responseReceived",
            json!({ "requestId": "1", "timestamp": 10.125,
                    "response": { "status": 200, "headers": {} } })
        )]));
        assert!(!net.in_flight());
        assert_eq!(net.launch_state(&tool).as_deref(), Some("S1"));
        let other = Url::parse("http://127.0.0.1:4001/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(net.launch_state(&other), None);
        let times = net.times();
        assert_eq!(times.len(), 1);
        assert_eq!(times[0].1, 125);
        assert!(
            times[0]
                .0
                .as_deref()
                .is_some_and(|t| t.starts_with("2023-11-14T22:13:20.250")),
            "{times:?}"
        );
        let hops = net.into_hops();
        assert_eq!(hops[0].status, 200);
        assert!(!reached_tool_login(&hops, &tool));
    }
}
