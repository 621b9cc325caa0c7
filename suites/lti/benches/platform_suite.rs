//! Wall time of one full `lti-platform` run against the reference platform
//! (mock-platform's reference mode) on loopback, `--jobs 4`, through
//! `runner::run` exactly as `accredit run lti-platform` does (suite start with
//! the harness tool listening, every case, shutdown). Target: < 5 s.
//!
//! Why a whole run and not single cases: the target is the vendor's wait for a
//! certificate, and that includes start-up, scheduling under `--jobs 4` and the
//! cases that serialise (exclusive ones take every slot).
//!
//! Run with `cargo xtask bench -p accredit-suite-lti`, or just this bench with
//! `cargo bench -p accredit-suite-lti --bench platform_suite`.

use std::net::SocketAddr;
use std::time::Duration;

use accredit_core::profile::ProfileDoc;
use accredit_core::runner::{self, OneShot, RunRecord, RunnerOptions};
use accredit_core::{Outcome, Suite};
use accredit_mock_platform::{
    ClientRegistration, REFERENCE_ISSUER, RunningPlatform, start_reference_platform,
};
use accredit_suite_lti::platform::{demo_profile, generate_tool_key_pem};
use accredit_suite_lti::{LtiPlatformSuite, reserve_port};
use criterion::{Criterion, criterion_group, criterion_main};

const CLIENT_ID: &str = "accredit-tool";
const DEPLOYMENT_ID: &str = "deployment-1";
const CASE_TIMEOUT: Duration = Duration::from_secs(20);

/// Starts the reference platform (no faults) and writes the profile that
/// certifies it; the key file lives as long as the returned directory.
async fn reference_platform() -> (RunningPlatform, String, tempfile::TempDir) {
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
        vec![],
    )
    .await
    .unwrap_or_else(|e| panic!("start reference platform: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key_path = dir.path().join("accredit-tool.pem");
    let pem = generate_tool_key_pem().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&key_path, pem).unwrap_or_else(|e| panic!("{e}"));
    let profile = demo_profile(
        "accredit reference platform",
        &platform.endpoints().base_url,
        REFERENCE_ISSUER,
        CLIENT_ID,
        DEPLOYMENT_ID,
        tool_listen,
        &key_path,
    );
    (platform, profile, dir)
}

/// Parses `profile`, starts the suite, runs every case with `--jobs 4`, shuts
/// the suite down (the harness tool stops, freeing `tool_listen`).
async fn run_suite(profile: &str) -> RunRecord {
    let suite = LtiPlatformSuite;
    let doc = ProfileDoc::parse("platform-profile.toml", profile, &[suite.id()])
        .unwrap_or_else(|e| panic!("profile: {e}\n{profile}"));
    let opts = RunnerOptions {
        jobs: 4,
        case_timeout: CASE_TIMEOUT,
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

/// Cases that neither pass nor ask for a human review: on the reference
/// platform there must be none, or the figure measures a broken run.
fn broken(record: &RunRecord) -> Vec<String> {
    record
        .results
        .iter()
        .filter(|c| !matches!(c.outcome, Outcome::Pass | Outcome::Review))
        .map(|c| format!("{} {} — {}", c.outcome, c.id, c.message))
        .collect()
}

/// Set `ACCREDIT_BENCH_PROFILE=1` to print the slowest cases of one run first.
fn print_slowest(record: &RunRecord) {
    let mut by_time: Vec<_> = record
        .results
        .iter()
        .map(|c| (c.duration_ms, c.id.as_str(), c.outcome))
        .collect();
    by_time.sort_by_key(|c| std::cmp::Reverse(c.0));
    let total: u64 = by_time.iter().map(|c| c.0).sum();
    eprintln!(
        "lti-platform: {} cases, sum of case durations {total} ms; slowest:",
        by_time.len()
    );
    for (ms, id, outcome) in by_time.iter().take(15) {
        eprintln!("  {ms:>6} ms  {outcome}  {id}");
    }
}

fn bench(c: &mut Criterion) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("tokio runtime: {e}"),
    };
    let (platform, profile, _key_dir) = rt.block_on(reference_platform());
    if std::env::var_os("ACCREDIT_BENCH_PROFILE").is_some() {
        let started = std::time::Instant::now();
        let record = rt.block_on(run_suite(&profile));
        eprintln!("one run: {} ms wall", started.elapsed().as_millis());
        print_slowest(&record);
    }
    let mut g = c.benchmark_group("lti-platform");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("full_suite_reference_platform_jobs4", |b| {
        b.iter(|| {
            let record = rt.block_on(run_suite(&profile));
            let broken = broken(&record);
            assert!(broken.is_empty(), "{}", broken.join("\n"));
            record
        })
    });
    g.finish();
    rt.block_on(platform.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
