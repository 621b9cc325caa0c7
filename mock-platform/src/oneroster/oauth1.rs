//! OAuth 1.0a "one-legged" request verification (RFC 5849) for the OneRoster
//! 1.1 surface of the mock SIS.
//!
//! Why this exists: OneRoster 1.1 secures its REST binding by signing every
//! request with the consumer's key and secret (no token, no user), and the
//! 1.1 errata allow HMAC-SHA256 next to RFC 5849's HMAC-SHA1. A provider suite
//! that claims to check "bad signature ⇒ 401" or "replayed nonce ⇒ 401" is
//! only as good as the reference it is proven against, so the reference
//! verifies for real: it rebuilds the signature base string (§3.4.1) from what
//! arrived on the wire (method, `Host`, path, query, form body, the
//! `Authorization: OAuth` parameters), recomputes the HMAC with
//! `encode(secret) + "&"` (§3.4.2, no token secret), compares in constant
//! time, and then enforces a timestamp window and single-use nonces (§3.3).
//!
//! The signature is checked before the nonce is remembered: a forged request
//! must not be able to burn a nonce a legitimate client is about to use.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

/// Accepted clock skew of `oauth_timestamp` either way, in seconds.
pub(crate) const TIMESTAMP_WINDOW_SECS: i64 = 300;

/// A signature method of RFC 5849 §3.4 (and the OneRoster 1.1 errata).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureMethod {
    /// `HMAC-SHA1` (RFC 5849 §3.4.2).
    HmacSha1,
    /// `HMAC-SHA256` (the same construction over SHA-256).
    HmacSha256,
}

impl SignatureMethod {
    /// Parses the `oauth_signature_method` value (case-sensitive, as registered).
    pub(crate) fn parse(s: &str) -> Option<SignatureMethod> {
        match s {
            "HMAC-SHA1" => Some(SignatureMethod::HmacSha1),
            "HMAC-SHA256" => Some(SignatureMethod::HmacSha256),
            _ => None,
        }
    }

    fn digest(self) -> MessageDigest {
        match self {
            SignatureMethod::HmacSha1 => MessageDigest::sha1(),
            SignatureMethod::HmacSha256 => MessageDigest::sha256(),
        }
    }
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum Oauth1Error {
    /// No OAuth parameters at all.
    #[error("the request is not signed (no OAuth 1.0a Authorization header or oauth_* parameters)")]
    Unsigned,
    /// A required protocol parameter is absent or repeated.
    #[error("OAuth parameter `{0}` is missing or repeated")]
    Parameter(&'static str),
    /// The Authorization header cannot be parsed.
    #[error("malformed OAuth Authorization header: {0}")]
    Malformed(String),
    /// `oauth_version` is present and not `1.0`.
    #[error("oauth_version must be 1.0, got `{0}`")]
    Version(String),
    /// The consumer key is not registered.
    #[error("unknown oauth_consumer_key `{0}`")]
    UnknownConsumer(String),
    /// The signature method is not supported.
    #[error("unsupported oauth_signature_method `{0}`")]
    UnsupportedMethod(String),
    /// The signature does not match.
    #[error("the oauth_signature does not match the request")]
    BadSignature,
    /// The timestamp is not an integer or is outside the window.
    #[error("oauth_timestamp `{0}` is outside the accepted window of {TIMESTAMP_WINDOW_SECS} s")]
    StaleTimestamp(String),
    /// The nonce was already used with this timestamp.
    #[error("oauth_nonce `{0}` was already used")]
    ReplayedNonce(String),
    /// HMAC computation failed (OpenSSL).
    #[error("HMAC computation failed: {0}")]
    Crypto(String),
}

/// Percent-encodes per RFC 5849 §3.6: everything but `ALPHA / DIGIT / - . _ ~`,
/// as `%XX` with upper-case hex, over the UTF-8 bytes.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes a value of the Authorization header (`%XX` only; `+` is literal).
fn decode(s: &str) -> Result<String, Oauth1Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Oauth1Error::Malformed(format!("bad percent-escape in `{s}`")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Oauth1Error::Malformed(format!("`{s}` is not UTF-8")))
}

/// The parameters of an `Authorization: OAuth ...` header (RFC 5849 §3.5.1),
/// decoded, `realm` included. `None` when the header is not of the OAuth scheme.
pub(crate) fn parse_authorization(
    value: &str,
) -> Option<Result<Vec<(String, String)>, Oauth1Error>> {
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("oauth") {
        return None;
    }
    let parse = || {
        let mut out = Vec::new();
        for part in rest.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| Oauth1Error::Malformed(format!("`{part}` has no `=`")))?;
            let v = v
                .trim()
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| {
                    Oauth1Error::Malformed(format!("the value of `{k}` is not quoted"))
                })?;
            out.push((decode(k.trim())?, decode(v)?));
        }
        Ok(out)
    };
    Some(parse())
}

/// The normalised request parameters (RFC 5849 §3.4.1.3.2): every pair
/// encoded, sorted by name then value, joined with `=` and `&`.
pub(crate) fn normalize(params: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    enc.sort();
    enc.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature base string (RFC 5849 §3.4.1.1): method, base string URI and
/// normalised parameters, each encoded, joined with `&`. `params` must not
/// contain `oauth_signature` or `realm`.
pub(crate) fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    format!(
        "{}&{}&{}",
        encode(&method.to_ascii_uppercase()),
        encode(base_uri),
        encode(&normalize(params))
    )
}

/// The base string URI (§3.4.1.2) from the `Host` header and the path:
/// lower-case scheme and host, the default port dropped.
pub(crate) fn base_uri(scheme: &str, host: &str, path: &str) -> String {
    let scheme = scheme.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    let host = match (scheme.as_str(), host.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_string(),
        _ => host,
    };
    format!("{scheme}://{host}{path}")
}

/// `base64(HMAC(encode(consumer_secret) + "&" + encode(token_secret), base))`.
pub(crate) fn sign(
    method: SignatureMethod,
    consumer_secret: &str,
    token_secret: &str,
    base: &str,
) -> Result<String, Oauth1Error> {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let crypto = |e: openssl::error::ErrorStack| Oauth1Error::Crypto(e.to_string());
    let pkey = PKey::hmac(key.as_bytes()).map_err(crypto)?;
    let mut signer = Signer::new(method.digest(), &pkey).map_err(crypto)?;
    signer.update(base.as_bytes()).map_err(crypto)?;
    let mac = signer.sign_to_vec().map_err(crypto)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(mac))
}

/// What arrived: the pieces of a request the signature covers.
pub(crate) struct SignedRequest<'a> {
    /// HTTP method.
    pub(crate) method: &'a str,
    /// The base string URI (see [`base_uri`]).
    pub(crate) base_uri: String,
    /// Decoded query parameters.
    pub(crate) query: Vec<(String, String)>,
    /// Decoded `application/x-www-form-urlencoded` body parameters.
    pub(crate) form: Vec<(String, String)>,
    /// The `Authorization` header, if any.
    pub(crate) authorization: Option<&'a str>,
    /// Now, in seconds since the epoch.
    pub(crate) now: i64,
}

/// Which checks the verifier skips (the SIS's faults).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Lax {
    /// Accept any signature.
    pub(crate) signature: bool,
    /// Accept replayed nonces.
    pub(crate) nonce: bool,
    /// Accept any timestamp.
    pub(crate) timestamp: bool,
    /// Refuse HMAC-SHA256.
    pub(crate) no_sha256: bool,
}

/// One consumer's verifier with its nonce memory.
pub(crate) struct Verifier {
    consumer_key: String,
    consumer_secret: String,
    lax: Lax,
    /// `(timestamp, nonce)` pairs seen inside the window.
    seen: Mutex<HashMap<(i64, String), ()>>,
}

impl Verifier {
    /// A verifier for one registered consumer.
    pub(crate) fn new(consumer_key: String, consumer_secret: String, lax: Lax) -> Verifier {
        Verifier {
            consumer_key,
            consumer_secret,
            lax,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Verifies one request (RFC 5849 §3.2).
    pub(crate) fn verify(&self, req: &SignedRequest<'_>) -> Result<(), Oauth1Error> {
        let header = match req.authorization.and_then(parse_authorization) {
            Some(h) => h?,
            None => Vec::new(),
        };
        // Protocol parameters may come from the header, the query or the body (§3.5).
        let mut all: Vec<(String, String)> =
            header.into_iter().filter(|(k, _)| k != "realm").collect();
        all.extend(req.query.iter().cloned());
        all.extend(req.form.iter().cloned());
        if !all.iter().any(|(k, _)| k.starts_with("oauth_")) {
            return Err(Oauth1Error::Unsigned);
        }
        let one = |name: &'static str| -> Result<&str, Oauth1Error> {
            let mut it = all.iter().filter(|(k, _)| k == name);
            match (it.next(), it.next()) {
                (Some((_, v)), None) => Ok(v.as_str()),
                _ => Err(Oauth1Error::Parameter(name)),
            }
        };
        if let Some((_, v)) = all.iter().find(|(k, _)| k == "oauth_version")
            && v != "1.0"
        {
            return Err(Oauth1Error::Version(v.clone()));
        }
        let key = one("oauth_consumer_key")?;
        if key != self.consumer_key {
            return Err(Oauth1Error::UnknownConsumer(key.to_string()));
        }
        let method_name = one("oauth_signature_method")?;
        let method = SignatureMethod::parse(method_name)
            .filter(|m| !(self.lax.no_sha256 && *m == SignatureMethod::HmacSha256))
            .ok_or_else(|| Oauth1Error::UnsupportedMethod(method_name.to_string()))?;
        let signature = one("oauth_signature")?;
        let ts_text = one("oauth_timestamp")?;
        let nonce = one("oauth_nonce")?;
        let params: Vec<(String, String)> = all
            .iter()
            .filter(|(k, _)| k != "oauth_signature")
            .cloned()
            .collect();
        let base = base_string(req.method, &req.base_uri, &params);
        let want = sign(method, &self.consumer_secret, "", &base)?;
        // `memcmp::eq` is constant-time but needs equal lengths.
        let matches = want.len() == signature.len()
            && openssl::memcmp::eq(want.as_bytes(), signature.as_bytes());
        if !self.lax.signature && !matches {
            return Err(Oauth1Error::BadSignature);
        }
        let ts: i64 = ts_text
            .parse()
            .map_err(|_| Oauth1Error::StaleTimestamp(ts_text.to_string()))?;
        if !self.lax.timestamp && (ts - req.now).abs() > TIMESTAMP_WINDOW_SECS {
            return Err(Oauth1Error::StaleTimestamp(ts_text.to_string()));
        }
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.retain(|(t, _), ()| (t - req.now).abs() <= TIMESTAMP_WINDOW_SECS);
        let fresh = seen.insert((ts, nonce.to_string()), ()).is_none();
        if !fresh && !self.lax.nonce {
            return Err(Oauth1Error::ReplayedNonce(nonce.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    /// RFC 5849 §3.4.1: the worked example (POST with query, form body and header).
    #[test]
    fn the_rfc_5849_base_string_example() {
        let mut params = pairs(&[
            ("b5", "=%3D"),
            ("a3", "a"),
            ("c@", ""),
            ("a2", "r b"),
            ("c2", ""),
            ("a3", "2 q"),
        ]);
        params.extend(pairs(&[
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
        ]));
        let base = base_string(
            "POST",
            &base_uri("http", "Example.com", "/request"),
            &params,
        );
        assert_eq!(
            base,
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
        );
    }

    /// RFC 5849 §1.2: the photos example's HMAC-SHA1 signature.
    #[test]
    fn the_rfc_5849_signature_example() {
        let params = pairs(&[
            ("file", "vacation.jpg"),
            ("size", "original"),
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131202"),
            ("oauth_nonce", "chapoH"),
        ]);
        let base = base_string("GET", "http://photos.example.net/photos", &params);
        let sig = sign(
            SignatureMethod::HmacSha1,
            "kd94hf93k423kf44",
            "pfkkdhi9sl3r4s00",
            &base,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sig, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
        let wrong = sign(
            SignatureMethod::HmacSha1,
            "kd94hf93k423kf45",
            "pfkkdhi9sl3r4s00",
            &base,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(wrong, sig);
    }

    #[test]
    fn the_authorization_header_parses_and_decodes() {
        let h = r#"OAuth realm="Example", oauth_consumer_key="a%20b", oauth_signature="x%2By%3D""#;
        let got = parse_authorization(h)
            .unwrap_or_else(|| panic!("not oauth"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            got,
            pairs(&[
                ("realm", "Example"),
                ("oauth_consumer_key", "a b"),
                ("oauth_signature", "x+y=")
            ])
        );
        assert!(parse_authorization("Bearer abc").is_none());
        assert!(matches!(
            parse_authorization("OAuth oauth_nonce=abc"),
            Some(Err(Oauth1Error::Malformed(_)))
        ));
    }

    fn signed(
        v: &Verifier,
        method: &str,
        secret: &str,
        ts: i64,
        nonce: &str,
        now: i64,
    ) -> Result<(), Oauth1Error> {
        let uri = base_uri("http", "127.0.0.1:9", "/ims/oneroster/v1p1/users");
        let query = pairs(&[("limit", "5")]);
        let mut oauth = pairs(&[
            ("oauth_consumer_key", "ck"),
            ("oauth_signature_method", method),
            ("oauth_timestamp", &ts.to_string()),
            ("oauth_nonce", nonce),
            ("oauth_version", "1.0"),
        ]);
        let mut all = oauth.clone();
        all.extend(query.clone());
        let m = SignatureMethod::parse(method).unwrap_or(SignatureMethod::HmacSha1);
        let sig =
            sign(m, secret, "", &base_string("GET", &uri, &all)).unwrap_or_else(|e| panic!("{e}"));
        oauth.push(("oauth_signature".into(), sig));
        let header = format!(
            "OAuth {}",
            oauth
                .iter()
                .map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        v.verify(&SignedRequest {
            method: "GET",
            base_uri: uri,
            query,
            form: Vec::new(),
            authorization: Some(&header),
            now,
        })
    }

    #[test]
    fn the_verifier_accepts_good_requests_and_refuses_each_defect() {
        let v = Verifier::new("ck".into(), "cs".into(), Lax::default());
        let now = 1_700_000_000;
        assert_eq!(signed(&v, "HMAC-SHA1", "cs", now, "n1", now), Ok(()));
        assert_eq!(signed(&v, "HMAC-SHA256", "cs", now, "n2", now), Ok(()));
        assert_eq!(
            signed(&v, "HMAC-SHA1", "cs", now, "n1", now),
            Err(Oauth1Error::ReplayedNonce("n1".into()))
        );
        assert_eq!(
            signed(&v, "HMAC-SHA1", "wrong", now, "n3", now),
            Err(Oauth1Error::BadSignature)
        );
        // A refused forgery did not burn its nonce.
        assert_eq!(signed(&v, "HMAC-SHA1", "cs", now, "n3", now), Ok(()));
        assert!(matches!(
            signed(&v, "HMAC-SHA1", "cs", now - 3600, "n4", now),
            Err(Oauth1Error::StaleTimestamp(_))
        ));
        assert!(matches!(
            signed(&v, "PLAINTEXT", "cs", now, "n5", now),
            Err(Oauth1Error::UnsupportedMethod(_))
        ));
        let unsigned = v.verify(&SignedRequest {
            method: "GET",
            base_uri: "http://h/p".into(),
            query: Vec::new(),
            form: Vec::new(),
            authorization: None,
            now,
        });
        assert_eq!(unsigned, Err(Oauth1Error::Unsigned));
        let no_sha256 = Verifier::new(
            "ck".into(),
            "cs".into(),
            Lax {
                no_sha256: true,
                ..Lax::default()
            },
        );
        assert!(matches!(
            signed(&no_sha256, "HMAC-SHA256", "cs", now, "n6", now),
            Err(Oauth1Error::UnsupportedMethod(_))
        ));
    }
}
