//! `accredit demo`. (Wiring pending.)
use std::path::PathBuf;

use crate::{CliError, Exit};

/// Demo options.
pub struct DemoOpts {
    /// Output root.
    pub out: PathBuf,
    /// Jobs.
    pub jobs: usize,
    /// Signing key.
    pub sign: Option<PathBuf>,
    /// Skip history.
    pub no_history: bool,
    /// History DB.
    pub history_db: Option<PathBuf>,
    /// Schema dir.
    pub schemas: Option<PathBuf>,
}

/// Runs the demo.
pub async fn run(o: DemoOpts) -> Result<Exit, CliError> {
    let _ = (o.out, o.jobs, o.sign, o.no_history, o.history_db, o.schemas);
    Err(CliError::usage(anyhow::anyhow!("demo: wiring pending")))
}
