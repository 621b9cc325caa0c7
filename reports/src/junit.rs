//! JUnit XML (`junit.xml`) for CI systems.
//!
//! Written with `quick-junit`, chosen over `junit-report` because it writes
//! per-testcase `<properties>` (we carry the spec reference, level and official
//! flag there, so a CI test view links failures back to the standard) and the
//! `skipped` count on `<testsuite>`/`<testsuites>`, which several CI dashboards
//! need to show skips separately.
//!
//! Layout: one `<testsuite>` per suite of the report (in run order), one
//! `<testcase>` per case (`name` = case id, `classname` = suite id, `time` = the
//! case's duration), with properties `spec` (document + section), `spec_url`,
//! `level`, `official`, `outcome`.
//!
//! Outcome mapping (JUnit has only success, failure, error and skipped):
//!
//! | accredit | JUnit                                                              |
//! |----------|--------------------------------------------------------------------|
//! | pass     | success                                                            |
//! | warn     | success, with `<system-out>WARN: <message></system-out>`          |
//! | fail     | `<failure message="<message>" type="<level>">`                   |
//! | error    | `<error message="<message>" type="error">`                        |
//! | skip     | `<skipped message="<reason>">`                                    |
//! | review   | `<skipped message="REVIEW: needs human evidence review: <message>">` |
//!
//! A review is "skipped" rather than "failure" because no verdict exists yet,
//! but it is never shown as a pass. When the run is incomplete, an extra suite
//! `accredit.not-run` holds one `<error>` test case per case that never ran, so
//! a CI view of an aborted run is never green.
//!
//! Output is deterministic: the timestamp comes from the report's `started_at`
//! (never the clock), and no UUID is written.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use crate::model::{CaseResult, Outcome, Report};

/// Name of the extra suite listing cases that never ran in an incomplete run.
pub const NOT_RUN_SUITE: &str = "accredit.not-run";

/// Renders `junit.xml`. Serialization of an in-memory document cannot really
/// fail; should it, the result is a minimal JUnit document with one error case
/// carrying the cause (so CI still goes red). Use [`try_render`] to get the error.
pub fn render(report: &Report) -> String {
    match try_render(report) {
        Ok(s) => s,
        Err(e) => {
            let mut r = quick_junit::Report::new("accredit");
            let mut suite = TestSuite::new("accredit");
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(format!("JUnit serialization failed: {e}"));
            suite.add_test_case(TestCase::new("junit.serialization", status));
            r.add_test_suite(suite);
            r.to_string().unwrap_or_default()
        }
    }
}

/// Renders `junit.xml`, returning the serializer's error message on failure.
pub fn try_render(report: &Report) -> Result<String, String> {
    let mut out = quick_junit::Report::new(format!("accredit {}", report.candidate.name));
    let started = chrono::DateTime::parse_from_rfc3339(&report.started_at).ok();
    let finished = chrono::DateTime::parse_from_rfc3339(&report.finished_at).ok();
    if let Some(t) = started {
        out.set_timestamp(t);
    }
    if let (Some(s), Some(f)) = (started, finished)
        && let Ok(d) = (f - s).to_std()
    {
        out.set_time(d);
    }

    // Suites in run order; cases whose suite is not declared still get a suite.
    let mut suite_ids: Vec<&str> = report.suites.iter().map(|s| s.id.as_str()).collect();
    for c in &report.cases {
        if !suite_ids.contains(&c.suite.as_str()) {
            suite_ids.push(c.suite.as_str());
        }
    }
    for suite_id in suite_ids {
        let mut suite = TestSuite::new(suite_id);
        if let Some(t) = started {
            suite.set_timestamp(t);
        }
        suite.add_properties([
            Property::new("run_id", report.run_id.as_str()),
            Property::new("candidate", report.candidate.name.as_str()),
            Property::new("catalog_hash", report.catalog_hash.as_str()),
            Property::new(
                "harness",
                format!("{} {}", report.harness.name, report.harness.version),
            ),
            Property::new("certification", report.certification.to_string()),
        ]);
        let mut total_ms = 0u64;
        for case in report.cases.iter().filter(|c| c.suite == suite_id) {
            total_ms = total_ms.saturating_add(case.duration_ms);
            suite.add_test_case(test_case(case));
        }
        suite.set_time(Duration::from_millis(total_ms));
        out.add_test_suite(suite);
    }

    if !report.not_run.is_empty() {
        let mut suite = TestSuite::new(NOT_RUN_SUITE);
        if let Some(t) = started {
            suite.set_timestamp(t);
        }
        let reason = report
            .incomplete_reason
            .as_deref()
            .unwrap_or("the run was aborted");
        for id in &report.not_run {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(format!("NOT RUN: run incomplete: {reason}"));
            status.set_type("not-run");
            let mut tc = TestCase::new(id.as_str(), status);
            tc.set_classname(NOT_RUN_SUITE);
            suite.add_test_case(tc);
        }
        out.add_test_suite(suite);
    }

    out.to_string().map_err(|e| e.to_string())
}

fn test_case(case: &CaseResult) -> TestCase {
    let status = match case.outcome {
        Outcome::Pass | Outcome::Warn => TestCaseStatus::success(),
        Outcome::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(case.message.as_str());
            s.set_type(case.level.as_str());
            s.set_description(failure_detail(case));
            s
        }
        Outcome::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(case.message.as_str());
            s.set_type("error");
            s.set_description(failure_detail(case));
            s
        }
        Outcome::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(case.message.as_str());
            s
        }
        Outcome::Review => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!(
                "REVIEW: needs human evidence review: {}",
                case.message
            ));
            s.set_type("review");
            s
        }
    };
    let mut tc = TestCase::new(case.id.as_str(), status);
    tc.set_classname(case.suite.as_str());
    tc.set_time(Duration::from_millis(case.duration_ms));
    if case.outcome == Outcome::Warn {
        tc.set_system_out(format!("WARN: {}", case.message));
    }
    tc.add_properties([
        Property::new(
            "spec",
            format!("{} §{}", case.spec.document, case.spec.section),
        ),
        Property::new("spec_url", case.spec.url.as_str()),
        Property::new("level", case.level.as_str()),
        Property::new("official", case.official.to_string()),
        Property::new("outcome", case.outcome.as_str()),
    ]);
    tc
}

/// Text body of a failure/error: the requirement and the non-passing checks.
fn failure_detail(case: &CaseResult) -> String {
    let mut out = format!(
        "{}: {} ({} §{}): {}\n",
        case.title, case.level, case.spec.document, case.spec.section, case.requirement
    );
    for check in &case.checks {
        if check.outcome != Outcome::Pass {
            out.push_str(&format!("[{}] {}", check.outcome, check.name));
            if !check.detail.is_empty() {
                out.push_str(": ");
                out.push_str(&check.detail);
            }
            out.push('\n');
        }
    }
    for f in &case.findings {
        out.push_str(&format!(
            "[{}] {} {}: {}\n",
            f.outcome, f.document, f.location, f.message
        ));
    }
    out
}
