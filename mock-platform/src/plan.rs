//! Launch plans: which id_token to issue for which `login_hint`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use accredit_core::jose::{self, JoseError, SigningKey};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// How the id_token of a plan is signed.
#[derive(Debug, Clone)]
pub enum Signer {
    /// RS256 with the platform's key (the normal case).
    Platform,
    /// RS256 with another key (e.g. a foreign key presented under the platform's kid).
    Key(SigningKey),
    /// `alg: none`, no signature.
    Unsigned,
    /// HS256 keyed with these bytes (alg-confusion tests).
    Hs256(Vec<u8>),
}

/// Where the id_token's `nonce` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NonceRule {
    /// Copy the nonce of the authentication request into the claims (normal case).
    Echo,
    /// Leave the claims exactly as planned (a test sets or omits `nonce` itself).
    AsGiven,
    /// Put this nonce in the claims, whatever the authentication request said
    /// (a nonce the tool issued for *another* login: the binding test).
    Fixed(String),
}

/// The id_token to answer an authentication request with.
#[derive(Debug, Clone)]
pub struct LaunchPlan {
    /// JOSE header written as given; `None` = `{"alg":"RS256","typ":"JWT","kid":<signer kid>}`.
    pub header: Option<Value>,
    /// The claims.
    pub claims: Value,
    /// Nonce handling.
    pub nonce: NonceRule,
    /// Signature.
    pub signer: Signer,
    /// Send this exact token instead of building one (replay tests).
    pub replay: Option<String>,
    /// The `lti_message_hint` the tool must echo unaltered, when one was sent.
    pub lti_message_hint: Option<String>,
    /// Post this `state` back instead of the tool's (forged-state tests).
    pub state: Option<String>,
}

impl LaunchPlan {
    /// A normal launch: `claims` signed by the platform, nonce echoed.
    pub fn signed(claims: Value) -> LaunchPlan {
        LaunchPlan {
            header: None,
            claims,
            nonce: NonceRule::Echo,
            signer: Signer::Platform,
            replay: None,
            lti_message_hint: None,
            state: None,
        }
    }

    /// Sends `token` verbatim (the `state` is still the new one).
    pub fn replaying(token: impl Into<String>) -> LaunchPlan {
        LaunchPlan {
            replay: Some(token.into()),
            ..LaunchPlan::signed(Value::Null)
        }
    }

    /// Uses `header` verbatim.
    pub fn with_header(mut self, header: Value) -> LaunchPlan {
        self.header = Some(header);
        self
    }

    /// Signs with `signer`.
    pub fn signed_by(mut self, signer: Signer) -> LaunchPlan {
        self.signer = signer;
        self
    }

    /// Posts `state` back to the tool instead of the state it sent.
    pub fn with_state(mut self, state: impl Into<String>) -> LaunchPlan {
        self.state = Some(state.into());
        self
    }

    /// Puts `nonce` in the id_token instead of the authentication request's.
    pub fn with_nonce(mut self, nonce: impl Into<String>) -> LaunchPlan {
        self.nonce = NonceRule::Fixed(nonce.into());
        self
    }

    /// Requires the tool to echo `hint` as `lti_message_hint`.
    pub fn expecting_message_hint(mut self, hint: impl Into<String>) -> LaunchPlan {
        self.lti_message_hint = Some(hint.into());
        self
    }

    /// Builds the token for an authentication request carrying `nonce`.
    pub(crate) fn token(
        &self,
        nonce: &str,
        platform_key: &SigningKey,
    ) -> Result<String, JoseError> {
        if let Some(t) = &self.replay {
            return Ok(t.clone());
        }
        let mut claims = self.claims.clone();
        let put = match &self.nonce {
            NonceRule::Echo => Some(nonce),
            NonceRule::Fixed(fixed) => Some(fixed.as_str()),
            NonceRule::AsGiven => None,
        };
        if let (Some(n), Some(obj)) = (put, claims.as_object_mut()) {
            obj.insert("nonce".into(), Value::String(n.to_string()));
        }
        let key = match &self.signer {
            Signer::Platform => platform_key,
            Signer::Key(k) => k,
            // The platform's kid stays in the header, so a tool that requires a
            // kid cannot refuse the token for that reason alone: only `alg` is wrong.
            Signer::Unsigned => {
                let header = self.header.clone().unwrap_or_else(
                    || serde_json::json!({"alg": "none", "typ": "JWT", "kid": platform_key.kid()}),
                );
                return unsigned(&header, &claims);
            }
            Signer::Hs256(secret) => {
                return jose::sign_hs256(&claims, secret, Some(platform_key.kid()));
            }
        };
        let header = self
            .header
            .clone()
            .unwrap_or_else(|| jose::rs256_header(key));
        jose::sign(&header, &claims, key)
    }
}

/// `header.payload.` with an empty signature.
fn unsigned(header: &Value, claims: &Value) -> Result<String, JoseError> {
    let part = |v: &Value| {
        serde_json::to_vec(v)
            .map(|b| jose::b64url(&b))
            .map_err(|e| JoseError::Malformed(e.to_string()))
    };
    Ok(format!("{}.{}.", part(header)?, part(claims)?))
}

/// A token the platform issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The id_token.
    pub id_token: String,
    /// The `state` posted back to the tool (the tool's own, unless the plan forged one).
    pub state: String,
    /// The tool's `nonce`.
    pub nonce: String,
    /// The redirect_uri it was posted to.
    pub redirect_uri: String,
}

/// An authentication request as received, with what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequestSeen {
    /// `GET` or `POST`.
    pub method: String,
    /// Parameters in order.
    pub params: Vec<(String, String)>,
    /// Problems found (empty = valid).
    pub problems: Vec<String>,
}

#[derive(Default)]
pub(crate) struct Plans {
    deep_links: HashMap<String, Vec<crate::deep_link::DeepLinkReturn>>,
    plans: HashMap<String, LaunchPlan>,
    issued: HashMap<String, Issued>,
    seen: HashMap<String, Vec<AuthRequestSeen>>,
}

impl Plans {
    pub(crate) fn insert(&mut self, hint: String, plan: LaunchPlan) {
        self.plans.insert(hint, plan);
    }
    pub(crate) fn get(&self, hint: &str) -> Option<LaunchPlan> {
        self.plans.get(hint).cloned()
    }
    pub(crate) fn record_issued(&mut self, hint: &str, issued: Issued) {
        self.issued.insert(hint.to_string(), issued);
    }
    pub(crate) fn issued(&self, hint: &str) -> Option<Issued> {
        self.issued.get(hint).cloned()
    }
    pub(crate) fn record_seen(&mut self, hint: &str, seen: AuthRequestSeen) {
        self.seen.entry(hint.to_string()).or_default().push(seen);
    }
    pub(crate) fn record_deep_link(&mut self, hint: &str, r: crate::deep_link::DeepLinkReturn) {
        self.deep_links.entry(hint.to_string()).or_default().push(r);
    }
    pub(crate) fn deep_links(&self, hint: &str) -> Vec<crate::deep_link::DeepLinkReturn> {
        self.deep_links.get(hint).cloned().unwrap_or_default()
    }
    pub(crate) fn seen(&self, hint: &str) -> Vec<AuthRequestSeen> {
        self.seen.get(hint).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> SigningKey {
        SigningKey::generate().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn nonce_rules_put_the_right_nonce() {
        let k = key();
        let claims = |plan: LaunchPlan| {
            let t = plan
                .token("from-request", &k)
                .unwrap_or_else(|e| panic!("{e}"));
            jose::decode_unverified(&t)
                .unwrap_or_else(|e| panic!("{e}"))
                .claims
        };
        let base = || LaunchPlan::signed(json!({"sub": "u"}));
        assert_eq!(claims(base())["nonce"], "from-request");
        assert_eq!(
            claims(base().with_nonce("other-login"))["nonce"],
            "other-login"
        );
        let mut as_given = base();
        as_given.nonce = NonceRule::AsGiven;
        assert!(claims(as_given).get("nonce").is_none());
    }

    #[test]
    fn an_unsigned_token_keeps_the_platform_kid() {
        let k = key();
        let t = LaunchPlan::signed(json!({"sub": "u"}))
            .signed_by(Signer::Unsigned)
            .token("n", &k)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(t.ends_with('.'), "{t}");
        let d = jose::decode_unverified(&t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.header["alg"], "none");
        assert_eq!(d.header["kid"], k.kid());
        assert_eq!(
            jose::verify(
                &t,
                &k.jwks().unwrap_or_else(|e| panic!("{e}")),
                &Default::default()
            )
            .map(|v| v.claims),
            Err(JoseError::AlgNone)
        );
    }
}
