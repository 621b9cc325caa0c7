//! Baseline comparison of two reports, for CI gating.
//!
//! Why: a candidate under development rarely passes everything, so "any failure
//! fails the build" is useless in CI. Instead the pipeline keeps a baseline
//! `report.json` and fails only on *new* failures. Cases are matched by their
//! stable id.
//!
//! Categories (each case appears in at most one of the first three):
//! - **new failures**: now `fail` or `error`, and was anything else in the
//!   baseline (pass, warn, skip, review) or absent from it. Skip/review → fail
//!   counts too: the baseline never accepted that failure.
//! - **fixed**: was `fail` or `error`, now `pass`.
//! - **changed**: any other outcome change of a case present in both.
//! - **added** / **removed**: ids only in the new / only in the old report. A
//!   case missing from the new report because the run was incomplete (listed in
//!   its `not_run`) is reported as **not run**, not as removed.

use std::collections::HashMap;
use std::fmt;

use crate::model::{CaseResult, Outcome, Report};

/// One case whose outcome differs between the reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Case id.
    pub id: String,
    /// Outcome in the baseline (`None`: absent).
    pub old: Option<Outcome>,
    /// Outcome now (`None`: absent).
    pub new: Option<Outcome>,
    /// The new report's message for the case (or the old one's when removed).
    pub message: String,
}

/// The difference between a baseline and a new report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// Run id of the baseline.
    pub old_run: String,
    /// Run id of the new report.
    pub new_run: String,
    /// The catalogs differ (different case set or rule text): outcomes may not be comparable.
    pub catalog_changed: bool,
    /// Now fail/error, previously anything else or absent. Gate on this.
    pub new_failures: Vec<Change>,
    /// Previously fail/error, now pass.
    pub fixed: Vec<Change>,
    /// Other outcome changes of cases present in both reports.
    pub changed: Vec<Change>,
    /// Ids only in the new report.
    pub added: Vec<Change>,
    /// Ids only in the baseline (and not merely unfinished in the new run).
    pub removed: Vec<Change>,
    /// Ids present in the baseline that the (incomplete) new run never ran.
    pub not_run: Vec<String>,
}

impl Diff {
    /// Whether the new report regresses against the baseline (new failures).
    pub fn has_regressions(&self) -> bool {
        !self.new_failures.is_empty()
    }

    /// Number of regressions (new failures): the CI gate fails when it is non-zero.
    pub fn regressions(&self) -> usize {
        self.new_failures.len()
    }

    /// Whether nothing changed at all.
    pub fn is_empty(&self) -> bool {
        self.new_failures.is_empty()
            && self.fixed.is_empty()
            && self.changed.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.not_run.is_empty()
    }

    /// Human-readable lines (the same text as [`Display`](fmt::Display)).
    pub fn render_lines(&self) -> Vec<String> {
        let mut out = vec![format!("baseline {} -> {}", self.old_run, self.new_run)];
        if self.catalog_changed {
            out.push(
                "note: the case catalogs differ (catalog_hash changed); outcomes may not be comparable"
                    .into(),
            );
        }
        let fmt_o = |o: Option<Outcome>| o.map_or("absent", Outcome::as_str);
        let mut section = |label: &str, items: &[Change]| {
            for c in items {
                let mut line =
                    format!("{label:<12} {}  {} -> {}", c.id, fmt_o(c.old), fmt_o(c.new));
                if !c.message.is_empty() {
                    line.push_str(": ");
                    line.push_str(&c.message);
                }
                out.push(line);
            }
        };
        section("NEW FAILURE", &self.new_failures);
        section("FIXED", &self.fixed);
        section("CHANGED", &self.changed);
        section("ADDED", &self.added);
        section("REMOVED", &self.removed);
        for id in &self.not_run {
            out.push(format!("{:<12} {id}  (run incomplete)", "NOT RUN"));
        }
        out.push(format!(
            "{} new failure(s), {} fixed, {} changed, {} added, {} removed, {} not run",
            self.new_failures.len(),
            self.fixed.len(),
            self.changed.len(),
            self.added.len(),
            self.removed.len(),
            self.not_run.len()
        ));
        out
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.render_lines() {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

fn is_failure(o: Outcome) -> bool {
    matches!(o, Outcome::Fail | Outcome::Error)
}

/// Compares a baseline (`old`) with a new report. Lists keep the new report's
/// case order (the baseline's for removed cases).
pub fn compare(old: &Report, new: &Report) -> Diff {
    let old_by_id: HashMap<&str, &CaseResult> =
        old.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let new_by_id: HashMap<&str, &CaseResult> =
        new.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut d = Diff {
        old_run: old.run_id.clone(),
        new_run: new.run_id.clone(),
        catalog_changed: old.catalog_hash != new.catalog_hash,
        ..Diff::default()
    };
    for c in &new.cases {
        let prev = old_by_id.get(c.id.as_str()).map(|p| p.outcome);
        let change = Change {
            id: c.id.clone(),
            old: prev,
            new: Some(c.outcome),
            message: c.message.clone(),
        };
        if prev.is_none() {
            d.added.push(change.clone());
        }
        match prev {
            _ if is_failure(c.outcome) && !prev.is_some_and(is_failure) => {
                d.new_failures.push(change)
            }
            Some(p) if is_failure(p) && c.outcome == Outcome::Pass => d.fixed.push(change),
            Some(p) if p != c.outcome => d.changed.push(change),
            _ => {}
        }
    }
    for c in &old.cases {
        if new_by_id.contains_key(c.id.as_str()) {
            continue;
        }
        if new.not_run.iter().any(|id| id == &c.id) {
            d.not_run.push(c.id.clone());
        } else {
            d.removed.push(Change {
                id: c.id.clone(),
                old: Some(c.outcome),
                new: None,
                message: c.message.clone(),
            });
        }
    }
    d
}
