//! `accredit serve`: the reference mocks, stand-alone, so a vendor can click
//! through a flow by hand before (or after) an automated run.

use std::path::Path;

use crate::cli::ServeWhat;
use crate::{CliError, Exit};

/// Runs a mock until Ctrl-C.
pub async fn serve(what: ServeWhat, config: &Path) -> Result<Exit, CliError> {
    match what {
        ServeWhat::Platform => {
            let cfg = accredit_mock_platform::load_config(config).map_err(CliError::usage)?;
            accredit_mock_platform::serve(cfg)
                .await
                .map_err(CliError::harness)?;
        }
        ServeWhat::Tool => {
            let cfg = accredit_mock_tool::load_config(config).map_err(CliError::usage)?;
            accredit_mock_tool::serve(cfg)
                .await
                .map_err(CliError::harness)?;
        }
        ServeWhat::CaliperEndpoint => {
            let cfg =
                accredit_mock_platform::caliper::load_config(config).map_err(CliError::usage)?;
            accredit_mock_platform::caliper::serve(cfg)
                .await
                .map_err(CliError::harness)?;
        }
        ServeWhat::CaliperSensor => {
            let cfg = accredit_mock_tool::caliper::load_config(config).map_err(CliError::usage)?;
            accredit_mock_tool::caliper::serve(cfg)
                .await
                .map_err(CliError::harness)?;
        }
    }
    Ok(Exit::Passed)
}
