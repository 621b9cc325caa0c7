//! Reading a bundle (a `.zip` or a directory) into memory, safely.
//!
//! Why the limits: a bundle comes from the candidate, so it is untrusted input.
//! Entry names that escape the bundle (`../x`, absolute paths) are refused via
//! `ZipFile::enclosed_name()`, and expansion is capped per file, in total and in
//! entry count, reading at most one byte past each cap whatever sizes the zip
//! headers claim (a zip bomb can lie about them).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use accredit_core::Outcome;

use crate::rules::{PACKAGE_LAYOUT, PACKAGE_READABLE, PACKAGE_SAFE};
use crate::validate::Validation;

/// Expansion limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries read from one zip.
    pub max_entries: usize,
    /// Largest uncompressed file.
    pub max_file_bytes: u64,
    /// Largest total uncompressed size of one bundle.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 1_000,
            max_file_bytes: 512 * 1024 * 1024,
            max_total_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// A bundle's root-level files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    /// Name used in findings (the path given).
    pub name: String,
    /// Root-level `*.csv` files: file name → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Package {
    /// The document name of one of its files in findings: `bundle!file`.
    pub fn doc(&self, file: &str) -> String {
        format!("{}!{file}", self.name)
    }
}

/// Reads `path` (a directory or a zip). Problems become findings; `None` when
/// nothing could be read.
pub fn read(path: &Path, limits: &Limits, out: &mut Validation) -> Option<Package> {
    for r in [PACKAGE_READABLE, PACKAGE_SAFE, PACKAGE_LAYOUT] {
        out.applies(r);
    }
    let name = path.display().to_string();
    if path.is_dir() {
        return Some(read_dir(path, name, limits, out));
    }
    read_zip(path, name, limits, out)
}

fn is_csv(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".csv")
}

fn read_dir(path: &Path, name: String, limits: &Limits, out: &mut Validation) -> Package {
    let mut pkg = Package {
        name,
        ..Package::default()
    };
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(is_csv))
        .collect();
    entries.sort();
    for p in entries {
        let file = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let doc = pkg.doc(&file);
        let read = std::fs::File::open(&p).map_err(|e| e.to_string());
        match read.and_then(|f| read_capped(f, limits.max_file_bytes)) {
            Ok(bytes) => {
                pkg.files.insert(file, bytes);
            }
            Err(why) => out.add(&doc, "", PACKAGE_READABLE, Outcome::Fail, why),
        }
    }
    pkg
}

fn read_capped(r: impl Read, cap: u64) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    r.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() as u64 > cap {
        return Err(format!("expands past the {cap}-byte per-file limit"));
    }
    Ok(buf)
}

fn read_zip(path: &Path, name: String, limits: &Limits, out: &mut Validation) -> Option<Package> {
    let opened = std::fs::File::open(path)
        .map_err(|e| e.to_string())
        .and_then(|f| zip::ZipArchive::new(f).map_err(|e| e.to_string()));
    let mut archive = match opened {
        Ok(a) => a,
        Err(why) => {
            let msg = format!("not a readable zip archive: {why}");
            out.add(&name, "", PACKAGE_READABLE, Outcome::Fail, msg);
            return None;
        }
    };
    let mut pkg = Package {
        name,
        ..Package::default()
    };
    if archive.len() > limits.max_entries {
        let msg = format!(
            "{} entries, over the limit of {}; only the first {} are read",
            archive.len(),
            limits.max_entries,
            limits.max_entries
        );
        out.add(&pkg.name, "", PACKAGE_SAFE, Outcome::Fail, msg);
    }
    let mut total = 0u64;
    for i in 0..archive.len().min(limits.max_entries) {
        let budget = limits.max_total_bytes.saturating_sub(total);
        match read_entry(&mut archive, i, &pkg, limits, budget, out) {
            Entry::File(file, bytes) => {
                total += bytes.len() as u64;
                pkg.files.insert(file, bytes);
            }
            Entry::Skipped => {}
            Entry::Stop => break,
        }
    }
    Some(pkg)
}

enum Entry {
    File(String, Vec<u8>),
    Skipped,
    Stop,
}

fn read_entry(
    archive: &mut zip::ZipArchive<std::fs::File>,
    i: usize,
    pkg: &Package,
    limits: &Limits,
    budget: u64,
    out: &mut Validation,
) -> Entry {
    let entry = match archive.by_index(i) {
        Ok(e) => e,
        Err(e) => {
            let msg = format!("zip entry #{i} cannot be read: {e}");
            out.add(&pkg.name, "", PACKAGE_READABLE, Outcome::Fail, msg);
            return Entry::Skipped;
        }
    };
    let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
    let Some(enclosed) = entry.enclosed_name() else {
        let msg =
            format!("entry name {raw:?} escapes the bundle (absolute path or `..`); not read");
        out.add(&pkg.name, "", PACKAGE_SAFE, Outcome::Fail, msg);
        return Entry::Skipped;
    };
    if entry.is_dir() {
        return Entry::Skipped;
    }
    let file = enclosed.to_string_lossy().replace('\\', "/");
    if file.contains('/') {
        let msg = format!("{file} is inside a folder; files must be at the root of the zip");
        out.add(&pkg.doc(&file), "", PACKAGE_LAYOUT, Outcome::Fail, msg);
        return Entry::Skipped;
    }
    if !is_csv(&file) {
        return Entry::Skipped;
    }
    let cap = limits.max_file_bytes.min(budget);
    match read_capped(entry, cap) {
        Ok(bytes) => Entry::File(file, bytes),
        Err(why) if cap < limits.max_file_bytes => {
            let msg = format!(
                "the bundle expands past the {}-byte total limit (zip bomb?) at {file}: {why}; reading stopped",
                limits.max_total_bytes
            );
            out.add(&pkg.name, "", PACKAGE_SAFE, Outcome::Fail, msg);
            Entry::Stop
        }
        Err(why) => {
            let kind = if why.starts_with("cannot read") {
                PACKAGE_READABLE
            } else {
                PACKAGE_SAFE
            };
            out.add(&pkg.doc(&file), "", kind, Outcome::Fail, why);
            Entry::Skipped
        }
    }
}
