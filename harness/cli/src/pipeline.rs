//! One run from start to bundle: start suites, run cases, write the report.
//!
//! Shared by `run`, `validate` and `demo`. The invariant it keeps: once any suite
//! has started, a report bundle is written whatever happens next (case panics,
//! Ctrl-C, a suite that fails to start), marked incomplete when not every
//! selected case finished.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::FutureExt;
use tokio_util::sync::CancellationToken;

use accredit_core::evidence::EvidenceRouter;
use accredit_core::profile::ProfileDoc;
use accredit_core::runner::{self, PreparedSuite, RunnerOptions};
use accredit_core::{CaseMeta, Suite, SuiteError, SuiteStart};
use accredit_reports::bundle::BundleOptions;
use accredit_reports::{
    CandidateInfo, Gate, HarnessInfo, Outcome, Redactor, Report, SuiteInfo, Summary,
};

use crate::cli::RunOpts;
use crate::{CliError, Exit};

/// Everything a run needs.
pub struct RunRequest {
    /// Suites to run, in order.
    pub suites: Vec<Arc<dyn Suite>>,
    /// Candidate profile (live suites).
    pub profile: Option<ProfileDoc>,
    /// Documents (artifact suites).
    pub inputs: Vec<PathBuf>,
    /// Candidate description when there is no profile.
    pub candidate: Option<CandidateInfo>,
    /// Bundle directory.
    pub out: PathBuf,
    /// Runner settings.
    pub runner: RunnerOptions,
    /// Skips/reviews fail the run.
    pub certification: bool,
    /// Case id patterns.
    pub case_patterns: Vec<String>,
    /// Signing key.
    pub sign: Option<PathBuf>,
    /// Baseline bundle.
    pub baseline: Option<PathBuf>,
    /// Schema directory.
    pub schemas: Option<PathBuf>,
    /// History database, `None` to skip.
    pub history: Option<PathBuf>,
    /// Suppress per-case lines.
    pub quiet: bool,
    /// `--browser`: real-browser settings.
    pub browser: Option<accredit_core::BrowserSettings>,
}

impl RunRequest {
    /// A request from `run`/`validate` options.
    pub fn from_opts(
        suites: Vec<Arc<dyn Suite>>,
        profile: Option<ProfileDoc>,
        inputs: Vec<PathBuf>,
        o: &RunOpts,
    ) -> RunRequest {
        let headers = profile
            .as_ref()
            .map(|p| p.http_headers().to_vec())
            .unwrap_or_default();
        RunRequest {
            suites,
            profile,
            inputs,
            candidate: None,
            out: o.out.clone(),
            runner: RunnerOptions {
                jobs: o.jobs.max(1),
                case_timeout: Duration::from_secs(o.timeout.max(1)),
                candidate_headers: headers,
            },
            certification: o.certification,
            case_patterns: o.cases.clone(),
            sign: o.sign.clone(),
            baseline: o.baseline.clone(),
            schemas: crate::schemas::resolve(o.schemas.clone()),
            history: if o.no_history {
                None
            } else {
                Some(crate::history::db_path(o.history_db.clone()))
            },
            quiet: o.quiet,
            browser: o.browser.then(accredit_core::BrowserSettings::from_env),
        }
    }
}

/// What a finished run left behind.
pub struct RunOutput {
    /// The report as written.
    pub report: Report,
    /// Bundle directory.
    pub out: PathBuf,
    /// Exit code.
    pub exit: Exit,
}

/// Runs and prints the outcome; returns the exit code.
pub async fn execute_and_print(req: RunRequest) -> Result<Exit, CliError> {
    let out = execute(req).await?;
    Ok(out.exit)
}

/// Whether `id` is selected by `patterns` (empty = everything). A pattern is an id
/// prefix, or a glob where `*` matches any run of characters.
pub fn selected(id: &str, patterns: &[String]) -> bool {
    patterns.is_empty()
        || patterns.iter().any(|p| {
            if p.contains('*') {
                glob_match(p, id)
            } else {
                id.starts_with(p.as_str())
            }
        })
}

fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty() || pattern.ends_with('*')
}

/// Prepares the output directory: refuse to clobber anything that is not an
/// earlier bundle; clear an earlier bundle so no stale evidence survives.
fn prepare_out_dir(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        let is_bundle = out.join("MANIFEST.sha256").exists() || out.join("report.json").exists();
        let empty = std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .next()
            .is_none();
        if !is_bundle && !empty {
            anyhow::bail!(
                "{} exists and is not an accredit bundle; choose another --out (nothing was overwritten)",
                out.display()
            );
        }
        if is_bundle {
            for name in [
                "report.json",
                "junit.xml",
                "report.html",
                "summary.md",
                "MANIFEST.sha256",
                "MANIFEST.sha256.sig",
                "MANIFEST.sha256.pub",
            ] {
                let p = out.join(name);
                if p.exists() {
                    std::fs::remove_file(&p)
                        .with_context(|| format!("removing stale {}", p.display()))?;
                }
            }
            let ev = out.join("evidence");
            if ev.exists() {
                std::fs::remove_dir_all(&ev)
                    .with_context(|| format!("removing stale {}", ev.display()))?;
            }
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))
}

/// Runs a request to completion and writes its bundle.
pub async fn execute(req: RunRequest) -> Result<RunOutput, CliError> {
    if let Some(problem) = req
        .browser
        .as_ref()
        .and_then(accredit_core::BrowserSettings::problem)
    {
        return Err(CliError::usage(anyhow::anyhow!(problem)));
    }
    prepare_out_dir(&req.out).map_err(CliError::usage)?;
    if let Some(key) = &req.sign
        && !key.exists()
    {
        return Err(CliError::usage(anyhow::anyhow!(
            "signing key {} does not exist",
            key.display()
        )));
    }
    let baseline = match &req.baseline {
        Some(dir) => Some(accredit_reports::bundle::read_report(dir).map_err(|e| {
            CliError::usage(anyhow::anyhow!("reading baseline {}: {e}", dir.display()))
        })?),
        None => None,
    };

    let redactor = Redactor::new(
        req.profile
            .as_ref()
            .map(|p| p.secret_values())
            .unwrap_or_default(),
    );
    let router = EvidenceRouter::new(redactor.clone());
    let run_id = uuid::Uuid::new_v4().to_string();
    let started_at = chrono::Utc::now();

    // Select cases first: a pattern that selects nothing is a usage error.
    let mut selection: Vec<(Arc<dyn Suite>, Vec<CaseMeta>)> = Vec::new();
    for s in &req.suites {
        let cases: Vec<CaseMeta> = s
            .catalog()
            .into_iter()
            .filter(|c| selected(c.id, &req.case_patterns))
            .collect();
        if !cases.is_empty() {
            selection.push((Arc::clone(s), cases));
        }
    }
    if selection.is_empty() {
        return Err(CliError::usage(anyhow::anyhow!(
            "--case {:?} selects no case",
            req.case_patterns
        )));
    }
    let catalog_entries: Vec<_> = selection
        .iter()
        .flat_map(|(s, cs)| cs.iter().map(|m| accredit_core::catalog::entry(s.id(), m)))
        .collect();
    let catalog_hash = accredit_core::catalog::hash(&catalog_entries);

    // Start suites; a profile error stops before anything ran (exit 2); a harness
    // error still produces an (incomplete) report.
    let mut prepared: Vec<PreparedSuite> = Vec::new();
    for (suite, cases) in &selection {
        let start = SuiteStart {
            profile: req.profile.as_ref(),
            inputs: &req.inputs,
            schema_dir: req.schemas.as_deref(),
            router: router.clone(),
            redactor: redactor.clone(),
            case_timeout: req.runner.case_timeout,
            browser: req.browser.clone(),
        };
        // A panic while a suite starts (outside any case) must not lose the
        // report: it becomes a harness error like any other start failure.
        let started = std::panic::AssertUnwindSafe(suite.start(start))
            .catch_unwind()
            .await;
        let started = started.unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic payload)".into());
            Err(SuiteError::Harness(format!(
                "panicked while starting: {why}"
            )))
        });
        match started {
            Ok(run) => prepared.push(PreparedSuite {
                id: suite.id().to_string(),
                cases: cases.clone(),
                run: Arc::from(run),
            }),
            Err(e) => {
                shutdown(prepared).await;
                return match e {
                    SuiteError::Profile(p) => Err(CliError::usage(p)),
                    SuiteError::Usage(m) => {
                        Err(CliError::usage(anyhow::anyhow!("{}: {m}", suite.id())))
                    }
                    SuiteError::Harness(m) => {
                        let rec = runner::RunRecord {
                            not_run: selection
                                .iter()
                                .flat_map(|(_, cs)| cs.iter().map(|c| c.id.to_string()))
                                .collect(),
                            aborted: Some(format!("suite {} could not start: {m}", suite.id())),
                            ..runner::RunRecord::default()
                        };
                        finish(
                            &req,
                            &selection,
                            rec,
                            &run_id,
                            started_at,
                            catalog_hash,
                            &redactor,
                            baseline.as_ref(),
                        )
                        .await
                    }
                };
            }
        }
    }

    let cancel = CancellationToken::new();
    let ctrl_c = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\ninterrupted: stopping running cases and writing the report (marked incomplete)..."
                );
                cancel.cancel();
            }
        })
    };
    let progress = crate::progress::for_terminal(req.quiet);
    let record = runner::run(
        &prepared,
        &req.runner,
        &router,
        &redactor,
        progress.as_ref(),
        &cancel,
    )
    .await;
    ctrl_c.abort();
    shutdown(prepared).await;
    finish(
        &req,
        &selection,
        record,
        &run_id,
        started_at,
        catalog_hash,
        &redactor,
        baseline.as_ref(),
    )
    .await
}

async fn shutdown(prepared: Vec<PreparedSuite>) {
    for p in prepared {
        if tokio::time::timeout(Duration::from_secs(10), p.run.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(suite = p.id, "suite shutdown timed out");
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    req: &RunRequest,
    selection: &[(Arc<dyn Suite>, Vec<CaseMeta>)],
    record: runner::RunRecord,
    run_id: &str,
    started_at: chrono::DateTime<chrono::Utc>,
    catalog_hash: String,
    redactor: &Redactor,
    baseline: Option<&Report>,
) -> Result<RunOutput, CliError> {
    let candidate = req
        .profile
        .as_ref()
        .map(|p| p.candidate().clone())
        .or_else(|| req.candidate.clone())
        .unwrap_or_else(|| CandidateInfo {
            name: req
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            description: Some("documents given to `accredit validate`".into()),
            ..CandidateInfo::default()
        });
    let summary = Summary::of(&record.results, record.not_run.len());
    let report = Report {
        format_version: accredit_reports::REPORT_FORMAT_VERSION.to_string(),
        run_id: run_id.to_string(),
        harness: HarnessInfo {
            name: "accredit".into(),
            version: accredit_core::HARNESS_VERSION.into(),
        },
        catalog_hash,
        candidate,
        suites: selection
            .iter()
            .map(|(s, cs)| SuiteInfo {
                id: s.id().to_string(),
                title: s.title().to_string(),
                cases: cs.len(),
            })
            .collect(),
        started_at: started_at.to_rfc3339(),
        finished_at: chrono::Utc::now().to_rfc3339(),
        complete: record.aborted.is_none() && record.not_run.is_empty(),
        incomplete_reason: record.aborted.clone(),
        certification: req.certification,
        cases: record.results,
        not_run: record.not_run,
        summary,
    };
    let opts = BundleOptions {
        sign_key: req.sign.clone(),
    };
    accredit_reports::bundle::write_bundle(&req.out, &report, &record.evidence, redactor, &opts)
        .map_err(|e| {
            CliError::harness(anyhow::anyhow!(
                "writing the report bundle to {}: {e}",
                req.out.display()
            ))
        })?;

    if let Some(db) = &req.history
        && let Err(e) = crate::history::record(db, &report, &req.out)
    {
        eprintln!(
            "warning: could not record the run in the history database {}: {e:#}",
            db.display()
        );
    }

    print_summary(&report, &req.out);
    let mut exit = match report.gate() {
        Gate::Passed => Exit::Passed,
        Gate::Failed => Exit::Failed,
        Gate::Incomplete => Exit::Harness,
    };
    if let Some(old) = baseline {
        let diff = accredit_reports::diff::compare(old, &report);
        println!("\nagainst baseline {}:", old.run_id);
        print!("{diff}");
        if exit != Exit::Harness {
            exit = if diff.regressions() > 0 {
                Exit::Failed
            } else {
                Exit::Passed
            };
        }
    }
    Ok(RunOutput {
        report,
        out: req.out.clone(),
        exit,
    })
}

/// Findings printed on the terminal before "... and N more" (all are in the report).
const PRINTED_FINDINGS: usize = 50;

/// Prints located findings compiler-style: `document:location: outcome rule: message`.
fn print_findings(report: &Report) {
    let findings: Vec<_> = report
        .cases
        .iter()
        .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
        .filter(|(_, f)| f.outcome != Outcome::Pass)
        .collect();
    for (case, f) in findings.iter().take(PRINTED_FINDINGS) {
        println!(
            "{}:{}: {} {}: {} [{} §{}]",
            f.document,
            f.location,
            f.outcome,
            f.rule,
            f.message,
            case.spec.document,
            case.spec.section
        );
    }
    if findings.len() > PRINTED_FINDINGS {
        println!(
            "... and {} more findings (see the report)",
            findings.len() - PRINTED_FINDINGS
        );
    }
}

/// Prints the end-of-run summary.
pub fn print_summary(report: &Report, out: &Path) {
    print_findings(report);
    let s = &report.summary;
    let verdict = match report.gate() {
        Gate::Passed => "PASSED",
        Gate::Failed => "FAILED",
        Gate::Incomplete => "INCOMPLETE",
    };
    let suites: Vec<&str> = report.suites.iter().map(|s| s.id.as_str()).collect();
    println!(
        "{verdict}: {} — {} cases: {} pass, {} fail, {} warn, {} skip, {} review, {} error{}",
        suites.join(", "),
        s.total,
        s.pass,
        s.fail,
        s.warn,
        s.skip,
        s.review,
        s.error,
        if s.not_run > 0 {
            format!(", {} not run", s.not_run)
        } else {
            String::new()
        }
    );
    if let Some(why) = &report.incomplete_reason {
        println!("incomplete: {why}");
    }
    let html = out.join("report.html");
    println!(
        "report: {}",
        std::fs::canonicalize(&html).unwrap_or(html).display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    use accredit_core::{CaseMeta, Level, Suite, SuiteKind, SuiteRun, SuiteStart};
    use futures::future::BoxFuture;

    /// A suite whose `start` panics, as a buggy suite crate might.
    struct PanickingSuite;

    const META: CaseMeta = CaseMeta {
        id: "test.panic.case",
        title: "t",
        role: "tool",
        spec_document: "Doc",
        spec_section: "1",
        spec_url: "https://example.org/spec#1",
        requirement: "It MUST start.",
        level: Level::Must,
        official: false,
        tags: &[],
        exclusive: false,
    };

    impl Suite for PanickingSuite {
        fn id(&self) -> &'static str {
            "test-panic"
        }
        fn title(&self) -> &'static str {
            "panics on start"
        }
        fn kind(&self) -> SuiteKind {
            SuiteKind::Artifact
        }
        fn catalog(&self) -> Vec<CaseMeta> {
            vec![META]
        }
        fn profile_template(&self) -> String {
            String::new()
        }
        fn start<'a>(
            &'a self,
            _: SuiteStart<'a>,
        ) -> BoxFuture<'a, Result<Box<dyn SuiteRun>, SuiteError>> {
            Box::pin(async { panic!("bug in the suite") })
        }
    }

    #[tokio::test]
    async fn a_suite_that_panics_on_start_still_yields_an_incomplete_report() {
        let dir = tempfile::tempdir().expect("tempdir");
        let req = RunRequest {
            suites: vec![Arc::new(PanickingSuite)],
            profile: None,
            inputs: Vec::new(),
            candidate: None,
            out: dir.path().join("out"),
            runner: RunnerOptions::default(),
            certification: false,
            case_patterns: Vec::new(),
            sign: None,
            baseline: None,
            schemas: None,
            history: None,
            quiet: true,
            browser: None,
        };
        let out = match execute(req).await {
            Ok(o) => o,
            Err(e) => panic!("expected a report, got {:#}", e.error),
        };
        assert_eq!(out.exit, Exit::Harness);
        assert!(!out.report.complete);
        assert_eq!(out.report.not_run, vec!["test.panic.case".to_string()]);
        assert!(
            out.report
                .incomplete_reason
                .as_deref()
                .is_some_and(|r| r.contains("bug in the suite"))
        );
        assert!(dir.path().join("out/report.json").is_file());
    }

    #[rstest]
    #[case(&[], "lti.tool.a", true)]
    #[case(&["lti.tool"], "lti.tool.a", true)]
    #[case(&["lti.platform"], "lti.tool.a", false)]
    #[case(&["lti.*.bad.*"], "lti.tool.bad.no-kid", true)]
    #[case(&["*.no-kid"], "lti.tool.bad.no-kid", true)]
    #[case(&["*.no-kid"], "lti.tool.bad.no-kid2", false)]
    #[case(&["caliper.*", "lti.tool.a"], "lti.tool.a", true)]
    fn case_selection(#[case] patterns: &[&str], #[case] id: &str, #[case] expected: bool) {
        let p: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
        assert_eq!(selected(id, &p), expected);
    }
}
