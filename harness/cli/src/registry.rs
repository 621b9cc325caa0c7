//! The one place that knows which suites exist.
//!
//! Adding a standard means adding its crate to `Cargo.toml` and one line here;
//! the core never names a suite.

use std::sync::Arc;

use accredit_core::{Suite, SuiteKind};

/// Every registered suite, in the order `list` and `demo` show them.
pub fn all() -> Vec<Arc<dyn Suite>> {
    vec![
        Arc::new(accredit_suite_lti::LtiToolSuite),
        Arc::new(accredit_suite_lti::LtiPlatformSuite),
        Arc::new(accredit_suite_caliper::CaliperSuite),
        Arc::new(accredit_suite_caliper::CaliperSensorSuite),
        Arc::new(accredit_suite_caliper::CaliperEndpointSuite),
        Arc::new(accredit_suite_oneroster::OneRosterCsvSuite),
        Arc::new(accredit_suite_oneroster::OneRosterProviderSuite),
        Arc::new(accredit_suite_oneroster::OneRosterConsumerSuite),
    ]
}

/// Suite ids, for profile validation and help texts.
pub fn ids() -> Vec<&'static str> {
    all().iter().map(|s| s.id()).collect()
}

/// Looks a suite up by id.
pub fn find(id: &str) -> Option<Arc<dyn Suite>> {
    all().into_iter().find(|s| s.id() == id)
}

/// Looks up suites of one kind by id, with a helpful error.
pub fn find_kind(id: &str, kind: SuiteKind) -> Result<Arc<dyn Suite>, String> {
    let of_kind: Vec<&str> = all()
        .iter()
        .filter(|s| s.kind() == kind)
        .map(|s| s.id())
        .collect();
    match find(id) {
        Some(s) if s.kind() == kind => Ok(s),
        Some(_) => Err(format!(
            "`{id}` is not a {} suite; use one of: {}",
            kind_name(kind),
            of_kind.join(", ")
        )),
        None => Err(format!(
            "unknown suite `{id}`; known {} suites: {}",
            kind_name(kind),
            of_kind.join(", ")
        )),
    }
}

fn kind_name(kind: SuiteKind) -> &'static str {
    match kind {
        SuiteKind::Live => "live (`accredit run`)",
        SuiteKind::Artifact => "document (`accredit validate`)",
    }
}
