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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRule {
    /// Copy the nonce of the authentication request into the claims (normal case).
    Echo,
    /// Leave the claims exactly as planned (a test sets or omits `nonce` itself).
    AsGiven,
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
        if self.nonce == NonceRule::Echo
            && let Some(obj) = claims.as_object_mut()
        {
            obj.insert("nonce".into(), Value::String(nonce.to_string()));
        }
        let key = match &self.signer {
            Signer::Platform => platform_key,
            Signer::Key(k) => k,
            Signer::Unsigned => return jose::sign_with_alg_none(&claims),
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

/// A token the platform issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The id_token.
    pub id_token: String,
    /// The tool's `state`.
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
    pub(crate) fn seen(&self, hint: &str) -> Vec<AuthRequestSeen> {
        self.seen.get(hint).cloned().unwrap_or_default()
    }
}
