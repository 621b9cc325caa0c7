//! Writing, hashing, signing and verifying a report bundle.
//! (Skeleton: the full implementation is owned by the reports work item.)

use std::path::{Path, PathBuf};

use crate::model::{CaseEvidence, Report};
use crate::redact::Redactor;

/// Options for [`write_bundle`].
#[derive(Debug, Clone, Default)]
pub struct BundleOptions {
    /// PEM private key (RSA, EC or Ed25519) to sign `MANIFEST.sha256` with.
    pub sign_key: Option<PathBuf>,
}

/// Errors reading or writing a bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// Writes every bundle file into `dir` (created if missing) and returns their paths.
pub fn write_bundle(
    dir: &Path,
    report: &Report,
    evidence: &[CaseEvidence],
    redactor: &Redactor,
    opts: &BundleOptions,
) -> Result<Vec<PathBuf>, BundleError> {
    let _ = (dir, report, evidence, redactor, opts);
    Err(BundleError::Other(
        "bundle writing not implemented yet".into(),
    ))
}
