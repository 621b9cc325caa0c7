//! Writing, hashing, signing and verifying a report bundle.
//!
//! Why a directory with a `sha256sum`-style manifest rather than an archive: a
//! consortium reviewer must be able to check a bundle with stock tools, years later,
//! without trusting (or even having) accredit. `cd DIR && sha256sum -c MANIFEST.sha256`
//! proves integrity, and the optional detached signature `MANIFEST.sha256.sig`
//! (made with the system OpenSSL through the `openssl` crate, the one crypto stack
//! of the workspace) checks with `openssl dgst -sha256 -verify` (RSA, EC) or
//! `openssl pkeyutl -verify -rawin` (Ed25519). [`verify_bundle`] does the same
//! checks and lists *every* problem, not just the first, because a reviewer wants
//! to know the extent of the damage.
//!
//! Secrets: the report and evidence are redacted as data *before* rendering (so
//! that HTML- or XML-escaped forms of a secret cannot slip through), then every
//! file's bytes go through [`Redactor::redact_bytes`] and are checked with
//! [`Redactor::leaks`] before they touch the disk: a file that would still leak
//! is never written and [`write_bundle`] fails. `MANIFEST.sha256` (hashes and
//! our own file names) and the public key are leak-checked but not rewritten:
//! they are derived data, and rewriting them would only break verification.
//!
//! The public key `MANIFEST.sha256.pub` written next to the signature is a
//! convenience only: whoever tampers with the bundle can replace both. A
//! signature checked against it proves integrity, not origin; only a key the
//! reviewer obtained independently (`--pubkey`) proves who signed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::sign::{Signer, Verifier};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::{CaseEvidence, Report};
use crate::redact::Redactor;

/// Name of the manifest file.
pub const MANIFEST: &str = "MANIFEST.sha256";
/// Name of the detached signature over [`MANIFEST`].
pub const SIGNATURE: &str = "MANIFEST.sha256.sig";
/// Name of the convenience copy of the signer's public key.
pub const PUBLIC_KEY: &str = "MANIFEST.sha256.pub";
/// The canonical report.
pub const REPORT_JSON: &str = "report.json";
/// JUnit XML for CI systems.
pub const JUNIT_XML: &str = "junit.xml";
/// The self-contained HTML report.
pub const REPORT_HTML: &str = "report.html";
/// The Markdown summary.
pub const SUMMARY_MD: &str = "summary.md";
/// Directory of per-case evidence files.
pub const EVIDENCE_DIR: &str = "evidence";

/// Options for [`write_bundle`].
#[derive(Debug, Clone, Default)]
pub struct BundleOptions {
    /// PEM private key (RSA, EC or Ed25519) to sign `MANIFEST.sha256` with.
    pub sign_key: Option<PathBuf>,
}

/// Errors reading or writing a bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A JSON file could not be written or parsed.
    #[error("{path}: invalid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// A key could not be loaded, or signing failed.
    #[error("{path}: {message}")]
    Crypto {
        /// The key file (or the file being signed).
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A file would have contained a secret even after redaction; nothing of it
    /// was written.
    #[error("{path}: refusing to write: it would leak {what} even after redaction")]
    Leak {
        /// The file that was not written.
        path: PathBuf,
        /// Which secret (an encoded variant is not shown, only its kind when it is a key).
        what: String,
    },
    /// Two evidence records map to the same file name.
    #[error("{path}: evidence of cases {first:?} and {second:?} would share this file")]
    EvidenceCollision {
        /// The evidence file.
        path: PathBuf,
        /// First case id.
        first: String,
        /// Second case id.
        second: String,
    },
    /// JUnit serialization failed.
    #[error("{path}: JUnit serialization failed: {message}")]
    Junit {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn crypto_err(path: &Path) -> impl FnOnce(openssl::error::ErrorStack) -> BundleError + '_ {
    move |e| BundleError::Crypto {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// File name (inside `evidence/`) for a case's evidence. Case ids are
/// `[a-z0-9._-]` by convention and are kept as is (the runner writes
/// `evidence/<case-id>.json` into each case result); anything else that could
/// escape the directory or upset a file system becomes `_`.
pub fn evidence_file_name(case_id: &str) -> String {
    let mut name: String = case_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with('.') {
        name.insert(0, '_');
    }
    format!("{name}.json")
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(openssl::sha::sha256(bytes))
}

/// Redacts a value as data, string by string: serialize to a JSON tree, blank
/// secret-named members (`access_token` inside decoded JWT claims...), run
/// [`Redactor::redact_bytes`] over every string and member name, parse back.
/// Renderers then only ever see redacted strings, whatever escaping they apply.
/// Working per string (rather than on the whole serialized file) keeps the
/// structure intact even when a truncated body holds a PEM private key without
/// its END line (PEM redaction drops everything after an unterminated BEGIN).
fn redact_value<T: Serialize + DeserializeOwned>(
    value: &T,
    redactor: &Redactor,
    path: &Path,
) -> Result<T, BundleError> {
    let json_err = |source| BundleError::Json {
        path: path.to_path_buf(),
        source,
    };
    let mut tree = serde_json::to_value(value).map_err(json_err)?;
    redactor.redact_json(&mut tree);
    redact_strings(&mut tree, redactor);
    serde_json::from_value(tree).map_err(json_err)
}

fn redact_string(s: &str, redactor: &Redactor) -> String {
    String::from_utf8_lossy(&redactor.redact_bytes(s.as_bytes())).into_owned()
}

fn redact_strings(v: &mut serde_json::Value, redactor: &Redactor) {
    match v {
        serde_json::Value::String(s) => *s = redact_string(s, redactor),
        serde_json::Value::Array(items) => {
            for item in items {
                redact_strings(item, redactor);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, mut val) in std::mem::take(map) {
                redact_strings(&mut val, redactor);
                map.insert(redact_string(&k, redactor), val);
            }
        }
        _ => {}
    }
}

fn pretty_json<T: Serialize>(value: &T, path: &Path) -> Result<Vec<u8>, BundleError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| BundleError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes every bundle file into `dir` (created if missing) and returns their paths.
///
/// Files: `report.json`, `junit.xml`, `report.html`, `summary.md`,
/// `evidence/<case-id>.json`, `MANIFEST.sha256` and, with
/// [`BundleOptions::sign_key`], `MANIFEST.sha256.sig` and `MANIFEST.sha256.pub`.
/// Stale `evidence/*.json` files and a stale signature from an earlier bundle in
/// the same directory are removed first (they would otherwise be reported as
/// unlisted or fail verification); no other existing file is touched.
pub fn write_bundle(
    dir: &Path,
    report: &Report,
    evidence: &[CaseEvidence],
    redactor: &Redactor,
    opts: &BundleOptions,
) -> Result<Vec<PathBuf>, BundleError> {
    // Load the key first: a bad key must not leave a half-written bundle.
    let key = match &opts.sign_key {
        Some(p) => Some((p.clone(), load_private_key(p)?)),
        None => None,
    };

    let report = redact_value(report, redactor, &dir.join(REPORT_JSON))?;
    let evidence = merge_evidence(evidence, redactor, dir)?;
    let evidence_list: Vec<CaseEvidence> = evidence.values().cloned().collect();

    // Relative path -> bytes, sorted by path (the manifest order).
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert(
        REPORT_JSON.into(),
        pretty_json(&report, &dir.join(REPORT_JSON))?,
    );
    files.insert(
        JUNIT_XML.into(),
        crate::junit::try_render(&report)
            .map_err(|message| BundleError::Junit {
                path: dir.join(JUNIT_XML),
                message,
            })?
            .into_bytes(),
    );
    files.insert(
        REPORT_HTML.into(),
        crate::html::render(&report, &evidence_list).into_bytes(),
    );
    files.insert(
        SUMMARY_MD.into(),
        crate::markdown::render(&report).into_bytes(),
    );
    for (name, ev) in &evidence {
        let rel = format!("{EVIDENCE_DIR}/{name}");
        let bytes = pretty_json(ev, &dir.join(&rel))?;
        files.insert(rel, bytes);
    }

    // Last line of defence, checked before anything touches the disk.
    let mut redacted: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (rel, bytes) in files {
        let clean = redactor.redact_bytes(&bytes);
        if let Some(what) = redactor.leaks(&clean) {
            return Err(BundleError::Leak {
                path: dir.join(&rel),
                what: describe_leak(&what),
            });
        }
        redacted.insert(rel, clean);
    }

    let manifest = manifest_text(&redacted);
    if let Some(what) = redactor.leaks(manifest.as_bytes()) {
        return Err(BundleError::Leak {
            path: dir.join(MANIFEST),
            what: describe_leak(&what),
        });
    }

    prepare_dir(dir)?;
    let mut written = Vec::new();
    for (rel, bytes) in &redacted {
        written.push(write_file(dir, rel, bytes)?);
    }
    written.push(write_file(dir, MANIFEST, manifest.as_bytes())?);
    if let Some((key_path, key)) = key {
        let sig = sign_bytes(&key, manifest.as_bytes(), &key_path)?;
        let public = key.public_key_to_pem().map_err(crypto_err(&key_path))?;
        written.push(write_file(dir, SIGNATURE, &sig)?);
        written.push(write_file(dir, PUBLIC_KEY, &public)?);
    }

    // Belt and braces: what is on disk is what we checked. The signature is
    // skipped: it is random-looking binary derived from the manifest, where a
    // short configured secret could "match" by pure chance.
    for path in written.iter().filter(|p| !p.ends_with(SIGNATURE)) {
        let bytes = std::fs::read(path).map_err(io_err(path))?;
        if let Some(what) = redactor.leaks(&bytes) {
            let _ = std::fs::remove_file(path);
            return Err(BundleError::Leak {
                path: path.clone(),
                what: describe_leak(&what),
            });
        }
    }
    Ok(written)
}

fn describe_leak(what: &str) -> String {
    // `Redactor::leaks` returns the secret itself (never echo it) or this description.
    if what == "a PEM private key" {
        what.to_string()
    } else {
        format!("a configured secret ({} characters)", what.chars().count())
    }
}

/// Groups evidence by file name; several records for one case are concatenated.
fn merge_evidence(
    evidence: &[CaseEvidence],
    redactor: &Redactor,
    dir: &Path,
) -> Result<BTreeMap<String, CaseEvidence>, BundleError> {
    let mut out: BTreeMap<String, CaseEvidence> = BTreeMap::new();
    for ev in evidence {
        let name = evidence_file_name(&ev.case_id);
        let path = dir.join(EVIDENCE_DIR).join(&name);
        let ev = redact_value(ev, redactor, &path)?;
        match out.get_mut(&name) {
            Some(existing) if existing.case_id != ev.case_id => {
                return Err(BundleError::EvidenceCollision {
                    path,
                    first: existing.case_id.clone(),
                    second: ev.case_id,
                });
            }
            Some(existing) => {
                existing.exchanges.extend(ev.exchanges);
                existing.log.extend(ev.log);
            }
            None => {
                out.insert(name, ev);
            }
        }
    }
    Ok(out)
}

fn prepare_dir(dir: &Path) -> Result<(), BundleError> {
    let ev_dir = dir.join(EVIDENCE_DIR);
    std::fs::create_dir_all(&ev_dir).map_err(io_err(&ev_dir))?;
    for entry in std::fs::read_dir(&ev_dir).map_err(io_err(&ev_dir))? {
        let entry = entry.map_err(io_err(&ev_dir))?;
        let path = entry.path();
        let is_file = entry.file_type().map_err(io_err(&path))?.is_file();
        if is_file && path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(&path).map_err(io_err(&path))?;
        }
    }
    for stale in [SIGNATURE, PUBLIC_KEY] {
        let path = dir.join(stale);
        if path.exists() {
            std::fs::remove_file(&path).map_err(io_err(&path))?;
        }
    }
    Ok(())
}

fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<PathBuf, BundleError> {
    let path = dir.join(rel);
    std::fs::write(&path, bytes).map_err(io_err(&path))?;
    Ok(path)
}

/// The manifest text for the given files (relative path → bytes): one
/// `<sha256hex>  <path>` line per file, sorted by path, as `sha256sum` writes it.
pub fn manifest_text(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut out = String::new();
    for (rel, bytes) in files {
        out.push_str(&sha256_hex(bytes));
        out.push_str("  ");
        out.push_str(rel);
        out.push('\n');
    }
    out
}

/// Loads a PEM private key (PKCS#8, traditional RSA or EC) and checks that it is
/// a kind we can sign with.
pub fn load_private_key(path: &Path) -> Result<PKey<Private>, BundleError> {
    let pem = std::fs::read(path).map_err(io_err(path))?;
    let key = PKey::private_key_from_pem(&pem).map_err(|e| BundleError::Crypto {
        path: path.to_path_buf(),
        message: format!("not a PEM private key: {e}"),
    })?;
    match key.id() {
        Id::RSA | Id::EC | Id::ED25519 => Ok(key),
        other => Err(BundleError::Crypto {
            path: path.to_path_buf(),
            message: format!("unsupported key type {other:?}: use RSA, EC or Ed25519"),
        }),
    }
}

/// Loads a PEM public key, or the public key of a PEM X.509 certificate.
pub fn load_public_key(path: &Path) -> Result<PKey<Public>, BundleError> {
    let pem = std::fs::read(path).map_err(io_err(path))?;
    public_key_from_pem(&pem).map_err(|message| BundleError::Crypto {
        path: path.to_path_buf(),
        message,
    })
}

fn public_key_from_pem(pem: &[u8]) -> Result<PKey<Public>, String> {
    match PKey::public_key_from_pem(pem) {
        Ok(k) => Ok(k),
        Err(e) => match openssl::x509::X509::from_pem(pem) {
            Ok(cert) => cert.public_key().map_err(|e| e.to_string()),
            Err(_) => Err(format!("not a PEM public key or certificate: {e}")),
        },
    }
}

/// Detached signature over `data`: SHA-256 digest signature for RSA (PKCS#1 v1.5)
/// and EC (DER ECDSA), pure Ed25519 otherwise — the formats `openssl dgst -sha256
/// -sign` and `openssl pkeyutl -sign -rawin` produce.
pub fn sign_bytes(
    key: &PKey<Private>,
    data: &[u8],
    key_path: &Path,
) -> Result<Vec<u8>, BundleError> {
    let err = crypto_err(key_path);
    if key.id() == Id::ED25519 {
        let mut signer = Signer::new_without_digest(key).map_err(err)?;
        return signer
            .sign_oneshot_to_vec(data)
            .map_err(crypto_err(key_path));
    }
    let mut signer = Signer::new(MessageDigest::sha256(), key).map_err(err)?;
    signer.update(data).map_err(crypto_err(key_path))?;
    signer.sign_to_vec().map_err(crypto_err(key_path))
}

/// Checks a detached signature made by [`sign_bytes`].
pub fn verify_signature(key: &PKey<Public>, data: &[u8], sig: &[u8]) -> Result<bool, String> {
    let e = |e: openssl::error::ErrorStack| e.to_string();
    if key.id() == Id::ED25519 {
        let mut v = Verifier::new_without_digest(key).map_err(e)?;
        return v.verify_oneshot(sig, data).map_err(e);
    }
    let mut v = Verifier::new(MessageDigest::sha256(), key).map_err(e)?;
    v.update(data).map_err(e)?;
    // OpenSSL reports a malformed signature as an error rather than `false`.
    Ok(v.verify(sig).unwrap_or(false))
}

/// One thing wrong with a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `MANIFEST.sha256` is absent or unreadable.
    ManifestMissing,
    /// A manifest line is not `<64 hex>  <relative path>`, or repeats a path.
    ManifestMalformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A file listed in the manifest does not exist.
    Missing {
        /// Relative path.
        path: String,
    },
    /// A file's hash differs from the manifest.
    Modified {
        /// Relative path.
        path: String,
        /// Hash in the manifest.
        expected: String,
        /// Hash of the file on disk.
        actual: String,
    },
    /// A file in the directory is not listed in the manifest.
    Unlisted {
        /// Relative path.
        path: String,
    },
    /// A public key was given but the bundle has no `MANIFEST.sha256.sig`.
    SignatureMissing,
    /// The signature does not verify (or could not be checked).
    BadSignature {
        /// Which key it was checked against, and why it failed.
        reason: String,
    },
    /// The bundle's `MANIFEST.sha256.pub` is not the key the reviewer gave, or is unreadable.
    EmbeddedKeyMismatch {
        /// Detail.
        reason: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ManifestMissing => write!(f, "{MANIFEST} is missing or unreadable"),
            Problem::ManifestMalformed { line, reason } => {
                write!(f, "{MANIFEST} line {line} is malformed: {reason}")
            }
            Problem::Missing { path } => write!(f, "{path}: listed in the manifest but missing"),
            Problem::Modified {
                path,
                expected,
                actual,
            } => write!(
                f,
                "{path}: MODIFIED (manifest sha256 {expected}, file sha256 {actual})"
            ),
            Problem::Unlisted { path } => {
                write!(f, "{path}: present but not listed in the manifest")
            }
            Problem::SignatureMissing => {
                write!(f, "{SIGNATURE} is missing but a public key was given")
            }
            Problem::BadSignature { reason } => write!(f, "BAD SIGNATURE: {reason}"),
            Problem::EmbeddedKeyMismatch { reason } => write!(f, "{PUBLIC_KEY}: {reason}"),
        }
    }
}

/// What the signature check established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The bundle is not signed and no key was given.
    Unsigned,
    /// The bundle is signed, but there is no key to check it with.
    NotChecked,
    /// Valid against the key the reviewer supplied: integrity *and* origin.
    ValidGivenKey {
        /// The reviewer's key file.
        key: PathBuf,
    },
    /// Valid against the bundle's own `MANIFEST.sha256.pub` only: proves the
    /// files were not changed after signing, NOT who signed them.
    ValidEmbeddedKeyOnly,
    /// Missing or invalid (see the problems).
    Failed,
}

impl fmt::Display for SignatureCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureCheck::Unsigned => f.write_str("bundle is not signed"),
            SignatureCheck::NotChecked => write!(
                f,
                "bundle is signed but no public key is available: signature not checked"
            ),
            SignatureCheck::ValidGivenKey { key } => {
                write!(f, "signature valid for the given key {}", key.display())
            }
            SignatureCheck::ValidEmbeddedKeyOnly => write!(
                f,
                "signature valid, but checked ONLY against the key embedded in the bundle \
                 ({PUBLIC_KEY}): this proves integrity, not origin; pass the signer's \
                 public key to prove who signed"
            ),
            SignatureCheck::Failed => f.write_str("signature check FAILED"),
        }
    }
}

/// The result of [`verify_bundle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Number of manifest entries whose hash matched.
    pub files_ok: usize,
    /// Number of entries in the manifest.
    pub files_listed: usize,
    /// Every problem found, in a stable order.
    pub problems: Vec<Problem>,
    /// What the signature check established.
    pub signature: SignatureCheck,
}

impl Verification {
    /// True when no problem was found.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One line per problem, then a summary line and `OK` or `FAILED: n problem(s)`;
/// every line ends with a newline.
impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        writeln!(
            f,
            "{}/{} listed files intact; {}",
            self.files_ok, self.files_listed, self.signature
        )?;
        if self.ok() {
            writeln!(f, "OK")
        } else {
            writeln!(f, "FAILED: {} problem(s)", self.problems.len())
        }
    }
}

/// Parses `MANIFEST.sha256` text into (path → hash), reporting malformed lines.
fn parse_manifest(text: &str, problems: &mut Vec<Problem>) -> BTreeMap<String, String> {
    let mut entries = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let mut bad = |reason: &str| {
            problems.push(Problem::ManifestMalformed {
                line: line_no,
                reason: reason.to_string(),
            })
        };
        let Some((hash, path)) = line.split_once("  ") else {
            bad("expected `<sha256 hex>  <relative path>`");
            continue;
        };
        if hash.len() != 64
            || !hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            bad("hash is not 64 lowercase hex digits");
            continue;
        }
        if path.is_empty()
            || path.starts_with('/')
            || path.contains('\\')
            || path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            bad("path is not a plain relative path inside the bundle");
            continue;
        }
        if path == MANIFEST || path == SIGNATURE || path == PUBLIC_KEY {
            bad("the manifest cannot list itself, its signature or its key");
            continue;
        }
        if entries.insert(path.to_string(), hash.to_string()).is_some() {
            bad("path listed twice");
        }
    }
    if !text.is_empty() && !text.ends_with('\n') {
        problems.push(Problem::ManifestMalformed {
            line: text.lines().count(),
            reason: "missing final newline".into(),
        });
    }
    entries
}

/// Every file under `dir`, as `/`-separated relative paths.
fn list_files(dir: &Path) -> Result<BTreeSet<String>, BundleError> {
    let mut out = BTreeSet::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        for entry in std::fs::read_dir(&abs).map_err(io_err(&abs))? {
            let entry = entry.map_err(io_err(&abs))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child_rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let path = entry.path();
            if entry.file_type().map_err(io_err(&path))?.is_dir() {
                stack.push((path, child_rel));
            } else {
                out.insert(child_rel);
            }
        }
    }
    Ok(out)
}

/// Verifies a bundle: recomputes every hash in `MANIFEST.sha256`, reports missing,
/// modified and unlisted files and a malformed manifest, and checks the signature.
///
/// With `pubkey`, the signature must exist and verify against that key (and the
/// embedded `MANIFEST.sha256.pub`, if any, must be the same key). Without it, a
/// signature is checked against the embedded key, which is reported as
/// [`SignatureCheck::ValidEmbeddedKeyOnly`]: integrity, not origin.
///
/// Returns `Err` only when the directory or the given key cannot be read at all;
/// everything wrong with the bundle itself is a [`Problem`].
pub fn verify_bundle(dir: &Path, pubkey: Option<&Path>) -> Result<Verification, BundleError> {
    let given_key = match pubkey {
        Some(p) => Some((p.to_path_buf(), load_public_key(p)?)),
        None => None,
    };
    let meta = std::fs::metadata(dir).map_err(io_err(dir))?;
    if !meta.is_dir() {
        return Err(BundleError::Other(format!(
            "{}: not a bundle directory",
            dir.display()
        )));
    }
    let mut problems = Vec::new();
    let manifest_bytes = std::fs::read(dir.join(MANIFEST)).ok();
    let entries = match &manifest_bytes {
        None => {
            problems.push(Problem::ManifestMissing);
            BTreeMap::new()
        }
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => parse_manifest(text, &mut problems),
            Err(_) => {
                problems.push(Problem::ManifestMalformed {
                    line: 0,
                    reason: "not UTF-8".into(),
                });
                BTreeMap::new()
            }
        },
    };

    let mut files_ok = 0;
    for (rel, expected) in &entries {
        let path = dir.join(rel);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let actual = sha256_hex(&bytes);
                if &actual == expected {
                    files_ok += 1;
                } else {
                    problems.push(Problem::Modified {
                        path: rel.clone(),
                        expected: expected.clone(),
                        actual,
                    });
                }
            }
            Err(_) => problems.push(Problem::Missing { path: rel.clone() }),
        }
    }
    for rel in list_files(dir)? {
        if rel == MANIFEST || rel == SIGNATURE || rel == PUBLIC_KEY {
            continue;
        }
        if !entries.contains_key(&rel) {
            problems.push(Problem::Unlisted { path: rel });
        }
    }

    let signature = check_signature(
        dir,
        manifest_bytes.as_deref(),
        given_key.as_ref(),
        &mut problems,
    );
    Ok(Verification {
        files_ok,
        files_listed: entries.len(),
        problems,
        signature,
    })
}

fn check_signature(
    dir: &Path,
    manifest: Option<&[u8]>,
    given: Option<&(PathBuf, PKey<Public>)>,
    problems: &mut Vec<Problem>,
) -> SignatureCheck {
    let sig = std::fs::read(dir.join(SIGNATURE)).ok();
    let embedded_pem = std::fs::read(dir.join(PUBLIC_KEY)).ok();
    let embedded = embedded_pem.as_deref().map(public_key_from_pem);

    match given {
        Some((key_path, key)) => {
            if let Some(emb) = &embedded {
                match emb {
                    Ok(emb) if emb.public_eq(key) => {}
                    Ok(_) => problems.push(Problem::EmbeddedKeyMismatch {
                        reason: format!(
                            "is not the given key {}: the bundle claims another signer",
                            key_path.display()
                        ),
                    }),
                    Err(e) => problems.push(Problem::EmbeddedKeyMismatch {
                        reason: format!("unreadable: {e}"),
                    }),
                }
            }
            let Some(sig) = sig else {
                problems.push(Problem::SignatureMissing);
                return SignatureCheck::Failed;
            };
            let Some(manifest) = manifest else {
                return SignatureCheck::Failed;
            };
            match verify_signature(key, manifest, &sig) {
                Ok(true) => SignatureCheck::ValidGivenKey {
                    key: key_path.clone(),
                },
                Ok(false) => {
                    problems.push(Problem::BadSignature {
                        reason: format!(
                            "{SIGNATURE} does not match {MANIFEST} for the given key {}",
                            key_path.display()
                        ),
                    });
                    SignatureCheck::Failed
                }
                Err(e) => {
                    problems.push(Problem::BadSignature {
                        reason: format!("checking with {}: {e}", key_path.display()),
                    });
                    SignatureCheck::Failed
                }
            }
        }
        None => {
            let Some(sig) = sig else {
                if embedded.is_some() {
                    problems.push(Problem::SignatureMissing);
                    return SignatureCheck::Failed;
                }
                return SignatureCheck::Unsigned;
            };
            let Some(manifest) = manifest else {
                return SignatureCheck::Failed;
            };
            match embedded {
                None => SignatureCheck::NotChecked,
                Some(Err(e)) => {
                    problems.push(Problem::EmbeddedKeyMismatch {
                        reason: format!("unreadable: {e}"),
                    });
                    SignatureCheck::Failed
                }
                Some(Ok(key)) => match verify_signature(&key, manifest, &sig) {
                    Ok(true) => SignatureCheck::ValidEmbeddedKeyOnly,
                    Ok(false) => {
                        problems.push(Problem::BadSignature {
                            reason: format!(
                                "{SIGNATURE} does not match {MANIFEST} for the embedded key {PUBLIC_KEY}"
                            ),
                        });
                        SignatureCheck::Failed
                    }
                    Err(e) => {
                        problems.push(Problem::BadSignature {
                            reason: format!("checking with the embedded key: {e}"),
                        });
                        SignatureCheck::Failed
                    }
                },
            }
        }
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, BundleError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    serde_json::from_slice(&bytes).map_err(|source| BundleError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads `report.json` from a bundle directory.
pub fn read_report(dir: &Path) -> Result<Report, BundleError> {
    read_json(&dir.join(REPORT_JSON))
}

/// Reads every `evidence/*.json` of a bundle, sorted by file name. A bundle
/// without an `evidence` directory has no evidence.
pub fn read_evidence(dir: &Path) -> Result<Vec<CaseEvidence>, BundleError> {
    let ev_dir = dir.join(EVIDENCE_DIR);
    if !ev_dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(&ev_dir).map_err(io_err(&ev_dir))? {
        let path = entry.map_err(io_err(&ev_dir))?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|p| read_json(p)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("lti.tool.core.launch.valid", "lti.tool.core.launch.valid.json")]
    #[case("_unattributed", "_unattributed.json")]
    #[case("../../etc/passwd", "_.._.._etc_passwd.json")]
    #[case("", "_.json")]
    #[case("a/b c", "a_b_c.json")]
    fn evidence_names_stay_inside(#[case] id: &str, #[case] expected: &str) {
        assert_eq!(evidence_file_name(id), expected);
    }

    #[rstest]
    #[case("zz  report.json\n", "hash is not 64")]
    #[case("no-separator\n", "expected")]
    #[case(&format!("{}  ../x\n", "a".repeat(64)), "plain relative path")]
    #[case(&format!("{}  /etc/x\n", "a".repeat(64)), "plain relative path")]
    #[case(&format!("{h}  a\n{h}  a\n", h = "a".repeat(64)), "listed twice")]
    #[case(&format!("{}  MANIFEST.sha256\n", "a".repeat(64)), "cannot list itself")]
    #[case(&format!("{}  a", "a".repeat(64)), "final newline")]
    fn malformed_manifests(#[case] text: &str, #[case] reason: &str) {
        let mut problems = Vec::new();
        parse_manifest(text, &mut problems);
        assert!(
            problems.iter().any(
                |p| matches!(p, Problem::ManifestMalformed { reason: r, .. } if r.contains(reason))
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn manifest_is_sorted_sha256sum_format() {
        let mut files = BTreeMap::new();
        files.insert("b.txt".to_string(), b"b".to_vec());
        files.insert("a.txt".to_string(), b"".to_vec());
        let text = manifest_text(&files);
        assert_eq!(
            text,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.txt\n\
             3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  b.txt\n"
        );
    }
}
