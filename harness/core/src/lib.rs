//! accredit's harness core.
//!
//! The core knows how to *run* cases and *record* what happened; it knows nothing
//! about any particular standard. Suites (`suites/*`) implement [`suite::Suite`] and
//! declare their cases as data ([`case::CaseMeta`]) plus one async function each;
//! the CLI registers the suites. Mocks (`mock-platform`, `mock-tool`) use
//! [`evidence`] to record what candidates send them, and [`jose`] to sign and verify
//! JWTs.
//!
//! Architecture invariant: nothing here depends on a suite or a mock crate, and no
//! type here is written to disk directly: the on-disk formats live in
//! `accredit-reports`.

pub mod artifact;
pub mod case;
pub mod catalog;
pub mod evidence;
pub mod http;
pub mod jose;
pub mod oauth1;
pub mod profile;
pub mod runner;
pub mod server;
pub mod suite;

pub use accredit_reports as reports;
pub use accredit_reports::{Level, Outcome, SpecRef};
pub use case::{Case, CaseCx, CaseMeta, CaseTable, Verdict};
pub use suite::{BrowserSettings, SchemaFile, Suite, SuiteError, SuiteKind, SuiteRun, SuiteStart};

/// The harness version written into every report.
pub const HARNESS_VERSION: &str = env!("CARGO_PKG_VERSION");
