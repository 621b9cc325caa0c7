//! Opening a bundle (a `.zip` or a directory) and streaming its files, safely.
//!
//! Why streaming: a district bundle holds tens of millions of rows, so files
//! are never loaded whole; [`Package::open`] hands out one capped reader at a
//! time (a zip entry is inflated as it is read). Why the limits: a bundle comes
//! from the candidate, so it is untrusted input. Entry names that escape the
//! bundle (`../x`, absolute paths) are refused via `ZipFile::enclosed_name()`,
//! and expansion is capped per file, in total and in entry count, whatever sizes
//! the zip headers claim (a zip bomb can lie about them): the reader fails with
//! [`CapExceeded`] one byte past a cap.

use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use accredit_core::Outcome;

use crate::rules::{PACKAGE_LAYOUT, PACKAGE_READABLE, PACKAGE_SAFE};
use crate::validate::Validation;

/// Expansion and size limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries read from one zip.
    pub max_entries: usize,
    /// Largest uncompressed file.
    pub max_file_bytes: u64,
    /// Largest total uncompressed size of one bundle.
    pub max_total_bytes: u64,
    /// Longest line (record) of a CSV file.
    pub max_line_bytes: usize,
}

impl Default for Limits {
    /// Files are streamed, so the size caps bound time, not memory: 16 GiB a
    /// file and 64 GiB a bundle (a 1M-user district is about 2 GB), 1 MiB a line.
    fn default() -> Self {
        Limits {
            max_entries: 1_000,
            max_file_bytes: 16 << 30,
            max_total_bytes: 64 << 30,
            max_line_bytes: crate::csv::DEFAULT_MAX_LINE,
        }
    }
}

/// The error a capped reader returns one byte past its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expands past the {cap}-byte {which} limit")]
pub struct CapExceeded {
    /// The cap.
    pub cap: u64,
    /// `per-file` or `total`.
    pub which: &'static str,
}

/// A reader that fails once more than `cap` bytes come out of `inner`.
#[derive(Debug)]
pub struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: CapExceeded,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(self.exceeded)),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

enum Source {
    Dir(PathBuf),
    Zip(Box<zip::ZipArchive<std::fs::File>>),
}

/// An opened bundle: its root-level CSV files, read on demand.
pub struct Package {
    /// Name used in findings (the path given).
    pub name: String,
    source: Source,
    /// Root-level `*.csv` files: name → zip entry index (0 for a directory).
    files: BTreeMap<String, usize>,
    limits: Limits,
    /// Bytes handed out so far (against `max_total_bytes`).
    consumed: u64,
}

impl std::fmt::Debug for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("name", &self.name)
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A file opened for reading.
pub type FileReader<'a> = BufReader<Capped<Box<dyn Read + 'a>>>;

impl Package {
    /// The document name of one of its files in findings: `bundle!file`.
    pub fn doc(&self, file: &str) -> String {
        format!("{}!{file}", self.name)
    }

    /// Whether the bundle has `file` at its root.
    pub fn has(&self, file: &str) -> bool {
        self.files.contains_key(file)
    }

    /// The root-level CSV file names.
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The limits the bundle is read under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Records that `n` bytes of a file were read (against the total cap).
    pub fn consumed(&mut self, n: u64) {
        self.consumed = self.consumed.saturating_add(n);
    }

    /// Opens `file` for streaming, capped at the per-file limit or what is
    /// left of the total, whichever is smaller.
    pub fn open(&mut self, file: &str) -> Result<FileReader<'_>, String> {
        let Some(&index) = self.files.get(file) else {
            return Err(format!("{file} is not in the bundle"));
        };
        let left = self.limits.max_total_bytes.saturating_sub(self.consumed);
        let (cap, which) = if left < self.limits.max_file_bytes {
            (left, "total")
        } else {
            (self.limits.max_file_bytes, "per-file")
        };
        let inner: Box<dyn Read + '_> = match &mut self.source {
            Source::Dir(root) => Box::new(
                std::fs::File::open(root.join(file)).map_err(|e| format!("cannot open: {e}"))?,
            ),
            Source::Zip(archive) => Box::new(
                archive
                    .by_index(index)
                    .map_err(|e| format!("cannot open the zip entry: {e}"))?,
            ),
        };
        let capped = Capped {
            inner,
            left: cap,
            exceeded: CapExceeded {
                cap: if which == "total" {
                    self.limits.max_total_bytes
                } else {
                    cap
                },
                which,
            },
        };
        Ok(BufReader::with_capacity(256 * 1024, capped))
    }
}

/// Opens `path` (a directory or a zip) and lists its files. Problems become
/// findings; `None` when nothing could be read.
pub fn open(path: &Path, limits: &Limits, out: &mut Validation) -> Option<Package> {
    for r in [PACKAGE_READABLE, PACKAGE_SAFE, PACKAGE_LAYOUT] {
        out.applies(r);
    }
    let name = path.display().to_string();
    if path.is_dir() {
        return Some(open_dir(path, name, limits));
    }
    open_zip(path, name, limits, out)
}

fn is_csv(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".csv")
}

fn open_dir(path: &Path, name: String, limits: &Limits) -> Package {
    let files = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| is_csv(n))
        .map(|n| (n, 0))
        .collect();
    Package {
        name,
        source: Source::Dir(path.to_path_buf()),
        files,
        limits: *limits,
        consumed: 0,
    }
}

fn open_zip(path: &Path, name: String, limits: &Limits, out: &mut Validation) -> Option<Package> {
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
    if archive.len() > limits.max_entries {
        let msg = format!(
            "{} entries, over the limit of {}; only the first {} are read",
            archive.len(),
            limits.max_entries,
            limits.max_entries
        );
        out.add(&name, "", PACKAGE_SAFE, Outcome::Fail, msg);
    }
    let mut files = BTreeMap::new();
    for i in 0..archive.len().min(limits.max_entries) {
        let entry = match archive.by_index_raw(i) {
            Ok(e) => e,
            Err(e) => {
                let msg = format!("zip entry #{i} cannot be read: {e}");
                out.add(&name, "", PACKAGE_READABLE, Outcome::Fail, msg);
                continue;
            }
        };
        let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let Some(enclosed) = entry.enclosed_name() else {
            let msg =
                format!("entry name {raw:?} escapes the bundle (absolute path or `..`); not read");
            out.add(&name, "", PACKAGE_SAFE, Outcome::Fail, msg);
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        let file = enclosed.to_string_lossy().replace('\\', "/");
        if file.contains('/') {
            let msg = format!("{file} is inside a folder; files must be at the root of the zip");
            out.add(
                &format!("{name}!{file}"),
                "",
                PACKAGE_LAYOUT,
                Outcome::Fail,
                msg,
            );
            continue;
        }
        if is_csv(&file) {
            files.insert(file, i);
        }
    }
    Some(Package {
        name,
        source: Source::Zip(Box::new(archive)),
        files,
        limits: *limits,
        consumed: 0,
    })
}
