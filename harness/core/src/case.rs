//! The case model: what a case *is* (metadata, as data) and what it *returns*.
//!
//! A case is one small unit that checks one normative sentence. Its metadata is
//! plain data so the catalog can be listed, filtered and hashed without running
//! anything; its behaviour is one async function over a suite-specific fixture
//! (for example "the running mock platform plus the candidate's profile").

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::evidence::{EvidenceLog, EvidenceRouter};
use crate::http::RecordingClient;
use accredit_reports::{Check, Finding, Level, Outcome, SpecRef};

/// Everything known about a case before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMeta {
    /// Stable namespaced id, e.g. `lti.tool.core.launch.valid`. Never reused for a
    /// different requirement.
    pub id: &'static str,
    /// Short human title.
    pub title: &'static str,
    /// Role under test: `tool`, `platform`, `provider`, `consumer`, `sensor`,
    /// `endpoint`, `document`...
    pub role: &'static str,
    /// Spec document name, e.g. `LTI Core 1.3`.
    pub spec_document: &'static str,
    /// Spec section, e.g. `5.1.1`.
    pub spec_section: &'static str,
    /// URL of the section.
    pub spec_url: &'static str,
    /// The normative sentence, verbatim where possible.
    pub requirement: &'static str,
    /// MUST / SHOULD / MAY.
    pub level: Level,
    /// Part of the official 1EdTech certification.
    pub official: bool,
    /// Tags and certification profiles (e.g. `core`, `deep-linking`, `security`).
    pub tags: &'static [&'static str],
    /// Must run alone (not concurrently with any other case of the run), for
    /// cases whose candidate-side effects cannot be told apart from another case's.
    pub exclusive: bool,
}

impl CaseMeta {
    /// The spec reference as a report value.
    pub fn spec(&self) -> SpecRef {
        SpecRef {
            document: self.spec_document.to_string(),
            section: self.spec_section.to_string(),
            url: self.spec_url.to_string(),
        }
    }
}

/// The result a case function returns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Verdict {
    /// Conditions evaluated, in order.
    pub checks: Vec<Check>,
    /// Located findings (artifact suites).
    pub findings: Vec<Finding>,
    /// Explicit outcome; when `None` the outcome is derived from the checks.
    pub outcome: Option<Outcome>,
    /// Explicit message; when empty it is derived from the first non-passing check.
    pub message: String,
}

impl Verdict {
    /// An empty verdict to add checks to.
    pub fn new() -> Verdict {
        Verdict::default()
    }

    /// A verdict with a fixed outcome and message (skip, error, review...).
    pub fn with(outcome: Outcome, message: impl Into<String>) -> Verdict {
        Verdict {
            outcome: Some(outcome),
            message: message.into(),
            ..Verdict::default()
        }
    }

    /// `skip` with its reason.
    pub fn skip(reason: impl Into<String>) -> Verdict {
        Verdict::with(Outcome::Skip, reason)
    }

    /// `error`: the case could not run.
    pub fn error(reason: impl Into<String>) -> Verdict {
        Verdict::with(Outcome::Error, reason)
    }

    /// `review`: a human must judge the attached evidence.
    pub fn review(what_to_look_at: impl Into<String>) -> Verdict {
        Verdict::with(Outcome::Review, what_to_look_at)
    }

    /// Records one condition with an explicit outcome.
    pub fn check(
        &mut self,
        name: impl Into<String>,
        outcome: Outcome,
        detail: impl Into<String>,
    ) -> &mut Self {
        self.checks.push(Check {
            name: name.into(),
            outcome,
            detail: detail.into(),
        });
        self
    }

    /// A MUST-level condition: `pass` when `ok`, else `fail` with `detail`.
    pub fn require(
        &mut self,
        name: impl Into<String>,
        ok: bool,
        detail: impl Into<String>,
    ) -> bool {
        let outcome = if ok { Outcome::Pass } else { Outcome::Fail };
        self.check(
            name,
            outcome,
            if ok { String::new() } else { detail.into() },
        );
        ok
    }

    /// A SHOULD-level condition: `pass` when `ok`, else `warn` with `detail`.
    pub fn recommend(
        &mut self,
        name: impl Into<String>,
        ok: bool,
        detail: impl Into<String>,
    ) -> bool {
        let outcome = if ok { Outcome::Pass } else { Outcome::Warn };
        self.check(
            name,
            outcome,
            if ok { String::new() } else { detail.into() },
        );
        ok
    }

    /// Adds a finding (and makes sure the outcome reflects it).
    pub fn finding(&mut self, f: Finding) -> &mut Self {
        self.findings.push(f);
        self
    }

    /// The final outcome: the explicit one, else the worst of checks and findings,
    /// else `pass` when at least one check or finding ran, else `error` (a case that
    /// checked nothing has no verdict).
    pub fn outcome(&self) -> Outcome {
        if let Some(o) = self.outcome {
            return o;
        }
        let worst = self
            .checks
            .iter()
            .map(|c| c.outcome)
            .chain(self.findings.iter().map(|f| f.outcome))
            .max_by_key(|o| o.severity());
        match worst {
            Some(o) => o,
            None => Outcome::Error,
        }
    }

    /// The final one-line message.
    pub fn message(&self) -> String {
        if !self.message.is_empty() {
            return self.message.clone();
        }
        let outcome = self.outcome();
        if self.checks.is_empty() && self.findings.is_empty() && self.outcome.is_none() {
            return "the case evaluated no condition (harness defect)".into();
        }
        if outcome == Outcome::Pass {
            let n = self.checks.len() + self.findings.len();
            return format!("{n} condition(s) held");
        }
        if let Some(c) = self.checks.iter().find(|c| c.outcome == outcome) {
            return if c.detail.is_empty() {
                c.name.clone()
            } else {
                format!("{}: {}", c.name, c.detail)
            };
        }
        let n = self
            .findings
            .iter()
            .filter(|f| f.outcome == outcome)
            .count();
        match self.findings.iter().find(|f| f.outcome == outcome) {
            Some(f) => format!(
                "{n} finding(s); first: {} at {}: {}",
                f.document, f.location, f.message
            ),
            None => outcome.to_string(),
        }
    }
}

/// What a running case can use: its evidence log, an HTTP client that records
/// into it, the run's evidence router (to claim requests the candidate sends to the
/// mocks), and its deadline.
#[derive(Clone)]
pub struct CaseCx {
    /// The case being run.
    pub meta: CaseMeta,
    /// The case's evidence.
    pub evidence: EvidenceLog,
    router: EvidenceRouter,
    client: RecordingClient,
    started: Instant,
    timeout: Duration,
}

impl CaseCx {
    /// Builds a context (used by the runner and by tests).
    pub fn new(
        meta: CaseMeta,
        evidence: EvidenceLog,
        router: EvidenceRouter,
        base: reqwest::Client,
        timeout: Duration,
        candidate_headers: Vec<(String, String)>,
    ) -> CaseCx {
        let client =
            RecordingClient::new(base, evidence.clone()).with_candidate_headers(candidate_headers);
        CaseCx {
            meta,
            evidence,
            router,
            client,
            started: Instant::now(),
            timeout,
        }
    }

    /// The recording HTTP client (no cookies, no redirects followed).
    pub fn http(&self) -> &RecordingClient {
        &self.client
    }

    /// A recording client over `client` (for example one with a cookie jar),
    /// recording into this case's evidence with the profile's candidate headers.
    pub fn http_with(&self, client: reqwest::Client) -> RecordingClient {
        self.client.with_client(client)
    }

    /// Routes every request a mock receives whose URL or body contains `key` into
    /// this case's evidence (until the case ends). Use an unguessable key such as a
    /// fresh `login_hint` or `state`.
    pub fn correlate(&self, key: impl Into<String>) {
        self.router
            .claim(key.into(), self.meta.id, self.evidence.clone());
    }

    /// Writes a line to the case log.
    pub fn log(&self, text: impl Into<String>) {
        self.evidence.log(self.started.elapsed(), text.into());
    }

    /// Time left before the runner's timeout.
    pub fn remaining(&self) -> Duration {
        self.timeout.saturating_sub(self.started.elapsed())
    }
}

/// The function type of a case over fixture `F`.
pub type CaseFn<F> = for<'a> fn(&'a F, &'a CaseCx) -> BoxFuture<'a, Verdict>;

/// A case: metadata plus behaviour.
pub struct Case<F> {
    /// Metadata.
    pub meta: CaseMeta,
    /// Behaviour.
    pub run: CaseFn<F>,
}

impl<F> Clone for Case<F> {
    fn clone(&self) -> Self {
        Case {
            meta: self.meta.clone(),
            run: self.run,
        }
    }
}

/// A [`crate::suite::SuiteRun`] made from a fixture and a table of cases; most
/// suites need nothing more.
pub struct CaseTable<F> {
    fixture: Arc<F>,
    cases: HashMap<&'static str, CaseFn<F>>,
    shutdown: ShutdownHook<F>,
}

type ShutdownHook<F> =
    std::sync::Mutex<Option<Box<dyn FnOnce(Arc<F>) -> BoxFuture<'static, ()> + Send + Sync>>>;

impl<F: Send + Sync + 'static> CaseTable<F> {
    /// A table over `fixture`.
    pub fn new(fixture: F, cases: &[Case<F>]) -> CaseTable<F> {
        CaseTable {
            fixture: Arc::new(fixture),
            cases: cases.iter().map(|c| (c.meta.id, c.run)).collect(),
            shutdown: std::sync::Mutex::new(None),
        }
    }

    /// Runs `f` when the suite shuts down (stop servers, delete temp files).
    pub fn on_shutdown(
        mut self,
        f: impl FnOnce(Arc<F>) -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        self.shutdown = std::sync::Mutex::new(Some(Box::new(f)));
        self
    }
}

impl<F: Send + Sync + 'static> crate::suite::SuiteRun for CaseTable<F> {
    fn run_case<'a>(&'a self, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
        match self.cases.get(cx.meta.id) {
            Some(f) => f(&self.fixture, cx),
            None => Box::pin(async move {
                Verdict::error(format!(
                    "no implementation registered for case {}",
                    cx.meta.id
                ))
            }),
        }
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        let hook = match self.shutdown.lock() {
            Ok(mut g) => g.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        match hook {
            Some(f) => f(Arc::clone(&self.fixture)),
            None => Box::pin(async {}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn check(o: Outcome) -> Check {
        Check {
            name: "c".into(),
            outcome: o,
            detail: "d".into(),
        }
    }

    #[rstest]
    #[case::nothing_checked_is_an_error(vec![], Outcome::Error)]
    #[case::all_pass(vec![Outcome::Pass, Outcome::Pass], Outcome::Pass)]
    #[case::warn_beats_pass(vec![Outcome::Pass, Outcome::Warn], Outcome::Warn)]
    #[case::fail_beats_warn(vec![Outcome::Warn, Outcome::Fail, Outcome::Pass], Outcome::Fail)]
    #[case::error_beats_fail(vec![Outcome::Fail, Outcome::Error], Outcome::Error)]
    fn worst_check_wins(#[case] outcomes: Vec<Outcome>, #[case] expected: Outcome) {
        let v = Verdict {
            checks: outcomes.into_iter().map(check).collect(),
            ..Verdict::default()
        };
        assert_eq!(v.outcome(), expected);
    }

    #[test]
    fn message_names_the_failing_check() {
        let mut v = Verdict::new();
        v.require("status is 2xx", true, "");
        v.require("id_token accepted", false, "got 401");
        assert_eq!(v.outcome(), Outcome::Fail);
        assert_eq!(v.message(), "id_token accepted: got 401");
    }
}
