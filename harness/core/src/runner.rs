//! The runner: schedules cases, enforces timeouts, survives panics and Ctrl-C.
//!
//! Cases run concurrently up to `jobs`, each in its own task under its own
//! timeout; a case marked `exclusive` takes every slot. A panic in a case becomes
//! that case's `error`; cancellation (Ctrl-C) aborts running cases and returns
//! what finished, so the caller can still write a report marked incomplete.
//! Results come back in catalog order whatever order cases finished in.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use accredit_reports::{CaseEvidence, CaseResult, Outcome, Redactor};

use crate::case::{CaseCx, CaseMeta, Verdict};
use crate::evidence::{EvidenceLog, EvidenceRouter};
use crate::suite::SuiteRun;

/// Runner settings.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Cases run at once (at least 1).
    pub jobs: usize,
    /// Per-case timeout.
    pub case_timeout: Duration,
    /// Headers for every harness-to-candidate request (`[candidate] http_headers`).
    pub candidate_headers: Vec<(String, String)>,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            jobs: 4,
            case_timeout: Duration::from_secs(60),
            candidate_headers: Vec::new(),
        }
    }
}

/// A started suite with its selected cases.
pub struct PreparedSuite {
    /// Suite id.
    pub id: String,
    /// Selected cases in catalog order.
    pub cases: Vec<CaseMeta>,
    /// The case runner.
    pub run: Arc<dyn SuiteRun>,
}

/// Receives progress; the CLI renders it as a bar or as lines.
pub trait Progress: Send + Sync {
    /// The run starts with `total` cases.
    fn start(&self, total: usize);
    /// A case finished.
    fn case_finished(&self, result: &CaseResult);
    /// The run ended.
    fn finish(&self);
}

/// Progress that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: usize) {}
    fn case_finished(&self, _: &CaseResult) {}
    fn finish(&self) {}
}

/// What a run produced.
#[derive(Debug, Default)]
pub struct RunRecord {
    /// Finished cases, in catalog order.
    pub results: Vec<CaseResult>,
    /// Evidence per finished case (same order), plus the unattributed log last when
    /// it is not empty.
    pub evidence: Vec<CaseEvidence>,
    /// Selected cases that never finished.
    pub not_run: Vec<String>,
    /// Why the run stopped early.
    pub aborted: Option<String>,
}

struct Finished {
    index: usize,
    result: CaseResult,
    evidence: CaseEvidence,
}

/// Path of a case's evidence file inside a bundle.
pub fn evidence_path(case_id: &str) -> String {
    format!("evidence/{case_id}.json")
}

/// Builds the report entry for a case.
pub fn case_result(
    suite: &str,
    meta: &CaseMeta,
    verdict: &Verdict,
    duration: Duration,
    has_evidence: bool,
) -> CaseResult {
    CaseResult {
        id: meta.id.to_string(),
        suite: suite.to_string(),
        title: meta.title.to_string(),
        role: meta.role.to_string(),
        outcome: verdict.outcome(),
        message: verdict.message(),
        spec: meta.spec(),
        requirement: meta.requirement.to_string(),
        level: meta.level,
        official: meta.official,
        tags: meta.tags.iter().map(|t| t.to_string()).collect(),
        duration_ms: duration.as_millis() as u64,
        checks: verdict.checks.clone(),
        findings: verdict.findings.clone(),
        evidence: if has_evidence {
            vec![evidence_path(meta.id)]
        } else {
            vec![]
        },
    }
}

/// Runs every selected case of `suites`.
pub async fn run(
    suites: &[PreparedSuite],
    opts: &RunnerOptions,
    router: &EvidenceRouter,
    redactor: &Redactor,
    progress: &dyn Progress,
    cancel: &CancellationToken,
) -> RunRecord {
    let jobs = opts.jobs.max(1);
    let sem = Arc::new(Semaphore::new(jobs));
    let base = match crate::http::base_client() {
        Ok(c) => c,
        Err(e) => {
            return RunRecord {
                not_run: suites
                    .iter()
                    .flat_map(|s| s.cases.iter().map(|c| c.id.to_string()))
                    .collect(),
                aborted: Some(format!("could not build the HTTP client: {e}")),
                ..RunRecord::default()
            };
        }
    };
    let mut order: Vec<(String, CaseMeta)> = Vec::new();
    for s in suites {
        for c in &s.cases {
            order.push((s.id.clone(), c.clone()));
        }
    }
    progress.start(order.len());

    let mut set: JoinSet<Finished> = JoinSet::new();
    let mut task_case: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut index = 0usize;
    for s in suites {
        for meta in &s.cases {
            let i = index;
            index += 1;
            let run = Arc::clone(&s.run);
            let suite_id = s.id.clone();
            let meta = meta.clone();
            let sem = Arc::clone(&sem);
            let log = EvidenceLog::new(meta.id, redactor.clone());
            let router = router.clone();
            let base = base.clone();
            let timeout = opts.case_timeout;
            let headers = opts.candidate_headers.clone();
            let want = if meta.exclusive { jobs as u32 } else { 1 };
            let handle = set.spawn(async move {
                // Closed semaphores never happen here; treat as "run anyway".
                let _permit = sem.acquire_many_owned(want).await.ok();
                let t0 = Instant::now();
                let cx = CaseCx::new(meta.clone(), log.clone(), router.clone(), base, timeout, headers);
                let verdict = match tokio::time::timeout(timeout, run.run_case(&cx)).await {
                    Ok(v) => v,
                    Err(_) => Verdict::error(format!(
                        "timed out after {}s (the candidate did not answer in time, or the case waited for a request that never came)",
                        timeout.as_secs()
                    )),
                };
                router.release(meta.id);
                let evidence = log.snapshot();
                let has = !evidence.exchanges.is_empty() || !evidence.log.is_empty();
                Finished { index: i, result: case_result(&suite_id, &meta, &verdict, t0.elapsed(), has), evidence }
            });
            task_case.insert(handle.id(), i);
        }
    }

    let mut done: Vec<Option<Finished>> = (0..order.len()).map(|_| None).collect();
    let mut aborted = None;
    loop {
        let next = tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                aborted = Some("interrupted (Ctrl-C or abort) before every case finished".to_string());
                set.abort_all();
                // Collect whatever had already finished.
                while let Some(j) = set.join_next_with_id().await {
                    if let Ok((_, f)) = j {
                        progress.case_finished(&f.result);
                        let i = f.index;
                        done[i] = Some(f);
                    }
                }
                break;
            }
            j = set.join_next_with_id() => j,
        };
        let Some(joined) = next else { break };
        let finished = match joined {
            Ok((_, f)) => f,
            Err(e) => {
                let Some(&i) = task_case.get(&e.id()) else {
                    continue;
                };
                let (suite_id, meta) = &order[i];
                let why = if e.is_panic() {
                    format!(
                        "harness panic while running the case: {}",
                        panic_message(e.into_panic())
                    )
                } else {
                    "the case task was cancelled".to_string()
                };
                router.release(meta.id);
                Finished {
                    index: i,
                    result: case_result(
                        suite_id,
                        meta,
                        &Verdict::with(Outcome::Error, why),
                        Duration::ZERO,
                        false,
                    ),
                    evidence: CaseEvidence {
                        case_id: meta.id.to_string(),
                        ..CaseEvidence::default()
                    },
                }
            }
        };
        progress.case_finished(&finished.result);
        let i = finished.index;
        done[i] = Some(finished);
    }
    progress.finish();

    let mut record = RunRecord {
        aborted,
        ..RunRecord::default()
    };
    for (i, slot) in done.into_iter().enumerate() {
        match slot {
            Some(f) => {
                if !f.result.evidence.is_empty() {
                    record.evidence.push(f.evidence);
                }
                record.results.push(f.result);
            }
            None => record.not_run.push(order[i].1.id.to_string()),
        }
    }
    let unattributed = router.unattributed();
    if !unattributed.exchanges.is_empty() {
        record.evidence.push(unattributed);
    }
    record
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".into()
    }
}

/// The parts of [`crate::SuiteStart`] a one-shot run varies; the rest (router,
/// redactor, timeout) [`run_suite`] builds itself.
#[derive(Default)]
pub struct OneShot<'a> {
    /// The candidate profile (live suites). Its secrets are redacted.
    pub profile: Option<&'a crate::profile::ProfileDoc>,
    /// Documents to validate (artifact suites).
    pub inputs: &'a [std::path::PathBuf],
    /// Directory of official schemas and contexts.
    pub schema_dir: Option<&'a std::path::Path>,
    /// `--browser` settings, when the run drives a real browser.
    pub browser: Option<crate::suite::BrowserSettings>,
}

/// Starts `suite`, runs its whole catalog under `opts`, and shuts it down.
///
/// Why it exists: tests, benchmarks and embedders all need "run this suite once
/// against this profile" and had each grown their own copy of these steps; the
/// CLI's pipeline adds progress, cancellation and the bundle around the same
/// calls. The record is returned even when cases failed; only a suite that
/// cannot start is an error.
pub async fn run_suite(
    suite: &dyn crate::Suite,
    start: OneShot<'_>,
    opts: &RunnerOptions,
) -> Result<RunRecord, crate::SuiteError> {
    let redactor = Redactor::new(
        start
            .profile
            .map(crate::profile::ProfileDoc::secret_values)
            .unwrap_or_default(),
    );
    let router = EvidenceRouter::new(redactor.clone());
    let started = suite
        .start(crate::SuiteStart {
            profile: start.profile,
            inputs: start.inputs,
            schema_dir: start.schema_dir,
            router: router.clone(),
            redactor: redactor.clone(),
            case_timeout: opts.case_timeout,
            browser: start.browser,
        })
        .await?;
    let prepared = vec![PreparedSuite {
        id: suite.id().to_string(),
        cases: suite.catalog(),
        run: Arc::from(started),
    }];
    let record = run(
        &prepared,
        opts,
        &router,
        &redactor,
        &NoProgress,
        &CancellationToken::new(),
    )
    .await;
    for p in &prepared {
        p.run.shutdown().await;
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Case, CaseTable};
    use accredit_reports::Level;
    use futures::FutureExt;

    const fn meta(id: &'static str, exclusive: bool) -> CaseMeta {
        CaseMeta {
            id,
            title: "t",
            role: "tool",
            spec_document: "Doc",
            spec_section: "1",
            spec_url: "https://example.org/spec#1",
            requirement: "It MUST work.",
            level: Level::Must,
            official: false,
            tags: &[],
            exclusive,
        }
    }

    struct Fx;

    fn cases() -> Vec<Case<Fx>> {
        vec![
            Case {
                meta: meta("t.slow-pass", false),
                run: |_, _| {
                    async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let mut v = Verdict::new();
                        v.require("ok", true, "");
                        v
                    }
                    .boxed()
                },
            },
            Case {
                meta: meta("t.fail", false),
                run: |_, _| {
                    async {
                        let mut v = Verdict::new();
                        v.require("ok", false, "nope");
                        v
                    }
                    .boxed()
                },
            },
            Case {
                meta: meta("t.panic", false),
                run: |_, _| async { panic!("boom in case") }.boxed(),
            },
            Case {
                meta: meta("t.hang", false),
                run: |_, _| async { std::future::pending::<Verdict>().await }.boxed(),
            },
            Case {
                meta: meta("t.exclusive", true),
                run: |_, cx| {
                    async move {
                        cx.log("alone");
                        let mut v = Verdict::new();
                        v.require("ok", true, "");
                        v
                    }
                    .boxed()
                },
            },
        ]
    }

    fn prepared() -> Vec<PreparedSuite> {
        let cs = cases();
        vec![PreparedSuite {
            id: "t".into(),
            cases: cs.iter().map(|c| c.meta.clone()).collect(),
            run: Arc::new(CaseTable::new(Fx, &cs)),
        }]
    }

    #[tokio::test]
    async fn every_outcome_lands_in_catalog_order() {
        let r = Redactor::default();
        let opts = RunnerOptions {
            jobs: 3,
            case_timeout: Duration::from_millis(300),
            ..RunnerOptions::default()
        };
        let rec = run(
            &prepared(),
            &opts,
            &EvidenceRouter::new(r.clone()),
            &r,
            &NoProgress,
            &CancellationToken::new(),
        )
        .await;
        let got: Vec<(&str, Outcome)> = rec
            .results
            .iter()
            .map(|c| (c.id.as_str(), c.outcome))
            .collect();
        assert_eq!(
            got,
            vec![
                ("t.slow-pass", Outcome::Pass),
                ("t.fail", Outcome::Fail),
                ("t.panic", Outcome::Error),
                ("t.hang", Outcome::Error),
                ("t.exclusive", Outcome::Pass),
            ]
        );
        assert!(
            rec.results[2].message.contains("boom in case"),
            "{}",
            rec.results[2].message
        );
        assert!(
            rec.results[3].message.contains("timed out"),
            "{}",
            rec.results[3].message
        );
        assert!(rec.aborted.is_none());
        assert!(rec.not_run.is_empty());
        assert_eq!(
            rec.evidence.len(),
            1,
            "only the exclusive case logged something"
        );
    }

    #[tokio::test]
    async fn cancellation_keeps_finished_cases_and_lists_the_rest() {
        let r = Redactor::default();
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            c2.cancel();
        });
        let opts = RunnerOptions {
            jobs: 4,
            case_timeout: Duration::from_secs(30),
            ..RunnerOptions::default()
        };
        let rec = run(
            &prepared(),
            &opts,
            &EvidenceRouter::new(r.clone()),
            &r,
            &NoProgress,
            &cancel,
        )
        .await;
        assert!(rec.aborted.is_some());
        assert!(
            rec.not_run.contains(&"t.hang".to_string()),
            "{:?}",
            rec.not_run
        );
        assert!(rec.results.iter().any(|c| c.id == "t.fail"));
        assert_eq!(rec.results.len() + rec.not_run.len(), 5);
    }
}
