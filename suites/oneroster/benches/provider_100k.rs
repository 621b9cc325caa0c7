//! The whole `oneroster-provider` suite against the reference SIS holding a
//! 100k-user district (goal: under 30 s per run).
//!
//! Why: the provider cases walk collections, judge paging totals and follow
//! filters; on a district-sized SIS those walks are what a real certification
//! run costs, and a case that quietly scales with the district (rather than
//! with its page bound) shows up here first. The bundle is generated once
//! (OneRoster 1.2, bulk, seed 1) into `target/oneroster-bench/`, the SIS loads
//! it into SQLite once, and each iteration runs every case of the 1.2 profile
//! (`--jobs 4`). `ACCREDIT_BENCH_PROVIDER_USERS` changes the size;
//! `ACCREDIT_BENCH_PROFILE=1` prints the wall time of the first run and its
//! slowest cases (where a regression hides); `ACCREDIT_BENCH_ONCE=1` stops
//! after that first run (a quick loop while tuning, no criterion samples).
//!
//! Run: `cargo bench -p accredit-suite-oneroster --bench provider_100k`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use tokio_util::sync::CancellationToken;

use accredit_core::evidence::EvidenceRouter;
use accredit_core::profile::{ProfileDoc, Secret};
use accredit_core::reports::Redactor;
use accredit_core::runner::{self, NoProgress, PreparedSuite, RunRecord, RunnerOptions};
use accredit_core::suite::SuiteStart;
use accredit_core::{Outcome, Suite};
use accredit_mock_platform::oneroster as sis;
use accredit_suite_oneroster::generate::{Config, GenMode, generate_dir};
use accredit_suite_oneroster::tables::Version;
use accredit_suite_oneroster::{OneRosterProviderSuite, provider_demo_profile};

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn users() -> u64 {
    std::env::var("ACCREDIT_BENCH_PROVIDER_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// The bundle directory, generated if missing.
fn bundle() -> PathBuf {
    let n = users();
    let dir = target_dir().join(format!("oneroster-bench/or12-provider-{n}"));
    let done = dir.join(".complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let cfg = Config {
            version: Version::V1p2,
            users: n,
            mode: GenMode::Bulk,
            seed: 1,
        };
        let started = Instant::now();
        if let Err(e) = generate_dir(&cfg, &dir) {
            panic!("generating the bench bundle: {e}");
        }
        eprintln!("generated {} in {:.1?}", dir.display(), started.elapsed());
        if let Err(e) = std::fs::write(&done, b"") {
            panic!("{}: {e}", done.display());
        }
    }
    dir
}

async fn run_once(profile: &str) -> RunRecord {
    let suite = OneRosterProviderSuite;
    let doc = ProfileDoc::parse("bench-profile.toml", profile, &[suite.id()])
        .unwrap_or_else(|e| panic!("profile: {e}"));
    let redactor = Redactor::new(doc.secret_values());
    let router = EvidenceRouter::new(redactor.clone());
    let timeout = Duration::from_secs(120);
    let run = suite
        .start(SuiteStart {
            profile: Some(&doc),
            inputs: &[],
            schema_dir: None,
            router: router.clone(),
            redactor: redactor.clone(),
            case_timeout: timeout,
            browser: None,
        })
        .await
        .unwrap_or_else(|e| panic!("suite start: {e}"));
    let prepared = vec![PreparedSuite {
        id: suite.id().to_string(),
        cases: suite.catalog(),
        run: Arc::from(run),
    }];
    let opts = RunnerOptions {
        jobs: 4,
        case_timeout: timeout,
        candidate_headers: doc.http_headers().to_vec(),
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
        p.run.shutdown().await;
    }
    record
}

fn provider_100k(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let dir = bundle();
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let secret_file = work.path().join("sis-client-secret");
    std::fs::write(&secret_file, &secret).unwrap_or_else(|e| panic!("{e}"));
    let reference = format!("file:{}", secret_file.display());
    let started = Instant::now();
    let running = rt
        .block_on(sis::start_reference_sis_for_demo(
            &dir,
            Secret::from_value(reference.clone(), secret.clone()),
            Vec::new(),
            None,
        ))
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    eprintln!(
        "SIS loaded {} users in {:.1?}",
        running.count("users").unwrap_or(0),
        started.elapsed()
    );
    let profile = provider_demo_profile(
        "bench SIS",
        &running.rostering_url(),
        &running.token_url(),
        running.client_id(),
        &reference,
        running.scopes(),
    );
    // One run outside the measurement: report the outcomes the figure is for.
    let started = Instant::now();
    let first = rt.block_on(run_once(&profile));
    let first_wall = started.elapsed();
    let count = |o: Outcome| first.results.iter().filter(|r| r.outcome == o).count();
    eprintln!(
        "{} cases: {} pass, {} fail, {} warn, {} skip, {} error",
        first.results.len(),
        count(Outcome::Pass),
        count(Outcome::Fail),
        count(Outcome::Warn),
        count(Outcome::Skip),
        count(Outcome::Error)
    );
    for r in first
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Pass | Outcome::Skip))
    {
        eprintln!("  {} {}: {}", r.outcome, r.id, r.message);
    }
    if std::env::var_os("ACCREDIT_BENCH_PROFILE").is_some() {
        eprintln!("first run: {first_wall:.1?} wall; slowest cases:");
        let mut by_time: Vec<_> = first.results.iter().collect();
        by_time.sort_by_key(|r| std::cmp::Reverse(r.duration_ms));
        for r in by_time.iter().take(25) {
            eprintln!("  {:>7} ms  {}", r.duration_ms, r.id);
        }
    }
    if std::env::var_os("ACCREDIT_BENCH_ONCE").is_some() {
        rt.block_on(running.shutdown());
        return;
    }
    let mut g = c.benchmark_group("oneroster-provider");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(300));
    g.bench_function(format!("whole suite, {} users", users()), |b| {
        b.iter(|| rt.block_on(run_once(&profile)));
    });
    g.finish();
    rt.block_on(running.shutdown());
}

criterion_group!(benches, provider_100k);
criterion_main!(benches);
