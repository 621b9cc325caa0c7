//! Command-line surface and dispatch.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use accredit_core::SuiteKind;

use crate::pipeline::{self, RunRequest};
use crate::{CliError, Exit};

/// accredit: conformance-certification harness for 1EdTech standards.
#[derive(Debug, Parser)]
#[command(name = "accredit", version, about, long_about = None)]
pub struct Cli {
    /// Log more (also: ACCREDIT_LOG=debug).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the case catalog.
    List {
        /// Only this suite.
        #[arg(long)]
        suite: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write a commented candidate-profile template for a suite.
    Init {
        /// Suite id (see `accredit list`).
        suite: String,
        /// Where to write it (default `<suite>.toml`; `-` for standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Certify a running implementation described by a candidate profile.
    Run {
        /// Suite ids, e.g. `lti-tool`.
        #[arg(required = true)]
        suites: Vec<String>,
        /// The candidate profile (TOML; `accredit init <suite>` writes one).
        #[arg(long, short)]
        candidate: PathBuf,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Validate documents (Caliper events, OneRoster CSV bundles...).
    Validate {
        /// Suite id, e.g. `caliper`.
        suite: String,
        /// Files or directories; `-` reads standard input.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Run every suite against the bundled reference implementations.
    Demo {
        /// Where to write the bundles.
        #[arg(long, default_value = "accredit-demo")]
        out: PathBuf,
        /// Cases run at once.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
        /// Sign each bundle's manifest with this PEM private key.
        #[arg(long)]
        sign: Option<PathBuf>,
        /// Do not record the runs in the history database.
        #[arg(long)]
        no_history: bool,
        /// History database (default: the user data directory).
        #[arg(long, env = "ACCREDIT_HISTORY_DB")]
        history_db: Option<PathBuf>,
        /// Directory of official schemas and contexts.
        #[arg(long, env = "ACCREDIT_SCHEMA_DIR")]
        schemas: Option<PathBuf>,
    },
    /// Run a reference mock stand-alone, to click through by hand.
    Serve {
        /// Which mock.
        #[arg(value_enum)]
        what: ServeWhat,
        /// Its configuration file (TOML).
        #[arg(long, required_unless_present = "bundle")]
        config: Option<PathBuf>,
        /// `sis` only: seed from this OneRoster CSV bundle directory instead of a config file.
        #[arg(long, conflicts_with = "config")]
        bundle: Option<PathBuf>,
        /// `sis --bundle` only: where to listen.
        #[arg(long, default_value = "127.0.0.1:9002", requires = "bundle")]
        listen: std::net::SocketAddr,
    },
    /// Check a report bundle's hashes (and signature).
    VerifyReport {
        /// The bundle directory.
        dir: PathBuf,
        /// The signer's public key (PEM). Without it an embedded key only proves integrity.
        #[arg(long)]
        pubkey: Option<PathBuf>,
    },
    /// Show earlier runs from the history database.
    History {
        /// Only runs of this candidate (name as in its profile).
        #[arg(long)]
        candidate: Option<String>,
        /// Show one case's outcome across runs.
        #[arg(long)]
        case: Option<String>,
        /// How many runs.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// History database (default: the user data directory).
        #[arg(long, env = "ACCREDIT_HISTORY_DB")]
        history_db: Option<PathBuf>,
    },
    /// Official schemas and contexts: list, fetch, check.
    Schemas {
        #[command(subcommand)]
        action: SchemasAction,
    },
    /// Generate test data, e.g. a consistent OneRoster CSV bundle.
    Generate {
        #[command(subcommand)]
        what: crate::generate::GenerateWhat,
    },
}

/// `accredit schemas ...`
#[derive(Debug, Subcommand)]
pub enum SchemasAction {
    /// List the files suites read, with URL and pinned SHA-256.
    List,
    /// Download every file from its publisher and check its SHA-256.
    Fetch {
        /// Destination directory (default: ACCREDIT_SCHEMA_DIR, else the user data directory).
        #[arg(long, env = "ACCREDIT_SCHEMA_DIR")]
        dest: Option<PathBuf>,
        /// Fetch from a mirror instead: `<base-url>/<relative path>`.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Check that a directory holds every file with the pinned hash.
    Check {
        /// The directory (default: ACCREDIT_SCHEMA_DIR, else the user data directory).
        #[arg(long, env = "ACCREDIT_SCHEMA_DIR")]
        dir: Option<PathBuf>,
    },
}

/// Output format for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable.
    Text,
    /// JSON.
    Json,
}

/// Which mock `serve` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServeWhat {
    /// The mock LTI platform (for certifying a tool by hand).
    Platform,
    /// The reference LTI tool (for certifying a platform by hand).
    Tool,
    /// The reference Caliper endpoint (point a sensor at it).
    CaliperEndpoint,
    /// The reference Caliper sensor (sends to your endpoint when triggered).
    CaliperSensor,
    /// The mock SIS: a OneRoster 1.1/1.2 provider (rostering, gradebook, resources) over SQLite (`--bundle DIR` or `--config FILE`).
    Sis,
}

/// Options shared by `run` and `validate`.
#[derive(Debug, Clone, Args)]
pub struct RunOpts {
    /// Output directory for the report bundle.
    #[arg(long, short, default_value = "accredit-report")]
    pub out: PathBuf,
    /// Cases run at once.
    #[arg(long, short, default_value_t = 4)]
    pub jobs: usize,
    /// Per-case timeout in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Certification mode: skipped and review cases count as failures.
    #[arg(long)]
    pub certification: bool,
    /// Only cases whose id starts with (or matches, with `*`) this pattern; repeatable.
    #[arg(long = "case")]
    pub cases: Vec<String>,
    /// Sign MANIFEST.sha256 with this PEM private key (RSA, EC or Ed25519).
    #[arg(long)]
    pub sign: Option<PathBuf>,
    /// An earlier bundle: print new failures and new passes; exit 1 only on regressions.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Directory of official schemas and contexts.
    #[arg(long, env = "ACCREDIT_SCHEMA_DIR")]
    pub schemas: Option<PathBuf>,
    /// Do not record the run in the history database.
    #[arg(long)]
    pub no_history: bool,
    /// History database (default: the user data directory).
    #[arg(long, env = "ACCREDIT_HISTORY_DB")]
    pub history_db: Option<PathBuf>,
    /// No per-case output, only the summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Drive user-agent steps (LTI launches, deep linking) in headless Chromium
    /// through chromedriver, inside a cross-origin iframe, to catch cookie and
    /// SameSite failures (ACCREDIT_CHROMEDRIVER / ACCREDIT_CHROMIUM locate them).
    #[arg(long)]
    pub browser: bool,
}

/// Runs a parsed command line.
pub async fn dispatch(cli: Cli) -> Result<Exit, CliError> {
    match cli.command {
        Command::List { suite, format } => list(suite.as_deref(), format),
        Command::Init {
            suite,
            output,
            force,
        } => init(&suite, output, force),
        Command::Run {
            suites,
            candidate,
            opts,
        } => {
            let mut selected = Vec::new();
            for id in &suites {
                selected.push(
                    crate::registry::find_kind(id, SuiteKind::Live)
                        .map_err(|e| CliError::usage(anyhow::anyhow!(e)))?,
                );
            }
            let known = crate::registry::ids();
            let profile = accredit_core::profile::ProfileDoc::load(&candidate, &known)
                .map_err(CliError::usage)?;
            let req = RunRequest::from_opts(selected, Some(profile), Vec::new(), &opts);
            pipeline::execute_and_print(req).await
        }
        Command::Validate {
            suite,
            inputs,
            opts,
        } => {
            let s = crate::registry::find_kind(&suite, SuiteKind::Artifact)
                .map_err(|e| CliError::usage(anyhow::anyhow!(e)))?;
            for i in &inputs {
                if i.as_os_str() != "-" && !i.exists() {
                    return Err(CliError::usage(anyhow::anyhow!(
                        "input `{}` does not exist",
                        i.display()
                    )));
                }
            }
            let req = RunRequest::from_opts(vec![s], None, inputs, &opts);
            pipeline::execute_and_print(req).await
        }
        Command::Demo {
            out,
            jobs,
            sign,
            no_history,
            history_db,
            schemas,
        } => {
            crate::demo::run(crate::demo::DemoOpts {
                out,
                jobs,
                sign,
                no_history,
                history_db,
                schemas,
            })
            .await
        }
        Command::Serve {
            what,
            config,
            bundle,
            listen,
        } => crate::serve::serve(what, config.as_deref(), bundle.as_deref(), listen).await,
        Command::VerifyReport { dir, pubkey } => verify(&dir, pubkey.as_deref()),
        Command::History {
            candidate,
            case,
            limit,
            format,
            history_db,
        } => crate::history::show(
            history_db,
            candidate.as_deref(),
            case.as_deref(),
            limit,
            format,
        ),
        Command::Schemas { action } => crate::schemas::run(action).await,
        Command::Generate { what } => crate::generate::run(what),
    }
}

fn list(suite: Option<&str>, format: Format) -> Result<Exit, CliError> {
    let suites = match suite {
        Some(id) => vec![crate::registry::find(id).ok_or_else(|| {
            CliError::usage(anyhow::anyhow!(
                "unknown suite `{id}`; known: {}",
                crate::registry::ids().join(", ")
            ))
        })?],
        None => crate::registry::all(),
    };
    let entries: Vec<_> = suites
        .iter()
        .flat_map(|s| accredit_core::catalog::entries(s.as_ref()))
        .collect();
    match format {
        Format::Json => {
            let text = serde_json::to_string_pretty(&entries).map_err(CliError::harness)?;
            println!("{text}");
        }
        Format::Text => {
            for s in &suites {
                let n = s.catalog().len();
                println!("{} — {} ({n} cases)", s.id(), s.title());
                for m in s.catalog() {
                    println!(
                        "  {:<52} {:<6} {:<9} {} §{}",
                        m.id,
                        m.level.as_str(),
                        if m.official { "official" } else { "extension" },
                        m.spec_document,
                        m.spec_section
                    );
                }
            }
        }
    }
    Ok(Exit::Passed)
}

fn init(suite: &str, output: Option<PathBuf>, force: bool) -> Result<Exit, CliError> {
    let s = crate::registry::find(suite).ok_or_else(|| {
        CliError::usage(anyhow::anyhow!(
            "unknown suite `{suite}`; known: {}",
            crate::registry::ids().join(", ")
        ))
    })?;
    let text = s.profile_template();
    let path = output.unwrap_or_else(|| PathBuf::from(format!("{suite}.toml")));
    if path.as_os_str() == "-" {
        print!("{text}");
        return Ok(Exit::Passed);
    }
    if path.exists() && !force {
        return Err(CliError::usage(anyhow::anyhow!(
            "{} exists; use --force to overwrite",
            path.display()
        )));
    }
    std::fs::write(&path, text)
        .map_err(|e| CliError::harness(anyhow::anyhow!("writing {}: {e}", path.display())))?;
    eprintln!(
        "wrote {}: fill in the values, then `accredit run {suite} --candidate {}`",
        path.display(),
        path.display()
    );
    Ok(Exit::Passed)
}

fn verify(dir: &std::path::Path, pubkey: Option<&std::path::Path>) -> Result<Exit, CliError> {
    let v = accredit_reports::bundle::verify_bundle(dir, pubkey).map_err(CliError::usage)?;
    print!("{v}");
    Ok(if v.ok() { Exit::Passed } else { Exit::Failed })
}
