//! The catalog: every case of every registered suite, as data.
//!
//! Listing, filtering and hashing need no suite to start. The catalog hash
//! identifies the exact rule set a report was judged against.

use accredit_reports::CatalogEntry;

use crate::case::CaseMeta;
use crate::suite::Suite;

/// Catalog entries of `suite`.
pub fn entries(suite: &dyn Suite) -> Vec<CatalogEntry> {
    suite
        .catalog()
        .iter()
        .map(|m| entry(suite.id(), m))
        .collect()
}

/// One entry.
pub fn entry(suite: &str, m: &CaseMeta) -> CatalogEntry {
    CatalogEntry {
        id: m.id.to_string(),
        suite: suite.to_string(),
        title: m.title.to_string(),
        role: m.role.to_string(),
        level: m.level,
        official: m.official,
        spec: m.spec(),
        requirement: m.requirement.to_string(),
        tags: m.tags.iter().map(|t| t.to_string()).collect(),
    }
}

/// SHA-256 (hex) over the canonical JSON of `entries`, in order.
pub fn hash(entries: &[CatalogEntry]) -> String {
    let mut hasher = openssl::sha::Sha256::new();
    for e in entries {
        // serde_json writes struct fields in declaration order: canonical for our types.
        if let Ok(line) = serde_json::to_vec(e) {
            hasher.update(&line);
            hasher.update(b"\n");
        }
    }
    hex::encode(hasher.finish())
}

/// Problems with a suite's catalog: duplicate ids, ids outside the suite's
/// namespace, empty requirements. Checked by every suite's tests.
pub fn lint(suite: &dyn Suite, namespace: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for m in suite.catalog() {
        if !seen.insert(m.id) {
            problems.push(format!("{}: duplicate id", m.id));
        }
        if !m.id.starts_with(namespace) {
            problems.push(format!("{}: id outside namespace `{namespace}`", m.id));
        }
        if !m
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        {
            problems.push(format!(
                "{}: ids are lowercase ascii, digits, `.` and `-`",
                m.id
            ));
        }
        if m.requirement.trim().is_empty() || m.title.trim().is_empty() {
            problems.push(format!("{}: empty title or requirement", m.id));
        }
        if !m.spec_url.starts_with("https://") {
            problems.push(format!("{}: spec URL must be https", m.id));
        }
    }
    problems
}
