//! Secret redaction: nothing secret reaches disk.
//!
//! Two layers. Structurally, captured headers (`authorization`, `cookie`...), form
//! fields and JSON members with secret names (`client_secret`, `access_token`...)
//! are replaced when evidence is captured. Then, as a last line of defence, every
//! file of a bundle passes through [`Redactor::redact_bytes`], which replaces every
//! configured secret value in its raw, URL-encoded, JSON-escaped and base64 forms.
//! Secrets learnt during a run (access tokens a mock issued) are added with
//! [`Redactor::add_secret`].

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;

/// The replacement text.
pub const REDACTED: &str = "[redacted]";

/// Header names whose values are always secret.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
];

/// Field names (form fields, JSON members, query parameters) whose values are secret.
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "password",
    "passwd",
    "secret",
    "access_token",
    "refresh_token",
    "private_key",
    "privatekey",
    "api_key",
    "oauth_consumer_secret",
];

/// Replaces secrets. Cheap to clone; clones share the learnt secrets.
///
/// Matching is one pass of an Aho-Corasick automaton over all secret variants
/// (leftmost-longest, so a secret containing another is replaced whole): a run
/// learns a token per case, and bundles reach megabytes, so a pass per secret
/// would be quadratic in practice.
#[derive(Clone, Default, Debug)]
pub struct Redactor {
    secrets: Arc<RwLock<Known>>,
}

#[derive(Default, Debug)]
struct Known {
    list: Vec<String>,
    /// Built on first use after the list last changed.
    matcher: Option<Arc<AhoCorasick>>,
}

impl Redactor {
    /// A redactor for the given secret values (empty strings are ignored).
    pub fn new<I, S>(secrets: I) -> Redactor
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let r = Redactor::default();
        for s in secrets {
            r.add_secret(s);
        }
        r
    }

    /// Learns one more secret value (with its encoded variants).
    pub fn add_secret(&self, secret: impl Into<String>) {
        let secret = secret.into();
        if secret.is_empty() {
            return;
        }
        let mut variants = vec![secret.clone()];
        let url: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        variants.push(url);
        if let Ok(json) = serde_json::to_string(&secret) {
            variants.push(json.trim_matches('"').to_string());
        }
        variants.push(base64::engine::general_purpose::STANDARD.encode(secret.as_bytes()));
        variants.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret.as_bytes()));
        let mut guard = match self.secrets.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut changed = false;
        for v in variants {
            if !guard.list.contains(&v) {
                guard.list.push(v);
                changed = true;
            }
        }
        if changed {
            guard.matcher = None;
        }
    }

    /// The automaton over every known variant, or `None` when nothing is secret.
    fn matcher(&self) -> Option<(Arc<AhoCorasick>, Vec<String>)> {
        {
            let guard = match self.secrets.read() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            if guard.list.is_empty() {
                return None;
            }
            if let Some(m) = &guard.matcher {
                return Some((Arc::clone(m), guard.list.clone()));
            }
        }
        let mut guard = match self.secrets.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let built = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&guard.list)
            .ok()
            .map(Arc::new)?;
        guard.matcher = Some(Arc::clone(&built));
        Some((built, guard.list.clone()))
    }

    /// Whether a header's value must never be written.
    pub fn is_secret_header(name: &str) -> bool {
        SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// Whether a form field / JSON member / query parameter name holds a secret.
    pub fn is_secret_field(name: &str) -> bool {
        SECRET_FIELDS.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// The value to record for a header. `Authorization`-style values keep their
    /// scheme (`Bearer [redacted]`) so the evidence still shows how the candidate
    /// authenticated.
    pub fn header_value(&self, name: &str, value: &str) -> String {
        if Redactor::is_secret_header(name) {
            let lower = name.to_ascii_lowercase();
            if (lower == "authorization" || lower == "proxy-authorization")
                && let Some((scheme, _)) = value.split_once(' ')
            {
                return format!("{scheme} {REDACTED}");
            }
            if lower == "cookie" || lower == "set-cookie" {
                // Keep cookie names and attributes (SameSite, Secure matter to LTI), drop values.
                return redact_cookie(value);
            }
            return REDACTED.to_string();
        }
        self.redact_str(value).into_owned()
    }

    /// Replaces every known secret inside `s`.
    pub fn redact_str<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let Some((m, _)) = self.matcher() else {
            return Cow::Borrowed(s);
        };
        if !m.is_match(s) {
            return Cow::Borrowed(s);
        }
        let mut out = String::with_capacity(s.len());
        m.replace_all_with(s, &mut out, |_, _, dst| {
            dst.push_str(REDACTED);
            true
        });
        Cow::Owned(out)
    }

    /// Redacts a URL-encoded form or query string: secret-named fields lose their
    /// values and known secrets are replaced anywhere.
    pub fn redact_urlencoded(&self, s: &str) -> String {
        let mut changed = false;
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(s.as_bytes())
            .map(|(k, v)| {
                if Redactor::is_secret_field(&k) {
                    changed = true;
                    (k.into_owned(), REDACTED.to_string())
                } else {
                    (k.into_owned(), v.into_owned())
                }
            })
            .collect();
        let base = if changed {
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
        } else {
            s.to_string()
        };
        self.redact_str(&base).into_owned()
    }

    /// Redacts a JSON value in place: secret-named members lose their values and
    /// known secrets are replaced inside every string.
    pub fn redact_json(&self, v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if let Cow::Owned(new) = self.redact_str(s) {
                    *s = new;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| self.redact_json(i)),
            serde_json::Value::Object(map) => {
                for (k, val) in map.iter_mut() {
                    if Redactor::is_secret_field(k) && !val.is_null() {
                        *val = serde_json::Value::String(REDACTED.to_string());
                    } else {
                        self.redact_json(val);
                    }
                }
            }
            _ => {}
        }
    }

    /// Redacts a body that may be JSON, a form, or text.
    pub fn redact_body_text(&self, content_type: Option<&str>, text: &str) -> String {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if ct.contains("json")
            && let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text)
        {
            self.redact_json(&mut v);
            if let Ok(s) = serde_json::to_string_pretty(&v) {
                return redact_pem_private_keys(&s);
            }
        }
        if ct.contains("x-www-form-urlencoded") {
            return redact_pem_private_keys(&self.redact_urlencoded(text));
        }
        redact_pem_private_keys(&self.redact_str(text))
    }

    /// Final pass over a file's bytes before it is written.
    pub fn redact_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        match std::str::from_utf8(bytes) {
            Ok(text) => redact_pem_private_keys(&self.redact_str(text)).into_bytes(),
            Err(_) => match self.matcher() {
                Some((m, _)) => {
                    let mut out = Vec::with_capacity(bytes.len());
                    m.replace_all_with_bytes(bytes, &mut out, |_, _, dst| {
                        dst.extend_from_slice(REDACTED.as_bytes());
                        true
                    });
                    out
                }
                None => bytes.to_vec(),
            },
        }
    }

    /// Whether any known secret (or a PEM private key) occurs in `bytes`.
    pub fn leaks(&self, bytes: &[u8]) -> Option<String> {
        if let Some((m, list)) = self.matcher()
            && let Some(found) = m.find(bytes)
        {
            return list.get(found.pattern().as_usize()).cloned();
        }
        if find_bytes(bytes, b"PRIVATE KEY-----").is_some()
            && find_bytes(bytes, b"-----BEGIN").is_some()
        {
            return Some("a PEM private key".into());
        }
        None
    }
}

fn redact_cookie(value: &str) -> String {
    value
        .split(';')
        .map(|part| {
            let part = part.trim();
            match part.split_once('=') {
                Some((k, _)) if !is_cookie_attribute(k) => format!("{k}={REDACTED}"),
                _ => part.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn is_cookie_attribute(name: &str) -> bool {
    [
        "path",
        "domain",
        "expires",
        "max-age",
        "samesite",
        "priority",
        "partitioned",
    ]
    .iter()
    .any(|a| a.eq_ignore_ascii_case(name.trim()))
}

/// Replaces the body of every PEM `PRIVATE KEY` block.
pub fn redact_pem_private_keys(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("-----BEGIN") {
        let Some(hdr_end) = rest[start + 10..].find("-----") else {
            break;
        };
        let label_end = start + 10 + hdr_end;
        let label = &rest[start + 10..label_end];
        if !label.contains("PRIVATE KEY") {
            out.push_str(&rest[..label_end + 5]);
            rest = &rest[label_end + 5..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str(REDACTED);
        let end_marker = format!("-----END{label}-----");
        match rest[label_end..].find(&end_marker) {
            Some(e) => rest = &rest[label_end + e + end_marker.len()..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::raw("token=s3cr3t-value!", "s3cr3t-value!")]
    #[case::url_encoded("x=s3cr3t-value%21", "s3cr3t-value!")]
    #[case::json_escaped(r#"{"a":"he said \"s3cr3t\""}"#, "he said \"s3cr3t\"")]
    fn configured_secret_never_survives(#[case] input: &str, #[case] secret: &str) {
        let r = Redactor::new([secret]);
        let out = r.redact_bytes(input.as_bytes());
        assert!(
            r.leaks(&out).is_none(),
            "leaked in {}",
            String::from_utf8_lossy(&out)
        );
        assert!(String::from_utf8_lossy(&out).contains(REDACTED));
    }

    #[rstest]
    #[case("Authorization", "Bearer abc.def", "Bearer [redacted]")]
    #[case("cookie", "sid=123; SameSite=None", "sid=[redacted]; SameSite=None")]
    #[case("x-api-key", "k", "[redacted]")]
    #[case("content-type", "text/html", "text/html")]
    fn headers(#[case] name: &str, #[case] value: &str, #[case] expected: &str) {
        assert_eq!(Redactor::default().header_value(name, value), expected);
    }

    #[test]
    fn secret_named_members_and_fields_are_blanked() {
        let r = Redactor::default();
        let mut v = serde_json::json!({"access_token": "abc", "nested": [{"client_secret": "x"}], "scope": "s"});
        r.redact_json(&mut v);
        assert_eq!(v["access_token"], REDACTED);
        assert_eq!(v["nested"][0]["client_secret"], REDACTED);
        assert_eq!(v["scope"], "s");
        let form = r.redact_urlencoded("grant_type=client_credentials&client_secret=zzz");
        assert!(!form.contains("zzz"));
    }

    #[test]
    fn overlapping_secrets_are_replaced_whole_and_learning_invalidates_the_matcher() {
        let r = Redactor::new(["abc"]);
        assert_eq!(r.redact_str("xabcx"), "x[redacted]x");
        // A longer secret containing a known one is learnt later: the cached
        // automaton must be rebuilt and the longer match wins.
        r.add_secret("abcdef");
        assert_eq!(r.redact_str("-abcdef-"), "-[redacted]-");
        assert_eq!(r.leaks(b"zzabcdefzz").as_deref(), Some("abcdef"));
        let binary = [0xff, b'a', b'b', b'c', 0xfe];
        assert!(r.leaks(&r.redact_bytes(&binary)).is_none());
    }

    #[test]
    fn pem_private_keys_are_removed() {
        let text = "key:\n-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----\npub:\n-----BEGIN PUBLIC KEY-----\nMIIpub\n-----END PUBLIC KEY-----\n";
        let out = redact_pem_private_keys(text);
        assert!(!out.contains("MIIabc"));
        assert!(out.contains("MIIpub"));
    }
}
