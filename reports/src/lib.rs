//! accredit's report format and everything that reads or writes a report bundle.
//!
//! A bundle is a directory: `report.json` (canonical, versioned, see
//! `schema/report.schema.json`), `junit.xml`, `report.html` (self-contained),
//! `summary.md`, `evidence/<case-id>.json`, and `MANIFEST.sha256` over all of them,
//! optionally with a detached signature `MANIFEST.sha256.sig` (and a convenience
//! copy of the signer's public key, `MANIFEST.sha256.pub`).
//!
//! Modules: [`model`] (the versioned format), [`redact`] (nothing secret reaches
//! disk), [`bundle`] (write, hash, sign, verify, read back), the renderers
//! [`html`], [`junit`] and [`markdown`], [`diff`] (baseline comparison for CI
//! gating) and [`schema`] (the JSON Schemas, embedded).
//!
//! Architecture invariant: this crate knows nothing about suites, mocks or the
//! runner. It is the only crate that defines on-disk formats, so a reviewer's tool
//! can depend on it alone.

pub mod bundle;
pub mod diff;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod redact;

pub use model::*;
pub use redact::Redactor;

/// The JSON Schemas (draft 2020-12) of the on-disk formats, embedded so that a
/// reviewer's tool can validate a bundle with this crate alone.
pub mod schema {
    /// Schema of `report.json`.
    pub const REPORT: &str = include_str!("../schema/report.schema.json");
    /// Schema of `evidence/<case-id>.json`.
    pub const EVIDENCE: &str = include_str!("../schema/evidence.schema.json");
}
