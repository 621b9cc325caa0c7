//! Run history in an embedded SQLite database, so a vendor can watch a
//! candidate improve over time (`accredit history`).
//!
//! The database is an index, not evidence: the bundles stay the record. Default
//! location: `$ACCREDIT_HISTORY_DB`, else `$XDG_DATA_HOME/accredit/history.sqlite`,
//! else `~/.local/share/accredit/history.sqlite`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::{Connection, params};

use accredit_reports::Report;

use crate::cli::Format;
use crate::{CliError, Exit};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    suites TEXT NOT NULL,
    candidate TEXT NOT NULL,
    candidate_version TEXT,
    complete INTEGER NOT NULL,
    certification INTEGER NOT NULL,
    total INTEGER NOT NULL,
    pass INTEGER NOT NULL,
    fail INTEGER NOT NULL,
    warn INTEGER NOT NULL,
    skip INTEGER NOT NULL,
    review INTEGER NOT NULL,
    error INTEGER NOT NULL,
    not_run INTEGER NOT NULL,
    catalog_hash TEXT NOT NULL,
    harness_version TEXT NOT NULL,
    bundle TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS case_results (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    case_id TEXT NOT NULL,
    suite TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (run_id, case_id)
);
CREATE INDEX IF NOT EXISTS runs_by_candidate ON runs(candidate, started_at);
";

/// The database path: explicit, else the user data directory.
pub fn db_path(explicit: Option<PathBuf>) -> PathBuf {
    if let Some(p) = explicit {
        return p;
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("accredit").join("history.sqlite")
}

fn open(path: &Path) -> anyhow::Result<Connection> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(SCHEMA)
        .context("creating the history tables")?;
    Ok(conn)
}

/// Records a finished run.
pub fn record(path: &Path, report: &Report, bundle: &Path) -> anyhow::Result<()> {
    let mut conn = open(path)?;
    let tx = conn.transaction()?;
    let s = &report.summary;
    let suites: Vec<&str> = report.suites.iter().map(|s| s.id.as_str()).collect();
    let bundle = std::fs::canonicalize(bundle).unwrap_or_else(|_| bundle.to_path_buf());
    tx.execute(
        "INSERT OR REPLACE INTO runs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        params![
            report.run_id,
            report.started_at,
            report.finished_at,
            suites.join(","),
            report.candidate.name,
            report.candidate.version,
            report.complete,
            report.certification,
            s.total as i64,
            s.pass as i64,
            s.fail as i64,
            s.warn as i64,
            s.skip as i64,
            s.review as i64,
            s.error as i64,
            s.not_run as i64,
            report.catalog_hash,
            report.harness.version,
            bundle.display().to_string(),
        ],
    )?;
    {
        let mut stmt =
            tx.prepare("INSERT OR REPLACE INTO case_results VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for c in &report.cases {
            stmt.execute(params![
                report.run_id,
                c.id,
                c.suite,
                c.outcome.as_str(),
                c.message
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// One row of `accredit history`.
#[derive(Debug, serde::Serialize)]
pub struct RunRow {
    /// Run id.
    pub run_id: String,
    /// Start time.
    pub started_at: String,
    /// Suites.
    pub suites: String,
    /// Candidate name.
    pub candidate: String,
    /// Candidate version.
    pub candidate_version: Option<String>,
    /// Finished every case.
    pub complete: bool,
    /// Counts.
    pub pass: i64,
    /// Counts.
    pub fail: i64,
    /// Counts.
    pub warn: i64,
    /// Counts.
    pub skip: i64,
    /// Counts.
    pub review: i64,
    /// Counts.
    pub error: i64,
    /// Bundle path.
    pub bundle: String,
    /// Outcome of `--case`, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_outcome: Option<String>,
}

/// Lists runs, newest first.
pub fn query(
    path: &Path,
    candidate: Option<&str>,
    case: Option<&str>,
    limit: usize,
) -> anyhow::Result<Vec<RunRow>> {
    let conn = open(path)?;
    let mut stmt = conn.prepare(
        "SELECT r.run_id, r.started_at, r.suites, r.candidate, r.candidate_version, r.complete,
                r.pass, r.fail, r.warn, r.skip, r.review, r.error, r.bundle,
                (SELECT outcome FROM case_results c WHERE c.run_id = r.run_id AND c.case_id = ?2)
         FROM runs r
         WHERE (?1 IS NULL OR r.candidate = ?1)
         ORDER BY r.started_at DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![candidate, case, limit as i64], |row| {
        Ok(RunRow {
            run_id: row.get(0)?,
            started_at: row.get(1)?,
            suites: row.get(2)?,
            candidate: row.get(3)?,
            candidate_version: row.get(4)?,
            complete: row.get(5)?,
            pass: row.get(6)?,
            fail: row.get(7)?,
            warn: row.get(8)?,
            skip: row.get(9)?,
            review: row.get(10)?,
            error: row.get(11)?,
            bundle: row.get(12)?,
            case_outcome: row.get(13)?,
        })
    })?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?);
    }
    Ok(out)
}

/// `accredit history`.
pub fn show(
    db: Option<PathBuf>,
    candidate: Option<&str>,
    case: Option<&str>,
    limit: usize,
    format: Format,
) -> Result<Exit, CliError> {
    let path = db_path(db);
    if !path.exists() {
        eprintln!(
            "no history yet ({} does not exist); runs are recorded unless --no-history",
            path.display()
        );
        if format == Format::Json {
            println!("[]");
        }
        return Ok(Exit::Passed);
    }
    let rows = query(&path, candidate, case, limit).map_err(CliError::harness)?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(CliError::harness)?
        ),
        Format::Text => {
            println!(
                "{:<25} {:<20} {:<14} {:>5} {:>5} {:>5} {:>5} {:>6} {:>5}{}",
                "started",
                "candidate",
                "suites",
                "pass",
                "fail",
                "warn",
                "skip",
                "review",
                "error",
                if case.is_some() { "  case" } else { "" }
            );
            for r in &rows {
                let name = match &r.candidate_version {
                    Some(v) => format!("{} {v}", r.candidate),
                    None => r.candidate.clone(),
                };
                println!(
                    "{:<25} {:<20} {:<14} {:>5} {:>5} {:>5} {:>5} {:>6} {:>5}{}{}",
                    r.started_at.get(..19).unwrap_or(&r.started_at),
                    truncate(&name, 20),
                    truncate(&r.suites, 14),
                    r.pass,
                    r.fail,
                    r.warn,
                    r.skip,
                    r.review,
                    r.error,
                    case.map(|_| format!("  {}", r.case_outcome.as_deref().unwrap_or("-")))
                        .unwrap_or_default(),
                    if r.complete { "" } else { "  (incomplete)" }
                );
            }
        }
    }
    Ok(Exit::Passed)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
