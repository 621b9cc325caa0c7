//! Candidates that are down or hang: every case ends in `error` (or `fail`) with a
//! clear message, within the case timeout; the run never hangs.

mod common;

use std::time::{Duration, Instant};

use accredit_core::{Outcome, Suite};
use accredit_suite_lti::{LtiToolSuite, reserve_port};

/// Cases in the lti-tool catalog.
fn cases() -> usize {
    LtiToolSuite.catalog().len()
}

use common::{dump, profile_for, run_suite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_that_is_down_gives_errors_naming_the_login_url() {
    let closed = reserve_port().unwrap_or_else(|e| panic!("{e}"));
    let platform = reserve_port().unwrap_or_else(|e| panic!("{e}"));
    let login = format!("http://{closed}/lti/login");
    let profile = profile_for(&login, &format!("http://{closed}/lti/launch"), platform);
    let record = run_suite(&profile, Duration::from_secs(10)).await;
    assert_eq!(record.results.len(), cases(), "{}", dump(&record));
    for c in &record.results {
        assert_eq!(c.outcome, Outcome::Error, "{}", dump(&record));
        // Every case starts with the login, except the JWKS check, which only
        // fetches the tool's key set.
        let (what, url) = if c.id == "lti.tool.sec.jwks" {
            (
                "could not reach the tool's JWKS URL",
                format!("http://{closed}/lti/jwks"),
            )
        } else {
            ("could not reach the tool's login URL", login.clone())
        };
        assert!(
            c.message.contains(what) && c.message.contains(&url),
            "{}: {}",
            c.id,
            c.message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_that_hangs_times_out_cleanly() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let platform = reserve_port().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile_for(
        &format!("http://{addr}/lti/login"),
        &format!("http://{addr}/lti/launch"),
        platform,
    );
    let case_timeout = Duration::from_secs(2);
    let t0 = Instant::now();
    let record = tokio::time::timeout(Duration::from_secs(60), run_suite(&profile, case_timeout))
        .await
        .unwrap_or_else(|_| panic!("the run hung"));
    hold.abort();
    // 4 cases at a time, 2 s each, except exclusive cases, which run alone;
    // plus slack.
    let exclusive = LtiToolSuite
        .catalog()
        .iter()
        .filter(|m| m.exclusive)
        .count();
    let slots = (cases() - exclusive).div_ceil(4) + exclusive;
    let bound = case_timeout * (slots as u32) + Duration::from_secs(8);
    assert!(
        t0.elapsed() < bound,
        "took {:?} (bound {bound:?})",
        t0.elapsed()
    );
    assert_eq!(record.results.len(), cases(), "{}", dump(&record));
    for c in &record.results {
        assert!(
            matches!(c.outcome, Outcome::Error | Outcome::Fail),
            "{}",
            dump(&record)
        );
        assert!(c.message.contains("timed out"), "{}: {}", c.id, c.message);
    }
}
