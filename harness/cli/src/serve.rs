//! `accredit serve`: the reference mocks, stand-alone.

use std::path::Path;

use crate::cli::ServeWhat;
use crate::{CliError, Exit};

/// Runs a mock until Ctrl-C.
pub async fn serve(what: ServeWhat, config: &Path) -> Result<Exit, CliError> {
    let _ = (what, config);
    Err(CliError::usage(anyhow::anyhow!("serve: wiring pending")))
}
