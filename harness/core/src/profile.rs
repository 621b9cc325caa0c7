//! Candidate profiles: the TOML file that describes the implementation under test.
//!
//! ```toml
//! [candidate]
//! name = "Acme Tool"
//! version = "2.1.0"
//!
//! [lti-tool]            # one table per suite, owned by that suite
//! login_url = "https://tool.example/lti/login"
//! client_secret = "env:ACME_SECRET"   # secrets are never written inline
//! ```
//!
//! The core owns the `[candidate]` table and the rule that every other top-level
//! table names a known suite; each suite deserializes its own table with
//! [`ProfileDoc::section`] (use `#[serde(deny_unknown_fields)]`). Every error
//! names the file, line, column and key, because the person reading it is a vendor
//! editing that file.

use std::marker::PhantomData;
use std::path::Path;

use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use toml::de::{DeTable, DeValue};

use accredit_reports::CandidateInfo;

/// A profile error: where, which key, what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {key}: {message}")]
pub struct ProfileError {
    /// The profile file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The key (or table) concerned.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// A parsed profile.
#[derive(Debug, Clone)]
pub struct ProfileDoc {
    path: String,
    text: String,
    candidate: CandidateInfo,
    headers: Vec<(String, String)>,
    suites: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CandidateTable {
    name: String,
    version: Option<String>,
    vendor: Option<String>,
    description: Option<String>,
    /// Headers sent with every request the harness makes to the candidate (a dev
    /// build behind basic auth, a staging token). Values may be `env:NAME` /
    /// `file:PATH` references; resolved values are treated as secrets.
    http_headers: Option<std::collections::BTreeMap<String, String>>,
}

impl ProfileDoc {
    /// Reads and checks a profile file. `known_suites` are the table names allowed
    /// besides `[candidate]`.
    pub fn load(path: &Path, known_suites: &[&str]) -> Result<ProfileDoc, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            key: "(file)".into(),
            message: format!("cannot read the profile: {e}"),
        })?;
        ProfileDoc::parse(&path.display().to_string(), &text, known_suites)
    }

    /// Checks a profile given as text; `path` is only used in messages.
    pub fn parse(
        path: &str,
        text: &str,
        known_suites: &[&str],
    ) -> Result<ProfileDoc, ProfileError> {
        let table = DeTable::parse(text).map_err(|e| toml_error(path, text, &e))?;
        let mut candidate = None;
        let mut headers = Vec::new();
        let mut suites = Vec::new();
        for (key, value) in table.get_ref().iter() {
            let name = key.get_ref().as_ref();
            if name == "candidate" {
                let de = toml::de::ValueDeserializer::from(value.clone());
                let c = CandidateTable::deserialize(de).map_err(|e| toml_error(path, text, &e))?;
                for (name, value) in c.http_headers.unwrap_or_default() {
                    let resolved = match resolve_secret_ref(&value) {
                        Some(Ok(v)) => v,
                        Some(Err(msg)) => {
                            let off = text.find(&value).unwrap_or(0);
                            return Err(position(
                                path,
                                text,
                                off,
                                format!("http_headers.{name}"),
                                msg,
                            ));
                        }
                        None => value,
                    };
                    if http::HeaderName::from_bytes(name.as_bytes()).is_err()
                        || http::HeaderValue::from_str(&resolved).is_err()
                    {
                        let off = text.find(&name).unwrap_or(0);
                        return Err(position(
                            path,
                            text,
                            off,
                            format!("http_headers.{name}"),
                            "not a valid HTTP header name or value".into(),
                        ));
                    }
                    headers.push((name, resolved));
                }
                candidate = Some(CandidateInfo {
                    name: c.name,
                    version: c.version,
                    vendor: c.vendor,
                    description: c.description,
                    profile: Some(path.to_string()),
                });
            } else if known_suites.contains(&name) {
                if !matches!(value.get_ref(), DeValue::Table(_)) {
                    return Err(at(
                        path,
                        text,
                        value.span(),
                        name,
                        "must be a table (`[name]`)",
                    ));
                }
                suites.push(name.to_string());
            } else {
                return Err(at(
                    path,
                    text,
                    key.span(),
                    name,
                    &format!(
                        "unknown table; expected `candidate` or a suite id ({})",
                        known_suites.join(", ")
                    ),
                ));
            }
        }
        let candidate = candidate.ok_or_else(|| ProfileError {
            file: path.to_string(),
            line: 1,
            column: 1,
            key: "candidate".into(),
            message: "missing table `[candidate]` (at least `name = \"...\"`)".into(),
        })?;
        Ok(ProfileDoc {
            path: path.to_string(),
            text: text.to_string(),
            candidate,
            headers,
            suites,
        })
    }

    /// The `[candidate]` table.
    pub fn candidate(&self) -> &CandidateInfo {
        &self.candidate
    }

    /// `[candidate] http_headers`, resolved, for every harness-to-candidate request.
    pub fn http_headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Suite tables present, in file order.
    pub fn suites(&self) -> &[String] {
        &self.suites
    }

    /// The file the profile came from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Deserializes the table `[suite]`, or `None` when absent.
    pub fn section<T: DeserializeOwned>(&self, suite: &str) -> Result<Option<T>, ProfileError> {
        let de = toml::de::Deserializer::parse(&self.text)
            .map_err(|e| toml_error(&self.path, &self.text, &e))?;
        SectionSeed::<T> {
            name: suite,
            _t: PhantomData,
        }
        .deserialize(de)
        .map_err(|e| toml_error(&self.path, &self.text, &e))
    }

    /// Like [`ProfileDoc::section`] but the table is required.
    pub fn require_section<T: DeserializeOwned>(&self, suite: &str) -> Result<T, ProfileError> {
        self.section(suite)?.ok_or_else(|| ProfileError {
            file: self.path.clone(),
            line: 1,
            column: 1,
            key: suite.to_string(),
            message: format!(
                "missing table `[{suite}]`; `accredit init {suite}` writes a template"
            ),
        })
    }

    /// Every secret value the profile references (`env:`/`file:` strings that
    /// resolve), for the redactor.
    pub fn secret_values(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(table) = DeTable::parse(&self.text) {
            for (_, v) in table.get_ref().iter() {
                collect_secrets(v.get_ref(), &mut out);
            }
        }
        out
    }
}

fn collect_secrets(v: &DeValue<'_>, out: &mut Vec<String>) {
    match v {
        DeValue::String(s) => {
            if let Some(Ok(val)) = resolve_secret_ref(s) {
                out.push(val);
            }
        }
        DeValue::Array(a) => a.iter().for_each(|x| collect_secrets(x.get_ref(), out)),
        DeValue::Table(t) => t
            .iter()
            .for_each(|(_, x)| collect_secrets(x.get_ref(), out)),
        _ => {}
    }
}

/// Resolves `env:NAME` or `file:PATH`; `None` when `s` is not a reference.
fn resolve_secret_ref(s: &str) -> Option<Result<String, String>> {
    if let Some(name) = s.strip_prefix("env:") {
        return Some(
            std::env::var(name).map_err(|_| format!("environment variable `{name}` is not set")),
        );
    }
    if let Some(path) = s.strip_prefix("file:") {
        return Some(
            std::fs::read_to_string(path)
                .map(|t| t.trim_end_matches(['\n', '\r']).to_string())
                .map_err(|e| format!("cannot read secret file `{path}`: {e}")),
        );
    }
    None
}

struct SectionSeed<'n, T> {
    name: &'n str,
    _t: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for SectionSeed<'_, T> {
    type Value = Option<T>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for SectionSeed<'_, T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a profile table")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        let mut out = None;
        while let Some(k) = map.next_key::<String>()? {
            if k == self.name {
                out = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

fn toml_error(path: &str, text: &str, e: &toml::de::Error) -> ProfileError {
    let span = e.span().unwrap_or(0..0);
    let snippet = text.get(span.clone()).unwrap_or("").trim();
    let key = key_at(text, span.start, snippet);
    position(path, text, span.start, key, e.message().trim().to_string())
}

fn at(
    path: &str,
    text: &str,
    span: std::ops::Range<usize>,
    key: &str,
    message: &str,
) -> ProfileError {
    position(path, text, span.start, key.to_string(), message.to_string())
}

fn position(path: &str, text: &str, offset: usize, key: String, message: String) -> ProfileError {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |i| offset - i - 1) + 1;
    ProfileError {
        file: path.to_string(),
        line,
        column,
        key,
        message,
    }
}

/// The key an error points at: the `key =` of its line, or the table header.
fn key_at(text: &str, offset: usize, snippet: &str) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text[line_start..line_end].trim();
    if let Some((k, _)) = line.split_once('=') {
        return k.trim().to_string();
    }
    if line.starts_with('[') {
        // The error spans a whole table: name the table and the innermost header.
        return line.trim_matches(|c| c == '[' || c == ']').to_string();
    }
    if snippet.is_empty() {
        "(document)".into()
    } else {
        snippet.to_string()
    }
}

/// A secret in a profile: written as `env:NAME` (or `file:PATH`), resolved at load.
/// Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    reference: String,
    value: String,
}

impl Secret {
    /// The secret value. Only pass it to the candidate; never log it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The reference as written (`env:NAME`), safe to show.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// A secret built in code (tests, the demo's generated profiles).
    pub fn from_value(reference: impl Into<String>, value: impl Into<String>) -> Secret {
        Secret {
            reference: reference.into(),
            value: value.into(),
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.reference)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        let s = String::deserialize(d)?;
        match resolve_secret_ref(&s) {
            Some(Ok(value)) => Ok(Secret {
                reference: s,
                value,
            }),
            Some(Err(msg)) => Err(serde::de::Error::custom(msg)),
            None => Err(serde::de::Error::custom(
                "secrets must be references, `env:NAME` or `file:PATH`, never inline values",
            )),
        }
    }
}

/// An absolute `http` or `https` URL in a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(pub url::Url);

impl HttpUrl {
    /// As a string.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<HttpUrl, D::Error> {
        let s = String::deserialize(d)?;
        let u = url::Url::parse(&s).map_err(|e| {
            serde::de::Error::custom(format!("`{s}` is not a valid absolute URL: {e}"))
        })?;
        if u.scheme() != "http" && u.scheme() != "https" {
            return Err(serde::de::Error::custom(format!(
                "`{s}` must be an http or https URL"
            )));
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err(serde::de::Error::custom(format!("`{s}` has no host")));
        }
        Ok(HttpUrl(u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        #[allow(dead_code)]
        url: HttpUrl,
        #[allow(dead_code)]
        secret: Option<Secret>,
        #[allow(dead_code)]
        count: Option<u32>,
    }

    const SUITES: &[&str] = &["demo"];

    fn err_of(text: &str) -> ProfileError {
        let doc = match ProfileDoc::parse("p.toml", text, SUITES) {
            Ok(d) => d,
            Err(e) => return e,
        };
        match doc.require_section::<Demo>("demo") {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e,
        }
    }

    #[rstest]
    #[case::unknown_key(
        "[candidate]\nname = \"x\"\n[demo]\nurl = \"http://a\"\nurll = \"http://b\"\n",
        5,
        "urll",
        "unknown field"
    )]
    #[case::bad_url(
        "[candidate]\nname = \"x\"\n[demo]\nurl = \"not a url\"\n",
        4,
        "url",
        "not a valid absolute URL"
    )]
    #[case::ftp_url(
        "[candidate]\nname = \"x\"\n[demo]\nurl = \"ftp://a/b\"\n",
        4,
        "url",
        "http or https"
    )]
    #[case::inline_secret(
        "[candidate]\nname = \"x\"\n[demo]\nurl = \"http://a\"\nsecret = \"hunter2\"\n",
        5,
        "secret",
        "never inline"
    )]
    #[case::missing_env(
        "[candidate]\nname = \"x\"\n[demo]\nurl = \"http://a\"\nsecret = \"env:ACCREDIT_TEST_SURELY_UNSET\"\n",
        5,
        "secret",
        "ACCREDIT_TEST_SURELY_UNSET"
    )]
    #[case::wrong_type(
        "[candidate]\nname = \"x\"\n[demo]\nurl = \"http://a\"\ncount = \"three\"\n",
        5,
        "count",
        "invalid type"
    )]
    #[case::unknown_table(
        "[candidate]\nname = \"x\"\n[dmeo]\nurl = \"http://a\"\n",
        3,
        "dmeo",
        "unknown table"
    )]
    #[case::unknown_candidate_key(
        "[candidate]\nname = \"x\"\nvesion = \"1\"\n",
        3,
        "vesion",
        "unknown field"
    )]
    #[case::syntax("[candidate]\nname = \"x\n", 2, "", "")]
    fn errors_name_line_and_key(
        #[case] text: &str,
        #[case] line: usize,
        #[case] key: &str,
        #[case] msg: &str,
    ) {
        let e = err_of(text);
        assert_eq!(e.line, line, "{e}");
        assert!(e.key.contains(key), "key {:?} in {e}", e.key);
        assert!(e.message.contains(msg), "message {:?} in {e}", e.message);
        assert!(e.to_string().starts_with("p.toml:"), "{e}");
    }

    #[test]
    fn candidate_headers_resolve_references() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("tok");
        std::fs::write(&f, "staging-token-1\n").expect("write");
        let text = format!(
            "[candidate]\nname = \"x\"\nhttp_headers = {{ \"X-Staging\" = \"file:{}\", \"X-Plain\" = \"v\" }}\n",
            f.display()
        );
        let doc = ProfileDoc::parse("p.toml", &text, SUITES).expect("valid");
        assert!(
            doc.http_headers()
                .contains(&("X-Staging".to_string(), "staging-token-1".to_string()))
        );
        assert!(doc.secret_values().contains(&"staging-token-1".to_string()));
        let bad = ProfileDoc::parse(
            "p.toml",
            "[candidate]\nname = \"x\"\nhttp_headers = { \"Bad Name\" = \"v\" }\n",
            SUITES,
        )
        .expect_err("invalid header name");
        assert_eq!(bad.line, 3, "{bad}");
    }

    #[test]
    fn missing_section_is_named() {
        let doc = ProfileDoc::parse("p.toml", "[candidate]\nname = \"x\"\n", SUITES)
            .expect("valid profile");
        let e = doc.require_section::<Demo>("demo").expect_err("missing");
        assert!(e.message.contains("accredit init demo"), "{e}");
    }

    #[test]
    fn secrets_resolve_from_env_and_are_collected() {
        // SAFETY-free: set_var is unsafe in edition 2024 only for multi-threaded
        // races; use a file reference instead to stay safe.
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("s");
        std::fs::write(&f, "s3cret-from-file\n").expect("write");
        let text = format!(
            "[candidate]\nname = \"x\"\n[demo]\nurl = \"http://a\"\nsecret = \"file:{}\"\n",
            f.display()
        );
        let doc = ProfileDoc::parse("p.toml", &text, SUITES).expect("valid");
        let d: Demo = doc.require_section("demo").expect("section");
        assert_eq!(
            d.secret.as_ref().map(Secret::expose),
            Some("s3cret-from-file")
        );
        assert!(!format!("{d:?}").contains("s3cret"));
        assert_eq!(doc.secret_values(), vec!["s3cret-from-file".to_string()]);
    }
}
