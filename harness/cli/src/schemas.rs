//! Official schemas and contexts: where they live, how to get them.
//!
//! accredit never ships 1EdTech's or W3C's files: suites read them from a
//! directory the user names (`--schemas` / `ACCREDIT_SCHEMA_DIR`), by default
//! `$XDG_DATA_HOME/accredit/schemas`. `accredit schemas fetch` fills that
//! directory from the publishers' URLs and refuses any file whose SHA-256 differs
//! from the pin in the suite that reads it, so a verdict never rests on a file
//! that changed under us.

use std::path::{Path, PathBuf};

use anyhow::Context;

use accredit_core::SchemaFile;

use crate::cli::SchemasAction;
use crate::{CliError, Exit};

/// The default schema directory (whether or not it exists).
pub fn default_dir() -> PathBuf {
    crate::history::db_path(None).with_file_name("schemas")
}

/// The schema directory to use when none was given: the default one, if it exists.
pub fn resolve(explicit: Option<PathBuf>) -> Option<PathBuf> {
    explicit.or_else(|| {
        let d = default_dir();
        d.is_dir().then_some(d)
    })
}

/// Every pinned file of every registered suite, deduplicated by path.
pub fn pinned_files() -> Vec<(String, SchemaFile)> {
    let mut out: Vec<(String, SchemaFile)> = Vec::new();
    for s in crate::registry::all() {
        for f in s.schema_files() {
            if !out.iter().any(|(_, g)| g.path == f.path) {
                out.push((s.id().to_string(), f));
            }
        }
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(openssl::sha::sha256(bytes))
}

/// `accredit schemas ...`
pub async fn run(action: SchemasAction) -> Result<Exit, CliError> {
    match action {
        SchemasAction::List => {
            for (suite, f) in pinned_files() {
                println!(
                    "{suite:<14} {}\n               {}\n               sha256 {}",
                    f.path, f.url, f.sha256
                );
            }
            Ok(Exit::Passed)
        }
        SchemasAction::Check { dir } => {
            let dir = dir.unwrap_or_else(default_dir);
            let problems = check(&dir);
            for p in &problems {
                println!("{p}");
            }
            if problems.is_empty() {
                println!(
                    "{}: all {} pinned files present and intact",
                    dir.display(),
                    pinned_files().len()
                );
                Ok(Exit::Passed)
            } else {
                Ok(Exit::Failed)
            }
        }
        SchemasAction::Fetch { dest, base_url } => {
            let dest = dest.unwrap_or_else(default_dir);
            let failures = fetch(&dest, base_url.as_deref())
                .await
                .map_err(CliError::harness)?;
            if failures.is_empty() {
                println!(
                    "{}: fetched {} files, every SHA-256 matched its pin",
                    dest.display(),
                    pinned_files().len()
                );
                Ok(Exit::Passed)
            } else {
                for f in &failures {
                    eprintln!("{f}");
                }
                Ok(Exit::Failed)
            }
        }
    }
}

/// Problems with a schema directory: missing or altered files.
pub fn check(dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for (_, f) in pinned_files() {
        let p = dir.join(f.path);
        match std::fs::read(&p) {
            Ok(bytes) => {
                let got = sha256_hex(&bytes);
                if got != f.sha256 {
                    problems.push(format!(
                        "{}: SHA-256 {got} differs from the pin {}",
                        p.display(),
                        f.sha256
                    ));
                }
            }
            Err(e) => problems.push(format!("{}: {e}", p.display())),
        }
    }
    problems
}

/// Downloads every pinned file into `dest`; returns per-file failures. A file is
/// only written (atomically) when its hash matches.
pub async fn fetch(dest: &Path, base_url: Option<&str>) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .timeout(std::time::Duration::from_secs(60))
        .user_agent(concat!("accredit/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")?;
    let mut failures = Vec::new();
    for (_, f) in pinned_files() {
        let url = match base_url {
            Some(b) => format!("{}/{}", b.trim_end_matches('/'), f.path),
            None => f.url.to_string(),
        };
        let bytes = match client
            .get(&url)
            .header(
                "accept",
                "application/ld+json, application/json;q=0.9, */*;q=0.1",
            )
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => match r.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    failures.push(format!("{url}: reading the body failed: {e}"));
                    continue;
                }
            },
            Ok(r) => {
                failures.push(format!("{url}: HTTP {}", r.status()));
                continue;
            }
            Err(e) => {
                failures.push(format!("{url}: {e}"));
                continue;
            }
        };
        let got = sha256_hex(&bytes);
        if got != f.sha256 {
            failures.push(format!(
                "{url}: SHA-256 {got} differs from the pin {}; not written",
                f.sha256
            ));
            continue;
        }
        let target = dest.join(f.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let tmp = target.with_extension("part");
        std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &target)
            .with_context(|| format!("renaming to {}", target.display()))?;
    }
    Ok(failures)
}
