//! Tool configuration and fault injection.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

use crate::{DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID, ToolError};

/// A deliberate defect, to prove that the suite catches it. Each one switches
/// off (or weakens) exactly one check of the reference tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Selects the key by kid but ignores a signature that does not verify.
    SkipSignatureCheck,
    /// Does not check `exp`.
    AcceptExpired,
    /// Neither binds the nonce to the state nor checks it for replay.
    IgnoreNonce,
    /// Refuses every launch with 403.
    RefuseAllLaunches,
    /// Accepts unsigned (`alg: none`) id_tokens.
    AcceptAlgNone,
    /// Trusts the token's `alg`: verifies HS256 with the platform's public key
    /// PEM as the HMAC secret (key confusion).
    AcceptHs256,
    /// Only checks that `aud` contains the client_id: extra audiences and `azp`
    /// are ignored.
    IgnoreAzp,
    /// Does not check `aud` at all.
    IgnoreAudience,
    /// Does not check `iss` against the registration.
    IgnoreIssuer,
    /// Compares `iss` ignoring a trailing slash.
    LenientIssuer,
    /// Accepts any nonce this tool issued, not only the one of this login.
    NonceUnbound,
    /// Does not check `state` against the browser (cookie) or the login; finds the
    /// login by the token's nonce instead.
    NoStateCheck,
    /// Accepts a `deployment_id` that is not registered.
    AcceptUnknownDeployment,
    /// No clock-skew leeway at all (0 s).
    NoLeeway,
    /// An hour of clock-skew leeway.
    ExcessiveLeeway,
    /// Never re-fetches the platform JWKS on an unknown kid while the cache is fresh.
    NoJwksRefetch,
    /// Stores the login's `target_link_uri` without its query string.
    DropTargetQuery,
    /// Does not echo `lti_message_hint` in the authentication request.
    DropMessageHint,
    /// Deep Linking response without the request's `data`.
    DlNoData,
    /// Deep Linking response whose `aud` is the client_id, not the platform issuer.
    DlWrongAudience,
    /// Deep Linking response signed by a key that is not in the tool's JWKS.
    DlForeignKey,
    /// Reads only the first NRPS page (ignores `Link: rel="next"`).
    NrpsNoPaging,
    /// Client assertion whose `aud` is the platform issuer, not the token endpoint.
    NrpsWrongAssertionAudience,
    /// AGS score posted as `application/json`, not the score media type.
    AgsWrongScoreMediaType,
    /// AGS scores and results URLs derived without the line item's query string.
    AgsDropQueryFromScoresUrl,
    /// AGS score `timestamp` in whole seconds (no sub-second precision).
    AgsBadTimestamp,
    /// AGS score with `scoreGiven` but no `scoreMaximum`.
    AgsNoScoreMaximum,
    /// Gives up on an AGS request answered 401 instead of requesting a new token.
    AgsNoTokenRetry,
    /// `Accept: application/json` on the AGS container and results requests.
    AgsWrongAccept,
    /// Asks for the NRPS scope too in the AGS token request.
    AgsExtraScope,
    /// Creates its AGS line item without a `label`.
    AgsLineItemNoLabel,
    /// Never reads the AGS results back.
    AgsNoResultsRead,
    /// Deep Linking: returns an `ltiResourceLink` item whatever the request's
    /// `accept_types` say.
    IgnoresAcceptTypes,
    /// Deep Linking: returns two items even when `accept_multiple` is false.
    IgnoresAcceptMultiple,
    /// Deep Linking: on a cancelled selection, shows a page and never posts a
    /// response back to `deep_link_return_url`.
    NoResponseOnCancel,
    /// The tool's JWKS publishes its key without a `kid`.
    JwksWithoutKid,
    /// The tool's JWKS publishes its private key members (`d`, `p`, `q`, `dp`,
    /// `dq`, `qi`) beside the public ones.
    JwksLeaksPrivateKey,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 37] = [
        Fault::SkipSignatureCheck,
        Fault::AcceptExpired,
        Fault::IgnoreNonce,
        Fault::RefuseAllLaunches,
        Fault::AcceptAlgNone,
        Fault::AcceptHs256,
        Fault::IgnoreAzp,
        Fault::IgnoreAudience,
        Fault::IgnoreIssuer,
        Fault::LenientIssuer,
        Fault::NonceUnbound,
        Fault::NoStateCheck,
        Fault::AcceptUnknownDeployment,
        Fault::NoLeeway,
        Fault::ExcessiveLeeway,
        Fault::NoJwksRefetch,
        Fault::DropTargetQuery,
        Fault::DropMessageHint,
        Fault::DlNoData,
        Fault::DlWrongAudience,
        Fault::DlForeignKey,
        Fault::NrpsNoPaging,
        Fault::NrpsWrongAssertionAudience,
        Fault::AgsWrongScoreMediaType,
        Fault::AgsDropQueryFromScoresUrl,
        Fault::AgsBadTimestamp,
        Fault::AgsNoScoreMaximum,
        Fault::AgsNoTokenRetry,
        Fault::AgsWrongAccept,
        Fault::AgsExtraScope,
        Fault::AgsLineItemNoLabel,
        Fault::AgsNoResultsRead,
        Fault::IgnoresAcceptTypes,
        Fault::IgnoresAcceptMultiple,
        Fault::NoResponseOnCancel,
        Fault::JwksWithoutKid,
        Fault::JwksLeaksPrivateKey,
    ];
}

/// The tool's registration with one platform.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The platform issuer (`iss`), matched exactly.
    pub issuer: String,
    /// The tool's client_id at that platform.
    pub client_id: String,
    /// Deployment ids the tool accepts.
    pub deployment_ids: Vec<String>,
    /// The platform's OIDC authentication endpoint.
    pub auth_url: String,
    /// The platform's JWKS URL.
    pub jwks_url: String,
    /// The platform's OAuth 2.0 token endpoint (services: NRPS, AGS).
    #[serde(default)]
    pub token_url: Option<String>,
}

fn default_leeway() -> i64 {
    10
}

/// The reference tool's configuration (TOML for `accredit serve tool`).
///
/// ```toml
/// listen = "127.0.0.1:9002"
/// # public_url = "https://tool.example"   # when behind a proxy; default http://<listen>
/// # faults = ["ignore-nonce"]             # fault injection
///
/// [registration]
/// issuer = "https://platform.example"
/// client_id = "tool-1"
/// deployment_ids = ["deployment-1"]
/// auth_url = "http://127.0.0.1:9001/lti/auth"
/// jwks_url = "http://127.0.0.1:9001/lti/jwks"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Base URL browsers use; default `http://<bound address>`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The platform registration.
    pub registration: Registration,
    /// Injected faults.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Clock-skew leeway in seconds for `exp` and `iat` (kept small: seconds).
    #[serde(default = "default_leeway")]
    pub leeway_secs: i64,
    /// Browser-only fault: the state cookie is `SameSite=Lax` (no `Secure`) even
    /// where `SameSite=None; Secure` works. Browsers then drop it on the
    /// platform's cross-site `form_post` in an iframe, so every launch is refused;
    /// the harness's HTTP user agent does not apply SameSite rules and cannot see
    /// it (only `--browser` can). Not a [`Fault`] so the HTTP fault matrix stays
    /// exhaustive over faults it can detect.
    #[serde(default)]
    pub lax_state_cookie: bool,
}

impl ToolConfig {
    /// A correct tool on a free loopback port, registered as
    /// [`DEMO_CLIENT_ID`]/[`DEMO_DEPLOYMENT_ID`] with the given platform.
    pub fn reference(issuer: &str, auth_url: &str, jwks_url: &str) -> ToolConfig {
        ToolConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            registration: Registration {
                issuer: issuer.into(),
                client_id: DEMO_CLIENT_ID.into(),
                deployment_ids: vec![DEMO_DEPLOYMENT_ID.into()],
                auth_url: auth_url.into(),
                jwks_url: jwks_url.into(),
                // The harness's mock platform serves its token endpoint beside
                // the auth endpoint.
                token_url: url::Url::parse(auth_url)
                    .and_then(|u| u.join("/lti/token"))
                    .ok()
                    .map(String::from),
            },
            faults: vec![],
            leeway_secs: default_leeway(),
            lax_state_cookie: false,
        }
    }

    /// Checks the URLs and values.
    pub fn validate(&self) -> Result<(), ToolError> {
        let err = |message: String| ToolError::Config {
            path: "(config)".into(),
            message,
        };
        for (name, u) in [
            ("registration.auth_url", &self.registration.auth_url),
            ("registration.jwks_url", &self.registration.jwks_url),
        ] {
            url::Url::parse(u).map_err(|e| err(format!("{name} `{u}`: {e}")))?;
        }
        if let Some(u) = &self.public_url {
            url::Url::parse(u).map_err(|e| err(format!("public_url `{u}`: {e}")))?;
        }
        if self.registration.client_id.is_empty() || self.registration.deployment_ids.is_empty() {
            return Err(err(
                "registration needs a client_id and at least one deployment id".into(),
            ));
        }
        if !(0..=300).contains(&self.leeway_secs) {
            return Err(err("leeway_secs must be between 0 and 300".into()));
        }
        Ok(())
    }
}

/// Reads a tool config file.
pub fn load_config(path: &Path) -> Result<ToolConfig, ToolError> {
    let err = |message: String| ToolError::Config {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let cfg: ToolConfig = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    cfg.validate().map_err(|e| err(e.to_string()))?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_with_faults() {
        let text = "listen = \"127.0.0.1:0\"\nfaults = [\"ignore-nonce\", \"accept-expired\"]\n\
                    [registration]\nissuer = \"https://p\"\nclient_id = \"c\"\ndeployment_ids = [\"d\"]\n\
                    auth_url = \"http://127.0.0.1:1/lti/auth\"\njwks_url = \"http://127.0.0.1:1/lti/jwks\"\n";
        let cfg: ToolConfig = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.faults, vec![Fault::IgnoreNonce, Fault::AcceptExpired]);
        assert_eq!(cfg.leeway_secs, 10);
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn unknown_fault_is_refused() {
        let text = "listen = \"127.0.0.1:0\"\nfaults = [\"be-evil\"]\n[registration]\nissuer = \"i\"\n\
                    client_id = \"c\"\ndeployment_ids = [\"d\"]\nauth_url = \"http://a\"\njwks_url = \"http://a\"\n";
        assert!(toml::from_str::<ToolConfig>(text).is_err());
    }
}
