//! Shared helpers: run the lti-tool suite exactly as the CLI does.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use accredit_core::Suite;
use accredit_core::profile::ProfileDoc;
use accredit_core::runner::{self, OneShot, RunRecord, RunnerOptions};
use accredit_mock_tool::{Fault, RunningTool, SUCCESS_MARKER, start_reference_tool_for_demo};
use accredit_suite_lti::{LtiToolSuite, demo_profile_with_jwks, endpoints_for, reserve_port};

/// The issuer the tests' reference tools trust.
pub const ISSUER: &str = "https://platform.accredit.test";

/// Starts the reference tool with `faults` and returns it with its profile text.
pub async fn reference_tool(faults: Vec<Fault>) -> (RunningTool, String) {
    let listen = reserve_port().unwrap_or_else(|e| panic!("reserve port: {e}"));
    let eps = endpoints_for(listen);
    let (tool, reg) =
        start_reference_tool_for_demo(ISSUER, &eps.auth_url, &eps.jwks_url, faults, None)
            .await
            .unwrap_or_else(|e| panic!("start tool: {e}"));
    let profile = demo_profile_with_jwks(
        "accredit reference tool",
        &reg.login_url,
        &reg.launch_url,
        &reg.client_id,
        &reg.deployment_id,
        &reg.issuer,
        listen,
        Some(SUCCESS_MARKER),
        &tool.urls().jwks_url,
    );
    (tool, profile)
}

/// A profile for a tool at `login`/`launch` (which may be down or hanging); its
/// JWKS is at `/lti/jwks` beside `launch`, so no case is skipped for want of it.
pub fn profile_for(login: &str, launch: &str, platform_listen: SocketAddr) -> String {
    let jwks = url::Url::parse(launch)
        .and_then(|u| u.join("/lti/jwks"))
        .map(|u| u.to_string())
        .unwrap_or_else(|e| panic!("launch URL {launch}: {e}"));
    demo_profile_with_jwks(
        "unreachable",
        login,
        launch,
        "c-1",
        "d-1",
        ISSUER,
        platform_listen,
        None,
        &jwks,
    )
}

/// Parses `profile`, starts the suite, runs every case, shuts the suite down.
pub async fn run_suite(profile: &str, case_timeout: Duration) -> RunRecord {
    let suite = LtiToolSuite;
    let doc = ProfileDoc::parse("test-profile.toml", profile, &[suite.id()])
        .unwrap_or_else(|e| panic!("profile: {e}\n{profile}"));
    let opts = RunnerOptions {
        jobs: 4,
        case_timeout,
        ..RunnerOptions::default()
    };
    runner::run_suite(
        &suite,
        OneShot {
            profile: Some(&doc),
            ..OneShot::default()
        },
        &opts,
    )
    .await
    .unwrap_or_else(|e| panic!("suite start: {e}"))
}

/// `(case id, outcome)` of every case that did not pass.
pub fn non_passing(record: &RunRecord) -> Vec<(String, accredit_core::Outcome)> {
    record
        .results
        .iter()
        .filter(|c| c.outcome != accredit_core::Outcome::Pass)
        .map(|c| (c.id.clone(), c.outcome))
        .collect()
}

/// A readable dump of a record for assertion messages.
pub fn dump(record: &RunRecord) -> String {
    record
        .results
        .iter()
        .map(|c| {
            let last = c.checks.last().map(|k| k.detail.as_str()).unwrap_or("");
            format!("{} {} — {} [{last}]", c.outcome, c.id, c.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}
