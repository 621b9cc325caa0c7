//! The suite plugin interface.
//!
//! A suite crate implements [`Suite`]: it lists its cases as data, provides a
//! profile template, and on [`Suite::start`] builds whatever it needs (mock
//! servers, clients, parsed documents) into a [`SuiteRun`] that runs one case at a
//! time. The CLI holds the list of suites; the core never names one.

use std::path::PathBuf;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::case::{CaseCx, CaseMeta, Verdict};
use crate::evidence::EvidenceRouter;
use crate::profile::{ProfileDoc, ProfileError};
use accredit_reports::Redactor;

/// How a suite meets its candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteKind {
    /// Talks to a running implementation described by a profile (`accredit run`).
    Live,
    /// Judges documents or packages (`accredit validate`).
    Artifact,
}

/// A certification suite.
pub trait Suite: Send + Sync + 'static {
    /// Suite id used on the command line and as the profile table name, e.g. `lti-tool`.
    fn id(&self) -> &'static str;
    /// Human title, e.g. `LTI Advantage 1.3: tool certification`.
    fn title(&self) -> &'static str;
    /// Live or artifact.
    fn kind(&self) -> SuiteKind;
    /// Every case, in report order.
    fn catalog(&self) -> Vec<CaseMeta>;
    /// A commented profile template for `accredit init <suite>`.
    fn profile_template(&self) -> String;
    /// Prepares a run: reads the suite's profile table (or the documents to
    /// validate), starts mocks, and returns the case runner.
    fn start<'a>(
        &'a self,
        start: SuiteStart<'a>,
    ) -> BoxFuture<'a, Result<Box<dyn SuiteRun>, SuiteError>>;
    /// Official schema/context files the suite reads from the schema directory,
    /// with the publisher's URL and pinned SHA-256 (`accredit schemas fetch`).
    fn schema_files(&self) -> Vec<SchemaFile> {
        Vec::new()
    }
}

/// One official file a suite reads from the schema directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFile {
    /// Path relative to the schema directory, e.g. `caliper/contexts/v1p2/...`.
    pub path: &'static str,
    /// The publisher's URL.
    pub url: &'static str,
    /// Pinned SHA-256 of the file's bytes (lowercase hex).
    pub sha256: &'static str,
}

/// What a suite gets to prepare a run.
pub struct SuiteStart<'a> {
    /// The candidate profile (live suites); `None` for artifact suites.
    pub profile: Option<&'a ProfileDoc>,
    /// Documents to validate (artifact suites).
    pub inputs: &'a [PathBuf],
    /// Directory of official schemas and contexts (`--schemas` / `ACCREDIT_SCHEMA_DIR`).
    pub schema_dir: Option<&'a std::path::Path>,
    /// Routes requests the candidate sends to the suite's mocks into case evidence.
    pub router: EvidenceRouter,
    /// Learns secrets discovered while preparing (tokens, generated keys).
    pub redactor: Redactor,
    /// Per-case timeout the runner will apply.
    pub case_timeout: Duration,
    /// `--browser`: drive user-agent steps in a real headless browser instead of
    /// the harness's HTTP user agent (suites that have no browser steps ignore it).
    pub browser: Option<BrowserSettings>,
}

/// Where the real browser for `--browser` runs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSettings {
    /// The chromedriver executable (`ACCREDIT_CHROMEDRIVER`, default `/usr/bin/chromedriver`).
    pub chromedriver: PathBuf,
    /// The Chromium executable (`ACCREDIT_CHROMIUM`, default `/usr/bin/chromium`).
    pub chromium: PathBuf,
}

impl BrowserSettings {
    /// From `ACCREDIT_CHROMEDRIVER` / `ACCREDIT_CHROMIUM`, or the Debian paths.
    pub fn from_env() -> BrowserSettings {
        let get = |var: &str, default: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(default))
        };
        BrowserSettings {
            chromedriver: get("ACCREDIT_CHROMEDRIVER", "/usr/bin/chromedriver"),
            chromium: get("ACCREDIT_CHROMIUM", "/usr/bin/chromium"),
        }
    }

    /// Why these settings cannot work (a missing executable), if so.
    pub fn problem(&self) -> Option<String> {
        [("chromedriver", &self.chromedriver), ("chromium", &self.chromium)]
            .into_iter()
            .find(|(_, p)| !p.is_file())
            .map(|(what, p)| {
                format!(
                    "--browser needs {what} at {} (Debian: apt-get install chromium chromium-driver; or set ACCREDIT_CHROMEDRIVER / ACCREDIT_CHROMIUM)",
                    p.display()
                )
            })
    }
}

/// One prepared suite run.
pub trait SuiteRun: Send + Sync {
    /// Runs the case `cx.meta`.
    fn run_case<'a>(&'a self, cx: &'a CaseCx) -> BoxFuture<'a, Verdict>;
    /// Stops what `start` started. Called once, after the last case.
    fn shutdown(&self) -> BoxFuture<'_, ()>;
}

/// Why a suite could not start.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// The profile is wrong (exit code 2).
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The inputs or options are wrong (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The harness could not set itself up, e.g. a port could not be bound (exit code 3).
    #[error("{0}")]
    Harness(String),
}
