//! Shared machinery for artifact suites (documents, packages, bundles).
//!
//! An artifact suite validates its inputs once, in a pure pass that records
//! located [`Finding`]s per rule and which rules *applied*; each rule is a case
//! whose verdict is then read off the [`Validation`]: `fail`/`warn` with its
//! findings, `pass` when it applied and found nothing, `skip` (with the reason)
//! when the inputs held nothing it could judge. Keeping "nothing wrong" apart
//! from "nothing to judge" is what stops a validator from passing a rule it
//! never exercised.

use std::collections::BTreeSet;

use accredit_reports::{Finding, Outcome};

use crate::case::Verdict;

/// The findings of one or more documents, and which rules applied to them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validation {
    /// Every finding, in document order.
    pub findings: Vec<Finding>,
    /// Rules that had something to judge.
    pub applied: BTreeSet<&'static str>,
}

impl Validation {
    /// Records that `rule` applied.
    pub fn applies(&mut self, rule: &'static str) {
        self.applied.insert(rule);
    }

    /// Records a finding (and that its rule applied).
    pub fn add(
        &mut self,
        document: &str,
        location: &str,
        rule: &'static str,
        outcome: Outcome,
        message: String,
    ) {
        self.applied.insert(rule);
        self.findings.push(Finding {
            document: document.to_string(),
            location: location.to_string(),
            rule: rule.to_string(),
            outcome,
            message,
        });
    }

    /// Adds the results of another document.
    pub fn merge(&mut self, other: Validation) {
        self.findings.extend(other.findings);
        self.applied.extend(other.applied);
    }

    /// Findings of `rule`.
    pub fn of<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule == rule)
    }

    /// Findings with outcome `fail`.
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.outcome == Outcome::Fail)
    }

    /// The verdict of rule `id`: its findings when it has any, `pass` when it
    /// applied and found nothing, else `skip` with `not_applied_reason`.
    pub fn verdict(&self, id: &str, not_applied_reason: &str) -> Verdict {
        let findings: Vec<Finding> = self.of(id).cloned().collect();
        if !findings.is_empty() {
            return Verdict {
                findings,
                ..Verdict::default()
            };
        }
        if self.applied.contains(id) {
            let mut v = Verdict::new();
            v.check("no violation found", Outcome::Pass, "");
            return v;
        }
        Verdict::skip(not_applied_reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applied_without_findings_passes_and_unapplied_skips() {
        let mut v = Validation::default();
        v.applies("r.a");
        v.add("doc", "/x", "r.b", Outcome::Warn, "odd".into());
        assert_eq!(v.verdict("r.a", "n/a").outcome(), Outcome::Pass);
        assert_eq!(v.verdict("r.b", "n/a").outcome(), Outcome::Warn);
        let skipped = v.verdict("r.c", "no envelope in the input");
        assert_eq!(skipped.outcome(), Outcome::Skip);
        assert_eq!(skipped.message(), "no envelope in the input");
    }
}
