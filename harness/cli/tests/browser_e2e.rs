//! End-to-end test of the HTML report in a real headless browser.
//!
//! Runs `accredit demo --out DIR` (every suite against the bundled reference
//! mocks), checks each bundle's files, then opens `DIR/lti-tool/report.html`
//! in headless Chromium through chromedriver (WebDriver, via fantoccini) and
//! checks what a reviewer relies on: the summary counts match `report.json`,
//! a case's evidence expands on click and shows the decoded id_token, and the
//! outcome filter hides passing cases.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages
//! `chromium` and `chromium-driver`; `cargo xtask test` installs them), or
//! `ACCREDIT_CHROMIUM` / `ACCREDIT_CHROMEDRIVER` pointing elsewhere. Set
//! `ACCREDIT_SKIP_BROWSER_TESTS=1` to skip. Every wait is bounded, and
//! chromedriver (with the browser it started) is killed however the test ends.

use std::fs::File;
use std::future::Future;
use std::io::Read as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Set to `1` to skip the browser tests (e.g. on a machine without Chromium).
const SKIP_VAR: &str = "ACCREDIT_SKIP_BROWSER_TESTS";
/// Longest the demo may run (a debug build under `cargo test`, on slow cores).
const DEMO_TIMEOUT: Duration = Duration::from_secs(600);
/// Longest chromedriver may take to answer `/status`.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a new browser session may take (Chromium start-up on 2 slow cores).
const SESSION_TIMEOUT: Duration = Duration::from_secs(90);
/// Longest any single WebDriver command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest the page may take to reach an expected state after an interaction.
const STATE_TIMEOUT: Duration = Duration::from_secs(10);

/// Suites whose bundles the demo must write.
const DEMO_SUITES: &[&str] = &["lti-tool", "caliper"];
/// Files every bundle holds.
const BUNDLE_FILES: &[&str] = &[
    "report.json",
    "junit.xml",
    "report.html",
    "summary.md",
    "MANIFEST.sha256",
];
/// The outcome counts shown in the HTML summary, keyed as in `report.json`.
const SUMMARY_KEYS: &[&str] = &["total", "pass", "fail", "warn", "skip", "review", "error"];

#[tokio::test]
async fn demo_report_works_in_a_browser() -> Result<()> {
    let Some(paths) = BrowserPaths::from_env()? else {
        return Ok(());
    };
    let work = tempfile::tempdir().context("creating the scratch directory")?;
    let out = work.path().join("out");
    run_demo(&out, work.path())?;
    for suite in DEMO_SUITES {
        check_bundle_files(&out.join(suite))?;
    }

    let bundle = out.join("lti-tool");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("report.json"))
            .context("reading lti-tool/report.json")?,
    )
    .context("parsing lti-tool/report.json")?;

    let session = Session::start(&paths, work.path()).await?;
    let result = check_report_page(&session.client, &bundle.join("report.html"), &report).await;
    session.finish().await;
    result
}

// ---------------------------------------------------------------------------
// The demo and its bundles
// ---------------------------------------------------------------------------

/// Runs `accredit demo --out <out> --no-history`, bounded by [`DEMO_TIMEOUT`],
/// with its history database (unused thanks to `--no-history`) in `work`.
fn run_demo(out: &Path, work: &Path) -> Result<()> {
    let stdout_path = work.join("demo.stdout");
    let stderr_path = work.join("demo.stderr");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_accredit"));
    cmd.arg("demo")
        .arg("--out")
        .arg(out)
        .arg("--no-history")
        .env("ACCREDIT_HISTORY_DB", work.join("history.sqlite"))
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).context("creating demo.stdout")?)
        .stderr(File::create(&stderr_path).context("creating demo.stderr")?);
    let mut child = cmd.spawn().context("starting `accredit demo`")?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for `accredit demo`")? {
            break status;
        }
        if started.elapsed() > DEMO_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "`accredit demo` did not finish within {DEMO_TIMEOUT:?}\n{}",
                outputs(&stdout_path, &stderr_path)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    ensure!(
        status.success(),
        "`accredit demo --out {}` failed ({status}); it must exit 0 when every case passes \
         against the reference mocks\n{}",
        out.display(),
        outputs(&stdout_path, &stderr_path)
    );
    eprintln!("accredit demo finished in {:.1?}", started.elapsed());
    Ok(())
}

fn outputs(stdout: &Path, stderr: &Path) -> String {
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    format!(
        "--- stdout ---\n{}\n--- stderr ---\n{}",
        read(stdout),
        read(stderr)
    )
}

fn check_bundle_files(bundle: &Path) -> Result<()> {
    let mut missing: Vec<String> = BUNDLE_FILES
        .iter()
        .filter(|f| !bundle.join(f).is_file())
        .map(|f| (*f).to_owned())
        .collect();
    if !bundle.join("evidence").is_dir() {
        missing.push("evidence/".to_owned());
    }
    ensure!(
        missing.is_empty(),
        "bundle {} lacks {}",
        bundle.display(),
        missing.join(", ")
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// The report page
// ---------------------------------------------------------------------------

async fn check_report_page(client: &Client, html: &Path, report: &Value) -> Result<()> {
    let url = url::Url::from_file_path(html)
        .map_err(|()| anyhow::anyhow!("{} is not an absolute path", html.display()))?;
    bounded(
        &format!("opening {url}"),
        COMMAND_TIMEOUT,
        client.goto(url.as_str()),
    )
    .await?;
    wait_until("the page has a #summary", async || {
        Ok(!find_all(client, "#summary").await?.is_empty())
    })
    .await?;

    check_summary_counts(client, report).await?;
    check_evidence_expands(client).await?;
    check_outcome_filter(client, report).await
}

/// (1) The summary counts shown equal `report.json`'s `summary`.
async fn check_summary_counts(client: &Client, report: &Value) -> Result<()> {
    let summary = report
        .get("summary")
        .context("report.json has no `summary`")?;
    let mut mismatches = Vec::new();
    for key in SUMMARY_KEYS {
        let expected = summary
            .get(key)
            .and_then(Value::as_u64)
            .with_context(|| format!("report.json summary.{key} is not a number"))?;
        let selector = format!("#summary span.count[data-outcome=\"{key}\"]");
        let shown = count_text(&find(client, &selector).await?, &selector).await?;
        if shown != expected {
            mismatches.push(format!(
                "{key}: page shows {shown}, report.json says {expected}"
            ));
        }
    }
    ensure!(
        mismatches.is_empty(),
        "summary counts differ:\n  {}",
        mismatches.join("\n  ")
    );
    Ok(())
}

/// (2) A case's evidence is collapsed until its summary is clicked, then shows
/// its exchanges; an exchange of the LTI launch case shows the decoded JWT.
async fn check_evidence_expands(client: &Client) -> Result<()> {
    let cases = find_all(client, "details.case").await?;
    let first = cases.first().context("the page has no `details.case`")?;

    let evidence = find_in(first, ".evidence").await?;
    ensure!(
        !displayed(&evidence).await?,
        "the first case's .evidence is displayed before its summary was clicked"
    );
    click(
        client,
        &find_in(first, ":scope > summary").await?,
        "the first case's summary",
    )
    .await?;
    wait_until(
        "the first case's .evidence is displayed after clicking its summary",
        async || displayed(&evidence).await,
    )
    .await?;
    wait_until(
        "a details.exchange of the first case is displayed",
        async || any_displayed(&find_all_in(first, "details.exchange").await?).await,
    )
    .await?;

    // The launch case's evidence holds the id_token. Find the first exchange
    // with a .jwt, opening cases as needed in case evidence renders lazily.
    for case in &cases {
        if bounded(
            "reading details.case[open]",
            COMMAND_TIMEOUT,
            case.attr("open"),
        )
        .await?
        .is_none()
        {
            click(
                client,
                &find_in(case, ":scope > summary").await?,
                "a case summary",
            )
            .await?;
        }
        for exchange in find_all_in(case, "details.exchange").await? {
            if find_all_in(&exchange, ".jwt").await?.is_empty() {
                continue;
            }
            let open = exchange.attr("open");
            if bounded("reading details.exchange[open]", COMMAND_TIMEOUT, open)
                .await?
                .is_none()
            {
                let summary = find_in(&exchange, ":scope > summary").await?;
                click(client, &summary, "an exchange summary").await?;
            }
            return wait_until("a .jwt in the opened exchange is displayed", async || {
                any_displayed(&find_all_in(&exchange, ".jwt").await?).await
            })
            .await;
        }
    }
    bail!(
        "no details.exchange in any case contains a .jwt element \
         (the LTI launch case's evidence should show the decoded id_token)"
    )
}

/// (3) Unchecking the "pass" outcome filter hides the passing cases.
async fn check_outcome_filter(client: &Client, report: &Value) -> Result<()> {
    let outcomes: Vec<&str> = report
        .get("cases")
        .and_then(Value::as_array)
        .context("report.json has no `cases` array")?
        .iter()
        .map(|c| c.get("outcome").and_then(Value::as_str).unwrap_or(""))
        .collect();
    let all = outcomes.len() as u64;
    let not_pass = outcomes.iter().filter(|o| **o != "pass").count() as u64;

    let shown_count = async || -> Result<u64> {
        count_text(&find(client, "#shown-count").await?, "#shown-count").await
    };
    let shown = shown_count().await?;
    ensure!(
        shown == all,
        "#shown-count is {shown} before filtering; report.json has {all} cases"
    );

    let selector = r#"input.filter[data-filter="outcome"][value="pass"]"#;
    let pass_filter = find(client, selector).await?;
    ensure!(
        bounded(
            "reading the pass filter",
            COMMAND_TIMEOUT,
            pass_filter.is_selected()
        )
        .await?,
        "the pass filter is unchecked before any interaction"
    );
    click(client, &pass_filter, "the pass filter").await?;
    ensure!(
        !bounded(
            "reading the pass filter",
            COMMAND_TIMEOUT,
            pass_filter.is_selected()
        )
        .await?,
        "the pass filter is still checked after clicking it"
    );
    wait_until(
        &format!("#shown-count drops to the {not_pass} non-pass cases"),
        async || Ok(shown_count().await? == not_pass),
    )
    .await?;
    let mut visible = 0u64;
    for case in find_all(client, "details.case").await? {
        if displayed(&case).await? {
            visible += 1;
        }
    }
    ensure!(
        visible == not_pass,
        "{visible} details.case are displayed with the pass filter off; expected the {not_pass} non-pass cases"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Bounded WebDriver helpers
// ---------------------------------------------------------------------------

/// Awaits `fut` for at most `limit`, adding `what` as context to any error.
async fn bounded<T, E>(
    what: &str,
    limit: Duration,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result.with_context(|| what.to_owned()),
        Err(_) => bail!("timed out after {limit:?}: {what}"),
    }
}

/// Polls `cond` every 100 ms until it holds, for at most [`STATE_TIMEOUT`].
async fn wait_until(what: &str, mut cond: impl AsyncFnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + STATE_TIMEOUT;
    loop {
        if cond().await? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("timed out after {STATE_TIMEOUT:?} waiting until {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn find(client: &Client, css: &str) -> Result<Element> {
    bounded(
        &format!("finding `{css}`"),
        COMMAND_TIMEOUT,
        client.find(Locator::Css(css)),
    )
    .await
}

async fn find_all(client: &Client, css: &str) -> Result<Vec<Element>> {
    bounded(
        &format!("finding all `{css}`"),
        COMMAND_TIMEOUT,
        client.find_all(Locator::Css(css)),
    )
    .await
}

async fn find_in(parent: &Element, css: &str) -> Result<Element> {
    bounded(
        &format!("finding `{css}` inside an element"),
        COMMAND_TIMEOUT,
        parent.find(Locator::Css(css)),
    )
    .await
}

async fn find_all_in(parent: &Element, css: &str) -> Result<Vec<Element>> {
    bounded(
        &format!("finding all `{css}` inside an element"),
        COMMAND_TIMEOUT,
        parent.find_all(Locator::Css(css)),
    )
    .await
}

async fn displayed(element: &Element) -> Result<bool> {
    bounded(
        "checking whether an element is displayed",
        COMMAND_TIMEOUT,
        element.is_displayed(),
    )
    .await
}

async fn any_displayed(elements: &[Element]) -> Result<bool> {
    for element in elements {
        if displayed(element).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The integer an element shows, e.g. a summary count.
async fn count_text(element: &Element, what: &str) -> Result<u64> {
    let text = bounded(
        &format!("reading the text of {what}"),
        COMMAND_TIMEOUT,
        element.text(),
    )
    .await?;
    text.trim()
        .parse()
        .with_context(|| format!("{what} shows {text:?}, not a count"))
}

/// Clicks like a user; if something overlaps the element (a sticky header,
/// say), falls back to a DOM click so the test checks behaviour, not layout.
async fn click(client: &Client, element: &Element, what: &str) -> Result<()> {
    let what = format!("clicking {what}");
    match bounded(&what, COMMAND_TIMEOUT, element.click()).await {
        Ok(()) => Ok(()),
        Err(err) => {
            eprintln!("native click failed ({err:#}); falling back to element.click()");
            let arg = serde_json::to_value(element).context("serializing an element reference")?;
            bounded(
                &what,
                COMMAND_TIMEOUT,
                client.execute("arguments[0].click();", vec![arg]),
            )
            .await
            .map(drop)
        }
    }
}

// ---------------------------------------------------------------------------
// Browser plumbing
// ---------------------------------------------------------------------------

/// Where chromedriver and Chromium are.
struct BrowserPaths {
    chromedriver: PathBuf,
    chromium: PathBuf,
}

impl BrowserPaths {
    /// The browser binaries, `None` if [`SKIP_VAR`] asks to skip, or an error
    /// telling how to install them.
    fn from_env() -> Result<Option<Self>> {
        if std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") {
            eprintln!("skipping the browser end-to-end test: {SKIP_VAR}=1 is set");
            return Ok(None);
        }
        let path = |var: &str, default: &str| {
            std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
        };
        let paths = Self {
            chromedriver: path("ACCREDIT_CHROMEDRIVER", "/usr/bin/chromedriver"),
            chromium: path("ACCREDIT_CHROMIUM", "/usr/bin/chromium"),
        };
        for (what, var, p) in [
            ("chromedriver", "ACCREDIT_CHROMEDRIVER", &paths.chromedriver),
            ("chromium", "ACCREDIT_CHROMIUM", &paths.chromium),
        ] {
            ensure!(
                p.is_file(),
                "{what} not found at {}. Run `cargo xtask test` (it installs the Debian packages \
                 chromium and chromium-driver), or set {var} to its path, or set {SKIP_VAR}=1 to \
                 skip the browser tests",
                p.display()
            );
        }
        Ok(Some(paths))
    }
}

/// A running chromedriver, killed (with its process group, so the browser it
/// started too) on drop.
struct ChromeDriver {
    child: Child,
    url: String,
    log: PathBuf,
}

impl ChromeDriver {
    async fn start(path: &Path, work: &Path) -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free port for chromedriver")?
            .port();
        let log = work.join("chromedriver.log");
        let log_file = File::create(&log).context("creating chromedriver.log")?;
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().context("duplicating the log handle")?)
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", path.display()))?;
        let mut driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };

        let started = Instant::now();
        loop {
            if let Some(status) = driver.child.try_wait().context("polling chromedriver")? {
                bail!(
                    "chromedriver exited at start-up ({status})\n{}",
                    driver.log_text()
                );
            }
            if driver.ready(port).await {
                return Ok(driver);
            }
            if started.elapsed() > DRIVER_START_TIMEOUT {
                bail!(
                    "chromedriver did not answer on port {port} within {DRIVER_START_TIMEOUT:?}\n{}",
                    driver.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether `GET /status` answers `ready: true`. (chromedriver keeps the
    /// connection open despite `Connection: close`, so read until the JSON
    /// body is complete rather than to EOF.)
    async fn ready(&self, port: u16) -> bool {
        let attempt = async {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            stream
                .write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .await?;
            let mut response = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Ok::<_, std::io::Error>(None);
                }
                response.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&response);
                if let Some(body) = text
                    .split_once("\r\n\r\n")
                    .and_then(|(_, body)| serde_json::from_str::<Value>(body).ok())
                {
                    return Ok(Some(body));
                }
            }
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), attempt).await,
            Ok(Ok(Some(body))) if body.pointer("/value/ready") == Some(&Value::Bool(true))
        )
    }

    fn log_text(&self) -> String {
        let mut text = String::new();
        let _ = File::open(&self.log).and_then(|mut f| f.read_to_string(&mut text));
        format!("--- chromedriver log ---\n{text}")
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole process group: chromedriver and any Chromium it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session in headless Chromium with a fresh profile.
struct Session {
    client: Client,
    // Dropped in this order: chromedriver (and the browser) first, then the
    // profile directory the browser was using.
    _driver: ChromeDriver,
    _profile: tempfile::TempDir,
}

impl Session {
    async fn start(paths: &BrowserPaths, work: &Path) -> Result<Self> {
        let driver = ChromeDriver::start(&paths.chromedriver, work).await?;
        let profile = tempfile::tempdir().context("creating the Chromium profile directory")?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": paths.chromium,
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
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let connect = async {
            ClientBuilder::native()
                .capabilities(caps)
                .connect(&driver.url)
                .await
        };
        let client = match tokio::time::timeout(SESSION_TIMEOUT, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(err)) => bail!(
                "starting a headless Chromium session through chromedriver: {err}\n{}",
                driver.log_text()
            ),
            Err(_) => bail!(
                "starting a headless Chromium session timed out after {SESSION_TIMEOUT:?}\n{}",
                driver.log_text()
            ),
        };
        Ok(Self {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Ends the session (bounded), then stops chromedriver.
    async fn finish(self) {
        let Self {
            client,
            _driver,
            _profile,
        } = self;
        if let Err(err) = bounded(
            "closing the browser session",
            COMMAND_TIMEOUT,
            client.close(),
        )
        .await
        {
            eprintln!("warning: {err:#}");
        }
    }
}
