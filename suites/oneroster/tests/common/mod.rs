//! What the `oneroster-provider` test files share: starting the suite against
//! a profile, running (a share of) its cases once, and reading the record.
//!
//! Why one copy: each test file judges its own share of the catalog (rostering,
//! relations, gradebook, 1.1, 1.1 gradebook) against the same reference SIS,
//! and had grown its own copy of these steps.

#![allow(dead_code)] // every test file uses its own part of this

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use accredit_core::evidence::EvidenceRouter;
use accredit_core::profile::ProfileDoc;
use accredit_core::reports::Redactor;
use accredit_core::runner::{self, NoProgress, OneShot, PreparedSuite, RunRecord, RunnerOptions};
use accredit_core::suite::SuiteStart;
use accredit_core::{Outcome, Suite, SuiteError};
use accredit_mock_platform::oneroster::Fault;
use accredit_suite_oneroster::rest::v1p1::{V1P1_PREFIX, v1p1_demo_profile};
use accredit_suite_oneroster::{OneRosterProviderSuite, start_reference_sis};
use tokio_util::sync::CancellationToken;

/// The per-case timeout of the test runs.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The official schema directory (`ACCREDIT_SCHEMA_DIR`, else `../shared/schemas`).
pub fn schemas() -> PathBuf {
    std::env::var_os("ACCREDIT_SCHEMA_DIR").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/schemas"
            ))
        },
        PathBuf::from,
    )
}

/// Every case id.
pub fn all(_: &str) -> bool {
    true
}

/// A started provider suite, ready to run.
pub struct Started {
    pub prepared: PreparedSuite,
    pub router: EvidenceRouter,
    pub redactor: Redactor,
    pub doc: ProfileDoc,
}

/// Starts the provider suite for `profile`, with the cases `keep` selects.
pub async fn start_provider(
    profile: &str,
    schema_dir: Option<&Path>,
    keep: fn(&str) -> bool,
) -> Result<Started, SuiteError> {
    let suite = OneRosterProviderSuite;
    let doc = ProfileDoc::parse("test-profile.toml", profile, &[suite.id()])
        .unwrap_or_else(|e| panic!("profile: {e}\n{profile}"));
    let redactor = Redactor::new(doc.secret_values());
    let router = EvidenceRouter::new(redactor.clone());
    let run = suite
        .start(SuiteStart {
            profile: Some(&doc),
            inputs: &[],
            schema_dir,
            router: router.clone(),
            redactor: redactor.clone(),
            case_timeout: TIMEOUT,
            browser: None,
        })
        .await?;
    let prepared = PreparedSuite {
        id: suite.id().to_string(),
        cases: suite.catalog().into_iter().filter(|m| keep(m.id)).collect(),
        run: Arc::from(run),
    };
    Ok(Started {
        prepared,
        router,
        redactor,
        doc,
    })
}

/// Runs a started suite (`--jobs 4`) and shuts it down.
pub async fn run_started(s: Started) -> RunRecord {
    let opts = RunnerOptions {
        jobs: 4,
        case_timeout: TIMEOUT,
        candidate_headers: s.doc.http_headers().to_vec(),
    };
    let prepared = vec![s.prepared];
    let record = runner::run(
        &prepared,
        &opts,
        &s.router,
        &s.redactor,
        &NoProgress,
        &CancellationToken::new(),
    )
    .await;
    for p in &prepared {
        p.run.shutdown().await;
    }
    record
}

/// Starts and runs the cases `keep` selects; a suite that cannot start panics.
pub async fn run_provider(
    profile: &str,
    schema_dir: Option<&Path>,
    keep: fn(&str) -> bool,
) -> RunRecord {
    let started = start_provider(profile, schema_dir, keep)
        .await
        .unwrap_or_else(|e| panic!("suite start: {e}"));
    run_started(started).await
}

/// Runs every case of `suite` once against `profile` (`--jobs 4`); a suite
/// that cannot start panics.
pub async fn run_once(suite: &dyn Suite, profile: &str, case_timeout: Duration) -> RunRecord {
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
            ..OneShot::default()
        },
        &opts,
    )
    .await
    .unwrap_or_else(|e| panic!("suite start: {e}"))
}

/// The selected cases that did not pass, sorted.
pub fn non_passing(record: &RunRecord, keep: fn(&str) -> bool) -> Vec<(String, Outcome)> {
    let mut out: Vec<(String, Outcome)> = record
        .results
        .iter()
        .filter(|c| keep(&c.id) && c.outcome != Outcome::Pass)
        .map(|c| (c.id.clone(), c.outcome))
        .collect();
    out.sort();
    out
}

/// The selected cases with their non-passing checks (an assertion's message).
pub fn dump(record: &RunRecord, keep: fn(&str) -> bool) -> String {
    record
        .results
        .iter()
        .filter(|c| keep(&c.id))
        .map(|c| {
            let failing: Vec<String> = c
                .checks
                .iter()
                .filter(|k| k.outcome != Outcome::Pass)
                .map(|k| format!("    {} {}: {}", k.outcome, k.name, k.detail))
                .collect();
            format!(
                "{} {} — {}\n{}",
                c.outcome,
                c.id,
                c.message,
                failing.join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `id` is a OneRoster 1.1 case.
pub fn v1p1(id: &str) -> bool {
    id.starts_with(V1P1_PREFIX)
}

/// Runs every case with the reference SIS's 1.1 profile (`edit`ed) against
/// a SIS with `faults`, and asserts the consumer secret stayed out of the
/// evidence.
pub async fn run_1p1(faults: Vec<Fault>, edit: impl Fn(String) -> String) -> RunRecord {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sis = start_reference_sis(dir.path(), faults)
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let profile = edit(v1p1_demo_profile(&sis));
    let record = run_provider(&profile, Some(&schemas()), all).await;
    sis.sis.shutdown().await;
    let text = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(
        !text.contains(&sis.client_secret),
        "the consumer secret leaked into evidence"
    );
    record
}

/// The 1.1 cases that did not pass, after asserting every 1.2 case skipped.
pub fn non_passing_1p1(record: &RunRecord) -> Vec<(String, Outcome)> {
    for c in &record.results {
        if !v1p1(&c.id) {
            assert_eq!(
                c.outcome,
                Outcome::Skip,
                "{} must skip for a 1.1 profile",
                c.id
            );
        }
    }
    non_passing(record, v1p1)
}
