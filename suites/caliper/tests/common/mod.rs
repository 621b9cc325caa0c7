//! Shared helpers: run the live Caliper suites exactly as the CLI does, against
//! the reference sensor and endpoint.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use accredit_core::profile::{ProfileDoc, Secret};
use accredit_core::runner::{self, OneShot, RunRecord, RunnerOptions};
use accredit_core::{Outcome, Suite};
use accredit_mock_platform::caliper::{self as mock_endpoint, RunningEndpoint};
use accredit_mock_tool::caliper::{self as mock_sensor, RunningSensor};
use accredit_suite_caliper::{
    endpoint_demo_profile, generate_token, sensor_demo_profile, write_token_file,
};

/// The official schemas (contexts) beside the checkout.
pub const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/schemas");
/// The Caliper 1.1 and 1.2 context IRIs.
pub const VERSIONS: [&str; 2] = [
    "http://purl.imsglobal.org/ctx/caliper/v1p1",
    "http://purl.imsglobal.org/ctx/caliper/v1p2",
];

/// A token, its file, and the profile reference to it.
pub struct Token {
    pub value: String,
    pub reference: String,
    _dir: tempfile::TempDir,
}

impl Token {
    pub fn new() -> Token {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let value = generate_token();
        let reference = write_token_file(dir.path(), "token", &value)
            .unwrap_or_else(|e| panic!("token file: {e}"));
        Token {
            value,
            reference,
            _dir: dir,
        }
    }

    pub fn secret(&self) -> Secret {
        Secret::from_value(self.reference.clone(), self.value.clone())
    }
}

pub fn reserve() -> SocketAddr {
    accredit_mock_platform::reserve_port().unwrap_or_else(|e| panic!("reserve port: {e}"))
}

/// The reference sensor (with `faults`) and its `[caliper-sensor]` profile.
pub async fn reference_sensor(
    faults: Vec<mock_sensor::Fault>,
    token: &Token,
) -> (RunningSensor, String) {
    let listen = reserve();
    let url = format!("http://{listen}{}", mock_endpoint::ENDPOINT_PATH);
    let sensor = mock_sensor::start_reference_sensor_for_demo(&url, token.secret(), faults, None)
        .await
        .unwrap_or_else(|e| panic!("start sensor: {e}"));
    let profile = sensor_demo_profile(
        "accredit reference sensor",
        listen,
        &token.reference,
        Some(sensor.trigger_url()),
        &mock_sensor::PROFILES,
        10,
    );
    (sensor, profile)
}

/// The reference endpoint (with `faults`) and its `[caliper-endpoint]` profile.
pub async fn reference_endpoint(
    faults: Vec<mock_endpoint::Fault>,
    token: &Token,
) -> (RunningEndpoint, String) {
    let ep = mock_endpoint::start_reference_endpoint_for_demo(token.secret(), faults, None)
        .await
        .unwrap_or_else(|e| panic!("start endpoint: {e}"));
    let profile = endpoint_demo_profile(
        "accredit reference endpoint",
        ep.url(),
        &token.reference,
        &VERSIONS,
    );
    (ep, profile)
}

/// Parses `profile`, starts `suite`, runs every case, shuts the suite down.
pub async fn run_suite(
    suite: &dyn Suite,
    profile: &str,
    schema_dir: Option<&Path>,
    case_timeout: Duration,
) -> RunRecord {
    let doc = ProfileDoc::parse("test-profile.toml", profile, &[suite.id()])
        .unwrap_or_else(|e| panic!("profile: {e}\n{profile}"));
    let opts = RunnerOptions {
        jobs: 4,
        case_timeout,
        candidate_headers: doc.http_headers().to_vec(),
    };
    runner::run_suite(
        suite,
        OneShot {
            profile: Some(&doc),
            schema_dir,
            ..OneShot::default()
        },
        &opts,
    )
    .await
    .unwrap_or_else(|e| panic!("suite start: {e}"))
}

/// `(case id, outcome)` of every case that did not pass.
pub fn non_passing(record: &RunRecord) -> Vec<(String, Outcome)> {
    record
        .results
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .map(|c| (c.id.clone(), c.outcome))
        .collect()
}

/// A readable dump of a record for assertion messages.
pub fn dump(record: &RunRecord) -> String {
    record
        .results
        .iter()
        .map(|c| format!("{} {} — {}", c.outcome, c.id, c.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The result of case `id`.
pub fn result<'a>(record: &'a RunRecord, id: &str) -> &'a accredit_core::reports::CaseResult {
    record
        .results
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}
