//! `accredit`: the command-line edge of the harness.
//!
//! A thin shell in the style of cargo-nextest: it parses arguments, loads
//! profiles, wires the registered suites into the core runner, and hands the
//! result to the report writers. Behaviour lives in the libraries; this crate
//! owns exit codes, terminal output, the run history and the demo.
//!
//! Exit codes: 0 every required case passed; 1 a failure (or a skip/review under
//! `--certification`, or a regression against `--baseline`); 2 usage or profile
//! error; 3 harness error (could not start, could not write, or the run was
//! aborted before it finished).

mod cli;
mod demo;
mod generate;
mod history;
mod pipeline;
mod progress;
mod registry;
mod schemas;
mod serve;

use std::process::ExitCode;

use clap::Parser;

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every required case passed.
    Passed = 0,
    /// Something failed.
    Failed = 1,
    /// Bad command line or profile.
    Usage = 2,
    /// The harness itself could not do its job.
    Harness = 3,
}

/// An error at the edge, with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    /// Exit code.
    pub exit: Exit,
    /// The full error chain.
    pub error: anyhow::Error,
}

impl CliError {
    /// A usage/profile error (exit 2).
    pub fn usage(e: impl Into<anyhow::Error>) -> CliError {
        CliError {
            exit: Exit::Usage,
            error: e.into(),
        }
    }
    /// A harness error (exit 3).
    pub fn harness(e: impl Into<anyhow::Error>) -> CliError {
        CliError {
            exit: Exit::Harness,
            error: e.into(),
        }
    }
}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let filter = if args.verbose { "info" } else { "warn" };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ACCREDIT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Harness as u8);
        }
    };
    match runtime.block_on(cli::dispatch(args)) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            eprintln!("error: {:#}", e.error);
            ExitCode::from(e.exit as u8)
        }
    }
}
