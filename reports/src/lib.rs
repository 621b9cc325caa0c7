//! accredit's report format and everything that reads or writes a report bundle.
//!
//! A bundle is a directory: `report.json` (canonical, versioned, see
//! `schema/report.schema.json`), `junit.xml`, `report.html` (self-contained),
//! `summary.md`, `evidence/<case-id>.json`, and `MANIFEST.sha256` over all of them,
//! optionally with a detached signature `MANIFEST.sha256.sig`.
//!
//! Architecture invariant: this crate knows nothing about suites, mocks or the
//! runner. It is the only crate that defines on-disk formats, so a reviewer's tool
//! can depend on it alone.

pub mod bundle;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod redact;

pub use model::*;
pub use redact::Redactor;
