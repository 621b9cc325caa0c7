//! The lti-platform suite's scripted-browser launches (`[lti-platform.browser]`)
//! against the reference platform with its login required.
//!
//! What must hold: (1) the reference platform's start URLs refuse a request
//! without its session, and its login page issues one only for the right
//! password (so the browser test below cannot pass by accident); (2) with the
//! student and Deep Linking launches scripted (log in, open the course page,
//! click `#launch-<kind>` in headless Chromium) and the other kinds in URL mode
//! (with a session cookie), a conformant platform passes every case (the human
//! affirmations are `review`), and the scripted cases really ran in Chromium;
//! (3) a wrong password makes the scripted cases `error` with a message naming
//! the failed login, never `pass`; (4) a profile that scripts launches is refused
//! at start without `--browser`.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (or `ACCREDIT_CHROMIUM`
//! / `ACCREDIT_CHROMEDRIVER`); fails, naming what is missing, when they are not
//! there, unless `ACCREDIT_SKIP_BROWSER_TESTS=1` (the rule of `browser_mode.rs`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use accredit_core::evidence::EvidenceRouter;
use accredit_core::profile::ProfileDoc;
use accredit_core::reports::Redactor;
use accredit_core::runner::{self, NoProgress, PreparedSuite, RunRecord, RunnerOptions};
use accredit_core::suite::{BrowserSettings, SuiteError, SuiteStart};
use accredit_core::{Outcome, Suite};
use accredit_mock_platform::{
    ClientRegistration, LaunchKind, REFERENCE_ISSUER, RunningPlatform, SESSION_COOKIE,
    start_reference_platform,
};
use accredit_suite_lti::platform::{demo_profile, generate_tool_key_pem};
use accredit_suite_lti::{LtiPlatformSuite, reserve_port};
use tokio_util::sync::CancellationToken;

const SKIP_VAR: &str = "ACCREDIT_SKIP_BROWSER_TESTS";
/// Per case: Chromium start-up plus a login on two busy cores is slow.
const TIMEOUT: Duration = Duration::from_secs(90);
const CLIENT_ID: &str = "accredit-tool";
const DEPLOYMENT_ID: &str = "deployment-1";
const USER: &str = "teacher-1";
const PASSWORD: &str = "correct horse battery staple";

/// Cases whose verdict on a conformant platform is `review` (human affirmation).
const REVIEW: &[&str] = &[
    "lti.platform.core.student.expected-received",
    "lti.platform.core.student-no-pii.expected-received",
    "lti.platform.core.instructor.expected-received",
    "lti.platform.core.instructor-no-pii.expected-received",
    "lti.platform.dl.response.link-shown",
    "lti.platform.nrps.headers",
    "lti.platform.ags.gradebook",
];

/// Cases judging a scripted (student or Deep Linking request) launch.
const SCRIPTED_CASES: [&str; 3] = [
    "lti.platform.core.student.is-lti13",
    "lti.platform.core.student.signature",
    "lti.platform.dl.request.complete",
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

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    format!("file:{}", path.display())
}

/// A reference platform behind a login, and what certifies it.
struct Setup {
    platform: RunningPlatform,
    tool_listen: SocketAddr,
    dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let tool_listen: SocketAddr = reserve_port().unwrap_or_else(|e| panic!("reserve port: {e}"));
    let tool = format!("http://{tool_listen}");
    let platform = start_reference_platform(
        ClientRegistration {
            client_id: CLIENT_ID.into(),
            redirect_uris: vec![format!("{tool}/lti/launch")],
            deployment_ids: vec![DEPLOYMENT_ID.into()],
            login_url: Some(format!("{tool}/lti/login")),
            target_link_uri: Some(format!("{tool}/lti/launch")),
            jwks_url: Some(format!("{tool}/lti/jwks")),
        },
        [],
    )
    .await
    .unwrap_or_else(|e| panic!("start reference platform: {e}"));
    platform.require_login(USER, PASSWORD);
    Setup {
        platform,
        tool_listen,
        dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Logs in over HTTP; the session cookie (`name=value`) when the login worked.
async fn http_login(platform: &RunningPlatform, password: &str) -> (u16, Option<String>) {
    let resp = http()
        .post(platform.login_url())
        .form(&[("username", USER), ("password", password)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /login: {e}"));
    let cookie = resp
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    (resp.status().as_u16(), cookie)
}

/// The profile: URL mode for every kind (with a session cookie) except student
/// and Deep Linking, which are scripted with `password`.
async fn profile(s: &Setup, password: &str) -> String {
    let (_, cookie) = http_login(&s.platform, PASSWORD).await;
    let cookie = cookie.unwrap_or_else(|| panic!("the HTTP login set no cookie"));
    let key = s.dir.path().join("accredit-tool.pem");
    std::fs::write(
        &key,
        generate_tool_key_pem().unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let text = demo_profile(
        "accredit reference platform (login required)",
        &s.platform.endpoints().base_url,
        REFERENCE_ISSUER,
        CLIENT_ID,
        DEPLOYMENT_ID,
        s.tool_listen,
        &key,
    );
    let session = write(s.dir.path(), "session", &cookie);
    let user = write(s.dir.path(), "user", USER);
    let pass = write(s.dir.path(), &format!("pass-{}", password.len()), password);
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("student = ") || line.starts_with("deep_linking = ") {
            continue;
        }
        if line == "[lti-platform.launches]" {
            out.push_str(&format!("session_cookie = \"{session}\"\n\n"));
        }
        out.push_str(line);
        out.push('\n');
    }
    let page = |kind| s.platform.course_page_url(CLIENT_ID, kind);
    out.push_str(&format!(
        "\n[lti-platform.browser]\nlogin_url = \"{}\"\nusername = \"{user}\"\npassword = \"{pass}\"\nusername_selector = \"#username\"\npassword_selector = \"#password\"\nsubmit_selector = \"button[type=submit]\"\nlogged_in_selector = \"#dashboard\"\n\n[lti-platform.browser.launches]\nstudent = {{ page = \"{}\", click = \"a#launch-student\" }}\ndeep_linking = {{ page = \"{}\", click = \"#launch-deep_linking\" }}\n",
        s.platform.login_url(),
        page(LaunchKind::Student),
        page(LaunchKind::DeepLinking),
    ));
    out
}

async fn start(
    profile: &str,
    browser: Option<BrowserSettings>,
    router: &EvidenceRouter,
    redactor: &Redactor,
) -> Result<Box<dyn accredit_core::SuiteRun>, SuiteError> {
    let doc = ProfileDoc::parse("platform-browser.toml", profile, &[LtiPlatformSuite.id()])
        .unwrap_or_else(|e| panic!("profile: {e}\n{profile}"));
    LtiPlatformSuite
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
}

/// Runs the cases whose id is in `only` (all when empty).
async fn run(profile: &str, browser: BrowserSettings, only: &[&str]) -> RunRecord {
    let redactor = Redactor::default();
    let router = EvidenceRouter::new(redactor.clone());
    let run = start(profile, Some(browser), &router, &redactor)
        .await
        .unwrap_or_else(|e| panic!("suite start: {e}"));
    let cases = LtiPlatformSuite
        .catalog()
        .into_iter()
        .filter(|m| only.is_empty() || only.contains(&m.id))
        .collect();
    let prepared = vec![PreparedSuite {
        id: LtiPlatformSuite.id().to_string(),
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
        p.run.shutdown().await; // stops the harness tool, chromedriver and every Chromium
    }
    record
}

fn dump(record: &RunRecord) -> String {
    record
        .results
        .iter()
        .map(|c| {
            format!(
                "{} {} ({} ms) — {}",
                c.outcome, c.id, c.duration_ms, c.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn log_of(record: &RunRecord, case: &str) -> Vec<String> {
    record
        .evidence
        .iter()
        .find(|e| e.case_id == case)
        .map(|e| e.log.iter().map(|l| l.text.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_reference_login_gates_the_start_urls() {
    let s = setup().await;
    let start = s.platform.launch_start_url(CLIENT_ID, LaunchKind::Student);
    let anon = http()
        .get(&start)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(anon.status().as_u16(), 401);
    let body = anon.text().await.unwrap_or_default();
    assert!(body.contains("login_required"), "{body}");

    let (status, cookie) = http_login(&s.platform, "wrong").await;
    assert_eq!((status, cookie), (401, None));
    let (status, cookie) = http_login(&s.platform, PASSWORD).await;
    assert_eq!(status, 200);
    let cookie = cookie.unwrap_or_else(|| panic!("no session cookie"));
    assert!(cookie.starts_with(SESSION_COOKIE), "{cookie}");

    let forged = http()
        .get(&start)
        .header("cookie", format!("{SESSION_COOKIE}=forged"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(forged.status().as_u16(), 401);
    let ok = http()
        .get(&start)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.status().as_u16(), 302);

    let page = http()
        .get(
            s.platform
                .course_page_url(CLIENT_ID, LaunchKind::DeepLinking),
        )
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("id=\"launch-deep_linking\""), "{html}");
    s.platform.shutdown().await;
}

#[tokio::test]
async fn scripted_launches_need_the_browser() {
    let s = setup().await;
    let profile = profile(&s, PASSWORD).await;
    let redactor = Redactor::default();
    let router = EvidenceRouter::new(redactor.clone());
    let err = start(&profile, None, &router, &redactor)
        .await
        .err()
        .unwrap_or_else(|| panic!("a scripted profile must not start without --browser"));
    assert!(matches!(err, SuiteError::Usage(_)), "{err}");
    assert!(err.to_string().contains("--browser"), "{err}");
    s.platform.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_conformant_platform_passes_with_scripted_launches() {
    let Some(settings) = browser() else { return };
    let s = setup().await;
    let profile = profile(&s, PASSWORD).await;
    let record = run(&profile, settings, &[]).await;
    let bad: Vec<String> = record
        .results
        .iter()
        .filter(|c| {
            let want = if REVIEW.contains(&c.id.as_str()) {
                Outcome::Review
            } else {
                Outcome::Pass
            };
            c.outcome != want
        })
        .map(|c| c.id.clone())
        .collect();
    assert!(
        bad.is_empty(),
        "unexpected outcomes: {bad:?}\n{}",
        dump(&record)
    );
    for case in SCRIPTED_CASES {
        let log = log_of(&record, case).join("\n");
        assert!(log.contains("in headless Chromium"), "{case}:\n{log}");
        assert!(log.contains("browser: logged in"), "{case}:\n{log}");
        assert!(log.contains("/lti/launch (form: "), "{case}:\n{log}");
        assert!(
            !log.contains(PASSWORD),
            "{case}: the password leaked:\n{log}"
        );
        let ev = record
            .evidence
            .iter()
            .find(|e| e.case_id == case)
            .unwrap_or_else(|| panic!("no evidence for {case}"));
        assert!(
            ev.exchanges
                .iter()
                .any(|x| x.recorded_by.as_deref() == Some("chromium")
                    && x.request.url.contains("/lti/launch")
                    && !x.jwts.is_empty()),
            "{case}: the browser's launch (with its id_token) is not in the evidence"
        );
    }
    let all = serde_json::to_string(&record.evidence).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !all.contains(PASSWORD),
        "the password leaked into the evidence"
    );
    s.platform.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_password_is_an_error_never_a_pass() {
    let Some(settings) = browser() else { return };
    let s = setup().await;
    let profile = profile(&s, "not the password").await;
    let record = run(&profile, settings, &SCRIPTED_CASES).await;
    assert_eq!(
        record.results.len(),
        SCRIPTED_CASES.len(),
        "{}",
        dump(&record)
    );
    for c in &record.results {
        assert_eq!(c.outcome, Outcome::Error, "{}", dump(&record));
        assert!(
            c.message.contains("scripted login") && c.message.contains("logged_in_selector"),
            "{}",
            dump(&record)
        );
    }
    s.platform.shutdown().await;
}
