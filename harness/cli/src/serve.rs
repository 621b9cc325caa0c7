//! `accredit serve`: the reference mocks, stand-alone, so a vendor can click
//! through a flow by hand before (or after) an automated run.

use std::path::Path;

use crate::cli::ServeWhat;
use crate::{CliError, Exit};

/// Runs a mock until Ctrl-C.
pub async fn serve(
    what: ServeWhat,
    config: Option<&Path>,
    bundle: Option<&Path>,
    listen: std::net::SocketAddr,
) -> Result<Exit, CliError> {
    if let (ServeWhat::Sis, Some(bundle)) = (what, bundle) {
        accredit_mock_platform::oneroster::serve_bundle(bundle, listen)
            .await
            .map_err(CliError::usage)?;
        return Ok(Exit::Passed);
    }
    if bundle.is_some() {
        return Err(CliError::usage(anyhow::anyhow!(
            "--bundle is only for `serve sis`"
        )));
    }
    let Some(config) = config else {
        return Err(CliError::usage(anyhow::anyhow!(
            "--config FILE is required"
        )));
    };
    match what {
        ServeWhat::Sis => {
            let cfg =
                accredit_mock_platform::oneroster::load_config(config).map_err(CliError::usage)?;
            accredit_mock_platform::oneroster::serve(cfg)
                .await
                .map_err(CliError::harness)?;
        }
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
