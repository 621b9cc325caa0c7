//! Reading the inputs: files, directories (recursively), or `-` for standard
//! input; telling a JSON document from an NDJSON stream; turning every way an
//! input can be unreadable into a `caliper.document.well-formed` finding.
//!
//! Why findings and not errors: a certification report must say *which*
//! document was broken and how, next to the findings of the documents that were
//! fine. Only a path that does not exist is a usage error.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use accredit_core::Outcome;

use crate::context::Contexts;
use crate::rules::DOCUMENT_WELL_FORMED;
use crate::validate::{Validation, validate_value};

/// Inputs larger than this are refused (a finding), not read.
pub const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// File extensions picked up when walking a directory.
pub const EXTENSIONS: [&str; 3] = ["json", "jsonld", "ndjson"];

/// Why the inputs cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// No input was given.
    #[error("no input: give one or more files, directories, or `-` for standard input")]
    Empty,
    /// An input path does not exist.
    #[error("input {0} does not exist")]
    Missing(PathBuf),
    /// A directory holds no candidate file.
    #[error("directory {0} contains no *.json, *.jsonld or *.ndjson file")]
    EmptyDir(PathBuf),
}

/// One input document as bytes, or why it could not be read.
#[derive(Debug)]
pub struct Source {
    /// Name used in findings (path, or `-`).
    pub name: String,
    /// Whether the name says NDJSON.
    pub ndjson: bool,
    /// The bytes, or the reason they could not be read.
    pub bytes: Result<Vec<u8>, String>,
}

/// Expands `inputs` into sources (directories recursively, sorted).
pub fn collect(inputs: &[PathBuf]) -> Result<Vec<Source>, InputError> {
    if inputs.is_empty() {
        return Err(InputError::Empty);
    }
    let mut out = Vec::new();
    for p in inputs {
        if p.as_os_str() == "-" {
            out.push(Source {
                name: "-".into(),
                ndjson: false,
                bytes: read_capped(std::io::stdin().lock()),
            });
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|_| InputError::Missing(p.clone()))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files);
            if files.is_empty() {
                return Err(InputError::EmptyDir(p.clone()));
            }
            files.sort();
            out.extend(files.iter().map(|f| read_file(f)));
        } else {
            out.push(read_file(p));
        }
    }
    Ok(out)
}

/// Candidate files under `dir`; symlinked directories are not followed (no loops).
fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.filter_map(Result::ok) {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, files);
        } else if has_candidate_extension(&path) {
            files.push(path);
        }
    }
}

fn has_candidate_extension(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn read_file(p: &Path) -> Source {
    let name = p.display().to_string();
    let ndjson = p
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ndjson"));
    let bytes = match std::fs::metadata(p) {
        Ok(m) if m.len() > MAX_INPUT_BYTES => Err(too_big(m.len())),
        Ok(_) => std::fs::File::open(p)
            .map_err(|e| format!("cannot open: {e}"))
            .and_then(read_capped),
        Err(e) => Err(format!("cannot read: {e}")),
    };
    Source {
        name,
        ndjson,
        bytes,
    }
}

fn too_big(len: u64) -> String {
    format!(
        "input is {len} bytes, over the {} MiB limit; not validated",
        MAX_INPUT_BYTES / (1024 * 1024)
    )
}

fn read_capped(r: impl Read) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    r.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big(buf.len() as u64));
    }
    Ok(buf)
}

/// A parsed document: its name in findings and its value.
pub type Parsed = (String, Value);

/// Parses one source: one JSON document, or one document per NDJSON line
/// (named `path:LINE`). Problems become well-formed findings in `out`.
pub fn parse(source: &Source, out: &mut Validation) -> Vec<Parsed> {
    out.applies(DOCUMENT_WELL_FORMED);
    let name = source.name.as_str();
    let bytes = match &source.bytes {
        Ok(b) => b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b),
        Err(why) => return bad(out, name, "", why.clone()),
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let why = format!(
                "not valid UTF-8 (first invalid byte at offset {})",
                e.valid_up_to()
            );
            return bad(out, name, "", why);
        }
    };
    if text.trim().is_empty() {
        return bad(out, name, "", "empty document".into());
    }
    if source.ndjson {
        return parse_lines(name, text, out);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) => vec![(name.to_string(), v)],
        Err(e) if is_trailing(&e) && text.trim().lines().count() > 1 => {
            parse_lines(name, text, out)
        }
        Err(e) => bad(
            out,
            name,
            &format!("{}:{}", e.line(), e.column()),
            json_error(&e),
        ),
    }
}

fn is_trailing(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("trailing characters")
}

fn parse_lines(name: &str, text: &str, out: &mut Validation) -> Vec<Parsed> {
    let mut docs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc = format!("{name}:{}", i + 1);
        match serde_json::from_str::<Value>(line) {
            Ok(v) => docs.push((doc, v)),
            Err(e) => {
                let loc = format!("{}:{}", i + 1, e.column());
                let _ = bad(
                    out,
                    name,
                    &loc,
                    format!("NDJSON line {}: {}", i + 1, json_error(&e)),
                );
            }
        }
    }
    docs
}

fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.starts_with("recursion limit exceeded") {
        return "JSON nested too deeply (over 128 levels); refused".into();
    }
    format!("not valid JSON: {msg}")
}

fn bad(out: &mut Validation, doc: &str, loc: &str, why: String) -> Vec<Parsed> {
    out.add(doc, loc, DOCUMENT_WELL_FORMED, Outcome::Fail, why);
    Vec::new()
}

/// Reads, parses and validates every input.
pub fn validate_inputs(
    inputs: &[PathBuf],
    contexts: Option<&Contexts>,
) -> Result<Validation, InputError> {
    let mut out = Validation::default();
    for source in collect(inputs)? {
        for (doc, value) in parse(&source, &mut out) {
            out.merge(validate_value(&doc, &value, contexts));
        }
    }
    Ok(out)
}

/// Parses and validates bytes (a document that did not come from a file).
pub fn validate_bytes(name: &str, bytes: &[u8], contexts: Option<&Contexts>) -> Validation {
    let source = Source {
        name: name.to_string(),
        ndjson: false,
        bytes: Ok(bytes.to_vec()),
    };
    let mut out = Validation::default();
    for (doc, value) in parse(&source, &mut out) {
        out.merge(validate_value(&doc, &value, contexts));
    }
    out
}
