//! OAuth 1.0a request signing and checking (RFC 5849), the client side of
//! the OneRoster 1.1 security binding.
//!
//! Why it lives in the core: three parties need one implementation. The
//! `oneroster-provider` suite signs its requests to a 1.1 SIS (including
//! *deliberately wrong* ones: a signature made with the wrong secret, a
//! replayed nonce, a stale timestamp); the reference consumer of `mock-tool`
//! signs its sync (and `mock-tool` may not depend on a suite); and the
//! `oneroster-consumer` suite re-computes the signature of every request a
//! candidate consumer sent ([`check_signature`]). So the signer exposes every
//! input (timestamp, nonce, secret) and builds the `Authorization: OAuth`
//! header itself. It is written independently of the mock SIS's verifier, so
//! the two keep each other honest; both are tested against RFC 5849's own
//! worked examples.
//!
//! One-legged: there is no token, so the HMAC key is
//! `encode(consumer_secret) + "&"` (RFC 5849 §3.4.2 with an empty token
//! secret) and no `oauth_token` is sent.

use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use serde::Deserialize;

/// An `oauth_signature_method` the harness can sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum SignatureMethod {
    /// `HMAC-SHA1` (RFC 5849 §3.4.2).
    #[serde(rename = "HMAC-SHA1")]
    HmacSha1,
    /// `HMAC-SHA256` (allowed for OneRoster 1.1 by the errata).
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
}

impl SignatureMethod {
    /// The method named `name` (`HMAC-SHA1`, `HMAC-SHA256`), if supported.
    pub fn parse(name: &str) -> Option<SignatureMethod> {
        match name {
            "HMAC-SHA1" => Some(SignatureMethod::HmacSha1),
            "HMAC-SHA256" => Some(SignatureMethod::HmacSha256),
            _ => None,
        }
    }

    /// The registered name sent as `oauth_signature_method`.
    pub fn name(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
            SignatureMethod::HmacSha256 => "HMAC-SHA256",
        }
    }
}

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum Oauth1Error {
    /// OpenSSL refused the HMAC computation.
    #[error("HMAC-{method} signing failed: {message}")]
    Crypto {
        /// The signature method.
        method: &'static str,
        /// OpenSSL's message.
        message: String,
    },
    /// An `Authorization` header is not a usable `OAuth` one.
    #[error("Authorization header: {0}")]
    Header(String),
    /// The URL to sign is not usable.
    #[error("cannot sign `{url}`: {message}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
}

/// RFC 5849 §3.6 percent-encoding: unreserved characters
/// (`ALPHA / DIGIT / "-" / "." / "_" / "~"`) stay, every other UTF-8 byte
/// becomes `%XX` with upper-case hex.
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The base string URI (RFC 5849 §3.4.1.2): scheme and host lower-case, the
/// port only when it is not the scheme's default, the path, no query or
/// fragment. `url::Url` already lower-cases and drops default ports.
pub fn base_string_uri(url: &url::Url) -> Result<String, Oauth1Error> {
    let host = url.host_str().ok_or_else(|| Oauth1Error::Url {
        url: url.to_string(),
        message: "no host".into(),
    })?;
    Ok(match url.port() {
        Some(p) => format!("{}://{host}:{p}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    })
}

/// The signature base string (RFC 5849 §3.4.1): the upper-case method, the
/// base string URI and the normalised parameters (§3.4.1.3.2: encoded, sorted
/// by name then value), each percent-encoded, joined by `&`. `params` are the
/// decoded query, form body and `oauth_*` pairs, without `oauth_signature`
/// and `realm`.
pub fn signature_base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    // Sort the encoded (name, value) pairs, not the joined `name=value`
    // strings: `a=` must precede `a2=` although `=` sorts after `2`.
    let mut enc: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    enc.sort();
    let normalised = enc
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        percent_encode(&method.to_ascii_uppercase()),
        percent_encode(base_uri),
        percent_encode(&normalised)
    )
}

/// `base64(HMAC(key, base))` with `key = encode(consumer_secret) + "&" +
/// encode(token_secret)` (RFC 5849 §3.4.2).
pub fn hmac_signature(
    method: SignatureMethod,
    consumer_secret: &str,
    token_secret: &str,
    base: &str,
) -> Result<String, Oauth1Error> {
    let crypto = |e: openssl::error::ErrorStack| Oauth1Error::Crypto {
        method: method.name(),
        message: e.to_string(),
    };
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    );
    let digest = match method {
        SignatureMethod::HmacSha1 => MessageDigest::sha1(),
        SignatureMethod::HmacSha256 => MessageDigest::sha256(),
    };
    let pkey = PKey::hmac(key.as_bytes()).map_err(crypto)?;
    let mut signer = Signer::new(digest, &pkey).map_err(crypto)?;
    signer.update(base.as_bytes()).map_err(crypto)?;
    let mac = signer.sign_to_vec().map_err(crypto)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(mac))
}

/// What one signed request carries (every input explicit, so a case can
/// replay or spoil any of them).
#[derive(Debug, Clone)]
pub struct Signing<'a> {
    /// `oauth_consumer_key`.
    pub consumer_key: &'a str,
    /// The secret the signature is made with (the wrong one for a negative case).
    pub consumer_secret: &'a str,
    /// The signature method.
    pub method: SignatureMethod,
    /// `oauth_timestamp` (seconds since the epoch).
    pub timestamp: i64,
    /// `oauth_nonce`.
    pub nonce: &'a str,
}

/// The `Authorization: OAuth ...` header value for `http_method url` with
/// `form` body parameters (empty for a GET).
pub fn authorization_header(
    s: &Signing<'_>,
    http_method: &str,
    url: &url::Url,
    form: &[(String, String)],
) -> Result<String, Oauth1Error> {
    let mut oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), s.consumer_key.to_string()),
        ("oauth_nonce".into(), s.nonce.to_string()),
        ("oauth_signature_method".into(), s.method.name().to_string()),
        ("oauth_timestamp".into(), s.timestamp.to_string()),
        ("oauth_version".into(), "1.0".into()),
    ];
    let mut params = oauth.clone();
    params.extend(
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned())),
    );
    params.extend(form.iter().cloned());
    let base = signature_base_string(http_method, &base_string_uri(url)?, &params);
    let signature = hmac_signature(s.method, s.consumer_secret, "", &base)?;
    oauth.push(("oauth_signature".into(), signature));
    Ok(format!(
        "OAuth {}",
        oauth
            .iter()
            .map(|(k, v)| format!("{}=\"{}\"", percent_encode(k), percent_encode(v)))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Decodes RFC 3986 percent-encoding (`+` stays `+`: RFC 5849 §3.6 never
/// encodes a space as `+`).
pub fn percent_decode(s: &str) -> Result<String, Oauth1Error> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Oauth1Error::Header(format!("bad percent-encoding in `{s}`")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| Oauth1Error::Header(format!("`{s}` does not decode to UTF-8")))
}

/// The decoded parameters of an `Authorization: OAuth k="v", ...` header
/// (RFC 5849 §3.5.1), in the order sent.
pub fn parse_authorization(header: &str) -> Result<Vec<(String, String)>, Oauth1Error> {
    let h = header.trim();
    let rest = match h.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("oauth") => rest,
        _ => {
            let scheme = h.split(' ').next().unwrap_or_default();
            return Err(Oauth1Error::Header(format!(
                "the scheme is `{scheme}`, not OAuth"
            )));
        }
    };
    let mut out = Vec::new();
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| Oauth1Error::Header(format!("`{part}` is not name=\"value\"")))?;
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| Oauth1Error::Header(format!("the value of `{k}` is not quoted")))?;
        out.push((percent_decode(k.trim())?, percent_decode(v)?));
    }
    Ok(out)
}

/// The protocol parameters of one signed request, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignedParams {
    /// `oauth_consumer_key`.
    pub consumer_key: Option<String>,
    /// `oauth_nonce`.
    pub nonce: Option<String>,
    /// `oauth_timestamp`, as sent.
    pub timestamp: Option<String>,
    /// `oauth_signature_method`, as sent.
    pub method: Option<String>,
    /// `oauth_signature`.
    pub signature: Option<String>,
    /// `oauth_version`, when sent (optional; `1.0` when present).
    pub version: Option<String>,
}

impl SignedParams {
    /// Picks the protocol parameters out of decoded `oauth_*` pairs.
    pub fn from_pairs(pairs: &[(String, String)]) -> SignedParams {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        SignedParams {
            consumer_key: get("oauth_consumer_key"),
            nonce: get("oauth_nonce"),
            timestamp: get("oauth_timestamp"),
            method: get("oauth_signature_method"),
            signature: get("oauth_signature"),
            version: get("oauth_version"),
        }
    }
}

/// Why a received signature is not the one the secret gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    /// A required protocol parameter is absent.
    #[error("`{0}` is missing")]
    Missing(&'static str),
    /// `oauth_signature_method` is not HMAC-SHA1 or HMAC-SHA256.
    #[error("oauth_signature_method `{0}` is not HMAC-SHA1 or HMAC-SHA256")]
    Method(String),
    /// The signature does not match.
    #[error(
        "oauth_signature does not match the signature base string signed with the consumer secret"
    )]
    Mismatch,
    /// The HMAC could not be computed.
    #[error("{0}")]
    Crypto(String),
}

/// Re-computes the signature of a received request and compares it with
/// the one sent. `oauth` are the protocol parameters from the header (or the
/// query), `data` the query and form parameters (without `oauth_*` pairs
/// already in `oauth`), `base_uri` as [`base_string_uri`] makes it.
pub fn check_signature(
    http_method: &str,
    base_uri: &str,
    oauth: &[(String, String)],
    data: &[(String, String)],
    consumer_secret: &str,
) -> Result<SignatureMethod, SignatureProblem> {
    let sent = SignedParams::from_pairs(oauth);
    let name = sent
        .method
        .ok_or(SignatureProblem::Missing("oauth_signature_method"))?;
    let method = SignatureMethod::parse(&name).ok_or(SignatureProblem::Method(name))?;
    let signature = sent
        .signature
        .ok_or(SignatureProblem::Missing("oauth_signature"))?;
    let mut params: Vec<(String, String)> = oauth
        .iter()
        .filter(|(k, _)| k != "oauth_signature" && k != "realm")
        .cloned()
        .collect();
    params.extend(data.iter().cloned());
    let base = signature_base_string(http_method, base_uri, &params);
    let expected = hmac_signature(method, consumer_secret, "", &base)
        .map_err(|e| SignatureProblem::Crypto(e.to_string()))?;
    // Constant-time (`memcmp::eq` panics on unequal lengths: checked first).
    if expected.len() == signature.len()
        && openssl::memcmp::eq(expected.as_bytes(), signature.as_bytes())
    {
        Ok(method)
    } else {
        Err(SignatureProblem::Mismatch)
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

    /// RFC 5849 §3.4.1.1: the example request's signature base string.
    #[test]
    fn the_rfc_5849_section_3_4_1_base_string() {
        let url = url::Url::parse("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut params: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        // The body `c2&a3=2+q`, and the Authorization header's parameters.
        params.extend(pairs(&[
            ("c2", ""),
            ("a3", "2 q"),
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
        ]));
        let uri = base_string_uri(&url).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(uri, "http://example.com/request");
        assert_eq!(
            signature_base_string("POST", &uri, &params),
            concat!(
                "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q",
                "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_",
                "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m",
                "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk",
                "9d7dh3k39sjv7"
            )
        );
    }

    /// RFC 5849 §1.2: the photo request signed with HMAC-SHA1.
    #[test]
    fn the_rfc_5849_section_1_2_signature() {
        let url =
            url::Url::parse("http://photos.example.net/photos?file=vacation.jpg&size=original")
                .unwrap_or_else(|e| panic!("{e}"));
        let mut params: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        params.extend(pairs(&[
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131202"),
            ("oauth_nonce", "chapoH"),
        ]));
        let uri = base_string_uri(&url).unwrap_or_else(|e| panic!("{e}"));
        let base = signature_base_string("GET", &uri, &params);
        let sig = hmac_signature(
            SignatureMethod::HmacSha1,
            "kd94hf93k423kf44",
            "pfkkdhi9sl3r4s00",
            &base,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sig, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
    }

    /// HMAC-SHA256 checked against an independent implementation: the
    /// `openssl` command line (`openssl dgst -sha256 -hmac KEY -binary`).
    #[test]
    fn hmac_sha256_matches_the_openssl_cli() {
        let base = "GET&http%3A%2F%2F127.0.0.1%3A8080%2Fims%2Foneroster%2Fv1p1%2Fusers&limit%3D5%26oauth_consumer_key%3Dck";
        let secret = "s3cr/t+key";
        let ours = hmac_signature(SignatureMethod::HmacSha256, secret, "", base)
            .unwrap_or_else(|e| panic!("{e}"));
        let key = format!("{}&", percent_encode(secret));
        let mut child = std::process::Command::new("openssl")
            .args(["dgst", "-sha256", "-binary", "-hmac", &key])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("openssl CLI: {e}"));
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
            stdin
                .write_all(base.as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success());
        let theirs = base64::engine::general_purpose::STANDARD.encode(&out.stdout);
        assert_eq!(ours, theirs);
        let sha1 = hmac_signature(SignatureMethod::HmacSha1, secret, "", base)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(sha1, theirs);
    }

    #[test]
    fn percent_encoding_follows_section_3_6() {
        assert_eq!(percent_encode("a-._~Z9"), "a-._~Z9");
        assert_eq!(percent_encode("a b+/=&é"), "a%20b%2B%2F%3D%26%C3%A9");
    }

    #[test]
    fn the_header_carries_every_protocol_parameter() {
        let url = url::Url::parse("http://127.0.0.1:9/ims/oneroster/v1p1/users?limit=5")
            .unwrap_or_else(|e| panic!("{e}"));
        let s = Signing {
            consumer_key: "ck",
            consumer_secret: "cs",
            method: SignatureMethod::HmacSha256,
            timestamp: 1_700_000_000,
            nonce: "n o",
        };
        let h = authorization_header(&s, "GET", &url, &[]).unwrap_or_else(|e| panic!("{e}"));
        for want in [
            "oauth_consumer_key=\"ck\"",
            "oauth_nonce=\"n%20o\"",
            "oauth_signature_method=\"HMAC-SHA256\"",
            "oauth_timestamp=\"1700000000\"",
            "oauth_version=\"1.0\"",
            "oauth_signature=\"",
        ] {
            assert!(h.contains(want), "{want} not in {h}");
        }
        let other = authorization_header(
            &Signing {
                consumer_secret: "other",
                ..s.clone()
            },
            "GET",
            &url,
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(h, other);
    }

    #[test]
    fn a_signed_header_parses_and_checks_and_a_wrong_secret_does_not() {
        let url = url::Url::parse(
            "http://127.0.0.1:9/ims/oneroster/v1p1/users?limit=4&filter=status%3D%27active%27",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let s = Signing {
            consumer_key: "key",
            consumer_secret: "s3cr3t",
            method: SignatureMethod::HmacSha256,
            timestamp: 1_700_000_000,
            nonce: "n-1",
        };
        let h = authorization_header(&s, "GET", &url, &[]).unwrap_or_else(|e| panic!("{e}"));
        let oauth = parse_authorization(&h).unwrap_or_else(|e| panic!("{e}"));
        let p = SignedParams::from_pairs(&oauth);
        assert_eq!(p.consumer_key.as_deref(), Some("key"));
        assert_eq!(p.nonce.as_deref(), Some("n-1"));
        let data: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let uri = base_string_uri(&url).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            check_signature("GET", &uri, &oauth, &data, "s3cr3t"),
            Ok(SignatureMethod::HmacSha256)
        );
        assert_eq!(
            check_signature("GET", &uri, &oauth, &data, "other"),
            Err(SignatureProblem::Mismatch)
        );
        assert_eq!(
            check_signature("GET", &uri, &oauth, &data[..1], "s3cr3t"),
            Err(SignatureProblem::Mismatch)
        );
        let plain: Vec<(String, String)> = oauth
            .iter()
            .map(|(k, v)| {
                let v = if k == "oauth_signature_method" {
                    "PLAINTEXT".to_string()
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        assert_eq!(
            check_signature("GET", &uri, &plain, &data, "s3cr3t"),
            Err(SignatureProblem::Method("PLAINTEXT".into()))
        );
        assert!(parse_authorization("Bearer abc").is_err());
        assert!(parse_authorization("OAuth a=b").is_err());
        assert!(percent_decode("%zz").is_err());
    }
}
