//! `--browser` evidence: what Chromium did is in the case evidence as exchanges.
//!
//! Why: in browser mode the launch's requests are made by Chromium, not by the
//! harness's recording client, so without this a reviewer would only find log
//! lines. What must hold, on one valid instructor launch against the reference
//! tool in a real headless Chromium: the case evidence (what becomes
//! `evidence/<case>.json`) holds exchanges `recorded_by: "chromium"` for the
//! tool's login answering 302 (its state cookie redacted) and for the
//! `form_post` to the tool's launch URL, whose `id_token` is decoded.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (or `ACCREDIT_CHROMIUM`
//! / `ACCREDIT_CHROMEDRIVER`); fails, naming what is missing, when they are not
//! there, unless `ACCREDIT_SKIP_BROWSER_TESTS=1`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use accredit_core::Suite;
use accredit_core::evidence::EvidenceRouter;
use accredit_core::profile::ProfileDoc;
use accredit_core::reports::{CaseEvidence, Direction, Exchange, Redactor};
use accredit_core::runner::{self, NoProgress, PreparedSuite, RunRecord, RunnerOptions};
use accredit_core::suite::{BrowserSettings, SuiteStart};
use accredit_mock_tool::{LAUNCH_PATH, LOGIN_PATH, SUCCESS_MARKER, ToolConfig};
use accredit_suite_lti::{LtiToolSuite, demo_profile_with_jwks, endpoints_for, reserve_port};
use tokio_util::sync::CancellationToken;

use common::{ISSUER, dump, reference_tool};

const SKIP_VAR: &str = "ACCREDIT_SKIP_BROWSER_TESTS";
/// Per case: Chromium start-up on two busy cores is slow.
const TIMEOUT: Duration = Duration::from_secs(90);
const CASE: &str = "lti.tool.core.launch.instructor";

/// The browser settings, `None` when asked to skip; panics naming what is missing.
fn browser() -> Option<BrowserSettings> {
    if std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") {
        eprintln!("skipping the --browser evidence test: {SKIP_VAR}=1 is set");
        return None;
    }
    let settings = BrowserSettings::from_env();
    if let Some(problem) = settings.problem() {
        panic!("{problem}; run `cargo xtask test`, or set {SKIP_VAR}=1 to skip the browser tests");
    }
    Some(settings)
}

/// Runs [`CASE`] of the lti-tool suite on `profile` with `--browser`, as the CLI
/// does (the runner files the case's evidence).
async fn run(profile: &str, browser: BrowserSettings) -> RunRecord {
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
            browser: Some(browser),
        })
        .await
        .unwrap_or_else(|e| panic!("suite start: {e}"));
    let prepared = vec![PreparedSuite {
        id: suite.id().to_string(),
        cases: suite
            .catalog()
            .into_iter()
            .filter(|m| m.id == CASE)
            .collect(),
        run: Arc::from(run),
    }];
    let opts = RunnerOptions {
        jobs: 1,
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

fn evidence<'a>(record: &'a RunRecord, case: &str) -> &'a CaseEvidence {
    record
        .evidence
        .iter()
        .find(|e| e.case_id == case)
        .unwrap_or_else(|| panic!("no evidence for {case}"))
}

fn by_chromium(ev: &CaseEvidence) -> Vec<&Exchange> {
    ev.exchanges
        .iter()
        .filter(|x| x.recorded_by.as_deref() == Some("chromium"))
        .collect()
}

/// `METHOD url -> status` per exchange, for failure messages.
fn outline(xs: &[&Exchange]) -> String {
    xs.iter()
        .map(|x| {
            format!(
                "{:?} {} {} -> {:?} jwts={}",
                x.direction,
                x.request.method,
                x.request.url,
                x.response.as_ref().map(|r| r.status),
                x.jwts.len()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_launch_records_chromiums_exchanges_in_the_case_evidence() {
    let Some(settings) = browser() else {
        return;
    };
    let (tool, profile) = reference_tool(vec![]).await;
    let tool_origin = url::Url::parse(&tool.urls().launch_url)
        .unwrap_or_else(|e| panic!("{e}"))
        .origin();
    let record = run(&profile, settings).await;
    tool.shutdown().await;

    let result = record
        .results
        .iter()
        .find(|c| c.id == CASE)
        .unwrap_or_else(|| panic!("{CASE} did not run\n{}", dump(&record)));
    assert_eq!(
        result.outcome,
        accredit_core::Outcome::Pass,
        "{}",
        dump(&record)
    );
    let ev = evidence(&record, CASE);
    let log: Vec<&str> = ev.log.iter().map(|l| l.text.as_str()).collect();
    assert!(
        log.iter().any(|l| l.contains("in headless Chromium")),
        "{CASE} ran in the browser: {log:#?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("browser (iframe): POST")),
        "the log lines are kept: {log:#?}"
    );
    let chromium = by_chromium(ev);
    let is_tool = |x: &Exchange, path: &str| {
        url::Url::parse(&x.request.url).is_ok_and(|u| u.origin() == tool_origin && u.path() == path)
    };

    let login = chromium
        .iter()
        .find(|x| is_tool(x, LOGIN_PATH))
        .unwrap_or_else(|| {
            panic!(
                "no chromium exchange to the tool's login:\n{}",
                outline(&chromium)
            )
        });
    assert_eq!(login.direction, Direction::HarnessToCandidate);
    let answer = login
        .response
        .as_ref()
        .unwrap_or_else(|| panic!("the login has an answer: {login:#?}"));
    assert_eq!(answer.status, 302, "{login:#?}");
    assert!(
        answer
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("location") && h.value.contains("/lti/auth")),
        "the redirect to the platform's auth endpoint is kept: {login:#?}"
    );
    let set_cookie: Vec<&str> = answer
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("set-cookie"))
        .map(|h| h.value.as_str())
        .collect();
    assert!(
        !set_cookie.is_empty()
            && set_cookie
                .iter()
                .all(|v| v.contains("=[redacted]") && v.contains("SameSite")),
        "the state cookie is recorded (from Chromium's raw headers), its value redacted and \
         its attributes kept: {set_cookie:?}"
    );

    let launch = chromium
        .iter()
        .find(|x| x.request.method == "POST" && is_tool(x, LAUNCH_PATH))
        .unwrap_or_else(|| {
            panic!(
                "no chromium POST to the tool's launch URL:\n{}",
                outline(&chromium)
            )
        });
    assert_eq!(launch.direction, Direction::HarnessToCandidate);
    let id_token = launch
        .jwts
        .iter()
        .find(|j| j.found_in == "request.form.id_token")
        .unwrap_or_else(|| panic!("the id_token is decoded: {launch:#?}"));
    assert_eq!(id_token.claims["iss"], ISSUER);
    assert!(
        launch
            .request
            .body
            .text
            .as_deref()
            .is_some_and(|b| b.contains("id_token=") && b.contains("state=")),
        "the form body is recorded: {:?}",
        launch.request.body
    );
    assert!(
        launch
            .request
            .headers
            .iter()
            .any(|h| { h.name.eq_ignore_ascii_case("cookie") && h.value.contains("=[redacted]") }),
        "the state cookie Chromium sent back is recorded, redacted: {:?}",
        launch.request.headers
    );
    assert_eq!(
        launch.response.as_ref().map(|r| r.status),
        Some(200),
        "{launch:#?}"
    );
    assert!(
        launch
            .response
            .as_ref()
            .and_then(|r| r.body.text.as_deref())
            .is_some_and(|b| b.contains(SUCCESS_MARKER)),
        "the final document is the launch's response body"
    );

    assert!(
        chromium
            .iter()
            .any(|x| x.direction == Direction::HarnessToMock && x.request.url.contains("/lti/auth")),
        "the visit to the harness platform is harness-to-mock:\n{}",
        outline(&chromium)
    );
    let json = serde_json::to_string(ev).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        json.contains(r#""recorded_by":"chromium""#),
        "evidence/<case>.json shows who recorded them"
    );
}

/// The negative side: when Chromium drops a `SameSite=Lax` state cookie in the
/// cross-site iframe, the evidence itself shows why: the login's `Set-Cookie`
/// with `SameSite=Lax`, and the `form_post` to the tool going out without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_lax_state_cookie_is_visible_in_the_exchanges() {
    let Some(settings) = browser() else {
        return;
    };
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
    let tool_origin = url::Url::parse(&tool.urls().launch_url)
        .unwrap_or_else(|e| panic!("{e}"))
        .origin();
    let record = run(&profile, settings).await;
    tool.shutdown().await;

    let outcome = record
        .results
        .iter()
        .find(|c| c.id == CASE)
        .map(|c| c.outcome);
    assert!(
        outcome.is_some_and(|o| o != accredit_core::Outcome::Pass),
        "{}",
        dump(&record)
    );
    let chromium = by_chromium(evidence(&record, CASE));
    let is_tool = |x: &Exchange, path: &str| {
        url::Url::parse(&x.request.url).is_ok_and(|u| u.origin() == tool_origin && u.path() == path)
    };
    let lax = chromium
        .iter()
        .filter(|x| is_tool(x, LOGIN_PATH))
        .flat_map(|x| x.response.iter().flat_map(|r| r.headers.iter()))
        .any(|h| h.name.eq_ignore_ascii_case("set-cookie") && h.value.contains("SameSite=Lax"));
    assert!(
        lax,
        "the Lax state cookie is in the login's answer:\n{}",
        outline(&chromium)
    );
    let post = chromium
        .iter()
        .find(|x| x.request.method == "POST" && is_tool(x, LAUNCH_PATH))
        .unwrap_or_else(|| panic!("the form_post happened:\n{}", outline(&chromium)));
    assert!(
        !post
            .request
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("cookie") && h.value.contains("state")),
        "the form_post went out without the state cookie: {:?}",
        post.request.headers
    );
    assert!(!post.jwts.is_empty(), "and still with its id_token decoded");
}
