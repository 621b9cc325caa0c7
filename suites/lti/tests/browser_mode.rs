//! `--browser` mode of the lti-tool suite, in a real headless Chromium.
//!
//! What must hold: (1) the reference tool passes the whole suite with the user
//! launches (valid instructor and student launches, the Deep Linking request) run
//! in Chromium, the tool inside an iframe of a platform page on another site;
//! (2) browser mode catches what the HTTP user agent cannot: a tool whose state
//! cookie is `SameSite=Lax` passes those cases over HTTP but fails them in the
//! browser, with Chromium's reason and a screenshot in the evidence; (3) without
//! chromedriver, `start()` is a usage error that names the missing file.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (or `ACCREDIT_CHROMIUM`
//! / `ACCREDIT_CHROMEDRIVER`); fails, naming what is missing, when they are not
//! there, unless `ACCREDIT_SKIP_BROWSER_TESTS=1`. Every chromedriver and Chromium
//! is killed by the suite's shutdown.

mod common;

use std::sync::Arc;
use std::time::Duration;

use accredit_core::evidence::EvidenceRouter;
use accredit_core::profile::ProfileDoc;
use accredit_core::reports::Redactor;
use accredit_core::runner::{self, NoProgress, PreparedSuite, RunRecord, RunnerOptions};
use accredit_core::suite::{BrowserSettings, SuiteError, SuiteStart};
use accredit_core::{Outcome, Suite};
use accredit_mock_tool::{RunningTool, SUCCESS_MARKER, ToolConfig};
use accredit_suite_lti::{LtiToolSuite, demo_profile_with_jwks, endpoints_for, reserve_port};
use tokio_util::sync::CancellationToken;

use common::{ISSUER, dump, non_passing, reference_tool};

const SKIP_VAR: &str = "ACCREDIT_SKIP_BROWSER_TESTS";
/// Per case: Chromium start-up on two busy cores is slow.
const TIMEOUT: Duration = Duration::from_secs(90);

/// The cases a user's browser makes, run in Chromium with `--browser`.
const USER_LAUNCHES: [&str; 3] = [
    "lti.tool.core.launch.instructor",
    "lti.tool.core.launch.student",
    "lti.tool.dl.request",
];

/// The browser settings, `None` when asked to skip; panics naming what is missing.
fn browser() -> Option<BrowserSettings> {
    if std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") {
        eprintln!("skipping the --browser tests: {SKIP_VAR}=1 is set");
        return None;
    }
    let settings = BrowserSettings::from_env();
    if let Some(problem) = settings.problem() {
        panic!("{problem}; run `cargo xtask test`, or set {SKIP_VAR}=1 to skip the browser tests");
    }
    Some(settings)
}

/// Runs the cases of `profile` whose id is in `only` (all when empty), with `browser`.
async fn run(profile: &str, browser: Option<BrowserSettings>, only: &[&str]) -> RunRecord {
    let suite = LtiToolSuite;
    let doc = ProfileDoc::parse("test-profile.toml", profile, &[suite.id()])
        .unwrap_or_else(|e| panic!("profile: {e}\n{profile}"));
    let redactor = Redactor::default();
    let router = EvidenceRouter::new(redactor.clone());
    let run = suite
        .start(SuiteStart {
            profile: Some(&doc),
            inputs: &[],
            schema_dir: None,
            router: router.clone(),
            redactor: redactor.clone(),
            case_timeout: TIMEOUT,
            browser,
        })
        .await
        .unwrap_or_else(|e| panic!("suite start: {e}"));
    let cases = suite
        .catalog()
        .into_iter()
        .filter(|m| only.is_empty() || only.contains(&m.id))
        .collect();
    let prepared = vec![PreparedSuite {
        id: suite.id().to_string(),
        cases,
        run: Arc::from(run),
    }];
    let opts = RunnerOptions {
        jobs: 4,
        case_timeout: TIMEOUT,
        ..RunnerOptions::default()
    };
    let record = runner::run(
        &prepared,
        &opts,
        &router,
        &redactor,
        &NoProgress,
        &CancellationToken::new(),
    )
    .await;
    for p in &prepared {
        p.run.shutdown().await; // stops the platform, chromedriver and every Chromium
    }
    record
}

fn log_of(record: &RunRecord, case: &str) -> Vec<String> {
    record
        .evidence
        .iter()
        .find(|e| e.case_id == case)
        .map(|e| e.log.iter().map(|l| l.text.clone()).collect())
        .unwrap_or_default()
}

/// The case logs of the user launches (screenshots cut), for failure messages.
fn user_launch_logs(record: &RunRecord) -> String {
    USER_LAUNCHES
        .iter()
        .map(|case| {
            let lines: Vec<String> = log_of(record, case)
                .iter()
                .map(|l| l.chars().take(400).collect())
                .collect();
            format!("--- {case} ---\n{}", lines.join("\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The reference tool with a `SameSite=Lax` state cookie.
async fn lax_tool() -> (RunningTool, String) {
    let listen = reserve_port().unwrap_or_else(|e| panic!("reserve port: {e}"));
    let eps = endpoints_for(listen);
    let mut config = ToolConfig::reference(ISSUER, &eps.auth_url, &eps.jwks_url);
    config.lax_state_cookie = true;
    let tool = accredit_mock_tool::start(config, None)
        .await
        .unwrap_or_else(|e| panic!("start tool: {e}"));
    let profile = demo_profile_with_jwks(
        "reference tool, SameSite=Lax state cookie",
        &tool.urls().login_url,
        &tool.urls().launch_url,
        accredit_mock_tool::DEMO_CLIENT_ID,
        accredit_mock_tool::DEMO_DEPLOYMENT_ID,
        ISSUER,
        listen,
        Some(SUCCESS_MARKER),
        &tool.urls().jwks_url,
    );
    (tool, profile)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_tool_passes_every_case_with_user_launches_in_chromium() {
    let Some(settings) = browser() else {
        return;
    };
    let (tool, profile) = reference_tool(vec![]).await;
    let record = run(&profile, Some(settings), &[]).await;
    tool.shutdown().await;
    eprintln!("{}", dump(&record));
    assert_eq!(
        non_passing(&record),
        vec![],
        "{}\n{}",
        dump(&record),
        user_launch_logs(&record)
    );
    for case in USER_LAUNCHES {
        let log = log_of(&record, case);
        assert!(
            log.iter().any(|l| l.contains("in headless Chromium")),
            "{case} ran in the browser: {log:#?}"
        );
        assert!(
            log.iter()
                .any(|l| l.starts_with("browser (iframe): POST") && l.contains("id_token")),
            "{case}: the browser's form_post to the tool is in the case log: {log:#?}"
        );
        assert!(
            !log.iter().any(|l| l.contains("data:image/png")),
            "{case}: no screenshot for a launch that went well"
        );
        let ev = record
            .evidence
            .iter()
            .find(|e| e.case_id == case)
            .unwrap_or_else(|| panic!("no evidence for {case}"));
        assert!(
            ev.exchanges
                .iter()
                .any(|x| x.request.url.contains("/lti/auth") && !x.jwts.is_empty()),
            "{case}: the browser's visit to the platform's auth endpoint (and the id_token it \
             got) is recorded by the platform and attributed to the case"
        );
    }
    let http_only = log_of(&record, "lti.tool.sec.nonce-replay");
    assert!(
        !http_only.iter().any(|l| l.contains("headless Chromium")),
        "other cases keep the HTTP user agent: {http_only:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_same_site_lax_state_cookie_fails_in_chromium_but_not_over_http() {
    let Some(settings) = browser() else {
        return;
    };
    let (tool, profile) = lax_tool().await;
    let over_http = run(&profile, None, &USER_LAUNCHES).await;
    let in_browser = run(&profile, Some(settings), &USER_LAUNCHES).await;
    tool.shutdown().await;
    eprintln!(
        "over HTTP:\n{}\nin Chromium:\n{}",
        dump(&over_http),
        dump(&in_browser)
    );
    assert_eq!(
        non_passing(&over_http),
        vec![],
        "the HTTP user agent applies no SameSite rules: {}",
        dump(&over_http)
    );
    let expected: Vec<(String, Outcome)> = USER_LAUNCHES
        .iter()
        .map(|c| (c.to_string(), Outcome::Fail))
        .collect();
    assert_eq!(non_passing(&in_browser), expected, "{}", dump(&in_browser));
    for case in USER_LAUNCHES {
        let log = log_of(&in_browser, case);
        eprintln!(
            "{case} log:\n{}",
            log.iter()
                .map(|l| l.chars().take(300).collect::<String>())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            log.iter()
                .any(|l| l.starts_with("browser: Chromium") && l.contains("lti1p3_state_")),
            "{case}: Chromium's reason for dropping the state cookie is in the log: {log:#?}"
        );
        assert!(
            log.iter()
                .any(|l| l.starts_with("browser screenshot (PNG): data:image/png;base64,")),
            "{case}: a failed browser launch leaves a screenshot"
        );
    }
    let instructor = in_browser
        .results
        .iter()
        .find(|c| c.id == USER_LAUNCHES[0])
        .unwrap_or_else(|| panic!("no instructor result"));
    assert!(
        instructor
            .checks
            .iter()
            .any(|k| k.outcome == Outcome::Fail && k.detail.contains("state cookie")),
        "the failing check shows the tool's refusal: {:#?}",
        instructor.checks
    );
}

#[tokio::test]
async fn a_missing_chromedriver_is_a_usage_error_naming_it() {
    let listen = reserve_port().unwrap_or_else(|e| panic!("reserve port: {e}"));
    let profile = common::profile_for(
        "http://127.0.0.1:9/lti/login",
        "http://127.0.0.1:9/lti/launch",
        listen,
    );
    let doc = ProfileDoc::parse("p.toml", &profile, &[LtiToolSuite.id()])
        .unwrap_or_else(|e| panic!("{e}"));
    let redactor = Redactor::default();
    let result = LtiToolSuite
        .start(SuiteStart {
            profile: Some(&doc),
            inputs: &[],
            schema_dir: None,
            router: EvidenceRouter::new(redactor.clone()),
            redactor,
            case_timeout: TIMEOUT,
            browser: Some(BrowserSettings {
                chromedriver: "/nonexistent/chromedriver".into(),
                chromium: "/nonexistent/chromium".into(),
            }),
        })
        .await;
    match result {
        Err(SuiteError::Usage(msg)) => {
            assert!(msg.contains("/nonexistent/chromedriver"), "{msg}");
        }
        Err(other) => panic!("expected a usage error, got {other}"),
        Ok(_) => panic!("start must fail without chromedriver"),
    }
    // The platform was stopped: its port is free again.
    assert!(
        std::net::TcpListener::bind(listen).is_ok(),
        "the mock platform must be shut down when --browser cannot start"
    );
}
