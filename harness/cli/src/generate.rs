//! `accredit generate ...`: test data for candidates and for our own benches.
//!
//! `accredit generate oneroster --users N` writes a consistent OneRoster CSV
//! bundle (the suite's streaming generator, so a 1M-user district costs disk,
//! not memory); `--defect NAME` writes a small bundle broken in exactly one
//! way, to see what a failing validation looks like.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::anyhow;
use clap::{Args, Subcommand, ValueEnum};

use accredit_suite_oneroster::Defect;
use accredit_suite_oneroster::generate::{
    self, Config, DirSink, GenMode, GenerateError, Sink, ZipSink,
};
use accredit_suite_oneroster::tables::Version;

use crate::{CliError, Exit};

/// What `accredit generate` produces.
#[derive(Debug, Subcommand)]
pub enum GenerateWhat {
    /// A consistent OneRoster CSV bundle (orgs, sessions, courses, classes,
    /// users, ~10 enrollments per user, demographics, gradebook, resources).
    Oneroster(OneRosterArgs),
}

/// `accredit generate oneroster` options.
#[derive(Debug, Args)]
pub struct OneRosterArgs {
    /// Number of users (at least 10); 1 school per 500 users.
    #[arg(long)]
    pub users: u64,
    /// OneRoster version.
    #[arg(long, value_enum, default_value = "1.2")]
    pub version: VersionArg,
    /// Declare every file delta (status and dateLastModified filled).
    #[arg(long)]
    pub delta: bool,
    /// Seed of every id and name (same seed, same bytes).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory, or zip file with --zip (default `oneroster-<version>-<users>[.zip]`).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Write a zip instead of a directory.
    #[arg(long)]
    pub zip: bool,
    /// Replace an existing output.
    #[arg(long)]
    pub force: bool,
    /// Break the bundle in exactly one way (bulk files plus a delta
    /// enrollments.csv; at most 10000 users). One of: manifest-missing,
    /// header-order, bad-date, dangling-reference, duplicate-sourced-id, ...
    /// (see the suite's `Defect`).
    #[arg(long, value_name = "NAME")]
    pub defect: Option<String>,
}

/// A OneRoster version on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VersionArg {
    /// OneRoster 1.1.
    #[value(name = "1.1")]
    V1p1,
    /// OneRoster 1.2.
    #[value(name = "1.2")]
    V1p2,
}

/// Runs `accredit generate ...`.
pub fn run(what: GenerateWhat) -> Result<Exit, CliError> {
    match what {
        GenerateWhat::Oneroster(args) => oneroster(args),
    }
}

fn oneroster(a: OneRosterArgs) -> Result<Exit, CliError> {
    let version = match a.version {
        VersionArg::V1p1 => Version::V1p1,
        VersionArg::V1p2 => Version::V1p2,
    };
    let defect = match a.defect.as_deref() {
        None => None,
        Some(name) => Some(Defect::parse(name).ok_or_else(|| {
            let names: Vec<&str> = Defect::ALL.iter().map(|d| d.name()).collect();
            CliError::usage(anyhow!(
                "unknown defect `{name}`; known: {}",
                names.join(", ")
            ))
        })?),
    };
    if defect.is_some() && a.users > 10_000 {
        return Err(CliError::usage(anyhow!(
            "--defect builds the bundle in memory: use at most 10000 users"
        )));
    }
    if defect.is_some_and(Defect::needs_zip) && !a.zip {
        return Err(CliError::usage(anyhow!(
            "this defect lives in zip entry names: add --zip"
        )));
    }
    let mode = match (defect, a.delta) {
        (Some(_), _) => GenMode::Mixed,
        (None, true) => GenMode::Delta,
        (None, false) => GenMode::Bulk,
    };
    let cfg = Config {
        version,
        users: a.users,
        mode,
        seed: a.seed,
    };
    let out = a.out.unwrap_or_else(|| {
        let stem = format!("oneroster-{}-{}", version.label(), a.users);
        PathBuf::from(if a.zip { format!("{stem}.zip") } else { stem })
    });
    if out.exists() {
        if !a.force {
            return Err(CliError::usage(anyhow!(
                "{} exists; use --force to replace it",
                out.display()
            )));
        }
        let removed = if out.is_dir() {
            std::fs::remove_dir_all(&out)
        } else {
            std::fs::remove_file(&out)
        };
        removed.map_err(|e| CliError::harness(anyhow!("removing {}: {e}", out.display())))?;
    }
    let started = Instant::now();
    let written = match defect {
        Some(d) => with_defect(&cfg, d, &out, a.zip),
        None if a.zip => generate::generate_zip(&cfg, &out).map(|s| s.bytes),
        None => generate::generate_dir(&cfg, &out).map(|s| s.bytes),
    };
    let bytes = written.map_err(|e| match e {
        GenerateError::Config(_) => CliError::usage(e),
        other => CliError::harness(other),
    })?;
    let what = defect.map_or_else(String::new, |d| {
        format!(" with defect `{d}` (breaks {})", d.rule())
    });
    eprintln!(
        "wrote {}: OneRoster {} bundle, {} users, {bytes} bytes of CSV{what}, in {:.1?}",
        out.display(),
        version.label(),
        a.users,
        started.elapsed()
    );
    Ok(Exit::Passed)
}

fn with_defect(
    cfg: &Config,
    defect: Defect,
    out: &std::path::Path,
    zip: bool,
) -> Result<u64, GenerateError> {
    let mut files = generate::generate_files(cfg)?;
    defect
        .apply(&mut files)
        .map_err(|e| GenerateError::Config(e.to_string()))?;
    let bytes = files.iter().map(|(_, b)| b.len() as u64).sum();
    if zip {
        let mut sink = ZipSink::create(out)?;
        copy(&files, &mut sink)?;
        sink.finish()?;
    } else {
        copy(&files, &mut DirSink::create(out)?)?;
    }
    Ok(bytes)
}

fn copy(files: &[(String, Vec<u8>)], sink: &mut dyn Sink) -> Result<(), GenerateError> {
    for (name, bytes) in files {
        sink.begin(name)?;
        sink.write(bytes)?;
        sink.end()?;
    }
    Ok(())
}
