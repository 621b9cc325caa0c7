//! `--browser`: LTI launches in a real headless Chromium, inside a platform iframe.
//!
//! Why: the harness's HTTP user agent ([`crate::ua`]) keeps every cookie and
//! applies no SameSite or third-party-cookie rules, so it cannot see the most
//! common real-world LTI failure: a tool whose state cookie a browser drops
//! because the launch runs in an iframe of the LMS, on another site. In browser
//! mode the launch runs as a user sees it: Chromium opens a page of the harness's
//! mock platform (on `localhost`, or on `127.0.0.1` when the tool itself is on
//! `localhost`: different *sites*, so the tool is cross-site in that frame), the
//! page puts an `<iframe>` whose first navigation is the tool's login initiation
//! (GET, or a form POST targeted at the iframe), and Chromium follows the tool's
//! redirect to the authentication endpoint and the platform's auto-submitting
//! `form_post` page by itself.
//!
//! What the browser did is read back from Chromium's performance log (DevTools
//! `Network.*` events, enabled per session): every document request of the
//! iframe becomes a [`Hop`] (method, URL, form fields, status, headers), so a
//! browser launch is judged by exactly the same code as an HTTP one. The cookies
//! Chromium refused to store or to send, with its reasons (`SameSiteLax`,
//! `ThirdPartyPhaseout`...), are kept as notes for the case log: that is the
//! evidence of why a launch failed in a browser. Every page load, redirect and
//! form post Chromium made (the platform page's too) also goes into the case
//! evidence as an exchange recorded by `chromium`
//! ([`BrowserLaunch::record_exchanges`], conversion in `chromium_log`, shared
//! with the platform side's scripted launches), so a reviewer reads the
//! browser's requests, its cookies (redacted) and the decoded `id_token` of the
//! `form_post` exactly like the HTTP user agent's.
//!
//! Resources: one chromedriver per suite run ([`BrowserDriver`], in its own
//! process group, killed with the Chromium processes it started on shutdown or
//! drop); one browser session with a fresh profile (fresh cookies) per launch;
//! every WebDriver command and wait bounded by the case's remaining time.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

use accredit_core::CaseCx;
use accredit_core::reports::Direction;
use accredit_core::suite::BrowserSettings;

use crate::chromium_log::{self, ChromiumHop, NetLog, Scope};
use crate::ua::{Hop, Nav};

/// Longest chromedriver may take to answer `/status` after it is spawned.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest a new browser session may take (Chromium start-up on slow cores).
const SESSION_TIMEOUT: Duration = Duration::from_secs(45);
/// Longest any single WebDriver command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest closing a session may take (it is closed however a launch ended).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Time between two looks at the iframe.
const POLL: Duration = Duration::from_millis(200);
/// Consecutive quiet looks (same document, loaded, no navigation in flight)
/// after which the iframe is taken to have settled.
const QUIET_POLLS: u32 = 3;
/// Most of a page's HTML kept as the last hop's body.
const MAX_HTML: usize = 256 * 1024;
/// Most of a page's visible text written to the case log.
const MAX_TEXT: usize = 2000;
/// Name and id of the iframe the tool is launched in.
const FRAME: &str = "accredit-tool-frame";

/// Why the browser could not do its part.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// chromedriver or Chromium is missing.
    #[error("{0}")]
    Unavailable(String),
    /// chromedriver could not be spawned.
    #[error("cannot start chromedriver {path}: {source}")]
    Spawn {
        /// The executable.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// chromedriver exited or never answered.
    #[error("chromedriver did not start: {why}{log}")]
    NotReady {
        /// What happened.
        why: String,
        /// The tail of chromedriver's log.
        log: String,
    },
    /// A scratch directory (log, browser profile) could not be created.
    #[error("cannot create {what}: {source}")]
    Scratch {
        /// Which directory.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// A new Chromium session could not be started.
    #[error("starting a headless Chromium session: {0}")]
    Session(String),
    /// A WebDriver command failed.
    #[error("browser: {what}: {error}")]
    Command {
        /// The step.
        what: String,
        /// The WebDriver error.
        error: fantoccini::error::CmdError,
    },
    /// A step did not finish in time.
    #[error("browser: {what} did not finish within {after:?}")]
    Timeout {
        /// The step.
        what: String,
        /// The bound.
        after: Duration,
    },
    /// The iframe was still navigating when the case's time ran out.
    #[error(
        "the launch in the browser had not settled before the case timeout (iframe at {at}, {hops} document request(s) seen)"
    )]
    Unsettled {
        /// The iframe's URL at the last look.
        at: String,
        /// Document requests seen.
        hops: usize,
    },
}

/// One chromedriver for a suite run, killed (with its process group, so with
/// every Chromium it started) by [`BrowserDriver::shutdown`] or on drop.
pub struct BrowserDriver {
    settings: BrowserSettings,
    url: String,
    child: Mutex<Option<Child>>,
    log: PathBuf,
    /// Holds the log file; removed after the driver is killed (field order).
    _scratch: tempfile::TempDir,
}

impl std::fmt::Debug for BrowserDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserDriver")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl BrowserDriver {
    /// Starts chromedriver on a free loopback port and waits (bounded) until it
    /// is ready. Missing executables are [`BrowserError::Unavailable`].
    pub async fn start(settings: BrowserSettings) -> Result<BrowserDriver, BrowserError> {
        if let Some(problem) = settings.problem() {
            return Err(BrowserError::Unavailable(problem));
        }
        let scratch = tempfile::Builder::new()
            .prefix("accredit-chromedriver-")
            .tempdir()
            .map_err(|source| BrowserError::Scratch {
                what: "the chromedriver scratch directory",
                source,
            })?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|source| BrowserError::Spawn {
                path: settings.chromedriver.display().to_string(),
                source,
            })?
            .port();
        let log = scratch.path().join("chromedriver.log");
        let spawn_err = |source| BrowserError::Spawn {
            path: settings.chromedriver.display().to_string(),
            source,
        };
        let log_file = std::fs::File::create(&log).map_err(spawn_err)?;
        let child = Command::new(&settings.chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(spawn_err)?)
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .map_err(spawn_err)?;
        let driver = BrowserDriver {
            url: format!("http://127.0.0.1:{port}"),
            child: Mutex::new(Some(child)),
            log,
            _scratch: scratch,
            settings,
        };
        driver.wait_ready().await?;
        tracing::info!(url = %driver.url, "chromedriver started for --browser");
        Ok(driver)
    }

    async fn wait_ready(&self) -> Result<(), BrowserError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| BrowserError::NotReady {
                why: format!("cannot build an HTTP client: {e}"),
                log: String::new(),
            })?;
        let started = Instant::now();
        loop {
            let exited = lock(&self.child)
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                return Err(BrowserError::NotReady {
                    why: format!("it exited ({status})"),
                    log: self.log_tail(),
                });
            }
            let ready = match http.get(format!("{}/status", self.url)).send().await {
                Ok(r) => r
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v.pointer("/value/ready") == Some(&Value::Bool(true))),
                Err(_) => false,
            };
            if ready {
                return Ok(());
            }
            if started.elapsed() > DRIVER_START_TIMEOUT {
                self.kill();
                return Err(BrowserError::NotReady {
                    why: format!(
                        "no ready answer on {} within {DRIVER_START_TIMEOUT:?}",
                        self.url
                    ),
                    log: self.log_tail(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: String = text
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        if tail.is_empty() {
            String::new()
        } else {
            format!("\n--- chromedriver log (tail) ---\n{tail}")
        }
    }

    /// Stops chromedriver and every browser it started. Idempotent.
    pub async fn shutdown(&self) {
        self.kill();
    }

    fn kill(&self) {
        if let Some(mut child) = lock(&self.child).take() {
            // The whole process group: chromedriver and any Chromium it started.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A new session with a fresh profile (no cookies), within `budget`.
    pub(crate) async fn session(&self, budget: Duration) -> Result<Session, BrowserError> {
        let profile = tempfile::Builder::new()
            .prefix("accredit-chromium-")
            .tempdir()
            .map_err(|source| BrowserError::Scratch {
                what: "a Chromium profile directory",
                source,
            })?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": self.settings.chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1200,900",
                    // The iframe in the page's process: DevTools network events
                    // of out-of-process iframes do not reach the performance log.
                    // (Cookie and SameSite rules do not depend on the process model.)
                    "--disable-site-isolation-trials",
                    "--disable-features=IsolateOrigins,site-per-process",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
            }),
        );
        caps.insert(
            "goog:loggingPrefs".to_owned(),
            json!({ "performance": "ALL" }),
        );
        let limit = budget.min(SESSION_TIMEOUT);
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps);
        let connect = builder.connect(&self.url);
        let client = match tokio::time::timeout(limit, connect).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return Err(BrowserError::Session(format!("{e}{}", self.log_tail())));
            }
            Err(_) => {
                return Err(BrowserError::Timeout {
                    what: "starting a headless Chromium session".into(),
                    after: limit,
                });
            }
        };
        Ok(Session {
            client,
            _profile: profile,
        })
    }

    /// Runs one launch in a fresh browser: opens a page on the platform's origin
    /// (`platform_port`) whose iframe starts with `login`, waits until the iframe
    /// settles, and reads back every document request it made. `tag` (a
    /// correlation key) goes into the page's URL so the platform's record of that
    /// visit lands in the case evidence. Everything within `budget`.
    pub async fn launch(
        &self,
        platform_port: u16,
        tag: &str,
        login: &Nav,
        budget: Duration,
    ) -> Result<BrowserLaunch, BrowserError> {
        let t0 = Instant::now();
        let session = self.session(budget).await?;
        let left = budget.saturating_sub(t0.elapsed());
        let result = drive(&session.client, platform_port, tag, login, left).await;
        session.close().await;
        result
    }
}

impl Drop for BrowserDriver {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) struct Session {
    pub(crate) client: Client,
    /// Removed after the session is closed (the browser is gone by then).
    _profile: tempfile::TempDir,
}

impl Session {
    /// Ends the session (bounded); a session that does not close is killed with
    /// chromedriver's process group at shutdown.
    pub(crate) async fn close(self) {
        let Session { client, _profile } = self;
        if tokio::time::timeout(CLOSE_TIMEOUT, client.close())
            .await
            .is_err()
        {
            tracing::warn!("closing a browser session timed out after {CLOSE_TIMEOUT:?}");
        }
    }
}

/// What the browser did in one launch.
#[derive(Debug, Clone)]
pub struct BrowserLaunch {
    /// The platform page the iframe was put in.
    pub page_url: String,
    /// Every document request of the iframe, in order; the last one's body is
    /// the final iframe document.
    pub hops: Vec<Hop>,
    /// The iframe's final URL.
    pub final_url: String,
    /// The final iframe document's visible text (capped).
    pub text: String,
    /// Cookies Chromium refused to store or send, with its reasons.
    pub cookie_notes: Vec<String>,
    /// A PNG screenshot of the platform page with the iframe, if one was taken.
    pub screenshot: Option<Vec<u8>>,
    /// Every document request Chromium made (the platform page's too), for the
    /// evidence; the last iframe one carries the final document.
    chromium: Vec<ChromiumHop>,
    /// The harness platform's port: requests to it are harness-to-mock.
    platform_port: u16,
}

impl BrowserLaunch {
    /// Writes every page load, redirect and form post Chromium made into the
    /// case evidence as exchanges (`recorded_by: "chromium"`): the platform page
    /// and the platform's endpoints as harness-to-mock, everything else (the
    /// tool) as harness-to-candidate; bodies capped, JWTs decoded, redacted as
    /// every recorded exchange. Returns how many were recorded.
    ///
    /// Why here and not while driving: the evidence needs the case's redactor,
    /// and the launch is read back from Chromium only once it has settled.
    pub fn record_exchanges(&self, cx: &CaseCx) -> usize {
        let redactor = cx.evidence.redactor();
        for c in &self.chromium {
            let to_platform = is_loopback(&c.hop.nav.url)
                && c.hop.nav.url.port_or_known_default() == Some(self.platform_port);
            let direction = if to_platform {
                Direction::HarnessToMock
            } else {
                Direction::HarnessToCandidate
            };
            cx.evidence.push(chromium_log::exchange(
                &c.hop,
                &c.request_headers,
                c.started_at.as_deref(),
                c.duration_ms,
                direction,
                redactor,
            ));
        }
        self.chromium.len()
    }

    /// The screenshot as a `data:` URL, for the case log.
    pub fn screenshot_data_url(&self) -> Option<String> {
        self.screenshot.as_ref().map(|png| {
            format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(png)
            )
        })
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The platform page's host: a different *site* from the tool's.
fn page_host(login: &Url) -> &'static str {
    if login
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case("localhost"))
    {
        "127.0.0.1"
    } else {
        "localhost"
    }
}

pub(crate) async fn cmd<T>(
    what: &str,
    left: Duration,
    fut: impl Future<Output = Result<T, fantoccini::error::CmdError>>,
) -> Result<T, BrowserError> {
    let limit = left.min(COMMAND_TIMEOUT);
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(error)) => Err(BrowserError::Command {
            what: what.to_string(),
            error,
        }),
        Err(_) => Err(BrowserError::Timeout {
            what: what.to_string(),
            after: limit,
        }),
    }
}

/// Puts the iframe in the page and starts the login in it: a GET as its `src`,
/// or a POST through a form targeted at it.
const START_SCRIPT: &str = r#"
const [name, method, url, fields] = arguments;
const frame = document.createElement('iframe');
frame.name = name; frame.id = name; frame.width = '1100'; frame.height = '700';
document.body.appendChild(frame);
if (method === 'GET') { frame.src = url; return true; }
const form = document.createElement('form');
form.method = 'POST'; form.action = url; form.target = name;
for (const [k, v] of fields) {
  const i = document.createElement('input');
  i.type = 'hidden'; i.name = k; i.value = v; form.appendChild(i);
}
document.body.appendChild(form);
form.submit();
return true;
"#;

/// Run inside the iframe: where it is and whether it has loaded.
const LOOK_SCRIPT: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
return { href: location.href, ready: document.readyState,
         status: nav && nav.responseStatus ? nav.responseStatus : 0 };
"#;

/// Run inside the iframe: the final document.
const READ_SCRIPT: &str = r#"
const [maxHtml, maxText] = arguments;
const html = document.documentElement ? document.documentElement.outerHTML : '';
const text = document.body ? document.body.innerText : '';
return { href: location.href, html: html.slice(0, maxHtml), text: text.slice(0, maxText) };
"#;

async fn drive(
    client: &Client,
    platform_port: u16,
    tag: &str,
    login: &Nav,
    budget: Duration,
) -> Result<BrowserLaunch, BrowserError> {
    let t0 = Instant::now();
    let left = || budget.saturating_sub(t0.elapsed());
    let mut page = Url::parse(&format!(
        "http://{}:{platform_port}/",
        page_host(&login.url)
    ))
    .map_err(|e| BrowserError::Session(format!("platform page URL: {e}")))?;
    page.query_pairs_mut().append_pair("accredit_attempt", tag);
    cmd(
        "opening the platform page",
        left(),
        client.goto(page.as_str()),
    )
    .await?;
    let fields: Vec<Value> = login.form.iter().map(|(k, v)| json!([k, v])).collect();
    cmd(
        "starting the login in the iframe",
        left(),
        client.execute(
            START_SCRIPT,
            vec![
                json!(FRAME),
                json!(login.method.as_str()),
                json!(login.url.as_str()),
                Value::Array(fields),
            ],
        ),
    )
    .await?;

    let mut net = NetLog::new(Scope::Subframes);
    let mut last_href = String::new();
    let mut quiet = 0u32;
    loop {
        if left().is_zero() {
            return Err(BrowserError::Unsettled {
                at: last_href,
                hops: net.hops.iter().filter(|h| !h.top).count(),
            });
        }
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
        let look = look_in_frame(client, left()).await;
        let (href, ready) = match &look {
            Some(v) => (
                v.get("href").and_then(Value::as_str).unwrap_or_default(),
                v.get("ready").and_then(Value::as_str) == Some("complete"),
            ),
            None => ("", false),
        };
        let settled_now = ready
            && href != "about:blank"
            && !href.is_empty()
            && href == last_href
            && net.events == before
            && !net.in_flight();
        quiet = if settled_now { quiet + 1 } else { 0 };
        last_href = href.to_string();
        if quiet >= QUIET_POLLS {
            break;
        }
    }

    let read = in_frame(
        client,
        left(),
        "reading the iframe document",
        |c| async move {
            c.execute(READ_SCRIPT, vec![json!(MAX_HTML), json!(MAX_TEXT)])
                .await
        },
    )
    .await?;
    let final_url = read
        .get("href")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let html = read
        .get("html")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let text = read
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // Always taken (cheap); the flow logs it only when the launch went wrong.
    let screenshot = cmd("taking a screenshot", left(), client.screenshot())
        .await
        .ok();
    let cookie_notes = std::mem::take(&mut net.notes);
    let mut chromium = net.finish();
    if let Some(last) = chromium.iter_mut().rev().find(|c| !c.top) {
        last.hop.response.body = html.into_bytes().into();
        if final_url.starts_with("chrome-error:") && last.hop.status != 0 {
            last.hop.status = 0;
        }
    }
    let hops = chromium
        .iter()
        .filter(|c| !c.top)
        .map(|c| c.hop.clone())
        .collect();
    Ok(BrowserLaunch {
        page_url: page.to_string(),
        hops,
        final_url,
        text,
        cookie_notes,
        screenshot,
        chromium,
        platform_port,
    })
}

async fn look_in_frame(client: &Client, left: Duration) -> Option<Value> {
    in_frame(client, left, "looking into the iframe", |c| async move {
        c.execute(LOOK_SCRIPT, vec![]).await
    })
    .await
    .ok()
}

/// Runs `f` with the iframe as the current browsing context, then returns to the
/// top-level page (also when `f` fails).
async fn in_frame<F, Fut>(
    client: &Client,
    left: Duration,
    what: &str,
    f: F,
) -> Result<Value, BrowserError>
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = Result<Value, fantoccini::error::CmdError>>,
{
    cmd("entering the iframe", left, client.enter_frame(0)).await?;
    let result = cmd(what, left, f(client.clone())).await;
    let _ = cmd(
        "leaving the iframe",
        left.max(Duration::from_millis(250)),
        client.enter_parent_frame(),
    )
    .await;
    result
}

/// chromedriver's log endpoint, for the `performance` log (DevTools events).
#[derive(Debug)]
pub(crate) struct PerfLog;

impl WebDriverCompatibleCommand for PerfLog {
    fn endpoint(&self, base_url: &Url, session_id: Option<&str>) -> Result<Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &Url) -> (Method, Option<String>) {
        (Method::POST, Some(r#"{"type":"performance"}"#.to_string()))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A performance-log entry as chromedriver returns it.
    fn entry(method: &str, params: Value) -> Value {
        json!({
            "level": "INFO",
            "timestamp": 0,
            "message": json!({ "message": { "method": method, "params": params }, "webview": "x" })
                .to_string(),
        })
    }

    fn doc_request(id: &str, frame: &str, method: &str, url: &str, extra: Value) -> Value {
        let mut p = json!({
            "requestId": id, "frameId": frame, "type": "Document",
            "request": { "url": url, "method": method, "headers": {} },
        });
        if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                if k == "postData" {
                    if let Some(r) = p.get_mut("request").and_then(Value::as_object_mut) {
                        r.insert(k.clone(), v.clone());
                    }
                } else {
                    p.insert(k.clone(), v.clone());
                }
            }
        }
        entry("Network.requestWillBeSent", p)
    }

    fn response(id: &str, status: u16) -> Value {
        entry(
            "Network.responseReceived",
            json!({ "requestId": id, "type": "Document",
                    "response": { "url": "x", "status": status, "headers": { "Content-Type": "text/html" } } }),
        )
    }

    fn launch_log() -> Value {
        Value::Array(vec![
            doc_request("top", "F0", "GET", "http://localhost:1/?a=b", json!({})),
            response("top", 200),
            doc_request(
                "r1",
                "F1",
                "GET",
                "http://127.0.0.1:2/lti/login?x=1",
                json!({}),
            ),
            doc_request(
                "r1",
                "F1",
                "GET",
                "http://127.0.0.1:1/lti/auth?state=s",
                json!({ "redirectResponse": { "status": 302, "headers": { "Location": "http://127.0.0.1:1/lti/auth?state=s" } } }),
            ),
            entry(
                "Network.responseReceivedExtraInfo",
                json!({ "requestId": "r1", "blockedCookies": [
                    { "blockedReasons": ["SameSiteLax"], "cookieLine": "st=1; SameSite=Lax" } ] }),
            ),
            response("r1", 200),
            doc_request(
                "r2",
                "F1",
                "POST",
                "http://127.0.0.1:2/lti/launch",
                json!({ "postData": "id_token=a.b.c&state=s" }),
            ),
            entry(
                "Network.requestWillBeSentExtraInfo",
                json!({ "requestId": "r2", "associatedCookies": [
                    { "blockedReasons": [], "cookie": { "name": "ok" } },
                    { "blockedReasons": ["ThirdPartyPhaseout"], "cookie": { "name": "st" } } ] }),
            ),
            response("r2", 401),
        ])
    }

    #[test]
    fn document_requests_of_the_iframe_become_hops() {
        let mut net = NetLog::new(Scope::Subframes);
        net.absorb(&launch_log());
        assert!(!net.in_flight());
        let notes = net.notes.clone();
        let hops = net.into_hops();
        let seen: Vec<(String, String, u16)> = hops
            .iter()
            .map(|h| {
                (
                    h.nav.method.to_string(),
                    h.nav.url.path().to_string(),
                    h.status,
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("GET".into(), "/lti/login".into(), 302),
                ("GET".into(), "/lti/auth".into(), 200),
                ("POST".into(), "/lti/launch".into(), 401),
            ],
            "the platform page (top frame) is not a hop; a redirect closes its hop"
        );
        assert_eq!(
            hops.first().and_then(|h| h.response.header("location")),
            Some("http://127.0.0.1:1/lti/auth?state=s")
        );
        assert_eq!(
            hops.get(2).map(|h| h.nav.form.clone()),
            Some(vec![
                ("id_token".to_string(), "a.b.c".to_string()),
                ("state".to_string(), "s".to_string())
            ])
        );
        assert_eq!(notes.len(), 2, "{notes:#?}");
        assert!(
            notes[0].contains("SameSiteLax") && notes[0].contains("st=1"),
            "{notes:#?}"
        );
        assert!(
            notes[1].contains("`st`")
                && notes[1].contains("ThirdPartyPhaseout")
                && notes[1].contains("/lti/launch"),
            "{notes:#?}"
        );
    }

    #[test]
    fn a_navigation_without_answer_is_in_flight_and_a_failed_one_is_not() {
        let mut net = NetLog::new(Scope::Subframes);
        net.absorb(&Value::Array(vec![
            doc_request("top", "F0", "GET", "http://localhost:1/", json!({})),
            doc_request("r1", "F1", "GET", "http://127.0.0.1:2/lti/login", json!({})),
        ]));
        assert!(net.in_flight());
        net.absorb(&Value::Array(vec![entry(
            "Network.loadingFailed",
            json!({ "requestId": "r1", "type": "Document", "errorText": "net::ERR_BLOCKED_BY_RESPONSE", "blockedReason": "xfo" }),
        )]));
        assert!(!net.in_flight());
        let hops = net.into_hops();
        assert_eq!(hops.len(), 1);
        assert_eq!(hops[0].status, 0);
        assert!(hops[0].response.text().contains("ERR_BLOCKED_BY_RESPONSE"));
    }

    #[test]
    fn garbage_in_the_log_is_ignored() {
        let mut net = NetLog::new(Scope::Subframes);
        net.absorb(&json!([1, "x", { "message": "not json" }, { "message": "{\"message\":{}}" }]));
        net.absorb(&json!({ "not": "an array" }));
        assert!(net.into_hops().is_empty());
    }

    #[test]
    fn the_platform_page_is_on_another_site_than_the_tool() {
        let u = |s: &str| Url::parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(page_host(&u("http://127.0.0.1:9/login")), "localhost");
        assert_eq!(page_host(&u("http://LOCALHOST:9/login")), "127.0.0.1");
        assert_eq!(page_host(&u("https://tool.example/login")), "localhost");
    }
}
