//! JOSE for the harness: JWS compact serialization, RSA keys, JWK sets, and a
//! strict verifier, hand-rolled on the system OpenSSL.
//!
//! Why hand-rolled: a certification harness must be able to *produce* every
//! malformed token a test needs (header written exactly as given, `alg: none`,
//! HS256 signed with arbitrary bytes, a signature from the wrong key) and to
//! *tell apart* every way a token can be wrong (missing `kid` vs unknown `kid`,
//! `none` vs a symmetric algorithm vs an algorithm outside the allow-list).
//! General-purpose JWT crates hide exactly those distinctions, and would add a
//! second crypto stack; the project uses one, OpenSSL.
//!
//! Pieces:
//! - [`SigningKey`]: an RSA private key with its `kid` (RFC 7638 thumbprint or random).
//! - [`Jwk`] / [`JwkSet`]: RFC 7517 serde types (public RSA members plus anything else
//!   kept in [`Jwk::extra`], so a key set that leaks private members can be detected).
//! - [`sign`], [`sign_rs256`], [`sign_with_alg_none`], [`sign_hs256`]: token production.
//! - [`verify`] with a [`VerifyPolicy`] (explicit algorithm allow-list, RS256 only by
//!   default): header checks, key selection by `kid`, signature check.
//! - [`check_claims`] with [`ClaimRules`]: `iss`, `aud` (string or array, with the
//!   `azp` rule), `exp`/`iat`/`nbf` with leeway, `nonce`.

use std::collections::BTreeMap;

use base64::Engine;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// RSA modulus size used by [`SigningKey::generate`].
pub const RSA_BITS: u32 = 2048;

/// Everything that can be wrong with a key, a token or its claims. Each way a
/// token can be wrong has its own variant, so callers (and tests) can tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// OpenSSL failed (key generation, signing, key import).
    #[error("crypto failure: {0}")]
    Crypto(String),
    /// Not a compact JWS: wrong number of segments, bad base64url, not JSON objects.
    #[error("malformed JWS: {0}")]
    Malformed(String),
    /// The header has no `alg` string.
    #[error("the JOSE header has no `alg`")]
    MissingAlg,
    /// `alg: none`: an unsigned token.
    #[error("unsigned token (`alg: none`) refused")]
    AlgNone,
    /// A symmetric (HMAC) algorithm, e.g. HS256 signed with a public key as secret.
    #[error("symmetric algorithm `{0}` refused (only asymmetric signatures are accepted)")]
    SymmetricAlg(String),
    /// An algorithm outside the policy's allow-list.
    #[error("algorithm `{alg}` is not allowed (allowed: {allowed})")]
    AlgNotAllowed {
        /// The header's `alg`.
        alg: String,
        /// The allow-list, comma-separated.
        allowed: String,
    },
    /// The header has no `kid` and the policy requires one.
    #[error("the JOSE header has no `kid`: no key can be selected")]
    MissingKid,
    /// The header's `kid` is not in the key set.
    #[error("no key with kid `{0}` in the key set")]
    UnknownKid(String),
    /// The selected key cannot verify this algorithm (wrong `kty`, missing `n`/`e`...).
    #[error("key `{kid}` is unusable: {reason}")]
    KeyUnusable {
        /// The key's kid (or `(none)`).
        kid: String,
        /// Why.
        reason: String,
    },
    /// The signature does not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// A required claim is absent.
    #[error("required claim `{0}` is missing")]
    MissingClaim(String),
    /// A claim has the wrong JSON type.
    #[error("claim `{claim}` must be {expected}")]
    ClaimType {
        /// The claim.
        claim: String,
        /// What it must be.
        expected: &'static str,
    },
    /// `iss` differs from the expected issuer (exact match).
    #[error("issuer mismatch: expected `{expected}`, got `{actual}`")]
    IssuerMismatch {
        /// Expected issuer.
        expected: String,
        /// Token issuer.
        actual: String,
    },
    /// `aud` does not contain the expected audience.
    #[error("audience `{expected}` not in `aud` {actual}")]
    AudienceMismatch {
        /// Expected audience (the client_id).
        expected: String,
        /// The token's `aud`, as JSON.
        actual: String,
    },
    /// Several audiences and no `azp`.
    #[error("`aud` has several audiences {0} but no `azp`")]
    AzpMissing(String),
    /// `azp` is not the expected client.
    #[error("`azp` is `{actual}`, expected `{expected}`")]
    AzpMismatch {
        /// Expected client id.
        expected: String,
        /// The token's `azp`.
        actual: String,
    },
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired at {exp} (now {now}, leeway {leeway}s)")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// The current time.
        now: i64,
        /// The leeway allowed.
        leeway: i64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The current time.
        now: i64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future: iat {iat} (now {now})")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: i64,
        /// The current time.
        now: i64,
    },
    /// `iat` is older than the allowed age.
    #[error("token issued too long ago: iat {iat} (now {now}, max age {max_age}s)")]
    IssuedTooLongAgo {
        /// The `iat` claim.
        iat: i64,
        /// The current time.
        now: i64,
        /// Maximum age.
        max_age: i64,
    },
    /// `nonce` differs from the one bound to the request.
    #[error("nonce mismatch: expected `{expected}`, got `{actual}`")]
    NonceMismatch {
        /// The nonce sent in the request.
        expected: String,
        /// The token's nonce.
        actual: String,
    },
}

fn crypto(e: openssl::error::ErrorStack) -> JoseError {
    JoseError::Crypto(e.to_string())
}

/// base64url without padding (RFC 7515 §2).
pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding (trailing `=` tolerated).
pub fn b64url_decode(s: &str) -> Result<Vec<u8>, JoseError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| JoseError::Malformed(format!("bad base64url: {e}")))
}

/// An RSA private key with its key id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: PKey<Private>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey(kid={})", self.kid)
    }
}

impl SigningKey {
    /// Generates a 2048-bit RSA key whose kid is its RFC 7638 thumbprint.
    pub fn generate() -> Result<SigningKey, JoseError> {
        let rsa = Rsa::generate(RSA_BITS).map_err(crypto)?;
        let key = PKey::from_rsa(rsa).map_err(crypto)?;
        let mut k = SigningKey {
            kid: String::new(),
            key,
        };
        k.kid = k.thumbprint()?;
        Ok(k)
    }

    /// Generates a key with a random kid (for "other key" tests that must not
    /// collide with a thumbprint).
    pub fn generate_with_random_kid() -> Result<SigningKey, JoseError> {
        let mut k = SigningKey::generate()?;
        k.kid = random_id()?;
        Ok(k)
    }

    /// The same key material under another kid (e.g. to sign with a foreign key
    /// but the kid of a trusted one).
    pub fn with_kid(mut self, kid: impl Into<String>) -> SigningKey {
        self.kid = kid.into();
        self
    }

    /// Loads a PKCS#8 or traditional RSA private key PEM; the kid is the thumbprint
    /// unless given.
    pub fn from_pem(pem: &[u8], kid: Option<String>) -> Result<SigningKey, JoseError> {
        let key = PKey::private_key_from_pem(pem).map_err(crypto)?;
        key.rsa().map_err(|_| JoseError::KeyUnusable {
            kid: kid.clone().unwrap_or_else(|| "(none)".into()),
            reason: "not an RSA key".into(),
        })?;
        let mut k = SigningKey {
            kid: String::new(),
            key,
        };
        k.kid = match kid {
            Some(kid) => kid,
            None => k.thumbprint()?,
        };
        Ok(k)
    }

    /// The private key as PKCS#8 PEM (for persisting a mock's key).
    pub fn to_pem(&self) -> Result<Vec<u8>, JoseError> {
        self.key.private_key_to_pem_pkcs8().map_err(crypto)
    }

    /// The public key as SubjectPublicKeyInfo PEM: the exact bytes an HS256
    /// key-confusion attack uses as the HMAC secret.
    pub fn public_pem(&self) -> Result<Vec<u8>, JoseError> {
        self.key.public_key_to_pem().map_err(crypto)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK (kty RSA, kid, n, e, alg RS256, use sig).
    pub fn public_jwk(&self) -> Result<Jwk, JoseError> {
        let rsa = self.key.rsa().map_err(crypto)?;
        Ok(Jwk {
            kty: "RSA".into(),
            kid: Some(self.kid.clone()),
            alg: Some("RS256".into()),
            use_: Some("sig".into()),
            n: Some(b64url(&rsa.n().to_vec())),
            e: Some(b64url(&rsa.e().to_vec())),
            extra: BTreeMap::new(),
        })
    }

    /// A key set holding only this key's public JWK.
    pub fn jwks(&self) -> Result<JwkSet, JoseError> {
        Ok(JwkSet {
            keys: vec![self.public_jwk()?],
        })
    }

    /// RFC 7638 JWK thumbprint (SHA-256, base64url).
    pub fn thumbprint(&self) -> Result<String, JoseError> {
        let rsa = self.key.rsa().map_err(crypto)?;
        let canonical = format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            b64url(&rsa.e().to_vec()),
            b64url(&rsa.n().to_vec())
        );
        Ok(b64url(&openssl::sha::sha256(canonical.as_bytes())))
    }

    fn sign_rs256_bytes(&self, input: &[u8]) -> Result<Vec<u8>, JoseError> {
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key).map_err(crypto)?;
        signer.update(input).map_err(crypto)?;
        signer.sign_to_vec().map_err(crypto)
    }
}

/// A random URL-safe id (16 random bytes, base64url).
pub fn random_id() -> Result<String, JoseError> {
    let mut buf = [0u8; 16];
    openssl::rand::rand_bytes(&mut buf).map_err(crypto)?;
    Ok(b64url(&buf))
}

/// An RFC 7517 JSON Web Key. RSA public members are typed; every other member
/// (including private ones a careless key set might publish) is kept in `extra`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type, `RSA` for every key the harness makes.
    pub kty: String,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use (`sig`).
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Any other member.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Private-key members of RSA JWKs (RFC 7518 §6.3.2); a published key set must
/// carry none of them.
pub const RSA_PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth"];

impl Jwk {
    /// The private members this JWK carries (should be empty for a published key).
    pub fn private_members(&self) -> Vec<&str> {
        RSA_PRIVATE_MEMBERS
            .iter()
            .copied()
            .filter(|m| self.extra.contains_key(*m))
            .collect()
    }

    /// The RSA public key.
    pub fn rsa_public_key(&self) -> Result<PKey<Public>, JoseError> {
        let kid = self.kid.clone().unwrap_or_else(|| "(none)".into());
        let unusable = |reason: String| JoseError::KeyUnusable {
            kid: kid.clone(),
            reason,
        };
        if self.kty != "RSA" {
            return Err(unusable(format!("kty is `{}`, expected `RSA`", self.kty)));
        }
        let member = |v: &Option<String>, name: &str| -> Result<BigNum, JoseError> {
            let s = v
                .as_deref()
                .ok_or_else(|| unusable(format!("missing `{name}`")))?;
            let bytes = b64url_decode(s).map_err(|e| unusable(format!("`{name}`: {e}")))?;
            BigNum::from_slice(&bytes).map_err(|e| unusable(e.to_string()))
        };
        let rsa = Rsa::from_public_components(member(&self.n, "n")?, member(&self.e, "e")?)
            .map_err(|e| unusable(e.to_string()))?;
        PKey::from_rsa(rsa).map_err(|e| unusable(e.to_string()))
    }
}

impl Jwk {
    /// The RSA public key as SubjectPublicKeyInfo PEM (what a vulnerable library
    /// feeds to HMAC when it trusts the token's `alg`).
    pub fn rsa_public_pem(&self) -> Result<Vec<u8>, JoseError> {
        self.rsa_public_key()?.public_key_to_pem().map_err(crypto)
    }
}

/// An RFC 7517 JWK Set: `{"keys": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The key with `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

/// A token split into its parts, not verified.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJws {
    /// The JOSE header.
    pub header: Value,
    /// The payload, as JSON.
    pub claims: Value,
    /// `header.payload`, the signing input.
    signing_input: String,
    /// Signature bytes.
    signature: Vec<u8>,
}

fn decode_json_object(segment: &str, what: &str) -> Result<Value, JoseError> {
    let bytes = b64url_decode(segment).map_err(|e| JoseError::Malformed(format!("{what}: {e}")))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| JoseError::Malformed(format!("{what} is not JSON: {e}")))?;
    if !v.is_object() {
        return Err(JoseError::Malformed(format!("{what} is not a JSON object")));
    }
    Ok(v)
}

/// Splits and decodes a compact JWS without checking anything but its shape.
pub fn decode_unverified(token: &str) -> Result<DecodedJws, JoseError> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err(JoseError::Malformed(format!(
            "expected 3 dot-separated segments, found {}",
            parts.len()
        )));
    };
    Ok(DecodedJws {
        header: decode_json_object(h, "header")?,
        claims: decode_json_object(p, "payload")?,
        signing_input: format!("{h}.{p}"),
        signature: b64url_decode(s).map_err(|e| JoseError::Malformed(format!("signature: {e}")))?,
    })
}

fn encode_parts(header: &Value, claims: &Value) -> Result<String, JoseError> {
    let h = serde_json::to_vec(header).map_err(|e| JoseError::Malformed(e.to_string()))?;
    let c = serde_json::to_vec(claims).map_err(|e| JoseError::Malformed(e.to_string()))?;
    Ok(format!("{}.{}", b64url(&h), b64url(&c)))
}

/// Signs `claims` with RS256 under `header` written exactly as given (so tests can
/// set or omit `alg`, `kid`, `typ` freely).
pub fn sign(header: &Value, claims: &Value, key: &SigningKey) -> Result<String, JoseError> {
    let input = encode_parts(header, claims)?;
    let sig = key.sign_rs256_bytes(input.as_bytes())?;
    Ok(format!("{input}.{}", b64url(&sig)))
}

/// The standard header for `key`: `{"alg":"RS256","typ":"JWT","kid":...}`.
pub fn rs256_header(key: &SigningKey) -> Value {
    serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": key.kid()})
}

/// Signs `claims` with RS256 under the standard header for `key`.
pub fn sign_rs256(claims: &Value, key: &SigningKey) -> Result<String, JoseError> {
    sign(&rs256_header(key), claims, key)
}

/// An unsigned token: header `{"alg":"none","typ":"JWT"}` and an empty signature.
pub fn sign_with_alg_none(claims: &Value) -> Result<String, JoseError> {
    let header = serde_json::json!({"alg": "none", "typ": "JWT"});
    Ok(format!("{}.", encode_parts(&header, claims)?))
}

/// An HS256 token keyed with `secret` (for alg-confusion tests, e.g. the platform's
/// public key PEM as the HMAC secret). `kid` is put in the header when given.
pub fn sign_hs256(claims: &Value, secret: &[u8], kid: Option<&str>) -> Result<String, JoseError> {
    let mut header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    if let (Some(kid), Some(obj)) = (kid, header.as_object_mut()) {
        obj.insert("kid".into(), Value::String(kid.to_string()));
    }
    let input = encode_parts(&header, claims)?;
    let key = PKey::hmac(secret).map_err(crypto)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &key).map_err(crypto)?;
    signer.update(input.as_bytes()).map_err(crypto)?;
    let sig = signer.sign_to_vec().map_err(crypto)?;
    Ok(format!("{input}.{}", b64url(&sig)))
}

/// Checks an HS256 token against `secret` and returns it decoded. **Never use
/// this to accept a platform's token**: it exists so the reference tool can
/// reproduce the HS256 key-confusion defect (`AcceptHs256` fault) that the
/// harness's alg-confusion case must catch. [`verify`] refuses every HS* token.
pub fn verify_hs256_insecure(token: &str, secret: &[u8]) -> Result<DecodedJws, JoseError> {
    let d = decode_unverified(token)?;
    let key = PKey::hmac(secret).map_err(crypto)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &key).map_err(crypto)?;
    signer.update(d.signing_input.as_bytes()).map_err(crypto)?;
    let mac = signer.sign_to_vec().map_err(crypto)?;
    if mac.len() == d.signature.len() && openssl::memcmp::eq(&mac, &d.signature) {
        Ok(d)
    } else {
        Err(JoseError::BadSignature)
    }
}

/// What [`verify`] accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// Allowed `alg` values. Only `RS256` is implemented for verification;
    /// `none` and `HS*` are always refused with their own variants.
    pub allowed_algs: Vec<String>,
    /// Refuse tokens without `kid` ([`JoseError::MissingKid`]). When false, a
    /// kid-less token is tried against every RSA key of the set.
    pub require_kid: bool,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        VerifyPolicy {
            allowed_algs: vec!["RS256".into()],
            require_kid: true,
        }
    }
}

/// A token whose signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJwt {
    /// The JOSE header.
    pub header: Value,
    /// The claims.
    pub claims: Value,
    /// The kid of the key that verified it.
    pub kid: Option<String>,
}

fn check_alg(header: &Value, policy: &VerifyPolicy) -> Result<String, JoseError> {
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(JoseError::MissingAlg)?;
    if alg.eq_ignore_ascii_case("none") {
        return Err(JoseError::AlgNone);
    }
    if alg.to_ascii_uppercase().starts_with("HS") {
        return Err(JoseError::SymmetricAlg(alg.to_string()));
    }
    if !policy.allowed_algs.iter().any(|a| a == alg) || alg != "RS256" {
        return Err(JoseError::AlgNotAllowed {
            alg: alg.to_string(),
            allowed: policy.allowed_algs.join(", "),
        });
    }
    Ok(alg.to_string())
}

fn rs256_verifies(jwk: &Jwk, input: &[u8], sig: &[u8]) -> Result<bool, JoseError> {
    let key = jwk.rsa_public_key()?;
    let mut v = Verifier::new(MessageDigest::sha256(), &key).map_err(crypto)?;
    v.update(input).map_err(crypto)?;
    // OpenSSL reports a malformed signature (wrong length) as an error: a bad signature.
    Ok(v.verify(sig).unwrap_or(false))
}

/// Verifies a compact JWS against `jwks`: shape, `alg` (allow-list; `none` and
/// HS* refused), `kid` (required and known), signature. Claims are decoded but
/// not judged: use [`check_claims`].
pub fn verify(token: &str, jwks: &JwkSet, policy: &VerifyPolicy) -> Result<VerifiedJwt, JoseError> {
    let d = decode_unverified(token)?;
    check_alg(&d.header, policy)?;
    let kid = match d.header.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(JoseError::Malformed("header `kid` is not a string".into()));
        }
    };
    let candidates: Vec<&Jwk> = match &kid {
        Some(kid) => vec![
            jwks.find(kid)
                .ok_or_else(|| JoseError::UnknownKid(kid.clone()))?,
        ],
        None if policy.require_kid => return Err(JoseError::MissingKid),
        None => jwks.keys.iter().filter(|k| k.kty == "RSA").collect(),
    };
    let input = d.signing_input.as_bytes();
    for jwk in &candidates {
        if rs256_verifies(jwk, input, &d.signature)? {
            return Ok(VerifiedJwt {
                header: d.header,
                claims: d.claims,
                kid: jwk.kid.clone(),
            });
        }
    }
    Err(JoseError::BadSignature)
}

/// Rules for [`check_claims`]. `None` fields are not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    /// Exact `iss`.
    pub issuer: Option<String>,
    /// The audience that must be in `aud` (the client_id). When `aud` holds several
    /// values, `azp` must be present and equal to it.
    pub audience: Option<String>,
    /// The nonce bound to the request.
    pub nonce: Option<String>,
    /// Seconds of clock-skew tolerance on `exp`, `nbf` and `iat`.
    pub leeway: i64,
    /// Check `exp` (required and in the future).
    pub check_exp: bool,
    /// Require `iat` and refuse it in the future.
    pub check_iat: bool,
    /// Refuse tokens whose `iat` is older than this many seconds.
    pub max_age: Option<i64>,
    /// The current time (seconds since the epoch); `None` means now.
    pub now: Option<i64>,
}

impl Default for ClaimRules {
    fn default() -> Self {
        ClaimRules {
            issuer: None,
            audience: None,
            nonce: None,
            leeway: 10,
            check_exp: true,
            check_iat: true,
            max_age: None,
            now: None,
        }
    }
}

/// Seconds since the epoch.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn string_claim<'a>(claims: &'a Value, name: &str) -> Result<&'a str, JoseError> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(JoseError::MissingClaim(name.into())),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(JoseError::ClaimType {
            claim: name.into(),
            expected: "a string",
        }),
    }
}

fn time_claim(claims: &Value, name: &str) -> Result<Option<i64>, JoseError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or(JoseError::ClaimType {
                claim: name.into(),
                expected: "a JSON number of seconds",
            }),
        Some(_) => Err(JoseError::ClaimType {
            claim: name.into(),
            expected: "a JSON number of seconds",
        }),
    }
}

fn check_audience(claims: &Value, expected: &str) -> Result<(), JoseError> {
    let aud = claims
        .get("aud")
        .ok_or_else(|| JoseError::MissingClaim("aud".into()))?;
    let list: Vec<&str> = match aud {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str().ok_or(JoseError::ClaimType {
                    claim: "aud".into(),
                    expected: "a string or an array of strings",
                })
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(JoseError::ClaimType {
                claim: "aud".into(),
                expected: "a string or an array of strings",
            });
        }
    };
    if !list.contains(&expected) {
        return Err(JoseError::AudienceMismatch {
            expected: expected.into(),
            actual: aud.to_string(),
        });
    }
    let azp = match claims.get("azp") {
        None | Some(Value::Null) => None,
        Some(_) => Some(string_claim(claims, "azp")?),
    };
    match azp {
        None if list.len() > 1 => Err(JoseError::AzpMissing(aud.to_string())),
        Some(azp) if azp != expected => Err(JoseError::AzpMismatch {
            expected: expected.into(),
            actual: azp.into(),
        }),
        _ => Ok(()),
    }
}

fn check_times(claims: &Value, rules: &ClaimRules) -> Result<(), JoseError> {
    let now = rules.now.unwrap_or_else(now_secs);
    let leeway = rules.leeway;
    if rules.check_exp {
        let exp =
            time_claim(claims, "exp")?.ok_or_else(|| JoseError::MissingClaim("exp".into()))?;
        if now >= exp.saturating_add(leeway) {
            return Err(JoseError::Expired { exp, now, leeway });
        }
    }
    if let Some(nbf) = time_claim(claims, "nbf")?
        && nbf > now.saturating_add(leeway)
    {
        return Err(JoseError::NotYetValid { nbf, now });
    }
    if rules.check_iat {
        let iat =
            time_claim(claims, "iat")?.ok_or_else(|| JoseError::MissingClaim("iat".into()))?;
        if iat > now.saturating_add(leeway) {
            return Err(JoseError::IssuedInFuture { iat, now });
        }
        if let Some(max_age) = rules.max_age
            && now.saturating_sub(iat) > max_age.saturating_add(leeway)
        {
            return Err(JoseError::IssuedTooLongAgo { iat, now, max_age });
        }
    }
    Ok(())
}

/// Judges registered claims: `iss` exact match, `aud` (string or array) contains
/// the audience and the `azp` rule, `exp`/`nbf`/`iat` with leeway, `nonce`.
pub fn check_claims(claims: &Value, rules: &ClaimRules) -> Result<(), JoseError> {
    if !claims.is_object() {
        return Err(JoseError::Malformed("claims are not a JSON object".into()));
    }
    if let Some(expected) = &rules.issuer {
        let iss = string_claim(claims, "iss")?;
        if iss != expected {
            return Err(JoseError::IssuerMismatch {
                expected: expected.clone(),
                actual: iss.into(),
            });
        }
    }
    if let Some(expected) = &rules.audience {
        check_audience(claims, expected)?;
    }
    check_times(claims, rules)?;
    if let Some(expected) = &rules.nonce {
        let nonce = string_claim(claims, "nonce")?;
        if nonce != expected {
            return Err(JoseError::NonceMismatch {
                expected: expected.clone(),
                actual: nonce.into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::{fixture, rstest};
    use serde_json::json;
    use std::sync::OnceLock;

    // Key generation is slow; share two keys across tests.
    fn keys() -> &'static (SigningKey, SigningKey) {
        static KEYS: OnceLock<(SigningKey, SigningKey)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let a = SigningKey::generate().unwrap_or_else(|e| panic!("keygen: {e}"));
            let b = SigningKey::generate().unwrap_or_else(|e| panic!("keygen: {e}"));
            (a, b)
        })
    }

    #[fixture]
    fn key() -> SigningKey {
        keys().0.clone()
    }

    fn jwks() -> JwkSet {
        keys().0.jwks().unwrap_or_else(|e| panic!("jwks: {e}"))
    }

    fn claims() -> Value {
        let now = now_secs();
        json!({"iss": "https://p.example", "aud": "client-1", "sub": "u1",
               "iat": now, "exp": now + 300, "nonce": "n-123"})
    }

    fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("unexpected error: {e}"))
    }

    #[rstest]
    fn round_trip_verifies(key: SigningKey) {
        let tok = ok(sign_rs256(&claims(), &key));
        let v = ok(verify(&tok, &jwks(), &VerifyPolicy::default()));
        assert_eq!(v.claims["sub"], "u1");
        assert_eq!(v.kid.as_deref(), Some(key.kid()));
        assert_eq!(v.header["typ"], "JWT");
    }

    #[rstest]
    fn header_is_written_as_given(key: SigningKey) {
        let header = json!({"badtestonly": "12345", "alg": "RS256"});
        let tok = ok(sign(&header, &claims(), &key));
        let d = ok(decode_unverified(&tok));
        assert_eq!(d.header, header);
    }

    #[rstest]
    fn jwk_has_public_members_only(key: SigningKey) {
        let jwk = ok(key.public_jwk());
        assert_eq!(jwk.kty, "RSA");
        assert_eq!(jwk.alg.as_deref(), Some("RS256"));
        assert_eq!(jwk.use_.as_deref(), Some("sig"));
        assert_eq!(jwk.e.as_deref(), Some("AQAB"));
        assert!(jwk.private_members().is_empty());
        let text = ok(serde_json::to_string(&jwk));
        assert!(text.contains(r#""use":"sig""#), "{text}");
        let back: Jwk = ok(serde_json::from_str(&text));
        assert_eq!(back, jwk);
    }

    #[test]
    fn leaked_private_members_are_visible() {
        let jwk: Jwk = ok(serde_json::from_value(
            json!({"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB","d":"secret","p":"x"}),
        ));
        assert_eq!(jwk.private_members(), vec!["d", "p"]);
    }

    #[rstest]
    fn kid_is_the_rfc7638_thumbprint(key: SigningKey) {
        assert_eq!(ok(key.thumbprint()), key.kid());
        assert_eq!(key.kid().len(), 43, "base64url of 32 bytes");
    }

    #[rstest]
    fn pem_round_trip_keeps_the_kid(key: SigningKey) {
        let pem = ok(key.to_pem());
        let back = ok(SigningKey::from_pem(&pem, None));
        assert_eq!(back.kid(), key.kid());
        let named = ok(SigningKey::from_pem(&pem, Some("k-1".into())));
        assert_eq!(named.kid(), "k-1");
    }

    fn tok_with_header(header: Value) -> String {
        ok(sign(&header, &claims(), &keys().0))
    }

    #[rstest]
    #[case::alg_none(ok(sign_with_alg_none(&claims())), JoseError::AlgNone)]
    #[case::hs256(ok(sign_hs256(&claims(), b"public key as secret", Some(keys().0.kid()))),
                  JoseError::SymmetricAlg("HS256".into()))]
    #[case::rs512(tok_with_header(json!({"alg":"RS512","kid":keys().0.kid()})),
                  JoseError::AlgNotAllowed { alg: "RS512".into(), allowed: "RS256".into() })]
    #[case::no_alg(tok_with_header(json!({"kid": keys().0.kid()})), JoseError::MissingAlg)]
    #[case::no_kid(tok_with_header(json!({"alg":"RS256"})), JoseError::MissingKid)]
    #[case::unknown_kid(tok_with_header(json!({"alg":"RS256","kid":"imstester_66067"})),
                        JoseError::UnknownKid("imstester_66067".into()))]
    #[case::other_key_same_kid(
        ok(sign(&rs256_header(&keys().0), &claims(), &keys().1)),
        JoseError::BadSignature)]
    fn verify_errors_are_distinct(#[case] token: String, #[case] expected: JoseError) {
        assert_eq!(
            verify(&token, &jwks(), &VerifyPolicy::default()),
            Err(expected)
        );
    }

    #[rstest]
    #[case::two_segments("abc.def")]
    #[case::bad_base64("!!!.e30.e30")]
    #[case::header_not_json("bm90IGpzb24.e30.c2ln")]
    #[case::header_not_object("WzFd.e30.c2ln")]
    fn malformed_tokens(#[case] token: &str) {
        assert!(matches!(
            verify(token, &jwks(), &VerifyPolicy::default()),
            Err(JoseError::Malformed(_))
        ));
    }

    #[test]
    fn tampered_payload_fails_the_signature() {
        let tok = ok(sign_rs256(&claims(), &keys().0));
        let parts: Vec<&str> = tok.split('.').collect();
        let evil = b64url(br#"{"sub":"admin"}"#);
        let forged = format!("{}.{}.{}", parts[0], evil, parts[2]);
        assert_eq!(
            verify(&forged, &jwks(), &VerifyPolicy::default()),
            Err(JoseError::BadSignature)
        );
    }

    #[test]
    fn kidless_tokens_try_every_key_when_allowed() {
        let tok = tok_with_header(json!({"alg":"RS256"}));
        let policy = VerifyPolicy {
            require_kid: false,
            ..VerifyPolicy::default()
        };
        assert!(verify(&tok, &jwks(), &policy).is_ok());
    }

    #[test]
    fn non_rsa_key_is_unusable() {
        let set = JwkSet {
            keys: vec![ok(serde_json::from_value(json!({"kty":"EC","kid":"ec1"})))],
        };
        let tok = tok_with_header(json!({"alg":"RS256","kid":"ec1"}));
        assert!(matches!(
            verify(&tok, &set, &VerifyPolicy::default()),
            Err(JoseError::KeyUnusable { .. })
        ));
    }

    fn rules() -> ClaimRules {
        ClaimRules {
            issuer: Some("https://p.example".into()),
            audience: Some("client-1".into()),
            nonce: Some("n-123".into()),
            leeway: 10,
            now: Some(1_000_000),
            ..ClaimRules::default()
        }
    }

    fn at(patch: Value) -> Value {
        let mut c = json!({"iss": "https://p.example", "aud": "client-1", "sub": "u1",
                           "iat": 1_000_000, "exp": 1_000_300, "nonce": "n-123"});
        if let (Some(obj), Some(p)) = (c.as_object_mut(), patch.as_object()) {
            for (k, v) in p {
                if v.is_null() {
                    obj.remove(k);
                } else {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
        c
    }

    #[rstest]
    #[case::valid(json!({}))]
    #[case::aud_array_one(json!({"aud": ["client-1"]}))]
    #[case::aud_array_with_azp(json!({"aud": ["client-1", "other"], "azp": "client-1"}))]
    #[case::expired_within_leeway(json!({"exp": 999_995}))]
    #[case::iat_skew_within_leeway(json!({"iat": 1_000_005}))]
    #[case::float_times(json!({"exp": 1_000_300.5}))]
    #[case::nbf_past(json!({"nbf": 999_000}))]
    fn claims_accepted(#[case] patch: Value) {
        assert_eq!(check_claims(&at(patch), &rules()), Ok(()));
    }

    #[rstest]
    #[case::wrong_iss(json!({"iss": "https://p.example/"}), "IssuerMismatch")]
    #[case::missing_iss(json!({"iss": null}), "MissingClaim")]
    #[case::wrong_aud(json!({"aud": "other"}), "AudienceMismatch")]
    #[case::aud_number(json!({"aud": 5}), "ClaimType")]
    #[case::aud_array_no_azp(json!({"aud": ["client-1", "other"]}), "AzpMissing")]
    #[case::azp_wrong(json!({"aud": ["other", "client-1"], "azp": "other"}), "AzpMismatch")]
    #[case::expired(json!({"iat": 11111, "exp": 22222}), "Expired")]
    #[case::no_exp(json!({"exp": null}), "MissingClaim")]
    #[case::exp_string(json!({"exp": "tomorrow"}), "ClaimType")]
    #[case::future_iat(json!({"iat": 1_000_100}), "IssuedInFuture")]
    #[case::nbf_future(json!({"nbf": 1_000_100}), "NotYetValid")]
    #[case::nonce_wrong(json!({"nonce": "other"}), "NonceMismatch")]
    #[case::nonce_missing(json!({"nonce": null}), "MissingClaim")]
    fn claims_refused(#[case] patch: Value, #[case] variant: &str) {
        let err = match check_claims(&at(patch), &rules()) {
            Ok(()) => panic!("expected {variant}"),
            Err(e) => e,
        };
        assert!(format!("{err:?}").starts_with(variant), "{err:?}");
    }

    #[test]
    fn max_age_refuses_old_tokens() {
        let r = ClaimRules {
            max_age: Some(60),
            check_exp: false,
            ..rules()
        };
        let err = check_claims(&at(json!({"iat": 900_000})), &r);
        assert!(
            matches!(err, Err(JoseError::IssuedTooLongAgo { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn disabled_exp_check_accepts_expired_tokens() {
        let r = ClaimRules {
            check_exp: false,
            ..rules()
        };
        assert_eq!(
            check_claims(&at(json!({"iat": 11111, "exp": 22222})), &r),
            Ok(())
        );
    }

    #[test]
    fn hs256_key_confusion_round_trips_only_with_the_same_pem() {
        let pem = ok(keys().0.public_pem());
        let jwk_pem = ok(ok(keys().0.public_jwk()).rsa_public_pem());
        assert_eq!(pem, jwk_pem, "the JWK and the key give the same PEM bytes");
        let token = ok(sign_hs256(&claims(), &pem, Some(keys().0.kid())));
        assert_eq!(ok(verify_hs256_insecure(&token, &jwk_pem)).claims, claims());
        assert_eq!(
            verify_hs256_insecure(&token, b"another secret").map(|d| d.claims),
            Err(JoseError::BadSignature)
        );
        assert_eq!(
            verify(&token, &jwks(), &VerifyPolicy::default()).map(|v| v.claims),
            Err(JoseError::SymmetricAlg("HS256".into()))
        );
    }
}
